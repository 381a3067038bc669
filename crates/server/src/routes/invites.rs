//! `/invites/*`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Auth};
use crate::service::invites;
use axum::Json;
use axum::extract::{Path, State};
use coterie_model::invite::Invite;
use serde::Deserialize;

/// Query of `GET /invites/{code}`.
#[derive(Debug, Deserialize)]
pub struct GetQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    with_counts: Option<bool>,
}

/// `GET /invites/{code}` (no login needed: the join page shows it to visitors).
pub async fn get(
    State(app): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(q): ApiQuery<GetQuery>,
) -> Result<Json<Invite>, ApiError> {
    Ok(Json(
        invites::get(&app, &code, q.with_counts.unwrap_or(false)).await?,
    ))
}

/// `POST /invites/{code}`: join.
pub async fn accept(
    State(app): State<AppState>,
    a: Auth,
    Path(code): Path<String>,
) -> Result<Json<Invite>, ApiError> {
    Ok(Json(invites::accept(&app, &a.user, &code).await?))
}

/// `DELETE /invites/{code}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    Path(code): Path<String>,
) -> Result<Json<Invite>, ApiError> {
    Ok(Json(invites::delete(&app, &a.user, &code).await?))
}
