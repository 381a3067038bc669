//! `/auth/*`: register, login, logout, email verification and password reset.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::auth::{self, RegisterRequest};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

fn host(h: &HeaderMap) -> Option<&str> {
    h.get(header::HOST).and_then(|v| v.to_str().ok())
}

/// `POST /auth/register`.
pub async fn register(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let base = app.base_url(host(&headers));
    let r = auth::register(&app, b, &base).await?;
    Ok((StatusCode::CREATED, Json(json!({"token": r.token, "user_id": r.user.id.to_string(), "instance_admin": r.user.instance_admin}))).into_response())
}

/// Body of `POST /auth/login`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Login {
    login: String,
    password: String,
}

/// `POST /auth/login`.
pub async fn login(
    State(app): State<AppState>,
    ApiJson(b): ApiJson<Login>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (token, user) = auth::login(&app, &b.login, b.password).await?;
    Ok(Json(
        json!({"token": token, "user_id": user.id.to_string()}),
    ))
}

/// Query of logout.
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    all: Option<bool>,
}

/// `POST /auth/logout`: revokes the presented token, or with `?all=true` every token of the
/// account (log out everywhere) and ends its gateway sessions.
pub async fn logout(
    State(app): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<LogoutQuery>,
) -> Result<Response, ApiError> {
    if q.all == Some(true) {
        app.store.delete_user_tokens(a.id()).await?;
        crate::gateway::registry::invalidate_user_sessions(&app, a.id());
    } else {
        app.store.delete_token(&a.token_hash).await?;
        crate::gateway::registry::invalidate_token_sessions(&app, a.id(), &a.token_hash);
    }
    Ok(no_content())
}

/// Body carrying an emailed token.
#[derive(Debug, Deserialize)]
pub struct TokenBody {
    token: String,
}

/// `POST /auth/verify`.
pub async fn verify(
    State(app): State<AppState>,
    ApiJson(b): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    auth::verify_email(&app, &b.token).await?;
    Ok(no_content())
}

/// `POST /auth/verify/resend`.
pub async fn resend_verification(
    State(app): State<AppState>,
    a: Auth,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(email) = a.user.email.clone() else {
        return Err(crate::error::field_error(
            "email",
            "EMAIL_REQUIRED",
            "Add an email address first.",
        ));
    };
    if !a.user.email_verified {
        auth::send_verification(&app, a.id(), &email, &app.base_url(host(&headers))).await?;
    }
    Ok(no_content())
}

/// Body of `POST /auth/forgot`.
#[derive(Debug, Deserialize)]
pub struct Forgot {
    login: String,
}

/// `POST /auth/forgot`: always 204, so it does not reveal which accounts exist.
pub async fn forgot(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<Forgot>,
) -> Result<Response, ApiError> {
    auth::forgot_password(&app, &b.login, &app.base_url(host(&headers))).await?;
    Ok(no_content())
}

/// Body of `POST /auth/reset`.
#[derive(Debug, Deserialize)]
pub struct Reset {
    token: String,
    password: String,
}

/// `POST /auth/reset`: sets a new password and logs in.
pub async fn reset(
    State(app): State<AppState>,
    ApiJson(b): ApiJson<Reset>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (token, user) = auth::reset_password(&app, &b.token, b.password).await?;
    Ok(Json(
        json!({"token": token, "user_id": user.id.to_string()}),
    ))
}
