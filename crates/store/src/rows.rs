//! Rows as stored. Ids are `i64` (both engines store BIGINT); times are unix milliseconds.

use sqlx::FromRow;

/// `count(*)` and other single integers.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct Count {
    /// The value.
    pub n: i64,
}

/// A single id column.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct IdRow {
    /// The id.
    pub id: i64,
}

/// A user account.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// Handle as typed.
    pub username: String,
    /// Email address.
    pub email: Option<String>,
    /// Whether the email was verified.
    pub email_verified: bool,
    /// PHC string (argon2id); empty for accounts that cannot log in with a password.
    pub password_hash: String,
    /// Display name.
    pub global_name: Option<String>,
    /// Avatar hash.
    pub avatar: Option<String>,
    /// Bot account.
    pub bot: bool,
    /// Instance administrator.
    pub instance_admin: bool,
    /// Flags.
    pub flags: i64,
    /// Created (unix ms).
    pub created_at: i64,
}

/// A guild.
#[derive(Debug, Clone, FromRow)]
pub struct GuildRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Icon hash.
    pub icon: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Owner.
    pub owner_id: i64,
    /// 0–4.
    pub verification_level: i64,
    /// 0–1.
    pub default_message_notifications: i64,
    /// 0–2.
    pub explicit_content_filter: i64,
    /// AFK channel.
    pub afk_channel_id: Option<i64>,
    /// Seconds.
    pub afk_timeout: i64,
    /// System channel.
    pub system_channel_id: Option<i64>,
    /// Flags.
    pub system_channel_flags: i64,
    /// Rules channel.
    pub rules_channel_id: Option<i64>,
    /// Updates channel.
    pub public_updates_channel_id: Option<i64>,
    /// Locale.
    pub preferred_locale: String,
    /// Created.
    pub created_at: i64,
    /// Moderation settings (rules screening, raid protection, invite pause) as JSON.
    pub moderation: String,
}

/// A role.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct RoleRow {
    /// Id (== guild id for @everyone).
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Name.
    pub name: String,
    /// RGB.
    pub color: i64,
    /// Hoisted.
    pub hoist: bool,
    /// Position.
    pub position: i64,
    /// Permission bits.
    pub permissions: i64,
    /// Managed by a bot.
    pub managed: bool,
    /// Mentionable.
    pub mentionable: bool,
    /// Icon hash.
    pub icon: Option<String>,
    /// Unicode emoji.
    pub unicode_emoji: Option<String>,
    /// Flags.
    pub flags: i64,
    /// Bot the role belongs to.
    pub bot_id: Option<i64>,
}

/// A channel of any kind.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct ChannelRow {
    /// Id.
    pub id: i64,
    /// Guild (None for DMs).
    pub guild_id: Option<i64>,
    /// Channel type.
    #[sqlx(rename = "type")]
    pub kind: i64,
    /// Name.
    pub name: Option<String>,
    /// Topic.
    pub topic: Option<String>,
    /// Position.
    pub position: i64,
    /// Category.
    pub parent_id: Option<i64>,
    /// NSFW.
    pub nsfw: bool,
    /// Slowmode seconds.
    pub rate_limit_per_user: i64,
    /// Voice bitrate.
    pub bitrate: Option<i64>,
    /// Voice user limit.
    pub user_limit: Option<i64>,
    /// Group DM owner.
    pub owner_id: Option<i64>,
    /// Group DM icon.
    pub icon: Option<String>,
    /// Newest message.
    pub last_message_id: Option<i64>,
    /// Newest pin time.
    pub last_pin_at: Option<i64>,
    /// Flags.
    pub flags: i64,
    /// Created.
    pub created_at: i64,
    /// Forum and thread-parent settings (JSON object).
    pub settings: String,
}

/// A channel permission overwrite.
#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct OverwriteRow {
    /// Channel.
    pub channel_id: i64,
    /// Role or user.
    pub target_id: i64,
    /// 0 role, 1 member.
    pub kind: i64,
    /// Allowed bits.
    pub allow_bits: i64,
    /// Denied bits.
    pub deny_bits: i64,
}

