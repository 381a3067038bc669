//! Channels (guild channels, DMs and group DMs) as Discord's API shows them.

use crate::{Permissions, Snowflake, Timestamp, permissions::Overwrite, user::User};
use serde::{Deserialize, Serialize};

/// Channel type numbers.
pub mod kind {
    /// Guild text channel.
    pub const GUILD_TEXT: u8 = 0;
    /// Direct message.
    pub const DM: u8 = 1;
    /// Guild voice channel.
    pub const GUILD_VOICE: u8 = 2;
    /// Group DM.
    pub const GROUP_DM: u8 = 3;
    /// Category.
    pub const GUILD_CATEGORY: u8 = 4;
    /// Announcement channel.
    pub const GUILD_ANNOUNCEMENT: u8 = 5;
    /// Stage channel.
    pub const GUILD_STAGE_VOICE: u8 = 13;
    /// Forum channel.
    pub const GUILD_FORUM: u8 = 15;

    /// Whether messages can be sent in channels of this type.
    #[must_use]
    pub fn is_textual(t: u8) -> bool {
        matches!(
            t,
            GUILD_TEXT | DM | GUILD_VOICE | GROUP_DM | GUILD_ANNOUNCEMENT | GUILD_STAGE_VOICE
        )
    }

    /// Voice-like types.
    #[must_use]
    pub fn is_voice(t: u8) -> bool {
        matches!(t, GUILD_VOICE | GUILD_STAGE_VOICE)
    }

    /// Types a guild channel may be created with.
    #[must_use]
    pub fn is_creatable_in_guild(t: u8) -> bool {
        matches!(
            t,
            GUILD_TEXT
                | GUILD_VOICE
                | GUILD_CATEGORY
                | GUILD_ANNOUNCEMENT
                | GUILD_STAGE_VOICE
                | GUILD_FORUM
        )
    }
}

/// A channel. Keys that do not apply to a channel's type are omitted; keys that apply but have no
/// value are `null` (discord.js tests `'key' in data`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Channel {
    /// Channel id.
    pub id: Snowflake,
    /// Channel type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Guild, for guild channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Snowflake>,
    /// Name (guild channels and named group DMs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<String>>,
    /// Sort position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i32>,
    /// Category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Option<Snowflake>>,
    /// Overwrites.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_overwrites: Option<Vec<Overwrite>>,
    /// Topic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<Option<String>>,
    /// Age-restricted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsfw: Option<bool>,
    /// Newest message id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_id: Option<Option<Snowflake>>,
    /// When the newest pin was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_pin_timestamp: Option<Option<Timestamp>>,
    /// Slowmode seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_user: Option<u32>,
    /// Voice bitrate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u32>,
    /// Voice user limit (0 = none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_limit: Option<u32>,
    /// Voice region (always null).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtc_region: Option<Option<String>>,
    /// DM recipients (excluding the viewer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipients: Option<Vec<User>>,
    /// Group DM owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<Snowflake>,
    /// Group DM icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Option<String>>,
    /// Forum tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_tags: Option<Vec<serde_json::Value>>,
    /// Forum default reaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_reaction_emoji: Option<Option<serde_json::Value>>,
    /// Forum default sort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_sort_order: Option<Option<u8>>,
    /// Forum layout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_forum_layout: Option<u8>,
    /// Forum post slowmode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_thread_rate_limit_per_user: Option<u32>,
    /// Viewer's permissions (interaction payloads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Channel flags.
    pub flags: u64,
}
