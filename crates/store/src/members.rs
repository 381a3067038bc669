//! Members, their roles, and bans.

use crate::db::{Arg, args, placeholders};
use crate::{BanRow, MemberRoleRow, MemberRow, MemberWithRoles, Result, Store, StoreError};

const MEMBER_COLS: &str = "guild_id, user_id, nick, joined_at, deaf, mute, pending, temporary, \
    communication_disabled_until, flags, karma";

/// Member fields to change.
#[derive(Debug, Clone, Default)]
pub struct MemberPatch {
    /// Nickname.
    pub nick: Option<Option<String>>,
    /// Complete new role set.
    pub roles: Option<Vec<i64>>,
    /// Voice mute.
    pub mute: Option<bool>,
    /// Voice deafen.
    pub deaf: Option<bool>,
    /// Timeout end.
    pub communication_disabled_until: Option<Option<i64>>,
    /// Member flags.
    pub flags: Option<i64>,
    /// Screening state.
    pub pending: Option<bool>,
}

impl Store {
    /// One member with roles.
    pub async fn member(&self, guild_id: i64, user_id: i64) -> Result<Option<MemberWithRoles>> {
        let sql = format!("select {MEMBER_COLS} from members where guild_id = $1 and user_id = $2");
        let Some(member) = self
            .db
            .opt::<MemberRow>(sql, args![guild_id, user_id])
            .await?
        else {
            return Ok(None);
        };
        let roles: Vec<MemberRoleRow> = self
            .db
            .all("select user_id, role_id from member_roles where guild_id = $1 and user_id = $2 order by role_id", args![guild_id, user_id])
            .await?;
        Ok(Some(MemberWithRoles {
            member,
            roles: roles.into_iter().map(|r| r.role_id).collect(),
        }))
    }

    /// One member's row without their roles (see [`Store::membership`]).
    pub async fn member_row(&self, guild_id: i64, user_id: i64) -> Result<Option<MemberRow>> {
        let sql = format!("select {MEMBER_COLS} from members where guild_id = $1 and user_id = $2");
        self.db.opt(sql, args![guild_id, user_id]).await
    }

    /// Members ordered by user id, after `after`, at most `limit`.
    pub async fn members(
        &self,
        guild_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<MemberWithRoles>> {
        let sql = format!(
            "select {MEMBER_COLS} from members where guild_id = $1 and user_id > $2 order by user_id limit $3"
        );
        let rows: Vec<MemberRow> = self.db.all(sql, args![guild_id, after, limit]).await?;
        self.attach_roles(guild_id, rows).await
    }

    /// Specific members (missing ones skipped).
    pub async fn members_by_ids(
        &self,
        guild_id: i64,
        user_ids: &[i64],
    ) -> Result<Vec<MemberWithRoles>> {
        if user_ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "select {MEMBER_COLS} from members where guild_id = $1 and user_id in ({}) order by user_id",
            placeholders(2, user_ids.len())
        );
        let mut a: Vec<Arg> = args![guild_id];
        a.extend(user_ids.iter().map(|i| Arg::from(*i)));
        let rows: Vec<MemberRow> = self.db.all(sql, a).await?;
        self.attach_roles(guild_id, rows).await
    }

    /// Members whose username or nickname starts with `prefix` (case-insensitive).
    pub async fn search_members(
        &self,
        guild_id: i64,
        prefix: &str,
        limit: i64,
    ) -> Result<Vec<MemberWithRoles>> {
        let pattern = format!("{}%", prefix.to_lowercase().replace(['%', '_', '\\'], ""));
        let sql = "select m.guild_id, m.user_id, m.nick, m.joined_at, m.deaf, m.mute, m.pending, m.temporary, \
            m.communication_disabled_until, m.flags, m.karma from members m join users u on u.id = m.user_id \
            where m.guild_id = $1 and (u.username_lower like $2 or lower(coalesce(m.nick, '')) like $2 \
            or lower(coalesce(u.global_name, '')) like $2) order by m.user_id limit $3";
        let rows: Vec<MemberRow> = self.db.all(sql, args![guild_id, pattern, limit]).await?;
        self.attach_roles(guild_id, rows).await
    }

