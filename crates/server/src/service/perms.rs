//! Resolving what the caller may do: a guild context (guild, roles, the caller's membership) and
//! a channel context (the channel, its overwrites, and the caller's computed permissions). Every
//! route that touches a guild or channel goes through these.

use crate::app::AppState;
use crate::error::{ApiError, Unknown};
use coterie_model::Permissions;
use coterie_model::Snowflake;
use coterie_model::channel::kind;
use coterie_model::permissions::{ChannelKind, MemberContext, Overwrite};
use coterie_store::{ChannelRow, GuildRow, MemberWithRoles, OverwriteRow, RoleRow, ThreadRow};

/// What DM participants may do in their DM.
pub const DM_PERMISSIONS: Permissions = Permissions(
    Permissions::VIEW_CHANNEL.0
        | Permissions::SEND_MESSAGES.0
        | Permissions::READ_MESSAGE_HISTORY.0
        | Permissions::ADD_REACTIONS.0
        | Permissions::EMBED_LINKS.0
        | Permissions::ATTACH_FILES.0
        | Permissions::PIN_MESSAGES.0
        | Permissions::USE_EXTERNAL_EMOJIS.0,
);

/// The caller inside a guild.
#[derive(Debug, Clone)]
pub struct GuildCtx {
    /// The guild.
    pub guild: GuildRow,
    /// All roles, lowest position first.
    pub roles: Vec<RoleRow>,
    /// The caller's membership.
    pub member: MemberWithRoles,
    /// Now (for timeouts).
    pub now: i64,
    /// Why the caller may only read here (rules not accepted, verification level not met).
    pub restriction: Option<&'static str>,
}

/// Converts stored overwrites to the model's type.
#[must_use]
pub fn overwrites(rows: &[OverwriteRow]) -> Vec<Overwrite> {
    rows.iter()
        .map(|o| Overwrite {
            id: Snowflake::from_i64(o.target_id),
            kind: u8::try_from(o.kind).unwrap_or(0),
            allow: Permissions(o.allow_bits as u64),
            deny: Permissions(o.deny_bits as u64),
        })
        .collect()
}

/// The model's channel kind for the implicit rules.
#[must_use]
pub fn channel_kind(t: i64) -> ChannelKind {
    if kind::is_voice(u8::try_from(t).unwrap_or(0)) {
        ChannelKind::Voice
    } else {
        ChannelKind::Text
    }
}

impl GuildCtx {
    /// Loads the caller's view of a guild: 404 10004 if it does not exist, 403 50001 if the
    /// caller is not a member.
    pub async fn load(app: &AppState, guild_id: i64, user_id: i64) -> Result<Self, ApiError> {
        // Independent reads run at once (each is a round trip to a database connection).
        let (guild, m) = tokio::try_join!(
            app.store.guild(guild_id),
            app.store.membership(guild_id, user_id)
        )?;
        let Some(guild) = guild else {
            return Err(ApiError::Unknown(Unknown::Guild));
        };
        let Some(member) = m.member else {
            return Err(ApiError::MissingAccess);
        };
        let (roles, held) = (m.roles, m.held);
        let restriction =
            crate::service::moderation::restriction(app, &guild, &member, !held.is_empty()).await?;
        let member = MemberWithRoles {
            member,
            roles: held,
        };
        Ok(Self {
            guild,
            roles,
            member,
            now: app.now(),
            restriction,
        })
    }

    /// Role permissions of a member, for the calculator.
    fn role_perms(&self, role_ids: &[i64]) -> Vec<(Snowflake, Permissions)> {
        self.roles
            .iter()
            .filter(|r| role_ids.contains(&r.id))
            .map(|r| (Snowflake::from_i64(r.id), Permissions(r.permissions as u64)))
            .collect()
    }

    fn everyone(&self) -> Permissions {
        self.roles
            .iter()
            .find(|r| r.id == self.guild.id)
            .map_or(Permissions::NONE, |r| Permissions(r.permissions as u64))
    }

