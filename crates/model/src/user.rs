//! User objects as Discord's API shows them.

use crate::Snowflake;
use serde::{Deserialize, Serialize};

/// The public user object (every place a user appears: authors, members, mentions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// User id.
    pub id: Snowflake,
    /// Unique handle.
    pub username: String,
    /// Always `"0"`: Coterie users have no discriminator.
    pub discriminator: String,
    /// Display name, if set.
    pub global_name: Option<String>,
    /// Avatar hash (32 hex chars) or null.
    pub avatar: Option<String>,
    /// Whether this is a bot account.
    #[serde(default)]
    pub bot: bool,
    /// Public badges.
    #[serde(default)]
    pub public_flags: u64,
    /// Banner hash.
    #[serde(default)]
    pub banner: Option<String>,
    /// Banner colour.
    #[serde(default)]
    pub accent_color: Option<u32>,
}

/// `GET /users/@me`: the user plus fields only its owner sees.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CurrentUser {
    /// Public fields.
    #[serde(flatten)]
    pub user: User,
    /// Coterie has no MFA yet.
    pub mfa_enabled: bool,
    /// Whether the email address is verified.
    pub verified: bool,
    /// Email address, if any.
    pub email: Option<String>,
    /// Locale.
    pub locale: String,
    /// Private flags.
    pub flags: u64,
    /// Always 0.
    pub premium_type: u8,
    /// Coterie extension: whether this account administers the instance.
    pub instance_admin: bool,
}

/// A partial guild as listed by `GET /users/@me/guilds`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartialGuild {
    /// Guild id.
    pub id: Snowflake,
    /// Name.
    pub name: String,
    /// Icon hash.
    pub icon: Option<String>,
    /// Banner hash.
    pub banner: Option<String>,
    /// Whether the current user owns it.
    pub owner: bool,
    /// The current user's guild-wide permissions.
    pub permissions: crate::Permissions,
    /// Enabled features.
    pub features: Vec<String>,
    /// Member count (when `with_counts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_member_count: Option<u64>,
    /// Online member count (when `with_counts`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate_presence_count: Option<u64>,
}
