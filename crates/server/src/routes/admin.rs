//! `/admin/*`: instance administration (instance administrators only).

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Auth};
use axum::Json;
use axum::extract::State;
use coterie_model::Snowflake;
use coterie_model::gateway::close;
use serde::Deserialize;
use serde_json::{Value, json};

/// Body of the disconnect request.
#[derive(Debug, Deserialize)]
pub struct Disconnect {
    user_id: Snowflake,
}

/// `POST /admin/gateway/disconnect`: closes a user's gateway connections with 4000 — they stay
/// resumable, so well-behaved clients resume. For operators (and compatibility tests).
pub async fn disconnect(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<Disconnect>,
) -> Result<Json<Value>, ApiError> {
    if !a.user.instance_admin {
        return Err(ApiError::MissingPermissions);
    }
    let mut n = 0;
    app.sessions.for_user(b.user_id.get(), |s| {
        s.kick(close::UNKNOWN_ERROR, false);
        n += 1;
    });
    tracing::info!(
        user.id = b.user_id.get(),
        sessions = n,
        "gateway sessions disconnected by an administrator"
    );
    Ok(Json(json!({"sessions": n})))
}
