//! Guilds, their roles, channels and permission overwrites.

use crate::db::{args, placeholders};
use crate::{ChannelRow, GuildRow, MemberRow, OverwriteRow, Result, RoleRow, Store, StoreError};

const SELECT_GUILD: &str = "select id, name, icon, description, owner_id, verification_level, \
    default_message_notifications, explicit_content_filter, afk_channel_id, afk_timeout, system_channel_id, \
    system_channel_flags, rules_channel_id, public_updates_channel_id, preferred_locale, created_at, moderation \
    from guilds where id = $1";
const SELECT_USER_GUILDS: &str = "select g.id, g.name, g.icon, g.description, g.owner_id, g.verification_level, \
    g.default_message_notifications, g.explicit_content_filter, g.afk_channel_id, g.afk_timeout, g.system_channel_id, \
    g.system_channel_flags, g.rules_channel_id, g.public_updates_channel_id, g.preferred_locale, g.created_at, g.moderation \
    from guilds g join members m on m.guild_id = g.id where m.user_id = $1 order by g.id";
const INSERT_GUILD: &str = "insert into guilds (id, name, owner_id, system_channel_id, created_at) values ($1, $2, $3, $4, $5)";

const SELECT_ROLES: &str = "select id, guild_id, name, color, hoist, position, permissions, managed, mentionable, \
    icon, unicode_emoji, flags, bot_id from roles where guild_id = $1 order by position, id";
const INSERT_ROLE: &str = "insert into roles (id, guild_id, name, color, hoist, position, permissions, managed, \
    mentionable, icon, unicode_emoji, flags, bot_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const UPDATE_ROLE: &str = "update roles set name = $1, color = $2, hoist = $3, position = $4, permissions = $5, \
    mentionable = $6, icon = $7, unicode_emoji = $8, flags = $9 where id = $10 and guild_id = $11";

const CHANNEL_COLS: &str = "id, guild_id, type, name, topic, position, parent_id, nsfw, rate_limit_per_user, bitrate, \
    user_limit, owner_id, icon, last_message_id, last_pin_at, flags, created_at, settings";
const INSERT_CHANNEL: &str = "insert into channels (id, guild_id, type, name, topic, position, parent_id, nsfw, \
    rate_limit_per_user, bitrate, user_limit, owner_id, icon, last_message_id, last_pin_at, flags, created_at, \
    settings) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
const UPDATE_CHANNEL: &str = "update channels set name = $1, topic = $2, position = $3, parent_id = $4, nsfw = $5, \
    rate_limit_per_user = $6, bitrate = $7, user_limit = $8, icon = $9, flags = $10, settings = $11 where id = $12";
const INSERT_OVERWRITE: &str = "insert into permission_overwrites (channel_id, target_id, kind, allow_bits, deny_bits) \
    values ($1, $2, $3, $4, $5) on conflict (channel_id, target_id) do update set kind = excluded.kind, \
    allow_bits = excluded.allow_bits, deny_bits = excluded.deny_bits";

/// Everything a new guild is created with, ids minted by the caller.
#[derive(Debug, Clone)]
pub struct NewGuild {
    /// Guild id (also the @everyone role id).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Owner.
    pub owner_id: i64,
    /// @everyone permissions.
    pub everyone_permissions: i64,
    /// Default category id.
    pub category_id: i64,
    /// Default text channel id.
    pub text_channel_id: i64,
    /// Default voice category id.
    pub voice_category_id: i64,
    /// Default voice channel id.
    pub voice_channel_id: i64,
    /// Now.
    pub now: i64,
}

/// Guild fields to change; `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default)]
pub struct GuildPatch {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Icon hash.
    pub icon: Option<Option<String>>,
    /// Verification level.
    pub verification_level: Option<i64>,
    /// Notification default.
    pub default_message_notifications: Option<i64>,
    /// Content filter.
    pub explicit_content_filter: Option<i64>,
    /// AFK channel.
    pub afk_channel_id: Option<Option<i64>>,
    /// AFK timeout.
    pub afk_timeout: Option<i64>,
    /// System channel.
    pub system_channel_id: Option<Option<i64>>,
    /// System channel flags.
    pub system_channel_flags: Option<i64>,
    /// Rules channel.
    pub rules_channel_id: Option<Option<i64>>,
    /// Updates channel.
    pub public_updates_channel_id: Option<Option<i64>>,
    /// Locale.
    pub preferred_locale: Option<String>,
    /// New owner.
    pub owner_id: Option<i64>,
    /// Moderation settings (JSON).
    pub moderation: Option<String>,
}

