//! Message search routes.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiPath, Auth};
use crate::service::search::{self, Params};
use axum::Json;
use axum::extract::{RawQuery, State};
use coterie_model::Snowflake;
use serde_json::Value;

/// `GET /guilds/{id}/messages/search`.
pub async fn guild(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): ApiPath<Snowflake>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = Params::parse(q.as_deref());
    Ok(Json(search::guild(&app, &a.user, g.get(), &p).await?))
}

/// `GET /channels/{id}/messages/search`.
pub async fn channel(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): ApiPath<Snowflake>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = Params::parse(q.as_deref());
    Ok(Json(search::channel(&app, &a.user, c.get(), &p).await?))
}
