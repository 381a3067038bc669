//! `/guilds/*`: guilds, their channels, roles, members and bans.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::{channels, guilds, invites, members, roles};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coterie_model::Snowflake;
use coterie_model::channel::Channel;
use coterie_model::guild::{Ban, Guild, Member, Role};
use coterie_model::invite::Invite;
use serde::Deserialize;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;
type P3 = ApiPath<(Snowflake, Snowflake, Snowflake)>;

/// `POST /guilds`.
pub async fn create(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<guilds::CreateGuild>,
) -> Result<Response, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(guilds::create(&app, &a.user, b).await?),
    )
        .into_response())
}

/// Query of `GET /guilds/{id}`.
#[derive(Debug, Deserialize)]
pub struct GetQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    with_counts: Option<bool>,
}

/// `GET /guilds/{id}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<GetQuery>,
) -> Result<Json<Guild>, ApiError> {
    Ok(Json(
        guilds::get(&app, &a.user, g.get(), q.with_counts.unwrap_or(false)).await?,
    ))
}

/// `PATCH /guilds/{id}`.
pub async fn modify(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<guilds::ModifyGuild>,
) -> Result<Json<Guild>, ApiError> {
    Ok(Json(guilds::modify(&app, &a.user, g.get(), b).await?))
}

/// `DELETE /guilds/{id}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Response, ApiError> {
    guilds::delete(&app, &a.user, g.get()).await?;
    Ok(no_content())
}

/// `GET /guilds/{id}/channels`.
pub async fn channels(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Vec<Channel>>, ApiError> {
    Ok(Json(channels::list(&app, &a.user, g.get()).await?))
}

/// `POST /guilds/{id}/channels`.
pub async fn create_channel(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<channels::ChannelBody>,
) -> Result<Response, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(channels::create(&app, &a.user, g.get(), b).await?),
    )
        .into_response())
}

/// `PATCH /guilds/{id}/channels`.
pub async fn reorder_channels(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<Vec<channels::PositionChange>>,
) -> Result<Response, ApiError> {
    channels::reorder(&app, &a.user, g.get(), b).await?;
    Ok(no_content())
}

/// `GET /guilds/{id}/roles`.
pub async fn roles(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Vec<Role>>, ApiError> {
    Ok(Json(roles::list(&app, &a.user, g.get()).await?))
}

/// `GET /guilds/{id}/roles/{role}`.
pub async fn role(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
) -> Result<Json<Role>, ApiError> {
    Ok(Json(roles::get(&app, &a.user, g.get(), r.get()).await?))
}

/// `POST /guilds/{id}/roles`.
pub async fn create_role(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<roles::RoleBody>,
) -> Result<Json<Role>, ApiError> {
    Ok(Json(roles::create(&app, &a.user, g.get(), b).await?))
}

/// `PATCH /guilds/{id}/roles`.
pub async fn reorder_roles(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<Vec<roles::RolePosition>>,
) -> Result<Json<Vec<Role>>, ApiError> {
    Ok(Json(roles::reorder(&app, &a.user, g.get(), b).await?))
}

/// `PATCH /guilds/{id}/roles/{role}`.
pub async fn modify_role(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
    ApiJson(b): ApiJson<roles::RoleBody>,
) -> Result<Json<Role>, ApiError> {
    Ok(Json(
        roles::modify(&app, &a.user, g.get(), r.get(), b).await?,
    ))
}

/// `DELETE /guilds/{id}/roles/{role}`.
pub async fn delete_role(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
) -> Result<Response, ApiError> {
    roles::delete(&app, &a.user, g.get(), r.get()).await?;
    Ok(no_content())
}

/// `GET /guilds/{id}/members`.
pub async fn members(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<members::ListQuery>,
) -> Result<Json<Vec<Member>>, ApiError> {
    Ok(Json(members::list(&app, &a.user, g.get(), q).await?))
}

/// `GET /guilds/{id}/members/search`.
pub async fn search_members(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<members::SearchQuery>,
) -> Result<Json<Vec<Member>>, ApiError> {
    Ok(Json(members::search(&app, &a.user, g.get(), q).await?))
}

/// `GET /guilds/{id}/members/{user}`.
pub async fn member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(members::get(&app, &a.user, g.get(), u.get()).await?))
}

/// `PATCH /guilds/{id}/members/{user}`.
pub async fn modify_member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
    ApiJson(b): ApiJson<members::ModifyMember>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        members::modify(&app, &a.user, g.get(), u.get(), b).await?,
    ))
}

/// `PATCH /guilds/{id}/members/@me`.
pub async fn modify_me(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<members::ModifyMember>,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        members::modify(&app, &a.user, g.get(), a.id(), b).await?,
    ))
}

/// `DELETE /guilds/{id}/members/{user}`.
pub async fn kick(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
) -> Result<Response, ApiError> {
    members::kick(&app, &a.user, g.get(), u.get()).await?;
    Ok(no_content())
}

/// `PUT /guilds/{id}/members/{user}/roles/{role}`.
pub async fn add_member_role(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u, r)): P3,
) -> Result<Response, ApiError> {
    members::set_role(&app, &a.user, g.get(), u.get(), r.get(), true).await?;
    Ok(no_content())
}

/// `DELETE /guilds/{id}/members/{user}/roles/{role}`.
pub async fn remove_member_role(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u, r)): P3,
) -> Result<Response, ApiError> {
    members::set_role(&app, &a.user, g.get(), u.get(), r.get(), false).await?;
    Ok(no_content())
}

/// `GET /guilds/{id}/bans`.
pub async fn bans(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<members::BanQuery>,
) -> Result<Json<Vec<Ban>>, ApiError> {
    Ok(Json(members::bans(&app, &a.user, g.get(), q).await?))
}

/// `GET /guilds/{id}/bans/{user}`.
pub async fn ban(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
) -> Result<Json<Ban>, ApiError> {
    Ok(Json(
        members::get_ban(&app, &a.user, g.get(), u.get()).await?,
    ))
}

/// `PUT /guilds/{id}/bans/{user}`.
pub async fn create_ban(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
    ApiJson(b): ApiJson<members::CreateBan>,
) -> Result<Response, ApiError> {
    members::ban(&app, &a.user, g.get(), u.get(), b).await?;
    Ok(no_content())
}

/// `DELETE /guilds/{id}/bans/{user}`.
pub async fn remove_ban(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
) -> Result<Response, ApiError> {
    members::unban(&app, &a.user, g.get(), u.get()).await?;
    Ok(no_content())
}

/// `GET /guilds/{id}/invites`.
pub async fn invites(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Vec<Invite>>, ApiError> {
    Ok(Json(invites::list_guild(&app, &a.user, g.get()).await?))
}
