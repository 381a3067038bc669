//! `/channels/{id}/polls/{message}/…`: voting, voters and ending a poll.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::polls;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use coterie_model::Snowflake;
use coterie_model::message::Message;
use serde_json::Value;

/// `PUT /channels/{id}/polls/{id}/answers/@me`.
pub async fn vote(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): ApiPath<(Snowflake, Snowflake)>,
    ApiJson(b): ApiJson<polls::PollVote>,
) -> Result<Response, ApiError> {
    polls::vote(&app, &a.user, c.get(), m.get(), b).await?;
    Ok(no_content())
}

/// `GET /channels/{id}/polls/{id}/answers/{answer}`.
pub async fn voters(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m, answer)): ApiPath<(Snowflake, Snowflake, u32)>,
    ApiQuery(q): ApiQuery<polls::VotersQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        polls::voters(&app, &a.user, c.get(), m.get(), i64::from(answer), q).await?,
    ))
}

/// `POST /channels/{id}/polls/{id}/expire`.
pub async fn expire(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): ApiPath<(Snowflake, Snowflake)>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(polls::expire(&app, &a.user, c.get(), m.get()).await?))
}
