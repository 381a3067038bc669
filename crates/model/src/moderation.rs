//! Moderation shapes: audit log entries, AutoMod rules (Discord's), and Coterie's reports and
//! community rules (extensions).

use crate::{Snowflake, Timestamp, user::User};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Audit log action types (Discord's numbers; Coterie-only actions from 1000).
pub mod action {
    #![allow(missing_docs)]
    pub const GUILD_UPDATE: u16 = 1;
    pub const CHANNEL_CREATE: u16 = 10;
    pub const CHANNEL_UPDATE: u16 = 11;
    pub const CHANNEL_DELETE: u16 = 12;
    pub const CHANNEL_OVERWRITE_CREATE: u16 = 13;
    pub const CHANNEL_OVERWRITE_UPDATE: u16 = 14;
    pub const CHANNEL_OVERWRITE_DELETE: u16 = 15;
    pub const MEMBER_KICK: u16 = 20;
    pub const MEMBER_BAN_ADD: u16 = 22;
    pub const MEMBER_BAN_REMOVE: u16 = 23;
    pub const MEMBER_UPDATE: u16 = 24;
    pub const MEMBER_ROLE_UPDATE: u16 = 25;
    pub const MEMBER_MOVE: u16 = 26;
    pub const MEMBER_DISCONNECT: u16 = 27;
    pub const BOT_ADD: u16 = 28;
    pub const ROLE_CREATE: u16 = 30;
    pub const ROLE_UPDATE: u16 = 31;
    pub const ROLE_DELETE: u16 = 32;
    pub const INVITE_CREATE: u16 = 40;
    pub const INVITE_DELETE: u16 = 42;
    pub const WEBHOOK_CREATE: u16 = 50;
    pub const WEBHOOK_UPDATE: u16 = 51;
    pub const WEBHOOK_DELETE: u16 = 52;
    pub const EMOJI_CREATE: u16 = 60;
    pub const EMOJI_UPDATE: u16 = 61;
    pub const EMOJI_DELETE: u16 = 62;
    pub const MESSAGE_DELETE: u16 = 72;
    pub const MESSAGE_BULK_DELETE: u16 = 73;
    pub const MESSAGE_PIN: u16 = 74;
    pub const MESSAGE_UNPIN: u16 = 75;
    pub const STAGE_INSTANCE_CREATE: u16 = 83;
    pub const STAGE_INSTANCE_UPDATE: u16 = 84;
    pub const STAGE_INSTANCE_DELETE: u16 = 85;
    pub const THREAD_CREATE: u16 = 110;
    pub const THREAD_UPDATE: u16 = 111;
    pub const THREAD_DELETE: u16 = 112;
    pub const AUTO_MODERATION_RULE_CREATE: u16 = 140;
    pub const AUTO_MODERATION_RULE_UPDATE: u16 = 141;
    pub const AUTO_MODERATION_RULE_DELETE: u16 = 142;
    pub const AUTO_MODERATION_BLOCK_MESSAGE: u16 = 143;
    pub const AUTO_MODERATION_FLAG_TO_CHANNEL: u16 = 144;
    pub const AUTO_MODERATION_USER_COMMUNICATION_DISABLED: u16 = 145;
    /// Coterie: a report was resolved or dismissed.
    pub const REPORT_UPDATE: u16 = 1000;
    /// Coterie: the community's rules (screening) changed.
    pub const RULES_UPDATE: u16 = 1001;
    /// Coterie: raid protection paused or resumed invites.
    pub const INVITES_PAUSED: u16 = 1002;
    /// Coterie: AutoMod held a message for review.
    pub const AUTO_MODERATION_HOLD_MESSAGE: u16 = 1003;
}

/// One changed field of an audited object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditLogChange {
    /// Field name (`$add` / `$remove` for role changes).
    pub key: String,
    /// Before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_value: Option<Value>,
    /// After.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<Value>,
}

/// An audit log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditLogEntry {
    /// Id (its timestamp is when it happened).
    pub id: Snowflake,
    /// Who acted (null for the system).
    pub user_id: Option<Snowflake>,
    /// What was acted on.
    pub target_id: Option<Snowflake>,
    /// Action type.
    pub action_type: u16,
    /// Changed fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<AuditLogChange>>,
    /// Extra details (channel_id, count, message_id, auto_moderation_rule_name …; strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
    /// The `X-Audit-Log-Reason` given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `GET /guilds/{id}/audit-logs`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditLog {
    /// Entries, newest first.
    pub audit_log_entries: Vec<AuditLogEntry>,
    /// Users referenced.
    pub users: Vec<User>,
    /// Always empty.
    pub integrations: Vec<Value>,
    /// Webhooks referenced.
    pub webhooks: Vec<Value>,
    /// Always empty.
    pub guild_scheduled_events: Vec<Value>,
    /// Threads referenced.
    pub threads: Vec<Value>,
    /// Always empty.
    pub application_commands: Vec<Value>,
    /// AutoMod rules referenced.
    pub auto_moderation_rules: Vec<AutoModRule>,
}