/// A member (without roles; see [`MemberWithRoles`]).
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct MemberRow {
    /// Guild.
    pub guild_id: i64,
    /// User.
    pub user_id: i64,
    /// Nickname.
    pub nick: Option<String>,
    /// Joined.
    pub joined_at: i64,
    /// Server-deafened.
    pub deaf: bool,
    /// Server-muted.
    pub mute: bool,
    /// Screening pending.
    pub pending: bool,
    /// Joined through a temporary invite.
    pub temporary: bool,
    /// Timed out until.
    pub communication_disabled_until: Option<i64>,
    /// Flags.
    pub flags: i64,
    /// Sum of the scores of the member's posts and comments here.
    pub karma: i64,
}

/// A member with its role ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberWithRoles {
    /// The member.
    pub member: MemberRow,
    /// Role ids (not @everyone).
    pub roles: Vec<i64>,
}

/// (user, role) pairs of a guild.
#[derive(Debug, Clone, Copy, FromRow)]
pub struct MemberRoleRow {
    /// User.
    pub user_id: i64,
    /// Role.
    pub role_id: i64,
}

/// A ban.
#[derive(Debug, Clone, FromRow)]
pub struct BanRow {
    /// Guild.
    pub guild_id: i64,
    /// User.
    pub user_id: i64,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub created_at: i64,
}

/// An invite.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct InviteRow {
    /// Code.
    pub code: String,
    /// Guild.
    pub guild_id: i64,
    /// Channel.
    pub channel_id: i64,
    /// Creator.
    pub inviter_id: Option<i64>,
    /// Lifetime in seconds (0 = forever).
    pub max_age: i64,
    /// Max uses (0 = unlimited).
    pub max_uses: i64,
    /// Uses so far.
    pub uses: i64,
    /// Temporary membership.
    pub temporary: bool,
    /// Created.
    pub created_at: i64,
    /// Expiry (unix ms) or None.
    pub expires_at: Option<i64>,
}

/// A message.
#[derive(Debug, Clone, Default, FromRow)]
pub struct MessageRow {
    /// Id.
    pub id: i64,
    /// Channel.
    pub channel_id: i64,
    /// Guild.
    pub guild_id: Option<i64>,
    /// Author.
    pub author_id: i64,
    /// Message type.
    #[sqlx(rename = "type")]
    pub kind: i64,
    /// Text.
    pub content: String,
    /// Flags.
    pub flags: i64,
    /// TTS.
    pub tts: bool,
    /// Mentions everyone.
    pub mention_everyone: bool,
    /// JSON array of user id strings.
    pub mention_users: String,
    /// JSON array of role id strings.
    pub mention_roles: String,
    /// JSON array of embeds.
    pub embeds: String,
    /// JSON array of components.
    pub components: String,
    /// Nonce as JSON.
    pub nonce: Option<String>,
    /// Pinned at.
    pub pinned_at: Option<i64>,
    /// Edited at.
    pub edited_at: Option<i64>,
    /// Replied-to message.
    pub ref_message_id: Option<i64>,
    /// Its channel.
    pub ref_channel_id: Option<i64>,
    /// Its guild.
    pub ref_guild_id: Option<i64>,
    /// Sent through this webhook (or application, for interaction responses).
    pub webhook_id: Option<i64>,
    /// The application of an interaction response.
    pub application_id: Option<i64>,
    /// JSON `{username, avatar}` overriding a webhook author's name and avatar.
    pub author_override: Option<String>,
    /// JSON `interaction_metadata` of an interaction response.
    pub interaction: Option<String>,
    /// What else it may carry ([`extras`] bits): set as reactions, files or a poll are added,
    /// never cleared, so readers skip lookups for what no message on a page has.
    pub extras: i64,
}

/// Bits of [`MessageRow::extras`].
pub mod extras {
    /// Someone reacted.
    pub const REACTIONS: i64 = 1;
    /// Files are attached.
    pub const FILES: i64 = 2;
    /// A poll.
    pub const POLL: i64 = 4;
}

/// One emoji's reactions on one message, from the viewer's side.
#[derive(Debug, Clone, FromRow)]
pub struct ReactionCountRow {
    /// Message.
    pub message_id: i64,
    /// Emoji key (unicode, or `name:id`).
    pub emoji: String,
    /// Count.
    pub n: i64,
    /// Whether the viewer reacted (0/1).
    pub me: i64,
    /// First reaction time (ordering).
    pub first_at: i64,
}