/// A guild's roles and one user's place in it ([`Store::membership`]).
#[derive(Debug, Clone)]
pub struct Membership {
    /// Every role, lowest position first (empty: no such guild).
    pub roles: Vec<RoleRow>,
    /// The user's membership, if they are a member.
    pub member: Option<MemberRow>,
    /// Ids of the roles they hold, ascending.
    pub held: Vec<i64>,
}

/// Where a user is ([`Store::user_reach`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserReach {
    /// Communities the user is a member of.
    pub guilds: Vec<i64>,
    /// Their DM and group DM channels.
    pub dm_channels: Vec<i64>,
}

/// A channel's new state plus, optionally, its complete new set of overwrites.
#[derive(Debug, Clone)]
pub struct ChannelPatch {
    /// The whole row as it should be.
    pub row: ChannelRow,
    /// Replacement overwrites.
    pub overwrites: Option<Vec<OverwriteRow>>,
}

impl Store {
    /// Creates a guild with @everyone, a "Text Channels" category holding #general, a
    /// "Voice Channels" category holding "General", and the owner as its first member.
    pub async fn create_guild(&self, g: NewGuild) -> Result<GuildRow> {
        let voice_category = g.voice_category_id;
        let mut tx = self.db.begin().await?;
        tx.exec(
            INSERT_GUILD,
            args![g.id, &g.name, g.owner_id, g.text_channel_id, g.now],
        )
        .await?;
        tx.exec(
            INSERT_ROLE,
            args![
                g.id,
                g.id,
                "@everyone",
                0i64,
                false,
                0i64,
                g.everyone_permissions,
                false,
                false,
                None::<String>,
                None::<String>,
                0i64,
                None::<i64>
            ],
        )
        .await?;
        let channels: [(i64, i64, &str, i64, Option<i64>); 4] = [
            (g.category_id, 4, "Text Channels", 0, None),
            (g.text_channel_id, 0, "general", 0, Some(g.category_id)),
            (voice_category, 4, "Voice Channels", 1, None),
            (g.voice_channel_id, 2, "General", 0, Some(voice_category)),
        ];
        for (id, kind, name, position, parent) in channels {
            let voice = kind == 2;
            tx.exec(
                INSERT_CHANNEL,
                args![
                    id,
                    g.id,
                    kind,
                    name,
                    None::<String>,
                    position,
                    parent,
                    false,
                    0i64,
                    voice.then_some(64_000i64),
                    voice.then_some(0i64),
                    None::<i64>,
                    None::<String>,
                    None::<i64>,
                    None::<i64>,
                    0i64,
                    g.now,
                    "{}"
                ],
            )
            .await?;
        }
        tx.exec(
            "insert into members (guild_id, user_id, joined_at) values ($1, $2, $3)",
            args![g.id, g.owner_id, g.now],
        )
        .await?;
        let row: Option<GuildRow> = tx.opt(SELECT_GUILD, args![g.id]).await?;
        let done = tx.commit().await;
        self.cache.drop_guild(g.id);
        self.cache.drop_guild_members(g.id);
        done?;
        row.ok_or(StoreError::NotFound)
    }

    /// One guild.
    pub async fn guild(&self, id: i64) -> Result<Option<GuildRow>> {
        if let Some(g) = self.cache.guild(id) {
            return Ok(Some(g));
        }
        let ticket = self.cache.ticket();
        let row: Option<GuildRow> = self.db.opt(SELECT_GUILD, args![id]).await?;
        if let (Some(t), Some(g)) = (ticket, &row) {
            self.cache.fill_guild(t, g);
        }
        Ok(row)
    }

    /// Guilds a user is a member of.
    pub async fn user_guilds(&self, user_id: i64) -> Result<Vec<GuildRow>> {
        self.db.all(SELECT_USER_GUILDS, args![user_id]).await
    }

    /// The ids of the communities a user is a member of and of their DM channels, both
    /// ascending, in one query (IDENTIFY needs both before anything else).
    pub async fn user_reach(&self, user_id: i64) -> Result<UserReach> {
        #[derive(sqlx::FromRow)]
        struct Reach {
            id: i64,
            dm: bool,
        }
        let rows: Vec<Reach> = self
            .db
            .all(
                "select guild_id as id, false as dm from members where user_id = $1 \
                 union all select channel_id as id, true as dm from dm_recipients where user_id = $1 \
                 order by id",
                args![user_id],
            )
            .await?;
        let (dms, guilds): (Vec<Reach>, Vec<Reach>) = rows.into_iter().partition(|r| r.dm);
        Ok(UserReach {
            guilds: guilds.into_iter().map(|r| r.id).collect(),
            dm_channels: dms.into_iter().map(|r| r.id).collect(),
        })
    }

