//! HTTP handlers, thin by design: extract, authenticate, call one service function, shape the
//! response. Grouped by resource; `router.rs` registers them.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod cdn;
pub mod channels;
pub mod emojis;
pub mod events;
pub mod gateway;
pub mod guilds;
pub mod invites;
pub mod messages;
pub mod moderation;
pub mod polls;
pub mod search;
pub mod system;
pub mod threads;
pub mod users;
pub mod voice;
pub mod webhooks;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `204 No Content`.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