    fn ctx_for<'a>(
        &self,
        m: &MemberWithRoles,
        roles: &'a [(Snowflake, Permissions)],
    ) -> MemberContext<'a> {
        MemberContext {
            guild_id: Snowflake::from_i64(self.guild.id),
            owner_id: Snowflake::from_i64(self.guild.owner_id),
            user_id: Snowflake::from_i64(m.member.user_id),
            everyone: self.everyone(),
            roles,
            timed_out: m
                .member
                .communication_disabled_until
                .is_some_and(|t| t > self.now)
                || (self.restriction.is_some() && m.member.user_id == self.member.member.user_id),
        }
    }

    /// The caller's guild-wide permissions.
    #[must_use]
    pub fn base(&self) -> Permissions {
        self.base_of(&self.member)
    }

    /// Another member's guild-wide permissions.
    #[must_use]
    pub fn base_of(&self, m: &MemberWithRoles) -> Permissions {
        let roles = self.role_perms(&m.roles);
        self.ctx_for(m, &roles).base()
    }

    /// The caller's permissions in a channel of this guild.
    #[must_use]
    pub fn in_channel(&self, ch: &ChannelRow, ows: &[OverwriteRow]) -> Permissions {
        self.in_channel_of(&self.member, ch, ows)
    }

    /// A member's permissions in a channel of this guild.
    #[must_use]
    pub fn in_channel_of(
        &self,
        m: &MemberWithRoles,
        ch: &ChannelRow,
        ows: &[OverwriteRow],
    ) -> Permissions {
        let roles = self.role_perms(&m.roles);
        self.ctx_for(m, &roles)
            .in_channel(&overwrites(ows), channel_kind(ch.kind))
    }

    /// 403 50013 unless the caller holds `p` guild-wide.
    pub fn require(&self, p: Permissions) -> Result<(), ApiError> {
        if self.base().contains(p) {
            Ok(())
        } else {
            Err(self.missing())
        }
    }

    /// 403 50013, saying why when the caller is held back (timeout, rules, verification).
    #[must_use]
    pub fn missing(&self) -> ApiError {
        if let Some(why) = self.restriction {
            return ApiError::Forbidden(50013, why);
        }
        if self
            .member
            .member
            .communication_disabled_until
            .is_some_and(|t| t > self.now)
            && self.member.member.user_id != self.guild.owner_id
        {
            return ApiError::Forbidden(
                50013,
                "You are timed out in this community and can only read until the timeout ends.",
            );
        }
        ApiError::MissingPermissions
    }

    /// Whether the caller owns the guild.
    #[must_use]
    pub fn is_owner(&self) -> bool {
        self.guild.owner_id == self.member.member.user_id
    }

    /// Highest role position of a member (@everyone = 0); the owner ranks above everything.
    #[must_use]
    pub fn top_position_of(&self, m: &MemberWithRoles) -> (i64, i64) {
        if m.member.user_id == self.guild.owner_id {
            return (i64::MAX, i64::MAX);
        }
        self.roles
            .iter()
            .filter(|r| m.roles.contains(&r.id))
            .map(|r| (r.position, -r.id))
            .max()
            .unwrap_or((0, 0))
    }

    /// Rank of a role, comparable with [`Self::top_position_of`].
    #[must_use]
    pub fn role_rank(r: &RoleRow) -> (i64, i64) {
        (r.position, -r.id)
    }

    /// Whether the caller outranks the role (may edit, assign or delete it).
    #[must_use]
    pub fn outranks_role(&self, r: &RoleRow) -> bool {
        self.is_owner() || self.top_position_of(&self.member) > Self::role_rank(r)
    }

    /// Whether the caller outranks another member (may kick, ban, rename them).
    #[must_use]
    pub fn outranks_member(&self, m: &MemberWithRoles) -> bool {
        if m.member.user_id == self.guild.owner_id {
            return false;
        }
        self.is_owner() || self.top_position_of(&self.member) > self.top_position_of(m)
    }
}

