//! `/channels/{id}/messages/*` and reactions.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::media::WithFiles;
use crate::service::{messages, reactions};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use coterie_model::Snowflake;
use coterie_model::message::Message;
use coterie_model::user::User;
use serde_json::json;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;
type PathEmoji = ApiPath<(Snowflake, Snowflake, String)>;
type PathEmojiUser = ApiPath<(Snowflake, Snowflake, String, Snowflake)>;

/// `GET /channels/{id}/messages`.
pub async fn list(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiQuery(q): ApiQuery<messages::HistoryQuery>,
) -> Result<Json<Vec<Message>>, ApiError> {
    Ok(Json(messages::list(&app, &a.user, c.get(), q).await?))
}

/// `POST /channels/{id}/messages`.
pub async fn create(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    WithFiles(b, files): WithFiles<messages::CreateMessage>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(
        messages::create(&app, &a.user, c.get(), b, files).await?,
    ))
}

/// `GET /channels/{id}/messages/{id}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(messages::get(&app, &a.user, c.get(), m.get()).await?))
}

/// `PATCH /channels/{id}/messages/{id}`.
pub async fn edit(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
    WithFiles(b, files): WithFiles<messages::EditMessage>,
) -> Result<Json<Message>, ApiError> {
    Ok(Json(
        messages::edit(&app, &a.user, c.get(), m.get(), b, files).await?,
    ))
}

/// `DELETE /channels/{id}/messages/{id}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Response, ApiError> {
    messages::delete(&app, &a.user, c.get(), m.get()).await?;
    Ok(no_content())
}

/// `POST /channels/{id}/messages/bulk-delete`.
pub async fn bulk_delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiJson(b): ApiJson<messages::BulkDelete>,
) -> Result<Response, ApiError> {
    messages::bulk_delete(&app, &a.user, c.get(), b).await?;
    Ok(no_content())
}

/// `POST /channels/{id}/messages/{id}/ack`.
pub async fn ack(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Json<serde_json::Value>, ApiError> {
    crate::service::pins::ack(&app, &a.user, c.get(), m.get()).await?;
    Ok(Json(json!({"token": null})))
}

/// `PUT …/reactions/{emoji}/@me`.
pub async fn react(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m, e)): PathEmoji,
) -> Result<Response, ApiError> {
    reactions::add(&app, &a.user, c.get(), m.get(), &e).await?;
    Ok(no_content())
}

/// `DELETE …/reactions/{emoji}/@me`.
pub async fn unreact(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m, e)): PathEmoji,
) -> Result<Response, ApiError> {
    reactions::remove(&app, &a.user, c.get(), m.get(), &e, None).await?;
    Ok(no_content())
}

/// `DELETE …/reactions/{emoji}/{user}`.
pub async fn remove_user_reaction(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m, e, u)): PathEmojiUser,
) -> Result<Response, ApiError> {
    reactions::remove(&app, &a.user, c.get(), m.get(), &e, Some(u.get())).await?;
    Ok(no_content())
}

/// `GET …/reactions/{emoji}`.
pub async fn reaction_users(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m, e)): PathEmoji,
    ApiQuery(q): ApiQuery<reactions::UsersQuery>,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(
        reactions::users(&app, &a.user, c.get(), m.get(), &e, q).await?,
    ))
}

/// `DELETE …/reactions/{emoji}`.
pub async fn clear_emoji(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m, e)): PathEmoji,
) -> Result<Response, ApiError> {
    reactions::clear(&app, &a.user, c.get(), m.get(), Some(&e)).await?;
    Ok(no_content())
}

/// `DELETE …/reactions`.
pub async fn clear_all(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
) -> Result<Response, ApiError> {
    reactions::clear(&app, &a.user, c.get(), m.get(), None).await?;
    Ok(no_content())
}
