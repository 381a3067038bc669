//! `/guilds/{id}/scheduled-events/*`.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::events;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use coterie_model::Snowflake;
use serde_json::Value;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;

/// `GET /guilds/{id}/scheduled-events`.
pub async fn list(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<events::CountQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        events::list(&app, &a.user, g.get(), q.with_user_count.unwrap_or(false)).await?,
    ))
}

/// `POST /guilds/{id}/scheduled-events`.
pub async fn create(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<events::EventBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(events::create(&app, &a.user, g.get(), b).await?))
}

/// `GET /guilds/{id}/scheduled-events/{event}`.
pub async fn get(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
    ApiQuery(q): ApiQuery<events::CountQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        events::get(
            &app,
            &a.user,
            g.get(),
            e.get(),
            q.with_user_count.unwrap_or(false),
        )
        .await?,
    ))
}

/// `PATCH /guilds/{id}/scheduled-events/{event}`.
pub async fn modify(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
    ApiJson(b): ApiJson<events::EventBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        events::modify(&app, &a.user, g.get(), e.get(), b).await?,
    ))
}

/// `DELETE /guilds/{id}/scheduled-events/{event}`.
pub async fn delete(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
) -> Result<Response, ApiError> {
    events::delete(&app, &a.user, g.get(), e.get()).await?;
    Ok(no_content())
}

/// `GET /guilds/{id}/scheduled-events/{event}/users`.
pub async fn users(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
    ApiQuery(q): ApiQuery<events::UsersQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        events::users(&app, &a.user, g.get(), e.get(), q).await?,
    ))
}

/// `PUT /guilds/{id}/scheduled-events/{event}/users/@me`.
pub async fn interested(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
) -> Result<Response, ApiError> {
    events::rsvp(&app, &a.user, g.get(), e.get(), true).await?;
    Ok(no_content())
}

/// `DELETE /guilds/{id}/scheduled-events/{event}/users/@me`.
pub async fn not_interested(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, e)): P2,
) -> Result<Response, ApiError> {
    events::rsvp(&app, &a.user, g.get(), e.get(), false).await?;
    Ok(no_content())
}
