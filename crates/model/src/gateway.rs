//! Gateway opcodes, close codes and the payloads of the handshake.

use crate::{Snowflake, user::User};
use serde::{Deserialize, Serialize};

/// Opcodes.
pub mod op {
    /// An event.
    pub const DISPATCH: u8 = 0;
    /// Keep-alive.
    pub const HEARTBEAT: u8 = 1;
    /// Start a session.
    pub const IDENTIFY: u8 = 2;
    /// Update own presence.
    pub const PRESENCE_UPDATE: u8 = 3;
    /// Join, move or leave voice.
    pub const VOICE_STATE_UPDATE: u8 = 4;
    /// Resume a session.
    pub const RESUME: u8 = 6;
    /// Server asks the client to reconnect.
    pub const RECONNECT: u8 = 7;
    /// Request guild members.
    pub const REQUEST_GUILD_MEMBERS: u8 = 8;
    /// The session is invalid.
    pub const INVALID_SESSION: u8 = 9;
    /// First frame.
    pub const HELLO: u8 = 10;
    /// Heartbeat acknowledged.
    pub const HEARTBEAT_ACK: u8 = 11;
}

/// Close codes.
pub mod close {
    /// Unknown error; clients reconnect and resume.
    pub const UNKNOWN_ERROR: u16 = 4000;
    /// Unknown opcode.
    pub const UNKNOWN_OPCODE: u16 = 4001;
    /// Payload could not be decoded.
    pub const DECODE_ERROR: u16 = 4002;
    /// Sent something before IDENTIFY.
    pub const NOT_AUTHENTICATED: u16 = 4003;
    /// Bad token.
    pub const AUTHENTICATION_FAILED: u16 = 4004;
    /// Second IDENTIFY.
    pub const ALREADY_AUTHENTICATED: u16 = 4005;
    /// Bad resume seq.
    pub const INVALID_SEQ: u16 = 4007;
    /// Too many frames.
    pub const RATE_LIMITED: u16 = 4008;
    /// Heartbeat missed.
    pub const SESSION_TIMED_OUT: u16 = 4009;
    /// Bad shard.
    pub const INVALID_SHARD: u16 = 4010;
    /// Bad API version.
    pub const INVALID_API_VERSION: u16 = 4012;
    /// Undefined intent bits.
    pub const INVALID_INTENTS: u16 = 4013;
    /// Privileged intents not enabled.
    pub const DISALLOWED_INTENTS: u16 = 4014;
}

/// A frame from the client; `d` is parsed once `op` is known.
#[derive(Debug, Deserialize)]
pub struct ClientFrame<'a> {
    /// Opcode.
    pub op: u8,
    /// Payload.
    #[serde(borrow, default)]
    pub d: Option<&'a serde_json::value::RawValue>,
}

/// IDENTIFY connection properties.
#[derive(Debug, Default, Deserialize)]
pub struct IdentifyProperties {
    /// OS.
    #[serde(default, alias = "$os")]
    pub os: String,
    /// Library.
    #[serde(default, alias = "$browser")]
    pub browser: String,
    /// Device.
    #[serde(default, alias = "$device")]
    pub device: String,
}

/// Op 2.
#[derive(Debug, Deserialize)]
pub struct Identify {
    /// Token, optionally prefixed with `Bot `.
    pub token: String,
    /// Client description.
    #[serde(default)]
    pub properties: IdentifyProperties,
    /// Intents (Discord requires them; absent means all non-privileged for user clients).
    #[serde(default)]
    pub intents: Option<u64>,
    /// `[shard_id, num_shards]`.
    #[serde(default)]
    pub shard: Option<[u32; 2]>,
    /// Member count above which offline members are omitted (50–250).
    #[serde(default)]
    pub large_threshold: Option<u32>,
    /// Initial presence.
    #[serde(default)]
    pub presence: Option<PresenceUpdate>,
}

/// Op 6.
#[derive(Debug, Deserialize)]
pub struct Resume {
    /// Token.
    pub token: String,
    /// Session to resume.
    pub session_id: String,
    /// Last sequence number received.
    pub seq: Option<u64>,
}

/// Op 3 (and IDENTIFY's `presence`).
#[derive(Debug, Clone, Deserialize)]
pub struct PresenceUpdate {
    /// Idle since (unix ms) or null. Kept as given: serenity sends a serialised `SystemTime`
    /// object here, which Discord tolerates.
    #[serde(default)]
    pub since: Option<serde_json::Value>,
    /// Activities.
    #[serde(default)]
    pub activities: Vec<serde_json::Value>,
    /// online, dnd, idle, invisible, offline.
    #[serde(default = "default_status")]
    pub status: String,
    /// AFK.
    #[serde(default)]
    pub afk: bool,
}

fn default_status() -> String {
    "online".to_owned()
}

/// Op 8.
#[derive(Debug, Deserialize)]
pub struct RequestGuildMembers {
    /// Guild.
    pub guild_id: Snowflake,
    /// Username prefix; empty means everyone.
    #[serde(default)]
    pub query: Option<String>,
    /// Max members (0 = no limit with an empty query).
    #[serde(default)]
    pub limit: u32,
    /// Include presences.
    #[serde(default)]
    pub presences: bool,
    /// Specific users.
    #[serde(default)]
    pub user_ids: Option<UserIds>,
    /// Echoed back.
    #[serde(default)]
    pub nonce: Option<String>,
}

/// `user_ids` may be one id or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum UserIds {
    /// One.
    One(Snowflake),
    /// Many.
    Many(Vec<Snowflake>),
}

/// A guild stub in READY.
#[derive(Debug, Clone, Serialize)]
pub struct UnavailableGuild {
    /// Guild id.
    pub id: Snowflake,
    /// Always true in READY.
    pub unavailable: bool,
}

/// The application stub in READY.
#[derive(Debug, Clone, Serialize)]
pub struct ReadyApplication {
    /// Application id.
    pub id: Snowflake,
    /// Flags.
    pub flags: u64,
}

/// One channel's read state.
#[derive(Debug, Clone, Serialize)]
pub struct ReadStateEntry {
    /// Channel id.
    pub id: Snowflake,
    /// Last acknowledged message.
    pub last_message_id: Option<Snowflake>,
    /// Mentions since.
    pub mention_count: u64,
    /// Coterie extension: messages since (capped at 1000).
    pub unread_count: u64,
    /// Last pin seen.
    pub last_pin_timestamp: Option<crate::Timestamp>,
}

/// READY's read states.
#[derive(Debug, Clone, Serialize)]
pub struct ReadState {
    /// Entries for channels with unread messages or an ack.
    pub entries: Vec<ReadStateEntry>,
    /// Always false.
    pub partial: bool,
    /// Version.
    pub version: u64,
}

/// READY.
#[derive(Debug, Clone, Serialize)]
pub struct Ready {
    /// API version (10).
    pub v: u8,
    /// The current user.
    pub user: crate::user::CurrentUser,
    /// Guild stubs; full guilds follow as GUILD_CREATE.
    pub guilds: Vec<UnavailableGuild>,
    /// Session id for RESUME.
    pub session_id: String,
    /// URL to reconnect to for RESUME.
    pub resume_gateway_url: String,
    /// `[shard_id, num_shards]`.
    pub shard: [u32; 2],
    /// The bot's application (user clients get their own id).
    pub application: ReadyApplication,
    /// DM channels.
    pub private_channels: Vec<crate::channel::Channel>,
    /// Read states (user clients).
    pub read_state: ReadState,
    /// Relationships (empty).
    pub relationships: Vec<serde_json::Value>,
    /// Users referenced (empty).
    pub users: Vec<User>,
}