    /// Applies a patch; returns the new row.
    pub async fn update_guild(&self, id: i64, p: GuildPatch) -> Result<GuildRow> {
        let mut sets: Vec<&'static str> = Vec::new();
        let mut vals: Vec<crate::db::Arg> = Vec::new();
        macro_rules! set {
            ($field:ident, $col:literal) => {
                if let Some(v) = p.$field {
                    sets.push($col);
                    vals.push(v.into());
                }
            };
        }
        set!(name, "name");
        set!(description, "description");
        set!(icon, "icon");
        set!(verification_level, "verification_level");
        set!(
            default_message_notifications,
            "default_message_notifications"
        );
        set!(explicit_content_filter, "explicit_content_filter");
        set!(afk_channel_id, "afk_channel_id");
        set!(afk_timeout, "afk_timeout");
        set!(system_channel_id, "system_channel_id");
        set!(system_channel_flags, "system_channel_flags");
        set!(rules_channel_id, "rules_channel_id");
        set!(public_updates_channel_id, "public_updates_channel_id");
        set!(preferred_locale, "preferred_locale");
        set!(owner_id, "owner_id");
        set!(moderation, "moderation");
        let mut tx = self.db.begin().await?;
        if !sets.is_empty() {
            let assignments: Vec<String> = sets
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let sql = format!(
                "update guilds set {} where id = ${}",
                assignments.join(", "),
                sets.len() + 1
            );
            vals.push(id.into());
            tx.exec(sql, vals).await?;
        }
        let row: Option<GuildRow> = tx.opt(SELECT_GUILD, args![id]).await?;
        let done = tx.commit().await;
        self.cache.drop_guild(id);
        done?;
        row.ok_or(StoreError::NotFound)
    }

    /// Deletes a guild and everything in it.
    pub async fn delete_guild(&self, id: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        // Messages reference channels; delete them first so the cascade stays shallow.
        crate::media::release(&mut tx, "guild_id = $1", args![id]).await?;
        tx.exec("delete from messages where guild_id = $1", args![id])
            .await?;
        tx.exec("delete from guilds where id = $1", args![id])
            .await?;
        let done = tx.commit().await;
        self.cache.clear();
        done
    }

    /// Number of members (kept by triggers on `members`).
    pub async fn member_count(&self, guild_id: i64) -> Result<i64> {
        if let Some(n) = self.cache.member_count(guild_id) {
            return Ok(n);
        }
        let ticket = self.cache.ticket();
        let c: Option<crate::Count> = self
            .db
            .opt(
                "select member_count as n from guilds where id = $1",
                args![guild_id],
            )
            .await?;
        if let (Some(t), Some(c)) = (ticket, &c) {
            self.cache.fill_member_count(t, guild_id, c.n);
        }
        Ok(c.map_or(0, |c| c.n))
    }

    /// Roles, lowest position first.
    pub async fn roles(&self, guild_id: i64) -> Result<Vec<RoleRow>> {
        self.db.all(SELECT_ROLES, args![guild_id]).await
    }