/// The caller in a channel.
#[derive(Debug, Clone)]
pub struct ChannelCtx {
    /// The channel.
    pub channel: ChannelRow,
    /// Its overwrites.
    pub overwrites: Vec<OverwriteRow>,
    /// The guild context (None for DMs).
    pub guild: Option<GuildCtx>,
    /// DM recipients (empty for guild channels).
    pub recipients: Vec<i64>,
    /// The caller's permissions here.
    pub perms: Permissions,
    /// For a thread: its thread row, its parent channel, and (private threads) its member ids.
    pub thread: Option<ThreadCtx>,
}

/// What a thread adds to its channel context.
#[derive(Debug, Clone)]
pub struct ThreadCtx {
    /// The thread row.
    pub row: ThreadRow,
    /// The channel the thread lives in.
    pub parent: ChannelRow,
    /// Members of a private thread (None for public threads).
    pub members: Option<Vec<i64>>,
}

impl ThreadCtx {
    /// Whether the thread is a post in a forum channel.
    #[must_use]
    pub fn is_post(&self) -> bool {
        self.parent.kind == i64::from(kind::GUILD_FORUM)
    }
}

/// Members of a private thread loaded for routing its events.
const PRIVATE_THREAD_AUDIENCE_CAP: i64 = 1000;

/// Permissions in a thread from those in its parent: everything but sending is inherited;
/// sending needs SEND_MESSAGES_IN_THREADS, and a locked thread takes MANAGE_THREADS.
#[must_use]
pub fn thread_perms(parent: Permissions, t: &ThreadRow) -> Permissions {
    let mut p = parent;
    let can_send = parent.contains(Permissions::SEND_MESSAGES_IN_THREADS)
        && (!t.locked || parent.contains(Permissions::MANAGE_THREADS));
    if can_send {
        p |= Permissions::SEND_MESSAGES;
    } else {
        p = Permissions(p.0 & !Permissions::SEND_MESSAGES.0);
    }
    p
}

impl ChannelCtx {
    /// Loads the caller's view of a channel: 404 10003 if it does not exist, 403 50001 if the
    /// caller cannot view it.
    pub async fn load(app: &AppState, channel_id: i64, user_id: i64) -> Result<Self, ApiError> {
        let ch = app
            .store
            .channel(channel_id)
            .await?
            .ok_or(ApiError::Unknown(Unknown::Channel))?;
        if kind::is_thread(u8::try_from(ch.kind).unwrap_or(0)) {
            return Self::load_thread_by_id(app, ch.id, user_id).await;
        }
        match ch.guild_id {
            Some(gid) => {
                let (g, ows) = tokio::try_join!(GuildCtx::load(app, gid, user_id), async {
                    Ok(app.store.overwrites(channel_id).await?)
                })?;
                let perms = g.in_channel(&ch, &ows);
                if !perms.contains(Permissions::VIEW_CHANNEL) {
                    return Err(ApiError::MissingAccess);
                }
                Ok(Self {
                    channel: ch,
                    overwrites: ows,
                    guild: Some(g),
                    recipients: vec![],
                    perms,
                    thread: None,
                })
            }
            None => {
                let recipients = app.store.dm_recipients(channel_id).await?;
                if !recipients.contains(&user_id) {
                    return Err(ApiError::MissingAccess);
                }
                let mut perms = DM_PERMISSIONS;
                if ch.kind == i64::from(kind::GROUP_DM) && ch.owner_id == Some(user_id) {
                    perms |= Permissions::MANAGE_CHANNELS;
                }
                Ok(Self {
                    channel: ch,
                    overwrites: vec![],
                    guild: None,
                    recipients,
                    perms,
                    thread: None,
                })
            }
        }
    }

