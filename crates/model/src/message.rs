//! Messages, reactions and references as Discord's API shows them.

use crate::{Snowflake, Timestamp, guild::Member, user::User};
use serde::{Deserialize, Serialize};

/// Message type numbers.
pub mod kind {
    /// Ordinary message.
    pub const DEFAULT: u8 = 0;
    /// "X pinned a message".
    pub const CHANNEL_PINNED_MESSAGE: u8 = 6;
    /// "X joined".
    pub const USER_JOIN: u8 = 7;
    /// A reply.
    pub const REPLY: u8 = 19;
    /// A slash command's response.
    pub const CHAT_INPUT_COMMAND: u8 = 20;
    /// A context menu command's response.
    pub const CONTEXT_MENU_COMMAND: u8 = 23;
    /// AutoMod's alert in the alert channel.
    pub const AUTO_MODERATION_ACTION: u8 = 24;

    /// Whether messages of this type carry their author's own content (editable by them).
    #[must_use]
    pub fn is_authored(t: i64) -> bool {
        [DEFAULT, REPLY, CHAT_INPUT_COMMAND, CONTEXT_MENU_COMMAND]
            .iter()
            .any(|k| i64::from(*k) == t)
    }
}

/// Message flag: embeds are not unfurled.
pub const FLAG_SUPPRESS_EMBEDS: u64 = 1 << 2;
/// Message flag: only the invoker sees it.
pub const FLAG_EPHEMERAL: u64 = 1 << 6;
/// Message flag: "@silent".
pub const FLAG_SUPPRESS_NOTIFICATIONS: u64 = 1 << 12;

/// A user inside `mentions`, with a partial member in guilds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MentionedUser {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// Partial member (no `user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
}

/// A reply or crosspost reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageReference {
    /// 0 = reply (default), 1 = forward.
    #[serde(rename = "type", default)]
    pub kind: u8,
    /// Referenced message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Snowflake>,
    /// Its channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<Snowflake>,
    /// Its guild.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Snowflake>,
    /// Whether sending fails when the referenced message is gone (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_if_not_exists: Option<bool>,
}

/// Reaction emoji: unicode (`id` null) or custom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReactionEmoji {
    /// Custom emoji id.
    pub id: Option<Snowflake>,
    /// Unicode character(s) or custom name.
    pub name: Option<String>,
}

/// Normal/burst split of a reaction count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CountDetails {
    /// Super reactions (always 0).
    pub burst: u64,
    /// Normal reactions.
    pub normal: u64,
}

/// One emoji's reactions on a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reaction {
    /// Total.
    pub count: u64,
    /// Split.
    pub count_details: CountDetails,
    /// Whether the viewer reacted.
    pub me: bool,
    /// Always false.
    pub me_burst: bool,
    /// The emoji.
    pub emoji: ReactionEmoji,
    /// Always empty.
    pub burst_colors: Vec<String>,
}

/// Attachment flag: the file is a spoiler (its name starts with `SPOILER_`).
pub const ATTACHMENT_IS_SPOILER: u64 = 1 << 3;

/// A file on a message. `url` and `proxy_url` are signed and expire (`ex`, `is`, `hm`); the
/// media URL also takes `width`/`height` and then serves a thumbnail when one exists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    /// Id.
    pub id: Snowflake,
    /// File name (sanitised).
    pub filename: String,
    /// Alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Media type, sniffed from the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Download URL.
    pub url: String,
    /// Media URL (accepts `width`/`height`).
    pub proxy_url: String,
    /// Image height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Image width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Attachment flags.
    #[serde(default)]
    pub flags: u64,
}

/// A message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    /// Message id.
    pub id: Snowflake,
    /// Channel.
    pub channel_id: Snowflake,
    /// Guild (guild channels, in events and REST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Snowflake>,
    /// Author.
    pub author: User,
    /// Author's partial member (MESSAGE_CREATE/UPDATE in guilds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<Member>,
    /// Text.
    pub content: String,
    /// When it was sent.
    pub timestamp: Timestamp,
    /// When it was last edited.
    pub edited_timestamp: Option<Timestamp>,
    /// Text to speech.
    pub tts: bool,
    /// Mentions @everyone or @here.
    pub mention_everyone: bool,
    /// Mentioned users.
    pub mentions: Vec<MentionedUser>,
    /// Mentioned roles.
    pub mention_roles: Vec<Snowflake>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
    /// Embeds.
    pub embeds: Vec<serde_json::Value>,
    /// Reactions.
    pub reactions: Vec<Reaction>,
    /// The sender's nonce, echoed back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<serde_json::Value>,
    /// Pinned.
    pub pinned: bool,
    /// Sent by a webhook (or, for interaction responses, the application).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<Snowflake>,
    /// The application of an interaction response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Snowflake>,
    /// The interaction this message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_metadata: Option<serde_json::Value>,
    /// The older form of `interaction_metadata` (`{id, type, name, user}`), still read by libraries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<serde_json::Value>,
    /// Message type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Message flags.
    pub flags: u64,
    /// Components.
    pub components: Vec<serde_json::Value>,
    /// Reply reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<MessageReference>,
    /// The replied-to message (null when deleted); present on replies only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub referenced_message: Option<Option<Box<Message>>>,
    /// A poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<Poll>,
    /// In a forum post: upvotes − downvotes (Coterie extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    /// In a forum post: upvotes (Coterie extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upvotes: Option<i64>,
    /// In a forum post: downvotes (Coterie extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downvotes: Option<i64>,
    /// In a forum post: the viewer's vote, 1, -1 or 0 (Coterie extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me_vote: Option<i64>,
}

/// Poll layout: the default.
pub const POLL_LAYOUT_DEFAULT: u8 = 1;
/// Message type of the "poll ended" message.
pub const POLL_RESULT: u8 = 46;

/// Text and/or emoji of a poll question or answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PollMedia {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Emoji `{id, name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<ReactionEmoji>,
}

/// One answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PollAnswer {
    /// 1-based id.
    #[serde(default)]
    pub answer_id: u32,
    /// Its text and emoji.
    pub poll_media: PollMedia,
}

/// Votes for one answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PollAnswerCount {
    /// Answer id.
    pub id: u32,
    /// Votes.
    pub count: u64,
    /// Whether the viewer chose it.
    pub me_voted: bool,
}

/// Counts (live) and whether they are final.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PollResults {
    /// The poll has ended and the counts are final.
    pub is_finalized: bool,
    /// Per answer.
    pub answer_counts: Vec<PollAnswerCount>,
}

/// A poll on a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Poll {
    /// The question.
    pub question: PollMedia,
    /// Answers.
    pub answers: Vec<PollAnswer>,
    /// When it ends.
    pub expiry: Option<Timestamp>,
    /// Several answers may be chosen.
    pub allow_multiselect: bool,
    /// Layout (1).
    pub layout_type: u8,
    /// Counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<PollResults>,
}
