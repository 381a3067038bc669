//! Every route, registered once, plus the middleware stack.

use crate::app::AppState;
use crate::routes::{
    admin, apps, auth, channels, events, gateway, guilds, invites, messages, system, users,
    webhooks,
};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, patch, post, put};

/// The API under one version prefix.
fn api() -> Router<AppState> {
    Router::new()
        .route("/admin/gateway/disconnect", post(admin::disconnect))
        .route(
            "/guilds/{guild_id}/scheduled-events",
            get(events::list).post(events::create),
        )
        .route(
            "/guilds/{guild_id}/scheduled-events/{event_id}",
            get(events::get)
                .patch(events::modify)
                .delete(events::delete),
        )
        .route(
            "/guilds/{guild_id}/scheduled-events/{event_id}/users",
            get(events::users),
        )
        .route(
            "/guilds/{guild_id}/scheduled-events/{event_id}/users/@me",
            put(events::interested).delete(events::not_interested),
        )
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/verify", post(auth::verify))
        .route("/auth/verify/resend", post(auth::resend_verification))
        .route("/auth/forgot", post(auth::forgot))
        .route("/auth/reset", post(auth::reset))
        .route("/gateway", get(gateway::get_gateway))
        .route("/gateway/bot", get(gateway::get_gateway_bot))
        .route("/users/@me", get(users::me).patch(users::modify_me))
        .route("/users/@me/guilds", get(users::my_guilds))
        .route("/users/@me/guilds/{guild_id}", delete(users::leave_guild))
        .route("/users/@me/guilds/{guild_id}/member", get(users::my_member))
        .route(
            "/users/@me/channels",
            get(users::my_dms).post(users::open_dm),
        )
        .route("/users/{user_id}", get(users::get))
        .route("/guilds", post(guilds::create))
        .route(
            "/guilds/{guild_id}",
            get(guilds::get)
                .patch(guilds::modify)
                .delete(guilds::delete),
        )
        .route(
            "/guilds/{guild_id}/channels",
            get(guilds::channels)
                .post(guilds::create_channel)
                .patch(guilds::reorder_channels),
        )
        .route(
            "/guilds/{guild_id}/roles",
            get(guilds::roles)
                .post(guilds::create_role)
                .patch(guilds::reorder_roles),
        )
        .route(
            "/guilds/{guild_id}/roles/{role_id}",
            get(guilds::role)
                .patch(guilds::modify_role)
                .delete(guilds::delete_role),
        )
        .route("/guilds/{guild_id}/members", get(guilds::members))
        .route(
            "/guilds/{guild_id}/members/search",
            get(guilds::search_members),
        )
        .route("/guilds/{guild_id}/members/@me", patch(guilds::modify_me))
        .route(
            "/guilds/{guild_id}/members/{user_id}",
            get(guilds::member)
                .patch(guilds::modify_member)
                .delete(guilds::kick),
        )
        .route(
            "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            put(guilds::add_member_role).delete(guilds::remove_member_role),
        )
        .route("/guilds/{guild_id}/bans", get(guilds::bans))
        .route(
            "/guilds/{guild_id}/bans/{user_id}",
            get(guilds::ban)
                .put(guilds::create_ban)
                .delete(guilds::remove_ban),
        )
        .route("/guilds/{guild_id}/invites", get(guilds::invites))
        .route(
            "/channels/{channel_id}",
            get(channels::get)
                .patch(channels::modify)
                .delete(channels::delete),
        )
        .route(
            "/channels/{channel_id}/permissions/{overwrite_id}",
            put(channels::put_overwrite).delete(channels::delete_overwrite),
        )
        .route(
            "/channels/{channel_id}/invites",
            get(channels::invites).post(channels::create_invite),
        )
        .route("/channels/{channel_id}/typing", post(channels::typing))
        .route("/channels/{channel_id}/pins", get(channels::pins))
        .route(
            "/channels/{channel_id}/pins/{message_id}",
            put(channels::pin).delete(channels::unpin),
        )
        .route(
            "/channels/{channel_id}/messages",
            get(messages::list).post(messages::create),
        )
        .route(
            "/channels/{channel_id}/messages/pins",
            get(channels::pins_page),
        )
        .route(
            "/channels/{channel_id}/messages/pins/{message_id}",
            put(channels::pin).delete(channels::unpin),
        )
        .route(
            "/channels/{channel_id}/messages/bulk-delete",
            post(messages::bulk_delete),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}",
            get(messages::get)
                .patch(messages::edit)
                .delete(messages::delete),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/ack",
            post(messages::ack),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions",
            delete(messages::clear_all),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            get(messages::reaction_users).delete(messages::clear_emoji),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            put(messages::react).delete(messages::unreact),
        )
        .route(
            "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
            delete(messages::remove_user_reaction),
        )
        .route(
            "/invites/{code}",
            get(invites::get)
                .post(invites::accept)
                .delete(invites::delete),
        )
        .route("/applications", get(apps::list).post(apps::create))
        .route("/applications/@me", get(apps::me).patch(apps::modify_me))
        .route("/oauth2/applications/@me", get(apps::me))
        .route(
            "/applications/{application_id}",
            get(apps::get).patch(apps::modify),
        )
        .route("/applications/{application_id}/bot", post(apps::create_bot))
        .route(
            "/applications/{application_id}/bot/reset",
            post(apps::reset_token),
        )
        .route(
            "/oauth2/authorize",
            get(apps::authorize_info).post(apps::authorize),
        )
        .route(
            "/applications/{application_id}/commands",
            get(apps::list_commands)
                .post(apps::create_command)
                .put(apps::overwrite_commands),
        )
        .route(
            "/applications/{application_id}/commands/{command_id}",
            get(apps::get_command)
                .patch(apps::edit_command)
                .delete(apps::delete_command),
        )
        .route(
            "/applications/{application_id}/guilds/{guild_id}/commands",
            get(apps::list_guild_commands)
                .post(apps::create_guild_command)
                .put(apps::overwrite_guild_commands),
        )
        .route(
            "/applications/{application_id}/guilds/{guild_id}/commands/permissions",
            get(apps::command_permissions),
        )
        .route(
            "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
            get(apps::get_guild_command)
                .patch(apps::edit_guild_command)
                .delete(apps::delete_guild_command),
        )
        .route(
            "/guilds/{guild_id}/application-command-index",
            get(apps::guild_index),
        )
        .route("/interactions", post(webhooks::invoke))
        .route(
            "/interactions/{interaction_id}/{token}/callback",
            post(webhooks::callback),
        )
        .route(
            "/channels/{channel_id}/webhooks",
            get(webhooks::list_channel).post(webhooks::create),
        )
        .route("/guilds/{guild_id}/webhooks", get(webhooks::list_guild))
        .route(
            "/webhooks/{webhook_id}",
            get(webhooks::get)
                .patch(webhooks::modify)
                .delete(webhooks::delete),
        )
        .route(
            "/webhooks/{webhook_id}/{token}",
            get(webhooks::get_by_token)
                .patch(webhooks::modify_by_token)
                .delete(webhooks::delete_by_token)
                .post(webhooks::execute),
        )
        .route(
            "/webhooks/{webhook_id}/{token}/slack",
            post(webhooks::execute_slack),
        )
        .route(
            "/webhooks/{webhook_id}/{token}/messages/{message_id}",
            get(webhooks::get_message)
                .patch(webhooks::edit_message)
                .delete(webhooks::delete_message),
        )
}