    /// The channel as the system (webhooks) acts in it: every permission, no membership.
    /// `actor` is the id recorded as the acting user.
    pub async fn system(app: &AppState, channel_id: i64, actor: i64) -> Result<Self, ApiError> {
        let ch = app
            .store
            .channel(channel_id)
            .await?
            .ok_or(ApiError::Unknown(Unknown::Channel))?;
        let gid = ch.guild_id.ok_or(ApiError::Unknown(Unknown::Channel))?;
        let guild = app
            .store
            .guild(gid)
            .await?
            .ok_or(ApiError::Unknown(Unknown::Guild))?;
        let roles = app.store.roles(gid).await?;
        let overwrites = app.store.overwrites(channel_id).await?;
        let member = MemberWithRoles {
            member: coterie_store::MemberRow {
                guild_id: gid,
                user_id: actor,
                nick: None,
                joined_at: 0,
                deaf: false,
                mute: false,
                pending: false,
                temporary: false,
                communication_disabled_until: None,
                flags: 0,
                karma: 0,
            },
            roles: vec![],
        };
        let g = GuildCtx {
            guild,
            roles,
            member,
            now: app.now(),
            restriction: None,
        };
        Ok(Self {
            channel: ch,
            overwrites,
            guild: Some(g),
            recipients: vec![],
            perms: Permissions::ALL,
            thread: None,
        })
    }

    /// Loads the caller's view of a thread by id (404 10003 when it is not a thread).
    pub async fn load_thread_by_id(
        app: &AppState,
        thread_id: i64,
        user_id: i64,
    ) -> Result<Self, ApiError> {
        let (t, parent) = app
            .store
            .thread_with_parent(thread_id)
            .await?
            .ok_or(ApiError::Unknown(Unknown::Channel))?;
        Self::load_thread(app, t, parent, user_id).await
    }

    async fn load_thread(
        app: &AppState,
        t: coterie_store::ThreadWithChannel,
        parent: ChannelRow,
        user_id: i64,
    ) -> Result<Self, ApiError> {
        let (g, ows) = tokio::try_join!(GuildCtx::load(app, t.thread.guild_id, user_id), async {
            Ok(app.store.overwrites(parent.id).await?)
        })?;
        let ch = &t.channel;
        let in_parent = g.in_channel(&parent, &ows);
        if !in_parent.contains(Permissions::VIEW_CHANNEL) {
            return Err(ApiError::MissingAccess);
        }
        let members = if t.thread.kind == i64::from(kind::PRIVATE_THREAD) {
            let ids: Vec<i64> = app
                .store
                .thread_members(ch.id, 0, PRIVATE_THREAD_AUDIENCE_CAP)
                .await?
                .into_iter()
                .map(|m| m.user_id)
                .collect();
            if !ids.contains(&user_id) && !in_parent.contains(Permissions::MANAGE_THREADS) {
                return Err(ApiError::MissingAccess);
            }
            Some(ids)
        } else {
            None
        };
        Ok(Self {
            channel: t.channel,
            overwrites: ows,
            guild: Some(g),
            recipients: vec![],
            perms: thread_perms(in_parent, &t.thread),
            thread: Some(ThreadCtx {
                row: t.thread,
                parent,
                members,
            }),
        })
    }

    /// 403 50013 unless the caller holds every bit of `p` here.
    pub fn require(&self, p: Permissions) -> Result<(), ApiError> {
        if self.perms.contains(p) {
            Ok(())
        } else {
            Err(self
                .guild
                .as_ref()
                .map_or(ApiError::MissingPermissions, GuildCtx::missing))
        }
    }

    /// The guild id, if a guild channel.
    #[must_use]
    pub fn guild_id(&self) -> Option<i64> {
        self.channel.guild_id
    }

    /// The audience of events about this channel.
    #[must_use]
    pub fn audience(&self) -> crate::bus::Audience {
        if let (Some(t), Some(g)) = (&self.thread, self.channel.guild_id) {
            return crate::bus::Audience::Thread {
                guild: g,
                parent: t.parent.id,
                members: t.members.clone(),
            };
        }
        match self.channel.guild_id {
            Some(g) => crate::bus::Audience::Channel {
                guild: g,
                channel: self.channel.id,
            },
            None => crate::bus::Audience::Users(self.recipients.clone()),
        }
    }
}