    /// A guild's roles (by position), `user_id`'s membership and which roles they hold, in one
    /// query (a permission check needs all three). No roles: the guild does not exist.
    pub async fn membership(&self, guild_id: i64, user_id: i64) -> Result<Membership> {
        if let Some(m) = self.cache.membership(guild_id, user_id) {
            return Ok(m);
        }
        let ticket = self.cache.ticket();
        #[derive(sqlx::FromRow)]
        struct Joined {
            #[sqlx(flatten)]
            role: RoleRow,
            held: bool,
            m_user: Option<i64>,
            m_nick: Option<String>,
            m_joined_at: Option<i64>,
            m_deaf: Option<bool>,
            m_mute: Option<bool>,
            m_pending: Option<bool>,
            m_temporary: Option<bool>,
            m_timeout: Option<i64>,
            m_flags: Option<i64>,
            m_karma: Option<i64>,
        }
        let rows: Vec<Joined> = self
            .db
            .all(
                "select r.id, r.guild_id, r.name, r.color, r.hoist, r.position, r.permissions, r.managed, \
                 r.mentionable, r.icon, r.unicode_emoji, r.flags, r.bot_id, \
                 exists (select 1 from member_roles mr where mr.guild_id = r.guild_id and mr.user_id = $2 \
                 and mr.role_id = r.id) as held, m.user_id as m_user, m.nick as m_nick, \
                 m.joined_at as m_joined_at, m.deaf as m_deaf, m.mute as m_mute, m.pending as m_pending, \
                 m.temporary as m_temporary, m.communication_disabled_until as m_timeout, \
                 m.flags as m_flags, m.karma as m_karma \
                 from roles r left join members m on m.guild_id = r.guild_id and m.user_id = $2 \
                 where r.guild_id = $1 order by r.position, r.id",
                args![guild_id, user_id],
            )
            .await?;
        let member = rows.first().and_then(|r| {
            Some(MemberRow {
                guild_id,
                user_id: r.m_user?,
                nick: r.m_nick.clone(),
                joined_at: r.m_joined_at.unwrap_or(0),
                deaf: r.m_deaf.unwrap_or(false),
                mute: r.m_mute.unwrap_or(false),
                pending: r.m_pending.unwrap_or(false),
                temporary: r.m_temporary.unwrap_or(false),
                communication_disabled_until: r.m_timeout,
                flags: r.m_flags.unwrap_or(0),
                karma: r.m_karma.unwrap_or(0),
            })
        });
        let mut held: Vec<i64> = rows.iter().filter(|r| r.held).map(|r| r.role.id).collect();
        held.sort_unstable();
        let m = Membership {
            roles: rows.into_iter().map(|r| r.role).collect(),
            member,
            held,
        };
        // A guild with no roles does not exist (yet): nothing worth keeping.
        if let (Some(t), false) = (ticket, m.roles.is_empty()) {
            self.cache.fill_membership(t, guild_id, user_id, &m);
        }
        Ok(m)
    }

