//! `/webhooks/*`, `/channels/{id}/webhooks`, `/guilds/{id}/webhooks`, and interactions.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::media::WithFiles;
use crate::service::{interactions, webhooks};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use coterie_model::Snowflake;
use serde::Deserialize;
use serde_json::Value;

/// `POST /channels/{id}/webhooks`.
pub async fn create(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): ApiPath<Snowflake>,
    ApiJson(b): ApiJson<webhooks::WebhookBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(webhooks::create(&app, &a.user, c.get(), b).await?))
}

/// `GET /channels/{id}/webhooks`.
pub async fn list_channel(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): ApiPath<Snowflake>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(webhooks::list_channel(&app, &a.user, c.get()).await?))
}

/// `GET /guilds/{id}/webhooks`.
pub async fn list_guild(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): ApiPath<Snowflake>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(webhooks::list_guild(&app, &a.user, g.get()).await?))
}

/// `GET /webhooks/{id}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): ApiPath<Snowflake>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        webhooks::get(&app, Some(&a.user), id.get(), None).await?,
    ))
}

/// `PATCH /webhooks/{id}`.
pub async fn modify(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): ApiPath<Snowflake>,
    ApiJson(b): ApiJson<webhooks::WebhookBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        webhooks::modify(&app, Some(&a.user), id.get(), None, b).await?,
    ))
}

/// `DELETE /webhooks/{id}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): ApiPath<Snowflake>,
) -> Result<Response, ApiError> {
    webhooks::delete(&app, Some(&a.user), id.get(), None).await?;
    Ok(no_content())
}

/// `GET /webhooks/{id}/{token}`.
pub async fn get_by_token(
    State(app): State<AppState>,
    Path((id, token)): Path<(Snowflake, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        webhooks::get(&app, None, id.get(), Some(&token)).await?,
    ))
}

/// `PATCH /webhooks/{id}/{token}`.
pub async fn modify_by_token(
    State(app): State<AppState>,
    Path((id, token)): Path<(Snowflake, String)>,
    ApiJson(b): ApiJson<webhooks::WebhookBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        webhooks::modify(&app, None, id.get(), Some(&token), b).await?,
    ))
}

/// `DELETE /webhooks/{id}/{token}`.
pub async fn delete_by_token(
    State(app): State<AppState>,
    Path((id, token)): Path<(Snowflake, String)>,
) -> Result<Response, ApiError> {
    webhooks::delete(&app, None, id.get(), Some(&token)).await?;
    Ok(no_content())
}

/// `POST /webhooks/{id}/{token}`: 204, or 200 with the message when `wait=true` (always for
/// interaction follow-ups).
pub async fn execute(
    State(app): State<AppState>,
    Path((id, token)): Path<(Snowflake, String)>,
    ApiQuery(q): ApiQuery<webhooks::ExecuteQuery>,
    WithFiles(b, files): WithFiles<Value>,
) -> Result<Response, ApiError> {
    Ok(
        match webhooks::execute(&app, id.get(), &token, q, b, files).await? {
            Some(m) => Json(m).into_response(),
            None => no_content(),
        },
    )
}

/// `POST /webhooks/{id}/{token}/slack`: Slack's payload; waits by default.
pub async fn execute_slack(
    State(app): State<AppState>,
    Path((id, token)): Path<(Snowflake, String)>,
    ApiQuery(q): ApiQuery<SlackQuery>,
    ApiJson(b): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let body = webhooks::from_slack(&b);
    let wait = q.wait.unwrap_or(true);
    let q =
        serde_json::from_value(serde_json::json!({"wait": if wait { "true" } else { "false" }}))
            .map_err(ApiError::internal)?;
    Ok(
        match webhooks::execute(&app, id.get(), &token, q, body, vec![]).await? {
            Some(m) => Json(m).into_response(),
            None => no_content(),
        },
    )
}

/// Query of the Slack endpoint.
#[derive(Debug, Deserialize)]
pub struct SlackQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    wait: Option<bool>,
}

/// `GET /webhooks/{id}/{token}/messages/{message}`.
pub async fn get_message(
    State(app): State<AppState>,
    Path((id, token, m)): Path<(Snowflake, String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        webhooks::get_message(&app, id.get(), &token, &m).await?,
    ))
}

/// `PATCH /webhooks/{id}/{token}/messages/{message}`.
pub async fn edit_message(
    State(app): State<AppState>,
    Path((id, token, m)): Path<(Snowflake, String, String)>,
    WithFiles(b, files): WithFiles<Value>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        webhooks::edit_message(&app, id.get(), &token, &m, b, files).await?,
    ))
}

/// `DELETE /webhooks/{id}/{token}/messages/{message}`.
pub async fn delete_message(
    State(app): State<AppState>,
    Path((id, token, m)): Path<(Snowflake, String, String)>,
) -> Result<Response, ApiError> {
    webhooks::delete_message(&app, id.get(), &token, &m).await?;
    Ok(no_content())
}

/// `POST /interactions` (a member invokes a command or a component).
pub async fn invoke(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<interactions::Invoke>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(interactions::invoke(&app, &a.user, b).await?))
}

/// Query of the callback.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    with_response: Option<bool>,
}

/// `POST /interactions/{id}/{token}/callback` (no Authorization: the token is the credential).
pub async fn callback(
    State(app): State<AppState>,
    Path((id, token)): Path<(Snowflake, String)>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
    WithFiles(b, files): WithFiles<interactions::Callback>,
) -> Result<Response, ApiError> {
    Ok(
        match interactions::callback(
            &app,
            id.get(),
            &token,
            b,
            q.with_response.unwrap_or(false),
            files,
        )
        .await?
        {
            Some(v) => Json(v).into_response(),
            None => no_content(),
        },
    )
}
