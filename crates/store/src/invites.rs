//! Invites: creation, lookup and the single-transaction accept.

use crate::db::args;
use crate::{InviteRow, Result, Store, StoreError};

const INVITE_COLS: &str = "code, guild_id, channel_id, inviter_id, max_age, max_uses, uses, temporary, created_at, expires_at";

/// What accepting an invite did.
#[derive(Debug, Clone)]
pub struct InviteUse {
    /// The invite after use.
    pub invite: InviteRow,
    /// Whether the user became a member (false: already one).
    pub joined: bool,
    /// Whether this use exhausted the invite (it is deleted).
    pub exhausted: bool,
}

impl Store {
    /// Stores an invite (the code must be new).
    pub async fn create_invite(&self, i: &InviteRow) -> Result<()> {
        self.db
            .exec(
                "insert into invites (code, guild_id, channel_id, inviter_id, max_age, max_uses, uses, temporary, created_at, expires_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                args![&i.code, i.guild_id, i.channel_id, i.inviter_id, i.max_age, i.max_uses, i.uses, i.temporary, i.created_at, i.expires_at],
            )
            .await?;
        Ok(())
    }

    /// A live invite: missing, expired and used-up invites are all `None`.
    pub async fn invite(&self, code: &str, now: i64) -> Result<Option<InviteRow>> {
        let sql = format!("select {INVITE_COLS} from invites where code = $1");
        let i: Option<InviteRow> = self.db.opt(sql, args![code]).await?;
        Ok(i.filter(|i| live(i, now)))
    }

    /// An existing reusable invite matching these settings (for non-`unique` creation).
    pub async fn find_invite(
        &self,
        channel_id: i64,
        inviter_id: i64,
        max_age: i64,
        max_uses: i64,
        temporary: bool,
        now: i64,
    ) -> Result<Option<InviteRow>> {
        let sql = format!(
            "select {INVITE_COLS} from invites where channel_id = $1 and inviter_id = $2 and max_age = $3 and max_uses = $4 \
             and temporary = $5 and uses = 0 order by created_at desc limit 1"
        );
        let i: Option<InviteRow> = self
            .db
            .opt(
                sql,
                args![channel_id, inviter_id, max_age, max_uses, temporary],
            )
            .await?;
        Ok(i.filter(|i| live(i, now)))
    }

    /// A guild's live invites.
    pub async fn guild_invites(&self, guild_id: i64, now: i64) -> Result<Vec<InviteRow>> {
        let sql =
            format!("select {INVITE_COLS} from invites where guild_id = $1 order by created_at");
        let v: Vec<InviteRow> = self.db.all(sql, args![guild_id]).await?;
        Ok(v.into_iter().filter(|i| live(i, now)).collect())
    }

    /// A channel's live invites.
    pub async fn channel_invites(&self, channel_id: i64, now: i64) -> Result<Vec<InviteRow>> {
        let sql =
            format!("select {INVITE_COLS} from invites where channel_id = $1 order by created_at");
        let v: Vec<InviteRow> = self.db.all(sql, args![channel_id]).await?;
        Ok(v.into_iter().filter(|i| live(i, now)).collect())
    }

    /// Deletes an invite; returns it if it existed.
    pub async fn delete_invite(&self, code: &str) -> Result<Option<InviteRow>> {
        let sql = format!("select {INVITE_COLS} from invites where code = $1");
        let mut tx = self.db.begin().await?;
        let i: Option<InviteRow> = tx.opt(sql, args![code]).await?;
        tx.exec("delete from invites where code = $1", args![code])
            .await?;
        tx.commit().await?;
        Ok(i)
    }

    /// Accepts an invite for `user_id` in one transaction: checks it is live and the user is not
    /// banned, adds the membership, counts the use and deletes the invite when it is used up.
    /// Errors: `NotFound` (unknown, expired, used up), `Conflict{bans_pkey}` (banned).
    pub async fn use_invite(
        &self,
        code: &str,
        user_id: i64,
        now: i64,
        pending: bool,
    ) -> Result<InviteUse> {
        let sql = format!("select {INVITE_COLS} from invites where code = $1");
        let mut tx = self.db.begin().await?;
        let Some(mut inv) = tx
            .opt::<InviteRow>(sql, args![code])
            .await?
            .filter(|i| live(i, now))
        else {
            return Err(StoreError::NotFound);
        };
        if tx
            .opt::<crate::Count>(
                "select cast(1 as bigint) as n from bans where guild_id = $1 and user_id = $2",
                args![inv.guild_id, user_id],
            )
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict {
                constraint: "bans_pkey",
            });
        }
        let joined = tx
            .exec(
                "insert into members (guild_id, user_id, joined_at, temporary, pending) values ($1, $2, $3, $4, $5) \
                 on conflict (guild_id, user_id) do nothing",
                args![inv.guild_id, user_id, now, inv.temporary, pending],
            )
            .await?
            > 0;
        let mut exhausted = false;
        if joined {
            inv.uses += 1;
            exhausted = inv.max_uses > 0 && inv.uses >= inv.max_uses;
            if exhausted {
                tx.exec("delete from invites where code = $1", args![code])
                    .await?;
            } else {
                tx.exec(
                    "update invites set uses = uses + 1 where code = $1",
                    args![code],
                )
                .await?;
            }
        }
        let done = tx.commit().await;
        self.cache.drop_member(inv.guild_id, user_id);
        done?;
        Ok(InviteUse {
            invite: inv,
            joined,
            exhausted,
        })
    }
}

fn live(i: &InviteRow, now: i64) -> bool {
    i.expires_at.is_none_or(|e| e > now) && (i.max_uses == 0 || i.uses < i.max_uses)
}