    /// Creates a role.
    /// Roles at or above `r.position` (except @everyone) move up one to make room.
    pub async fn create_role(&self, r: &RoleRow) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.exec(
            "update roles set position = position + 1 where guild_id = $1 and id <> $1 and position >= $2",
            args![r.guild_id, r.position],
        )
        .await?;
        tx.exec(INSERT_ROLE, role_args(r)).await?;
        let done = tx.commit().await;
        self.cache.drop_guild_members(r.guild_id);
        done
    }

    /// Overwrites a role's editable fields.
    pub async fn update_role(&self, r: &RoleRow) -> Result<()> {
        let n = self
            .db
            .exec(
                UPDATE_ROLE,
                args![
                    &r.name,
                    r.color,
                    r.hoist,
                    r.position,
                    r.permissions,
                    r.mentionable,
                    r.icon.clone(),
                    r.unicode_emoji.clone(),
                    r.flags,
                    r.id,
                    r.guild_id
                ],
            )
            .await;
        self.cache.drop_guild_members(r.guild_id);
        if n? == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Deletes a role (and its overwrites and assignments).
    pub async fn delete_role(&self, guild_id: i64, role_id: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .exec(
                "delete from roles where id = $1 and guild_id = $2",
                args![role_id, guild_id],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        tx.exec(
            "delete from permission_overwrites where target_id = $1 and kind = 0 and channel_id in (select id from channels where guild_id = $2)",
            args![role_id, guild_id],
        )
        .await?;
        let done = tx.commit().await;
        self.cache.drop_all_overwrites();
        self.cache.drop_guild_members(guild_id);
        done
    }

    /// Sets several roles' positions at once.
    pub async fn set_role_positions(&self, guild_id: i64, positions: &[(i64, i64)]) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (id, pos) in positions {
            tx.exec(
                "update roles set position = $1 where id = $2 and guild_id = $3",
                args![*pos, *id, guild_id],
            )
            .await?;
        }
        let done = tx.commit().await;
        self.cache.drop_guild_members(guild_id);
        done
    }

    /// One channel.
    pub async fn channel(&self, id: i64) -> Result<Option<ChannelRow>> {
        if let Some(c) = self.cache.channel(id) {
            return Ok(Some(c));
        }
        let ticket = self.cache.ticket();
        let sql = format!("select {CHANNEL_COLS} from channels where id = $1");
        let row: Option<ChannelRow> = self.db.opt(sql, args![id]).await?;
        if let (Some(t), Some(c)) = (ticket, &row) {
            self.cache.fill_channel(t, c);
        }
        Ok(row)
    }

    /// A guild's channels, by position.
    pub async fn guild_channels(&self, guild_id: i64) -> Result<Vec<ChannelRow>> {
        if let Some(rows) = self.cache.guild_channels(guild_id) {
            return Ok(rows);
        }
        let ticket = self.cache.ticket();
        let sql = format!(
            "select {CHANNEL_COLS} from channels where guild_id = $1 and type not in (10, 11, 12) \
             order by position, id"
        );
        let rows: Vec<ChannelRow> = self.db.all(sql, args![guild_id]).await?;
        if let Some(t) = ticket {
            self.cache.fill_guild_channels(t, guild_id, &rows);
        }
        Ok(rows)
    }

    /// Number of channels in a guild.
    pub async fn channel_count(&self, guild_id: i64) -> Result<i64> {
        let c: Option<crate::Count> = self
            .db
            .opt(
                "select count(*) as n from channels where guild_id = $1 and type not in (10, 11, 12)",
                args![guild_id],
            )
            .await?;
        Ok(c.map_or(0, |c| c.n))
    }

    /// Creates a channel with its overwrites.
    pub async fn create_channel(&self, c: &ChannelRow, overwrites: &[OverwriteRow]) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.exec(INSERT_CHANNEL, channel_args(c)).await?;
        for o in overwrites {
            tx.exec(
                INSERT_OVERWRITE,
                args![c.id, o.target_id, o.kind, o.allow_bits, o.deny_bits],
            )
            .await?;
        }
        let done = tx.commit().await;
        self.cache.drop_channels(&[c.id]);
        done
    }

    /// Updates a channel and, when given, replaces its overwrites.
    pub async fn update_channel(&self, p: &ChannelPatch) -> Result<()> {
        let c = &p.row;
        let mut tx = self.db.begin().await?;
        let n = tx
            .exec(
                UPDATE_CHANNEL,
                args![
                    c.name.clone(),
                    c.topic.clone(),
                    c.position,
                    c.parent_id,
                    c.nsfw,
                    c.rate_limit_per_user,
                    c.bitrate,
                    c.user_limit,
                    c.icon.clone(),
                    c.flags,
                    &c.settings,
                    c.id
                ],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(ows) = &p.overwrites {
            tx.exec(
                "delete from permission_overwrites where channel_id = $1",
                args![c.id],
            )
            .await?;
            for o in ows {
                tx.exec(
                    INSERT_OVERWRITE,
                    args![c.id, o.target_id, o.kind, o.allow_bits, o.deny_bits],
                )
                .await?;
            }
        }
        let done = tx.commit().await;
        self.cache.drop_channels(&[c.id]);
        done
    }

    /// Deletes a channel; children of a deleted category move to the top level.
    pub async fn delete_channel(&self, id: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        // Its threads (and forum posts) go with it.
        crate::media::release(
            &mut tx,
            "channel_id in (select channel_id from threads where parent_id = $1)",
            args![id],
        )
        .await?;
        tx.exec(
            "delete from messages where channel_id in (select channel_id from threads where parent_id = $1)",
            args![id],
        )
        .await?;
        tx.exec(
            "delete from channels where id in (select channel_id from threads where parent_id = $1)",
            args![id],
        )
        .await?;
        tx.exec(
            "update channels set parent_id = null where parent_id = $1",
            args![id],
        )
        .await?;
        crate::media::release(&mut tx, "channel_id = $1", args![id]).await?;
        tx.exec("delete from messages where channel_id = $1", args![id])
            .await?;
        let n = tx
            .exec("delete from channels where id = $1", args![id])
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        let done = tx.commit().await;
        // Its threads and a category's children changed too.
        self.cache.clear();
        done
    }

    /// Sets positions (and optionally parents) of several channels at once.
    pub async fn set_channel_positions(
        &self,
        guild_id: i64,
        changes: &[(i64, i64, Option<Option<i64>>)],
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        for (id, pos, parent) in changes {
            match parent {
                Some(p) => {
                    tx.exec("update channels set position = $1, parent_id = $2 where id = $3 and guild_id = $4", args![*pos, *p, *id, guild_id])
                        .await?
                }
                None => tx.exec("update channels set position = $1 where id = $2 and guild_id = $3", args![*pos, *id, guild_id]).await?,
            };
        }
        let done = tx.commit().await;
        let ids: Vec<i64> = changes.iter().map(|c| c.0).collect();
        self.cache.drop_channels(&ids);
        done
    }

    /// A channel's overwrites.
    pub async fn overwrites(&self, channel_id: i64) -> Result<Vec<OverwriteRow>> {
        if let Some(o) = self.cache.overwrites(channel_id) {
            return Ok(o);
        }
        let ticket = self.cache.ticket();
        let rows: Vec<OverwriteRow> = self
            .db
            .all(
                "select channel_id, target_id, kind, allow_bits, deny_bits from permission_overwrites where channel_id = $1 order by target_id",
                args![channel_id],
            )
            .await?;
        if let Some(t) = ticket {
            self.cache.fill_overwrites(t, channel_id, &rows);
        }
        Ok(rows)
    }

    /// Overwrites of every channel of a guild.
    pub async fn guild_overwrites(&self, guild_id: i64) -> Result<Vec<OverwriteRow>> {
        if let Some(rows) = self.cache.guild_overwrites(guild_id) {
            return Ok(rows);
        }
        let ticket = self.cache.ticket();
        let rows: Vec<OverwriteRow> = self
            .db
            .all(
                "select o.channel_id, o.target_id, o.kind, o.allow_bits, o.deny_bits from permission_overwrites o \
                 join channels c on c.id = o.channel_id where c.guild_id = $1 order by o.channel_id, o.target_id",
                args![guild_id],
            )
            .await?;
        if let Some(t) = ticket {
            self.cache.fill_guild_overwrites(t, guild_id, &rows);
        }
        Ok(rows)
    }

    /// Creates or replaces one overwrite.
    pub async fn put_overwrite(&self, o: &OverwriteRow) -> Result<()> {
        let done = self
            .db
            .exec(
                INSERT_OVERWRITE,
                args![o.channel_id, o.target_id, o.kind, o.allow_bits, o.deny_bits],
            )
            .await;
        self.cache.drop_channels(&[o.channel_id]);
        done.map(|_| ())
    }

    /// Deletes one overwrite.
    pub async fn delete_overwrite(&self, channel_id: i64, target_id: i64) -> Result<bool> {
        let done = self
            .db
            .exec(
                "delete from permission_overwrites where channel_id = $1 and target_id = $2",
                args![channel_id, target_id],
            )
            .await;
        self.cache.drop_channels(&[channel_id]);
        Ok(done? > 0)
    }

    /// Several channels by id (those that exist), ordered by id. Cached rows are not read again.
    pub async fn channels(&self, ids: &[i64]) -> Result<Vec<ChannelRow>> {
        let (mut rows, missing) = self.cache.channels(ids);
        if !missing.is_empty() {
            let ticket = self.cache.ticket();
            let sql = format!(
                "select {CHANNEL_COLS} from channels where id in ({})",
                placeholders(1, missing.len())
            );
            let read: Vec<ChannelRow> = self
                .db
                .all(sql, missing.iter().map(|i| (*i).into()).collect())
                .await?;
            if let Some(t) = ticket {
                self.cache.fill_channels(t, &read);
            }
            rows.extend(read);
        }
        rows.sort_unstable_by_key(|c| c.id);
        rows.dedup_by_key(|c| c.id);
        Ok(rows)
    }
}

