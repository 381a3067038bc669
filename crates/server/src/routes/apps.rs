//! `/applications/*` and `/oauth2/*`: applications, bot accounts, adding bots, and commands.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::{apps, commands};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coterie_model::Snowflake;
use serde_json::Value;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;
type P3 = ApiPath<(Snowflake, Snowflake, Snowflake)>;

/// `POST /applications`.
pub async fn create(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<apps::AppBody>,
) -> Result<Response, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(apps::create(&app, &a.user, b).await?),
    )
        .into_response())
}

/// `GET /applications`.
pub async fn list(State(app): State<AppState>, a: Auth) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(apps::list(&app, &a.user).await?))
}

/// `GET /applications/@me` and `/oauth2/applications/@me`.
pub async fn me(State(app): State<AppState>, a: Auth) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::get(&app, &a.user, None).await?))
}

/// `PATCH /applications/@me`.
pub async fn modify_me(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<apps::AppBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::modify(&app, &a.user, None, b).await?))
}

/// `GET /applications/{id}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::get(&app, &a.user, Some(id.get())).await?))
}

/// `PATCH /applications/{id}`.
pub async fn modify(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
    ApiJson(b): ApiJson<apps::AppBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::modify(&app, &a.user, Some(id.get()), b).await?))
}

/// `POST /applications/{id}/bot`.
pub async fn create_bot(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::create_bot(&app, &a.user, id.get()).await?))
}

/// `POST /applications/{id}/bot/reset`.
pub async fn reset_token(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::reset_token(&app, &a.user, id.get()).await?))
}

/// `GET /oauth2/authorize`.
pub async fn authorize_info(
    State(app): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<apps::AuthorizeQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::authorize_info(&app, &a.user, q).await?))
}

/// `POST /oauth2/authorize`.
pub async fn authorize(
    State(app): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<apps::AuthorizeQuery>,
    ApiJson(b): ApiJson<apps::AuthorizeBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(apps::authorize(&app, &a, q, b).await?))
}

/// `GET /applications/{app}/commands`.
pub async fn list_commands(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(commands::list(&app, &a.user, id.get(), None).await?))
}

/// `POST /applications/{app}/commands`: 201 when new, 200 when it replaced one.
pub async fn create_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
    ApiJson(b): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let (v, created) = commands::create(&app, &a.user, id.get(), None, b).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(v),
    )
        .into_response())
}

/// `PUT /applications/{app}/commands`.
pub async fn overwrite_commands(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(id): P1,
    ApiJson(b): ApiJson<Vec<Value>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        commands::overwrite(&app, &a.user, id.get(), None, b).await?,
    ))
}

/// `GET /applications/{app}/commands/{id}`.
pub async fn get_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, c)): P2,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        commands::get(&app, &a.user, id.get(), None, c.get()).await?,
    ))
}

/// `PATCH /applications/{app}/commands/{id}`.
pub async fn edit_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, c)): P2,
    ApiJson(b): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        commands::edit(&app, &a.user, id.get(), None, c.get(), b).await?,
    ))
}

/// `DELETE /applications/{app}/commands/{id}`.
pub async fn delete_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, c)): P2,
) -> Result<Response, ApiError> {
    commands::delete(&app, &a.user, id.get(), None, c.get()).await?;
    Ok(no_content())
}

/// `GET /applications/{app}/guilds/{guild}/commands`.
pub async fn list_guild_commands(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g)): P2,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        commands::list(&app, &a.user, id.get(), Some(g.get())).await?,
    ))
}

/// `POST /applications/{app}/guilds/{guild}/commands`.
pub async fn create_guild_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g)): P2,
    ApiJson(b): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let (v, created) = commands::create(&app, &a.user, id.get(), Some(g.get()), b).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(v),
    )
        .into_response())
}

/// `PUT /applications/{app}/guilds/{guild}/commands`.
pub async fn overwrite_guild_commands(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g)): P2,
    ApiJson(b): ApiJson<Vec<Value>>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        commands::overwrite(&app, &a.user, id.get(), Some(g.get()), b).await?,
    ))
}

/// `GET /applications/{app}/guilds/{guild}/commands/{id}`.
pub async fn get_guild_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g, c)): P3,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        commands::get(&app, &a.user, id.get(), Some(g.get()), c.get()).await?,
    ))
}

/// `PATCH /applications/{app}/guilds/{guild}/commands/{id}`.
pub async fn edit_guild_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g, c)): P3,
    ApiJson(b): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        commands::edit(&app, &a.user, id.get(), Some(g.get()), c.get(), b).await?,
    ))
}

/// `DELETE /applications/{app}/guilds/{guild}/commands/{id}`.
pub async fn delete_guild_command(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g, c)): P3,
) -> Result<Response, ApiError> {
    commands::delete(&app, &a.user, id.get(), Some(g.get()), c.get()).await?;
    Ok(no_content())
}

/// `GET /applications/{app}/guilds/{guild}/commands/permissions` (no per-command permissions yet).
pub async fn command_permissions(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((id, g)): P2,
) -> Result<Json<Vec<Value>>, ApiError> {
    commands::list(&app, &a.user, id.get(), Some(g.get())).await?;
    Ok(Json(vec![]))
}

/// `GET /guilds/{guild}/application-command-index`.
pub async fn guild_index(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(commands::guild_index(&app, &a.user, g.get()).await?))
}
