//! `/users/*`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::{dms, guilds, perms::GuildCtx, users, views};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use coterie_model::Snowflake;
use coterie_model::channel::Channel;
use coterie_model::guild::Member;
use coterie_model::user::{CurrentUser, PartialGuild, User};

/// `GET /users/@me`.
pub async fn me(a: Auth) -> Json<CurrentUser> {
    Json(views::current_user(&a.user))
}

/// `PATCH /users/@me`.
pub async fn modify_me(
    State(app): State<AppState>,
    a: Auth,
    headers: HeaderMap,
    ApiJson(b): ApiJson<users::ModifyMe>,
) -> Result<Json<users::ModifiedMe>, ApiError> {
    let base = app.base_url(headers.get(header::HOST).and_then(|v| v.to_str().ok()));
    Ok(Json(users::modify_me(&app, &a.user, b, &base).await?))
}

/// `POST /users/@me/delete`.
pub async fn delete_me(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<users::DeleteMe>,
) -> Result<axum::response::Response, ApiError> {
    users::delete_me(&app, &a.user, b).await?;
    Ok(crate::routes::no_content())
}

/// `GET /users/{id}`.
pub async fn get(
    State(app): State<AppState>,
    _a: Auth,
    ApiPath(id): ApiPath<Snowflake>,
) -> Result<Json<User>, ApiError> {
    Ok(Json(users::get(&app, id.get()).await?))
}

/// `GET /users/@me/guilds`.
pub async fn my_guilds(
    State(app): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<guilds::ListQuery>,
) -> Result<Json<Vec<PartialGuild>>, ApiError> {
    Ok(Json(guilds::list_for_user(&app, &a.user, q).await?))
}

/// `GET /users/@me/guilds/{id}/member`.
pub async fn my_member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): ApiPath<Snowflake>,
) -> Result<Json<Member>, ApiError> {
    let ctx = GuildCtx::load(&app, g.get(), a.id()).await?;
    Ok(Json(views::member(&ctx.member, Some(&a.user))))
}

/// `DELETE /users/@me/guilds/{id}`.
pub async fn leave_guild(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): ApiPath<Snowflake>,
) -> Result<Response, ApiError> {
    guilds::leave(&app, &a.user, g.get()).await?;
    Ok(no_content())
}

/// `POST /users/@me/channels`.
pub async fn open_dm(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<dms::OpenDm>,
) -> Result<Json<Channel>, ApiError> {
    Ok(Json(dms::open(&app, &a.user, b).await?))
}

/// `GET /users/@me/channels`.
pub async fn my_dms(State(app): State<AppState>, a: Auth) -> Result<Json<Vec<Channel>>, ApiError> {
    Ok(Json(dms::list(&app, &a.user).await?))
}