pub(crate) fn channel_args(c: &ChannelRow) -> Vec<crate::db::Arg> {
    args![
        c.id,
        c.guild_id,
        c.kind,
        c.name.clone(),
        c.topic.clone(),
        c.position,
        c.parent_id,
        c.nsfw,
        c.rate_limit_per_user,
        c.bitrate,
        c.user_limit,
        c.owner_id,
        c.icon.clone(),
        c.last_message_id,
        c.last_pin_at,
        c.flags,
        c.created_at,
        &c.settings
    ]
}

pub(crate) const INSERT_CHANNEL_SQL: &str = INSERT_CHANNEL;
/// Channel columns qualified with `c.`.
pub(crate) const CHANNEL_COLS_T: &str = "c.id, c.guild_id, c.type, c.name, c.topic, c.position, c.parent_id, c.nsfw, \
    c.rate_limit_per_user, c.bitrate, c.user_limit, c.owner_id, c.icon, c.last_message_id, c.last_pin_at, c.flags, \
    c.created_at, c.settings";

fn role_args(r: &RoleRow) -> Vec<crate::db::Arg> {
    args![
        r.id,
        r.guild_id,
        &r.name,
        r.color,
        r.hoist,
        r.position,
        r.permissions,
        r.managed,
        r.mentionable,
        r.icon.clone(),
        r.unicode_emoji.clone(),
        r.flags,
        r.bot_id
    ]
}
