//! Guilds, roles and members as Discord's API shows them.

use crate::{Permissions, Snowflake, Timestamp, channel::Channel, user::User};
use serde::{Deserialize, Serialize};

/// Role colours (the newer `colors` object; `color` is still sent beside it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleColors {
    /// Main colour.
    pub primary_color: u32,
    /// Gradient colour.
    pub secondary_color: Option<u32>,
    /// Holographic colour.
    pub tertiary_color: Option<u32>,
}

/// Role tags (bots' managed roles).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleTags {
    /// The bot this role belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<Snowflake>,
}

/// A role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Role {
    /// Role id; @everyone's equals the guild id.
    pub id: Snowflake,
    /// Name.
    pub name: String,
    /// RGB colour, 0 for none.
    pub color: u32,
    /// Colours.
    pub colors: RoleColors,
    /// Shown separately in the member list.
    pub hoist: bool,
    /// Icon hash.
    pub icon: Option<String>,
    /// Unicode emoji.
    pub unicode_emoji: Option<String>,
    /// Position; @everyone is 0.
    pub position: i32,
    /// Permission bits.
    pub permissions: Permissions,
    /// Managed by an integration (bot roles).
    pub managed: bool,
    /// Anyone may mention it.
    pub mentionable: bool,
    /// Role flags.
    pub flags: u64,
    /// Tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<RoleTags>,
}

/// A guild member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    /// The user (omitted in MESSAGE_CREATE's partial member).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Nickname.
    pub nick: Option<String>,
    /// Guild avatar hash.
    pub avatar: Option<String>,
    /// Guild banner hash.
    pub banner: Option<String>,
    /// Role ids (without @everyone).
    pub roles: Vec<Snowflake>,
    /// When the user joined.
    pub joined_at: Timestamp,
    /// Always null.
    pub premium_since: Option<Timestamp>,
    /// Server-deafened in voice.
    pub deaf: bool,
    /// Server-muted in voice.
    pub mute: bool,
    /// Member flags.
    pub flags: u64,
    /// Has not yet passed membership screening.
    pub pending: bool,
    /// Timed out until.
    pub communication_disabled_until: Option<Timestamp>,
    /// Sum of the scores of the member's forum posts and comments here (Coterie extension).
    #[serde(default)]
    pub karma: i64,
    /// Computed permissions (interaction payloads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
}

/// The REST guild object (`GET /guilds/{id}`).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Guild {
    /// Guild id.
    pub id: Snowflake,
    /// Name.
    pub name: String,
    /// Icon hash.
    pub icon: Option<String>,
    /// Splash hash.
    pub splash: Option<String>,
    /// Discovery splash hash.
    pub discovery_splash: Option<String>,
    /// Banner hash.
    pub banner: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Owner.
    pub owner_id: Snowflake,
    /// AFK voice channel.
    pub afk_channel_id: Option<Snowflake>,
    /// AFK timeout in seconds.
    pub afk_timeout: u32,
    /// 0–4.
    pub verification_level: u8,
    /// 0 all messages, 1 only mentions.
    pub default_message_notifications: u8,
    /// 0–2.
    pub explicit_content_filter: u8,
    /// 0 or 1.
    pub mfa_level: u8,
    /// 0.
    pub nsfw_level: u8,
    /// 0.
    pub premium_tier: u8,
    /// 0.
    pub premium_subscription_count: u32,
    /// false.
    pub premium_progress_bar_enabled: bool,
    /// Locale.
    pub preferred_locale: String,
    /// Feature strings.
    pub features: Vec<String>,
    /// Custom emoji.
    pub emojis: Vec<Emoji>,
    /// Stickers.
    pub stickers: Vec<serde_json::Value>,
    /// Creator application.
    pub application_id: Option<Snowflake>,
    /// Where join messages go.
    pub system_channel_id: Option<Snowflake>,
    /// System channel flags.
    pub system_channel_flags: u64,
    /// Rules channel.
    pub rules_channel_id: Option<Snowflake>,
    /// Public updates channel.
    pub public_updates_channel_id: Option<Snowflake>,
    /// Safety alerts channel.
    pub safety_alerts_channel_id: Option<Snowflake>,
    /// Vanity invite code.
    pub vanity_url_code: Option<String>,
    /// Roles.
    pub roles: Vec<Role>,
    /// Member count (REST `with_counts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    /// Online count (REST `with_counts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
}

/// GUILD_CREATE: the guild plus gateway-only state.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GatewayGuild {
    /// REST fields.
    #[serde(flatten)]
    pub guild: Guild,
    /// When the current user joined.
    pub joined_at: Timestamp,
    /// More members than `large_threshold`.
    pub large: bool,
    /// false.
    pub unavailable: bool,
    /// True total.
    pub member_count: u64,
    /// Voice states.
    pub voice_states: Vec<serde_json::Value>,
    /// Members sent with the guild.
    pub members: Vec<Member>,
    /// Visible channels.
    pub channels: Vec<Channel>,
    /// Active threads.
    pub threads: Vec<Channel>,
    /// Presences.
    pub presences: Vec<serde_json::Value>,
    /// Stage instances.
    pub stage_instances: Vec<serde_json::Value>,
    /// Scheduled events.
    pub guild_scheduled_events: Vec<serde_json::Value>,
    /// Soundboard sounds.
    pub soundboard_sounds: Vec<serde_json::Value>,
}

/// A ban.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ban {
    /// Why.
    pub reason: Option<String>,
    /// Who.
    pub user: User,
}

/// A community's custom emoji (`<:name:id>`, `<a:name:id>` when animated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Emoji {
    /// Id.
    pub id: Snowflake,
    /// Name.
    pub name: String,
    /// Roles allowed to use it (empty: everyone).
    pub roles: Vec<Snowflake>,
    /// Who added it (shown to MANAGE_GUILD_EXPRESSIONS holders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<crate::user::User>,
    /// Must be wrapped in colons: always true.
    pub require_colons: bool,
    /// Managed by an integration: always false.
    pub managed: bool,
    /// A GIF.
    pub animated: bool,
    /// Usable.
    pub available: bool,
}
