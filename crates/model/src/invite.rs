//! Invites as Discord's API shows them.

use crate::{Snowflake, Timestamp, user::User};
use serde::{Deserialize, Serialize};

/// The guild part of an invite.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InviteGuild {
    /// Guild id.
    pub id: Snowflake,
    /// Name.
    pub name: String,
    /// Splash hash.
    pub splash: Option<String>,
    /// Banner hash.
    pub banner: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Icon hash.
    pub icon: Option<String>,
    /// Features.
    pub features: Vec<String>,
    /// Verification level.
    pub verification_level: u8,
    /// Vanity code.
    pub vanity_url_code: Option<String>,
    /// NSFW level.
    pub nsfw_level: u8,
    /// Boosts.
    pub premium_subscription_count: u32,
}

/// The channel part of an invite.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InviteChannel {
    /// Channel id.
    pub id: Snowflake,
    /// Name.
    pub name: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    pub kind: u8,
}

/// Extra fields visible to those who manage invites.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InviteMetadata {
    /// Times used.
    pub uses: u32,
    /// Limit (0 = unlimited).
    pub max_uses: u32,
    /// Lifetime in seconds (0 = never expires).
    pub max_age: u32,
    /// Grants temporary membership.
    pub temporary: bool,
    /// Created.
    pub created_at: Timestamp,
}

/// An invite.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Invite {
    /// 0 guild, 1 group DM, 2 friend.
    #[serde(rename = "type")]
    pub kind: u8,
    /// The code.
    pub code: String,
    /// Guild.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild_id: Option<Snowflake>,
    /// Guild.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guild: Option<InviteGuild>,
    /// Channel.
    pub channel: Option<InviteChannel>,
    /// Who created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inviter: Option<User>,
    /// When it expires.
    pub expires_at: Option<Timestamp>,
    /// Members (with `with_counts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    /// Online members (with `with_counts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
    /// Metadata for managers.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<InviteMetadata>,
}
