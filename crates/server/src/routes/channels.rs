//! `/channels/{id}` itself, its overwrites, invites, typing and pins.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::{channels, invites, pins};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use coterie_model::Snowflake;
use coterie_model::channel::Channel;
use coterie_model::invite::Invite;
use coterie_model::message::Message;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;

/// `GET /channels/{id}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(channels::get(&app, &a.user, c.get()).await?))
}

/// `PATCH /channels/{id}`.
pub async fn modify(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiJson(b): ApiJson<channels::ChannelBody>,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(channels::modify(&app, &a.user, c.get(), b).await?))
}

/// `DELETE /channels/{id}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(channels::delete(&app, &a.user, c.get()).await?))
}

/// `PUT /channels/{id}/permissions/{target}`.
pub async fn put_overwrite(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, t)): P2,
    ApiJson(b): ApiJson<channels::PutOverwrite>,
) -> Result<Response, ApiError> {
    channels::put_overwrite(&app, &a.user, c.get(), t.get(), b).await?;
    Ok(no_content())
}

/// `DELETE /channels/{id}/permissions/{target}`.
pub async fn delete_overwrite(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, t)): P2,
) -> Result<Response, ApiError> {
    channels::delete_overwrite(&app, &a.user, c.get(), t.get()).await?;
    Ok(no_content())
}

/// `POST /channels/{id}/invites`.
pub async fn create_invite(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiJson(b): ApiJson<invites::CreateInvite>,
) -> Result<Json<Invite>, ApiError> {
    Ok(Json(invites::create(&app, &a.user, c.get(), b).await?))
}

/// `GET /channels/{id}/invites`.
pub async fn invites(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Json<Vec<Invite>>, ApiError> {
    Ok(Json(invites::list_channel(&app, &a.user, c.get()).await?))
}

/// `POST /channels/{id}/typing`.
pub async fn typing(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Response, ApiError> {
    pins::typing(&app, &a.user, c.get()).await?;
    Ok(no_content())
}

/// `GET /channels/{id}/pins`.
pub async fn pins(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Json<Vec<Message>>, ApiError> {
    Ok(Json(pins::pins(&app, &a.user, c.get()).await?))
}

/// `GET /channels/{id}/messages/pins`.
pub async fn pins_page(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<pins::PinsQuery>,
) -> Result<Json<pins::PinPage>, ApiError> {
    Ok(Json(pins::pins_page(&app, &a.user, c.get(), q).await?))
}

/// `PUT /channels/{id}/pins/{message}` (and `/messages/pins/{message}`).
pub async fn pin(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Response, ApiError> {
    pins::set_pinned(&app, &a.user, c.get(), m.get(), true).await?;
    Ok(no_content())
}

/// `DELETE /channels/{id}/pins/{message}` (and `/messages/pins/{message}`).
pub async fn unpin(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Response, ApiError> {
    pins::set_pinned(&app, &a.user, c.get(), m.get(), false).await?;
    Ok(no_content())
}
