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
    /// Thread in an announcement channel.
    pub const ANNOUNCEMENT_THREAD: u8 = 10;
    /// Public thread (and forum post).
    pub const PUBLIC_THREAD: u8 = 11;
    /// Private thread.
    pub const PRIVATE_THREAD: u8 = 12;
    /// Stage channel.
    pub const GUILD_STAGE_VOICE: u8 = 13;
    /// Forum channel.
    pub const GUILD_FORUM: u8 = 15;

    /// Whether messages can be sent in channels of this type.
    #[must_use]
    pub fn is_textual(t: u8) -> bool {
        matches!(
            t,
            GUILD_TEXT
                | DM
                | GUILD_VOICE
                | GROUP_DM
                | GUILD_ANNOUNCEMENT
                | GUILD_STAGE_VOICE
                | ANNOUNCEMENT_THREAD
                | PUBLIC_THREAD
                | PRIVATE_THREAD
        )
    }

    /// Thread types.
    #[must_use]
    pub fn is_thread(t: u8) -> bool {
        matches!(t, ANNOUNCEMENT_THREAD | PUBLIC_THREAD | PRIVATE_THREAD)
    }

    /// Types that may hold threads.
    #[must_use]
    pub fn holds_threads(t: u8) -> bool {
        matches!(t, GUILD_TEXT | GUILD_ANNOUNCEMENT | GUILD_FORUM)
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
    pub available_tags: Option<Vec<ForumTag>>,
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
    /// Default auto-archive minutes of new threads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_auto_archive_duration: Option<u32>,
    /// Forum: karma a member needs to post (Coterie extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_karma_to_post: Option<i64>,
    /// Forum: seconds a member must have been in the guild to post (Coterie extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_member_age_to_post: Option<i64>,
    /// Thread: messages (without a forum post's starter message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_count: Option<u32>,
    /// Thread: members, counted up to 50 as in Discord.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_count: Option<u32>,
    /// Thread: messages ever sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_message_sent: Option<u32>,
    /// Thread state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_metadata: Option<ThreadMetadata>,
    /// The viewer's thread membership (some endpoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<ThreadMember>,
    /// Forum post: applied tag ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_tags: Option<Vec<Snowflake>>,
    /// THREAD_CREATE of a new thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newly_created: Option<bool>,
    /// Forum post: upvotes − downvotes (Coterie extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    /// Forum post: upvotes (Coterie extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upvotes: Option<i64>,
    /// Forum post: downvotes (Coterie extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downvotes: Option<i64>,
    /// Forum post: the viewer's vote, 1, -1 or 0 (Coterie extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me_vote: Option<i64>,
    /// Viewer's permissions (interaction payloads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Channel flags.
    pub flags: u64,
}

/// Channel flag: a pinned forum post.
pub const FLAG_PINNED: u64 = 1 << 1;
/// Channel flag: forum posts need a tag.
pub const FLAG_REQUIRE_TAG: u64 = 1 << 4;

/// Thread-only fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreadMetadata {
    /// Archived.
    pub archived: bool,
    /// Minutes of inactivity before archiving: 60, 1440, 4320 or 10080.
    pub auto_archive_duration: u32,
    /// When `archived` last changed.
    pub archive_timestamp: Timestamp,
    /// Only MANAGE_THREADS may unarchive or post.
    pub locked: bool,
    /// Private threads: whether non-moderators may add others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitable: Option<bool>,
    /// Created.
    pub create_timestamp: Timestamp,
}

/// A thread membership.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreadMember {
    /// Thread.
    pub id: Snowflake,
    /// User.
    pub user_id: Snowflake,
    /// Joined.
    pub join_timestamp: Timestamp,
    /// Notification flags.
    pub flags: u64,
    /// Guild (THREAD_MEMBER_UPDATE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Snowflake>,
}

/// A forum tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ForumTag {
    /// Id (assigned by the server).
    #[serde(default)]
    pub id: Option<Snowflake>,
    /// Name (1–20 characters).
    pub name: String,
    /// Only MANAGE_THREADS may apply it.
    #[serde(default)]
    pub moderated: bool,
    /// Custom emoji.
    #[serde(default)]
    pub emoji_id: Option<Snowflake>,
    /// Unicode emoji.
    #[serde(default)]
    pub emoji_name: Option<String>,
}

/// Forum and thread-parent settings, stored as one JSON object on the channel.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelSettings {
    /// Forum tags.
    pub available_tags: Vec<ForumTag>,
    /// Default reaction.
    pub default_reaction_emoji: Option<serde_json::Value>,
    /// 0 latest activity, 1 creation date.
    pub default_sort_order: Option<u8>,
    /// 0 not set, 1 list, 2 gallery.
    pub default_forum_layout: u8,
    /// Slowmode of new posts.
    pub default_thread_rate_limit_per_user: u32,
    /// Auto-archive minutes of new threads.
    pub default_auto_archive_duration: Option<u32>,
    /// Karma needed to post.
    pub min_karma_to_post: i64,
    /// Membership age (seconds) needed to post.
    pub min_member_age_to_post: i64,
}

impl ChannelSettings {
    /// Parses stored settings (unknown or corrupt → defaults).
    #[must_use]
    pub fn parse(s: &str) -> Self {
        serde_json::from_str(s).unwrap_or_default()
    }
}