/// AutoMod trigger types.
pub mod trigger {
    #![allow(missing_docs)]
    pub const KEYWORD: u16 = 1;
    pub const SPAM: u16 = 3;
    pub const KEYWORD_PRESET: u16 = 4;
    pub const MENTION_SPAM: u16 = 5;
    pub const MEMBER_PROFILE: u16 = 6;
    /// Coterie: the local toxicity classifier.
    pub const TOXICITY: u16 = 1000;
    /// Coterie: the local spam classifier.
    pub const SPAM_CLASSIFIER: u16 = 1001;
}

/// AutoMod action types.
pub mod action_kind {
    #![allow(missing_docs)]
    pub const BLOCK_MESSAGE: u8 = 1;
    pub const SEND_ALERT_MESSAGE: u8 = 2;
    pub const TIMEOUT: u8 = 3;
    pub const BLOCK_MEMBER_INTERACTION: u8 = 4;
    /// Coterie: keep the message out of the channel until a moderator approves it.
    pub const HOLD_FOR_REVIEW: u8 = 100;
    /// Coterie: let the message through and file a report in the moderation queue.
    pub const REPORT: u8 = 101;
}

/// AutoMod trigger metadata (which fields apply depends on the trigger type).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriggerMetadata {
    /// KEYWORD, MEMBER_PROFILE: words with `*` wildcards.
    #[serde(default)]
    pub keyword_filter: Vec<String>,
    /// KEYWORD, MEMBER_PROFILE: Rust-flavoured regular expressions.
    #[serde(default)]
    pub regex_patterns: Vec<String>,
    /// KEYWORD_PRESET: 1 PROFANITY, 2 SEXUAL_CONTENT, 3 SLURS.
    #[serde(default)]
    pub presets: Vec<u8>,
    /// Words that never trigger.
    #[serde(default)]
    pub allow_list: Vec<String>,
    /// MENTION_SPAM: unique user and role mentions allowed per message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention_total_limit: Option<u32>,
    /// MENTION_SPAM: detect raids of mention spam.
    #[serde(default)]
    pub mention_raid_protection_enabled: bool,
    /// Coterie classifier triggers: score in 0–1 at or above which the rule fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
}

/// Extra data of an AutoMod action.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionMetadata {
    /// SEND_ALERT_MESSAGE: where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<Snowflake>,
    /// TIMEOUT: seconds (≤ 2,419,200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// BLOCK_MESSAGE: shown to the member (≤ 150 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
}

/// An AutoMod action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutoModAction {
    /// Action type.
    #[serde(rename = "type")]
    pub kind: u8,
    /// Data.
    #[serde(default)]
    pub metadata: ActionMetadata,
}

/// An AutoMod rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutoModRule {
    /// Id.
    pub id: Snowflake,
    /// Guild.
    pub guild_id: Snowflake,
    /// Name.
    pub name: String,
    /// Who made it.
    pub creator_id: Snowflake,
    /// 1 MESSAGE_SEND, 2 MEMBER_UPDATE.
    pub event_type: u8,
    /// Trigger type.
    pub trigger_type: u16,
    /// Trigger data.
    pub trigger_metadata: TriggerMetadata,
    /// What happens.
    pub actions: Vec<AutoModAction>,
    /// On.
    pub enabled: bool,
    /// Roles not checked.
    pub exempt_roles: Vec<Snowflake>,
    /// Channels not checked.
    pub exempt_channels: Vec<Snowflake>,
}

/// A report's state.
pub mod report_status {
    #![allow(missing_docs)]
    pub const OPEN: u8 = 0;
    pub const RESOLVED: u8 = 1;
    pub const DISMISSED: u8 = 2;
}

/// A report in the moderation queue (Coterie extension).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// Id.
    pub id: Snowflake,
    /// Guild.
    pub guild_id: Snowflake,
    /// Channel of the reported message.
    pub channel_id: Option<Snowflake>,
    /// The reported message.
    pub message_id: Option<Snowflake>,
    /// The reported (or reported message's) member.
    pub target_user_id: Snowflake,
    /// The first reporter's reason (or AutoMod's).
    pub reason: String,
    /// `open`, `resolved` or `dismissed`.
    pub status: String,
    /// How many distinct members reported it.
    pub reporter_count: u32,
    /// When first reported.
    pub created_at: Timestamp,
    /// The message's text when it was reported (moderators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The action taken when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Escalated to the instance's administrators.
    pub escalated: bool,
    /// Filed by AutoMod (`automod`) or members (`member`).
    pub source: String,
}

/// A community's rules (screening).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuildRules {
    /// New members must accept them before talking.
    pub enabled: bool,
    /// The rules, in order.
    pub rules: Vec<String>,
}