/// A channel's read state for one user.
#[derive(Debug, Clone, FromRow)]
pub struct ReadStateRow {
    /// Channel.
    pub channel_id: i64,
    /// Acknowledged up to.
    pub last_message_id: Option<i64>,
    /// Messages after the ack, capped at 1,000 (0 when none is newer).
    pub unread: i64,
    /// Of those, the ones mentioning the user, a role they hold, or everyone.
    pub mentions: i64,
}

/// An application (its bot user has the same id).
#[derive(Debug, Clone, FromRow)]
pub struct ApplicationRow {
    /// Id (== bot user id).
    pub id: i64,
    /// Owner.
    pub owner_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Icon hash.
    pub icon: Option<String>,
    /// Anyone with MANAGE_GUILD may add the bot.
    pub bot_public: bool,
    /// Always false.
    pub bot_require_code_grant: bool,
    /// Application flags (privileged intents).
    pub flags: i64,
    /// Hex public key.
    pub verify_key: String,
    /// A bot user exists.
    pub has_bot: bool,
    /// Created.
    pub created_at: i64,
}

/// An application command (the full definition is JSON in `body`).
#[derive(Debug, Clone, FromRow)]
pub struct CommandRow {
    /// Id.
    pub id: i64,
    /// Application.
    pub application_id: i64,
    /// Guild id, or 0 for a global command.
    pub scope: i64,
    /// 1 chat input, 2 user, 3 message.
    #[sqlx(rename = "type")]
    pub kind: i64,
    /// Name.
    pub name: String,
    /// Definition JSON.
    pub body: String,
    /// Version snowflake.
    pub version: i64,
}

/// An interaction awaiting or having its response.
#[derive(Debug, Clone, FromRow)]
pub struct InteractionRow {
    /// Id.
    pub id: i64,
    /// Application.
    pub application_id: i64,
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    /// Interaction type.
    #[sqlx(rename = "type")]
    pub kind: i64,
    /// Guild.
    pub guild_id: Option<i64>,
    /// Channel.
    pub channel_id: i64,
    /// Invoking user.
    pub user_id: i64,
    /// Component interactions: the message clicked.
    pub message_id: Option<i64>,
    /// Command name.
    pub name: String,
    /// Created.
    pub created_at: i64,
    /// Initial response type, once answered.
    pub response_type: Option<i64>,
    /// The response message.
    pub response_message_id: Option<i64>,
    /// An ephemeral response (never stored as a message), as JSON.
    pub ephemeral_message: Option<String>,
}

/// A webhook.
#[derive(Debug, Clone, FromRow)]
pub struct WebhookRow {
    /// Id (also its author user id).
    pub id: i64,
    /// 1 incoming, 3 application.
    #[sqlx(rename = "type")]
    pub kind: i64,
    /// Guild.
    pub guild_id: i64,
    /// Channel.
    pub channel_id: i64,
    /// Creator.
    pub creator_id: Option<i64>,
    /// Application.
    pub application_id: Option<i64>,
    /// Default name.
    pub name: String,
    /// Avatar hash.
    pub avatar: Option<String>,
    /// Execution token.
    pub token: Option<String>,
    /// Created.
    pub created_at: i64,
}

/// A guild scheduled event.
#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    /// Id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Stage or voice channel.
    pub channel_id: Option<i64>,
    /// Creator.
    pub creator_id: Option<i64>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Start (unix ms).
    pub start_at: i64,
    /// End (unix ms).
    pub end_at: Option<i64>,
    /// 2 guild only.
    pub privacy_level: i64,
    /// 1 scheduled, 2 active, 3 completed, 4 canceled.
    pub status: i64,
    /// 1 stage, 2 voice, 3 external.
    pub entity_type: i64,
    /// External location.
    pub location: Option<String>,
    /// Cover image hash.
    pub image: Option<String>,
    /// Recurrence rule JSON.
    pub recurrence_rule: Option<String>,
    /// Reminder sent.
    pub reminded: bool,
    /// Created.
    pub created_at: i64,
}