    async fn attach_roles(
        &self,
        guild_id: i64,
        rows: Vec<MemberRow>,
    ) -> Result<Vec<MemberWithRoles>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
        let sql = format!(
            "select user_id, role_id from member_roles where guild_id = $1 and user_id in ({}) order by role_id",
            placeholders(2, ids.len())
        );
        let mut a: Vec<Arg> = args![guild_id];
        a.extend(ids.iter().map(|i| Arg::from(*i)));
        let pairs: Vec<MemberRoleRow> = self.db.all(sql, a).await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let roles = pairs
                    .iter()
                    .filter(|p| p.user_id == m.user_id)
                    .map(|p| p.role_id)
                    .collect();
                MemberWithRoles { member: m, roles }
            })
            .collect())
    }

    /// Every (user, role) pair of a guild — for permission snapshots.
    pub async fn guild_member_roles(&self, guild_id: i64) -> Result<Vec<MemberRoleRow>> {
        self.db
            .all(
                "select user_id, role_id from member_roles where guild_id = $1",
                args![guild_id],
            )
            .await
    }

    /// Every member id of a guild.
    pub async fn guild_member_ids(&self, guild_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<crate::IdRow> = self
            .db
            .all(
                "select user_id as id from members where guild_id = $1",
                args![guild_id],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Adds a member (no-op if already one); refuses banned users. Returns whether it was added.
    pub async fn add_member(
        &self,
        guild_id: i64,
        user_id: i64,
        now: i64,
        temporary: bool,
        pending: bool,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        if tx
            .opt::<crate::Count>(
                "select cast(1 as bigint) as n from bans where guild_id = $1 and user_id = $2",
                args![guild_id, user_id],
            )
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict {
                constraint: "bans_pkey",
            });
        }
        let n = tx
            .exec(
                "insert into members (guild_id, user_id, joined_at, temporary, pending) values ($1, $2, $3, $4, $5) \
                 on conflict (guild_id, user_id) do nothing",
                args![guild_id, user_id, now, temporary, pending],
            )
            .await?;
        let done = tx.commit().await;
        self.cache.drop_member(guild_id, user_id);
        done?;
        Ok(n > 0)
    }

    /// Applies a patch; returns the new state.
    pub async fn update_member(
        &self,
        guild_id: i64,
        user_id: i64,
        p: MemberPatch,
    ) -> Result<MemberWithRoles> {
        let mut tx = self.db.begin().await?;
        let exists = tx
            .opt::<crate::Count>(
                "select cast(1 as bigint) as n from members where guild_id = $1 and user_id = $2",
                args![guild_id, user_id],
            )
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let key = args![guild_id, user_id];
        let upd = |col: &str| {
            format!("update members set {col} = $3 where guild_id = $1 and user_id = $2")
        };
        let with = |v: Arg| {
            let mut a = key.clone();
            a.push(v);
            a
        };
        if let Some(v) = p.nick {
            tx.exec(upd("nick"), with(v.into())).await?;
        }
        if let Some(v) = p.mute {
            tx.exec(upd("mute"), with(v.into())).await?;
        }
        if let Some(v) = p.deaf {
            tx.exec(upd("deaf"), with(v.into())).await?;
        }
        if let Some(v) = p.communication_disabled_until {
            tx.exec(upd("communication_disabled_until"), with(v.into()))
                .await?;
        }
        if let Some(v) = p.flags {
            tx.exec(upd("flags"), with(v.into())).await?;
        }
        if let Some(v) = p.pending {
            tx.exec(upd("pending"), with(v.into())).await?;
        }
        if let Some(roles) = &p.roles {
            tx.exec(
                "delete from member_roles where guild_id = $1 and user_id = $2",
                key.clone(),
            )
            .await?;
            for r in roles {
                tx.exec(
                    "insert into member_roles (guild_id, user_id, role_id) values ($1, $2, $3)",
                    with((*r).into()),
                )
                .await?;
            }
            // Any role makes a temporary membership permanent.
            if !roles.is_empty() {
                tx.exec(upd("temporary"), with(false.into())).await?;
            }
        }
        let done = tx.commit().await;
        self.cache.drop_member(guild_id, user_id);
        done?;
        self.member(guild_id, user_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Adds one role to a member; returns whether it was new.
    pub async fn add_member_role(&self, guild_id: i64, user_id: i64, role_id: i64) -> Result<bool> {
        let added = async {
            let n = self
                .db
                .exec(
                    "insert into member_roles (guild_id, user_id, role_id) values ($1, $2, $3) on conflict do nothing",
                    args![guild_id, user_id, role_id],
                )
                .await?;
            if n > 0 {
                self.db
                    .exec(
                        "update members set temporary = $3 where guild_id = $1 and user_id = $2",
                        args![guild_id, user_id, false],
                    )
                    .await?;
            }
            Ok(n > 0)
        }
        .await;
        self.cache.drop_member(guild_id, user_id);
        added
    }

    /// Removes one role from a member; returns whether it was there.
    pub async fn remove_member_role(
        &self,
        guild_id: i64,
        user_id: i64,
        role_id: i64,
    ) -> Result<bool> {
        let n = self
            .db
            .exec(
                "delete from member_roles where guild_id = $1 and user_id = $2 and role_id = $3",
                args![guild_id, user_id, role_id],
            )
            .await;
        self.cache.drop_member(guild_id, user_id);
        Ok(n? > 0)
    }

    /// Removes a member (kick or leave); returns whether they were one.
    pub async fn remove_member(&self, guild_id: i64, user_id: i64) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        tx.exec("delete from read_states where user_id = $1 and channel_id in (select id from channels where guild_id = $2)", args![user_id, guild_id])
            .await?;
        let n = tx
            .exec(
                "delete from members where guild_id = $1 and user_id = $2",
                args![guild_id, user_id],
            )
            .await?;
        let done = tx.commit().await;
        self.cache.drop_member(guild_id, user_id);
        done?;
        Ok(n > 0)
    }

    /// Bans a user: records the ban, removes the membership and deletes their messages in the guild
    /// newer than `delete_since` (unix ms). Returns the deleted messages as (channel, id).
    pub async fn ban(&self, b: &BanRow, delete_since: Option<i64>) -> Result<Vec<(i64, i64)>> {
        #[derive(sqlx::FromRow)]
        struct M {
            channel_id: i64,
            id: i64,
        }
        let mut tx = self.db.begin().await?;
        tx.exec(
            "insert into bans (guild_id, user_id, reason, created_at) values ($1, $2, $3, $4) \
             on conflict (guild_id, user_id) do update set reason = excluded.reason",
            args![b.guild_id, b.user_id, b.reason.clone(), b.created_at],
        )
        .await?;
        tx.exec(
            "delete from members where guild_id = $1 and user_id = $2",
            args![b.guild_id, b.user_id],
        )
        .await?;
        let mut deleted = Vec::new();
        if let Some(since) = delete_since {
            let min_id = crate::messages::min_id_at(since);
            let rows: Vec<M> = tx
                .all(
                    "select channel_id, id from messages where guild_id = $1 and author_id = $2 and id >= $3",
                    args![b.guild_id, b.user_id, min_id],
                )
                .await?;
            crate::media::release(
                &mut tx,
                "guild_id = $1 and author_id = $2 and id >= $3",
                args![b.guild_id, b.user_id, min_id],
            )
            .await?;
            tx.exec(
                "delete from messages where guild_id = $1 and author_id = $2 and id >= $3",
                args![b.guild_id, b.user_id, min_id],
            )
            .await?;
            deleted = rows.into_iter().map(|m| (m.channel_id, m.id)).collect();
            for (c, id) in &deleted {
                crate::comments::on_messages_deleted(&mut tx, *c, &[*id]).await?;
            }
        }
        let done = tx.commit().await;
        self.cache.drop_member(b.guild_id, b.user_id);
        done?;
        Ok(deleted)
    }

    /// Lifts a ban; returns whether there was one.
    pub async fn unban(&self, guild_id: i64, user_id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from bans where guild_id = $1 and user_id = $2",
                args![guild_id, user_id],
            )
            .await?
            > 0)
    }

    /// One ban.
    pub async fn ban_of(&self, guild_id: i64, user_id: i64) -> Result<Option<BanRow>> {
        self.db
            .opt("select guild_id, user_id, reason, created_at from bans where guild_id = $1 and user_id = $2", args![guild_id, user_id])
            .await
    }

    /// Bans by user id: after `after` ascending, or before `before` descending then re-sorted ascending.
    pub async fn bans(
        &self,
        guild_id: i64,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<BanRow>> {
        let mut rows: Vec<BanRow> = match (before, after) {
            (Some(b), None) => {
                self.db
                    .all(
                        "select guild_id, user_id, reason, created_at from bans where guild_id = $1 and user_id < $2 order by user_id desc limit $3",
                        args![guild_id, b, limit],
                    )
                    .await?
            }
            _ => {
                self.db
                    .all(
                        "select guild_id, user_id, reason, created_at from bans where guild_id = $1 and user_id > $2 order by user_id limit $3",
                        args![guild_id, after.unwrap_or(0), limit],
                    )
                    .await?
            }
        };
        rows.sort_by_key(|r| r.user_id);
        Ok(rows)
    }

    /// Temporary members with no roles (to remove when they go offline).
    pub async fn temporary_memberships(&self, user_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<crate::IdRow> = self
            .db
            .all(
                "select m.guild_id as id from members m where m.user_id = $1 and m.temporary = $2 \
                 and not exists (select 1 from member_roles r where r.guild_id = m.guild_id and r.user_id = m.user_id)",
                args![user_id, true],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Whether two users share at least one guild.
    pub async fn share_guild(&self, a: i64, b: i64) -> Result<bool> {
        let r: Option<crate::Count> = self
            .db
            .opt(
                "select cast(1 as bigint) as n from members x join members y on x.guild_id = y.guild_id where x.user_id = $1 and y.user_id = $2 limit 1",
                args![a, b],
            )
            .await?;
        Ok(r.is_some())
    }
}
