//! Moderation routes: audit log, AutoMod rules, reports and the queue, rules screening, raid
//! protection, and instance suspensions.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::routes::no_content;
use crate::service::{audit, automod, moderation, reports};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use coterie_model::Snowflake;
use coterie_model::guild::Member;
use coterie_model::moderation::{AuditLog, AutoModRule, GuildRules, Report};
use serde_json::Value;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;

/// `GET /guilds/{id}/audit-logs`.
pub async fn audit_log(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<audit::LogQuery>,
) -> Result<Json<AuditLog>, ApiError> {
    Ok(Json(audit::list(&app, &a.user, g.get(), q).await?))
}

/// `GET /guilds/{id}/auto-moderation/rules`.
pub async fn rules(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Vec<AutoModRule>>, ApiError> {
    Ok(Json(automod::list(&app, &a.user, g.get()).await?))
}

/// `GET /guilds/{id}/auto-moderation/rules/{rule}`.
pub async fn rule(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
) -> Result<Json<AutoModRule>, ApiError> {
    Ok(Json(automod::get(&app, &a.user, g.get(), r.get()).await?))
}

/// `POST /guilds/{id}/auto-moderation/rules`.
pub async fn create_rule(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<automod::RuleBody>,
) -> Result<Json<AutoModRule>, ApiError> {
    Ok(Json(automod::create(&app, &a.user, g.get(), b).await?))
}

/// `PATCH /guilds/{id}/auto-moderation/rules/{rule}`.
pub async fn modify_rule(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
    ApiJson(b): ApiJson<automod::RuleBody>,
) -> Result<Json<AutoModRule>, ApiError> {
    Ok(Json(
        automod::modify(&app, &a.user, g.get(), r.get(), b).await?,
    ))
}

/// `DELETE /guilds/{id}/auto-moderation/rules/{rule}`.
pub async fn delete_rule(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
) -> Result<Response, ApiError> {
    automod::delete(&app, &a.user, g.get(), r.get()).await?;
    Ok(no_content())
}

/// `POST /channels/{c}/messages/{m}/reports`.
pub async fn report_message(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((c, m)): P2,
    ApiJson(b): ApiJson<reports::ReportBody>,
) -> Result<Response, ApiError> {
    let r = reports::report_message(&app, &a.user, c.get(), m.get(), b).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// `POST /guilds/{g}/members/{u}/reports`.
pub async fn report_member(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
    ApiJson(b): ApiJson<reports::ReportBody>,
) -> Result<Response, ApiError> {
    let r = reports::report_member(&app, &a.user, g.get(), u.get(), b).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// `GET /guilds/{g}/reports`.
pub async fn queue(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiQuery(q): ApiQuery<reports::QueueQuery>,
) -> Result<Json<Vec<Report>>, ApiError> {
    Ok(Json(reports::list(&app, &a.user, g.get(), q).await?))
}

/// `GET /guilds/{g}/reports/{id}`.
pub async fn report(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(reports::get(&app, &a.user, g.get(), r.get()).await?))
}

/// `PATCH /guilds/{g}/reports/{id}`.
pub async fn update_report(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, r)): P2,
    ApiJson(b): ApiJson<reports::ReportUpdate>,
) -> Result<Json<Report>, ApiError> {
    Ok(Json(
        reports::update(&app, &a.user, g.get(), r.get(), b).await?,
    ))
}

/// `GET /admin/reports`.
pub async fn escalated(
    State(app): State<AppState>,
    a: Auth,
    ApiQuery(q): ApiQuery<reports::QueueQuery>,
) -> Result<Json<Vec<Report>>, ApiError> {
    Ok(Json(reports::escalated(&app, &a.user, q).await?))
}

/// `GET /guilds/{id}/rules`.
pub async fn guild_rules(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<GuildRules>, ApiError> {
    Ok(Json(moderation::rules(&app, &a.user, g.get()).await?))
}

/// `PUT /guilds/{id}/rules`.
pub async fn set_guild_rules(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<moderation::RulesBody>,
) -> Result<Json<GuildRules>, ApiError> {
    Ok(Json(
        moderation::set_rules(&app, &a.user, g.get(), b).await?,
    ))
}

/// `POST /guilds/{id}/rules/accept`.
pub async fn accept_rules(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Member>, ApiError> {
    Ok(Json(
        moderation::accept_rules(&app, &a.user, g.get()).await?,
    ))
}

/// `GET /guilds/{id}/raid-protection`.
pub async fn raid(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(moderation::raid(&app, &a.user, g.get()).await?))
}

/// `PUT /guilds/{id}/raid-protection`.
pub async fn set_raid(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<moderation::RaidBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(moderation::set_raid(&app, &a.user, g.get(), b).await?))
}

/// `PUT /admin/users/{id}/suspension`.
pub async fn suspend(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(u): P1,
    ApiJson(b): ApiJson<moderation::SuspendBody>,
) -> Result<Response, ApiError> {
    moderation::suspend(&app, &a.user, u.get(), b).await?;
    Ok(no_content())
}

/// `DELETE /admin/users/{id}/suspension`.
pub async fn unsuspend(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(u): P1,
) -> Result<Response, ApiError> {
    moderation::unsuspend(&app, &a.user, u.get()).await?;
    Ok(no_content())
}
