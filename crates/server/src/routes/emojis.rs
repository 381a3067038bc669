//! `/guilds/{id}/emojis/*`: a community's custom emoji.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::routes::no_content;
use crate::service::emojis;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coterie_model::Snowflake;
use coterie_model::guild::Emoji;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;

/// `GET /guilds/{id}/emojis`.
pub async fn list(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Vec<Emoji>>, ApiError> {
    Ok(Json(emojis::list(&app, &a.user, g.get()).await?))
}

/// `POST /guilds/{id}/emojis`.
pub async fn create(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<emojis::EmojiBody>,
) -> Result<Response, ApiError> {
    let e = emojis::create(&app, &a.user, g.get(), b).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

/// `GET /guilds/{id}/emojis/{emoji}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
) -> Result<Json<Emoji>, ApiError> {
    Ok(Json(emojis::get(&app, &a.user, g.get(), e.get()).await?))
}

/// `PATCH /guilds/{id}/emojis/{emoji}`.
pub async fn modify(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
    ApiJson(b): ApiJson<emojis::EmojiBody>,
) -> Result<Json<Emoji>, ApiError> {
    Ok(Json(
        emojis::modify(&app, &a.user, g.get(), e.get(), b).await?,
    ))
}

/// `DELETE /guilds/{id}/emojis/{emoji}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
) -> Result<Response, ApiError> {
    emojis::delete(&app, &a.user, g.get(), e.get()).await?;
    Ok(no_content())
}
