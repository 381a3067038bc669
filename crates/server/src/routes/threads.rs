//! Threads, forum posts and votes: `/channels/{id}/threads`, `…/thread-members`, the archived
//! and active listings, and `…/votes/@me`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::{threads, votes};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use coterie_model::Snowflake;
use coterie_model::channel::{Channel, ThreadMember};
use serde_json::Value;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;

/// `POST /channels/{id}/messages/{id}/threads`.
pub async fn start_from_message(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
    ApiJson(b): ApiJson<threads::StartThread>,
) -> Result<(axum::http::StatusCode, Json<Channel>), ApiError> {
    let v = threads::start_from_message(&app, &a.user, c.get(), m.get(), b).await?;
    Ok((axum::http::StatusCode::CREATED, Json(v)))
}

/// `POST /channels/{id}/threads`.
pub async fn start(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiJson(b): ApiJson<threads::StartThread>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    let v = threads::start(&app, &a.user, c.get(), b).await?;
    Ok((axum::http::StatusCode::CREATED, Json(v)))
}

/// `GET /guilds/{id}/threads/active`.
pub async fn active(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(threads::active(&app, &a.user, g.get()).await?))
}

/// `GET /channels/{id}/threads/archived/public`.
pub async fn archived_public(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<threads::ArchivedQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        threads::archived(&app, &a.user, c.get(), false, false, q).await?,
    ))
}

/// `GET /channels/{id}/threads/archived/private`.
pub async fn archived_private(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<threads::ArchivedQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        threads::archived(&app, &a.user, c.get(), true, false, q).await?,
    ))
}

/// `GET /channels/{id}/users/@me/threads/archived/private`.
pub async fn my_archived_private(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<threads::ArchivedQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        threads::archived(&app, &a.user, c.get(), true, true, q).await?,
    ))
}

/// `PUT /channels/{id}/thread-members/@me`.
pub async fn join(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Response, ApiError> {
    threads::add_member(&app, &a.user, c.get(), None).await?;
    Ok(no_content())
}

/// `DELETE /channels/{id}/thread-members/@me`.
pub async fn leave(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Response, ApiError> {
    threads::remove_member(&app, &a.user, c.get(), None).await?;
    Ok(no_content())
}

/// `PUT /channels/{id}/thread-members/{user}`.
pub async fn add_member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, u)): P2,
) -> Result<Response, ApiError> {
    threads::add_member(&app, &a.user, c.get(), Some(u.get())).await?;
    Ok(no_content())
}

/// `DELETE /channels/{id}/thread-members/{user}`.
pub async fn remove_member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, u)): P2,
) -> Result<Response, ApiError> {
    threads::remove_member(&app, &a.user, c.get(), Some(u.get())).await?;
    Ok(no_content())
}

/// `GET /channels/{id}/thread-members/{user}`.
pub async fn get_member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, u)): P2,
) -> Result<Json<ThreadMember>, ApiError> {
    Ok(Json(
        threads::get_member(&app, &a.user, c.get(), u.get()).await?,
    ))
}

/// `GET /channels/{id}/thread-members`.
pub async fn list_members(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<threads::MembersQuery>,
) -> Result<Json<Vec<ThreadMember>>, ApiError> {
    Ok(Json(
        threads::list_members(&app, &a.user, c.get(), q).await?,
    ))
}

/// `PUT /channels/{post}/votes/@me`.
pub async fn vote_post(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiJson(b): ApiJson<votes::VoteBody>,
) -> Result<Response, ApiError> {
    votes::vote(&app, &a.user, c.get(), None, Some(&b)).await?;
    Ok(no_content())
}

/// `DELETE /channels/{post}/votes/@me`.
pub async fn unvote_post(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Response, ApiError> {
    votes::vote(&app, &a.user, c.get(), None, None).await?;
    Ok(no_content())
}

/// `PUT /channels/{post}/messages/{id}/votes/@me`.
pub async fn vote_comment(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
    ApiJson(b): ApiJson<votes::VoteBody>,
) -> Result<Response, ApiError> {
    votes::vote(&app, &a.user, c.get(), Some(m.get()), Some(&b)).await?;
    Ok(no_content())
}

/// `DELETE /channels/{post}/messages/{id}/votes/@me`.
pub async fn unvote_comment(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Response, ApiError> {
    votes::vote(&app, &a.user, c.get(), Some(m.get()), None).await?;
    Ok(no_content())
}

/// `GET /channels/{forum}/posts`.
pub async fn posts(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<crate::service::forums::PostsQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        crate::service::forums::posts(&app, &a.user, c.get(), q).await?,
    ))
}

/// `GET /channels/{post}/comments`.
pub async fn comments(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<crate::service::forums::CommentsQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        crate::service::forums::comments(&app, &a.user, c.get(), q).await?,
    ))
}