/// The whole application.
pub fn build(app: AppState) -> Router {
    let api = api();
    Router::new()
        .nest("/api/v10", api.clone())
        .nest("/api/v9", api.clone())
        .nest("/api", api)
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            crate::ratelimit::layer,
        ))
        .route("/", get(gateway::root))
        .route("/gateway", get(gateway::root))
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .fallback(system::fallback)
        .method_not_allowed_fallback(system::method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

/// Request id, one span per request, a log line with status and duration, and response metrics.
/// Paths are logged as their route template, so ids appear but invite codes and tokens do not.
async fn observe(
    State(_app): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let start = std::time::Instant::now();
    let id = crate::service::auth::new_token()
        .0
        .chars()
        .take(12)
        .collect::<String>();
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().clone();
    let span =
        tracing::info_span!("http", request.id = %id, http.method = %method, http.route = %route);
    let mut resp = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    crate::metrics::HTTP_DURATION_US.add(elapsed.as_micros() as u64);
    match status {
        200..=299 => crate::metrics::HTTP_2XX.inc(),
        500..=599 => crate::metrics::HTTP_5XX.inc(),
        400..=499 => crate::metrics::HTTP_4XX.inc(),
        _ => {}
    }
    span.in_scope(|| {
        tracing::debug!(
            http.status = status,
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
