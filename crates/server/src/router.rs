//! Every route, registered once, plus the middleware stack.

use crate::app::AppState;
use crate::openapi::{self, list, none, object, of};
use crate::routes::{
    admin, apps, auth, cdn, channels, emojis, events, gateway, guilds, invites, messages,
    moderation, polls, search, system, threads, users, voice, webhooks,
};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;

/// Registers a route and documents it in one line each.
macro_rules! api {
    ($r:ident, $d:ident: $( $m:ident $path:literal $h:path, $summary:literal, $req:expr => $resp:expr; )*) => {
        $(
            $r = $r.route($path, axum::routing::$m($h));
            $d.add(stringify!($m), $path, $summary, $req, $resp);
        )*
    };
}

/// The API under one version prefix, and its OpenAPI document.
fn api() -> (Router<AppState>, openapi::Doc) {
    use crate::service as s;
    use coterie_model::{channel::Channel, guild, invite::Invite, message::Message, user};
    let mut r = Router::new();
    let mut d = openapi::Doc::default();
    api! { r, d:
        post "/auth/register" auth::register, "Create an account (the first administers the instance)", of::<s::auth::RegisterRequest>() => object();
        post "/auth/login" auth::login, "Log in with username or email", of::<auth::Login>() => object();
        post "/auth/logout" auth::logout, "Revoke the presented token", none() => none();
        post "/auth/verify" auth::verify, "Confirm an email address with the mailed token", object() => none();
        post "/auth/verify/resend" auth::resend_verification, "Send the verification email again", none() => none();
        post "/auth/forgot" auth::forgot, "Email a password-reset link", object() => none();
        post "/auth/reset" auth::reset, "Set a new password with the mailed token", object() => object();
        post "/admin/gateway/disconnect" admin::disconnect, "Close a user's gateway sessions (resumable)", object() => object();
        get "/admin/reports" moderation::escalated, "Reports escalated to the instance", none() => list::<coterie_model::moderation::Report>();
        put "/admin/users/{user_id}/suspension" moderation::suspend, "Suspend an account instance-wide", of::<s::moderation::SuspendBody>() => none();
        delete "/admin/users/{user_id}/suspension" moderation::unsuspend, "Lift a suspension", none() => none();
        get "/gateway" gateway::get_gateway, "Gateway URL", none() => object();
        get "/gateway/bot" gateway::get_gateway_bot, "Gateway URL, shards and session limits", none() => object();
        post "/stage-instances" voice::create_stage, "Open a stage on a stage channel", object() => object();
        get "/stage-instances/{channel_id}" voice::get_stage, "A stage channel's live stage", none() => object();
        patch "/stage-instances/{channel_id}" voice::modify_stage, "Change a live stage's topic", object() => object();
        delete "/stage-instances/{channel_id}" voice::delete_stage, "Close a stage", none() => none();
        get "/voice/regions" voice::regions, "Voice regions (this server)", none() => list::<serde_json::Value>();
        get "/guilds/{guild_id}/voice-states/@me" voice::my_state, "Your voice state", none() => object();
        patch "/guilds/{guild_id}/voice-states/@me" voice::patch_my_state, "Stage: move yourself to the audience, speak, or ask to speak", object() => none();
        get "/guilds/{guild_id}/voice-states/{user_id}" voice::user_state, "A member's voice state", none() => object();
        patch "/guilds/{guild_id}/voice-states/{user_id}" voice::patch_user_state, "Stage: invite a member to speak or move them to the audience", object() => none();
        get "/users/@me" users::me, "The current user", none() => of::<user::CurrentUser>();
        patch "/users/@me" users::modify_me, "Edit the current user", of::<s::users::ModifyMe>() => of::<user::CurrentUser>();
        post "/users/@me/delete" users::delete_me, "Delete one's own account (password; owners transfer first)", of::<s::users::DeleteMe>() => none();
        get "/users/@me/guilds" users::my_guilds, "Guilds of the current user", none() => list::<user::PartialGuild>();
        delete "/users/@me/guilds/{guild_id}" users::leave_guild, "Leave a guild", none() => none();
        get "/users/@me/guilds/{guild_id}/member" users::my_member, "The current user's membership", none() => of::<guild::Member>();
        get "/users/@me/channels" users::my_dms, "DM channels", none() => list::<Channel>();
        post "/users/@me/channels" users::open_dm, "Open a DM or create a group DM", object() => of::<Channel>();
        get "/users/{user_id}" users::get, "A user", none() => of::<user::User>();
        post "/guilds" guilds::create, "Create a guild", of::<s::guilds::CreateGuild>() => of::<guild::Guild>();
        get "/guilds/{guild_id}" guilds::get, "A guild", none() => of::<guild::Guild>();
        patch "/guilds/{guild_id}" guilds::modify, "Edit a guild", of::<s::guilds::ModifyGuild>() => of::<guild::Guild>();
        delete "/guilds/{guild_id}" guilds::delete, "Delete a guild (owner)", none() => none();
        get "/guilds/{guild_id}/channels" guilds::channels, "Visible channels", none() => list::<Channel>();
        post "/guilds/{guild_id}/channels" guilds::create_channel, "Create a channel", of::<s::channels::ChannelBody>() => of::<Channel>();
        patch "/guilds/{guild_id}/channels" guilds::reorder_channels, "Reorder channels", object() => none();
        get "/guilds/{guild_id}/roles" guilds::roles, "Roles", none() => list::<guild::Role>();
        post "/guilds/{guild_id}/roles" guilds::create_role, "Create a role", of::<s::roles::RoleBody>() => of::<guild::Role>();
        patch "/guilds/{guild_id}/roles" guilds::reorder_roles, "Reorder roles", object() => list::<guild::Role>();
        get "/guilds/{guild_id}/roles/{role_id}" guilds::role, "A role", none() => of::<guild::Role>();
        patch "/guilds/{guild_id}/roles/{role_id}" guilds::modify_role, "Edit a role", of::<s::roles::RoleBody>() => of::<guild::Role>();
        delete "/guilds/{guild_id}/roles/{role_id}" guilds::delete_role, "Delete a role", none() => none();
        get "/guilds/{guild_id}/members" guilds::members, "Members by user id", none() => list::<guild::Member>();
        get "/guilds/{guild_id}/members/search" guilds::search_members, "Members by name prefix", none() => list::<guild::Member>();
        patch "/guilds/{guild_id}/members/@me" guilds::modify_me, "Edit one's own membership (nickname)", of::<s::members::ModifyMember>() => of::<guild::Member>();
        get "/guilds/{guild_id}/members/{user_id}" guilds::member, "A member", none() => of::<guild::Member>();
        patch "/guilds/{guild_id}/members/{user_id}" guilds::modify_member, "Edit a member", of::<s::members::ModifyMember>() => of::<guild::Member>();
        delete "/guilds/{guild_id}/members/{user_id}" guilds::kick, "Kick a member", none() => none();
        put "/guilds/{guild_id}/members/{user_id}/roles/{role_id}" guilds::add_member_role, "Give a member a role", none() => none();
        delete "/guilds/{guild_id}/members/{user_id}/roles/{role_id}" guilds::remove_member_role, "Take a role from a member", none() => none();
        get "/guilds/{guild_id}/bans" guilds::bans, "Bans", none() => list::<guild::Ban>();
        get "/guilds/{guild_id}/bans/{user_id}" guilds::ban, "A ban", none() => of::<guild::Ban>();
        put "/guilds/{guild_id}/bans/{user_id}" guilds::create_ban, "Ban a user", object() => none();
        delete "/guilds/{guild_id}/bans/{user_id}" guilds::remove_ban, "Lift a ban", none() => none();
        get "/guilds/{guild_id}/messages/search" search::guild, "Search messages (content, author_id, channel_id, mentions, has, pinned, min_id, max_id, sort_by, sort_order, offset, limit)", none() => object();
        get "/guilds/{guild_id}/audit-logs" moderation::audit_log, "The audit log (VIEW_AUDIT_LOG)", none() => of::<coterie_model::moderation::AuditLog>();
        get "/guilds/{guild_id}/auto-moderation/rules" moderation::rules, "AutoMod rules", none() => list::<coterie_model::moderation::AutoModRule>();
        post "/guilds/{guild_id}/auto-moderation/rules" moderation::create_rule, "Create an AutoMod rule", of::<s::automod::RuleBody>() => of::<coterie_model::moderation::AutoModRule>();
        get "/guilds/{guild_id}/auto-moderation/rules/{rule_id}" moderation::rule, "An AutoMod rule", none() => of::<coterie_model::moderation::AutoModRule>();
        patch "/guilds/{guild_id}/auto-moderation/rules/{rule_id}" moderation::modify_rule, "Edit an AutoMod rule", of::<s::automod::RuleBody>() => of::<coterie_model::moderation::AutoModRule>();
        delete "/guilds/{guild_id}/auto-moderation/rules/{rule_id}" moderation::delete_rule, "Delete an AutoMod rule", none() => none();
        post "/guilds/{guild_id}/members/{user_id}/reports" moderation::report_member, "Report a member (Coterie)", of::<s::reports::ReportBody>() => of::<coterie_model::moderation::Report>();
        get "/guilds/{guild_id}/reports" moderation::queue, "The moderation queue (Coterie)", none() => list::<coterie_model::moderation::Report>();
        get "/guilds/{guild_id}/reports/{report_id}" moderation::report, "A report (Coterie)", none() => of::<coterie_model::moderation::Report>();
        patch "/guilds/{guild_id}/reports/{report_id}" moderation::update_report, "Resolve, dismiss or escalate a report (Coterie)", of::<s::reports::ReportUpdate>() => of::<coterie_model::moderation::Report>();
        get "/guilds/{guild_id}/rules" moderation::guild_rules, "The community's rules (Coterie)", none() => of::<coterie_model::moderation::GuildRules>();
        put "/guilds/{guild_id}/rules" moderation::set_guild_rules, "Set the rules and screening (Coterie)", of::<s::moderation::RulesBody>() => of::<coterie_model::moderation::GuildRules>();
        post "/guilds/{guild_id}/rules/accept" moderation::accept_rules, "Accept the rules (Coterie)", none() => of::<guild::Member>();
        get "/guilds/{guild_id}/raid-protection" moderation::raid, "Raid protection settings (Coterie)", none() => object();
        put "/guilds/{guild_id}/raid-protection" moderation::set_raid, "Set raid protection; pause or resume invites (Coterie)", of::<s::moderation::RaidBody>() => object();
        get "/guilds/{guild_id}/emojis" emojis::list, "Custom emoji", none() => list::<guild::Emoji>();
        post "/guilds/{guild_id}/emojis" emojis::create, "Add a custom emoji (name, image data, roles)", of::<s::emojis::EmojiBody>() => of::<guild::Emoji>();
        get "/guilds/{guild_id}/emojis/{emoji_id}" emojis::get, "A custom emoji", none() => of::<guild::Emoji>();
        patch "/guilds/{guild_id}/emojis/{emoji_id}" emojis::modify, "Rename an emoji or set its roles", of::<s::emojis::EmojiBody>() => of::<guild::Emoji>();
        delete "/guilds/{guild_id}/emojis/{emoji_id}" emojis::delete, "Delete a custom emoji", none() => none();
        get "/guilds/{guild_id}/invites" guilds::invites, "A guild's invites", none() => list::<Invite>();
        get "/guilds/{guild_id}/webhooks" webhooks::list_guild, "A guild's webhooks", none() => object();
        get "/guilds/{guild_id}/application-command-index" apps::guild_index, "Commands usable in a guild", none() => object();
        get "/guilds/{guild_id}/scheduled-events" events::list, "Scheduled events", none() => object();
        post "/guilds/{guild_id}/scheduled-events" events::create, "Schedule an event", object() => object();
        get "/guilds/{guild_id}/scheduled-events/{event_id}" events::get, "A scheduled event", none() => object();
        patch "/guilds/{guild_id}/scheduled-events/{event_id}" events::modify, "Edit a scheduled event", object() => object();
        delete "/guilds/{guild_id}/scheduled-events/{event_id}" events::delete, "Delete a scheduled event", none() => none();
        get "/guilds/{guild_id}/scheduled-events/{event_id}/users" events::users, "Interested users", none() => object();
        put "/guilds/{guild_id}/scheduled-events/{event_id}/users/@me" events::interested, "Mark interest", none() => none();
        delete "/guilds/{guild_id}/scheduled-events/{event_id}/users/@me" events::not_interested, "Remove interest", none() => none();
        get "/channels/{channel_id}" channels::get, "A channel", none() => of::<Channel>();
        patch "/channels/{channel_id}" channels::modify, "Edit a channel", of::<s::channels::ChannelBody>() => of::<Channel>();
        delete "/channels/{channel_id}" channels::delete, "Delete a channel, close a DM or leave a group DM", none() => of::<Channel>();
        put "/channels/{channel_id}/permissions/{overwrite_id}" channels::put_overwrite, "Set a permission overwrite", object() => none();
        delete "/channels/{channel_id}/permissions/{overwrite_id}" channels::delete_overwrite, "Remove a permission overwrite", none() => none();
        get "/channels/{channel_id}/invites" channels::invites, "A channel's invites", none() => list::<Invite>();
        post "/channels/{channel_id}/invites" channels::create_invite, "Create an invite", object() => of::<Invite>();
        post "/channels/{channel_id}/typing" channels::typing, "Show typing", none() => none();
        get "/channels/{channel_id}/pins" channels::pins, "Pinned messages", none() => list::<Message>();
        put "/channels/{channel_id}/pins/{message_id}" channels::pin, "Pin a message", none() => none();
        delete "/channels/{channel_id}/pins/{message_id}" channels::unpin, "Unpin a message", none() => none();
        get "/channels/{channel_id}/messages" messages::list, "History, newest first", none() => list::<Message>();
        post "/channels/{channel_id}/messages" messages::create, "Send a message", of::<s::messages::CreateMessage>() => of::<Message>();
        get "/channels/{channel_id}/messages/pins" channels::pins_page, "Pinned messages, paged", none() => object();
        put "/channels/{channel_id}/messages/pins/{message_id}" channels::pin, "Pin a message", none() => none();
        delete "/channels/{channel_id}/messages/pins/{message_id}" channels::unpin, "Unpin a message", none() => none();
        post "/channels/{channel_id}/messages/bulk-delete" messages::bulk_delete, "Delete 2-100 recent messages", object() => none();
        get "/channels/{channel_id}/messages/{message_id}" messages::get, "A message", none() => of::<Message>();
        patch "/channels/{channel_id}/messages/{message_id}" messages::edit, "Edit a message", of::<s::messages::EditMessage>() => of::<Message>();
        delete "/channels/{channel_id}/messages/{message_id}" messages::delete, "Delete a message", none() => none();
        post "/channels/{channel_id}/messages/{message_id}/ack" messages::ack, "Mark read up to a message", none() => object();
        delete "/channels/{channel_id}/messages/{message_id}/reactions" messages::clear_all, "Remove all reactions", none() => none();
        get "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}" messages::reaction_users, "Who reacted", none() => list::<user::User>();
        delete "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}" messages::clear_emoji, "Remove one emoji's reactions", none() => none();
        put "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me" messages::react, "React", none() => none();
        delete "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me" messages::unreact, "Remove one's reaction", none() => none();
        delete "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}" messages::remove_user_reaction, "Remove someone's reaction", none() => none();
        get "/channels/{channel_id}/messages/search" search::channel, "Search one channel or DM", none() => object();
        post "/channels/{channel_id}/messages/{message_id}/reports" moderation::report_message, "Report a message (Coterie)", of::<s::reports::ReportBody>() => of::<coterie_model::moderation::Report>();
        post "/channels/{channel_id}/messages/{message_id}/threads" threads::start_from_message, "Start a thread from a message", of::<s::threads::StartThread>() => of::<Channel>();
        post "/channels/{channel_id}/threads" threads::start, "Start a thread, or a forum post with its first message", of::<s::threads::StartThread>() => of::<Channel>();
        get "/channels/{channel_id}/threads/archived/public" threads::archived_public, "Archived public threads", none() => object();
        get "/channels/{channel_id}/threads/archived/private" threads::archived_private, "Archived private threads (MANAGE_THREADS)", none() => object();
        get "/channels/{channel_id}/users/@me/threads/archived/private" threads::my_archived_private, "Archived private threads the caller belongs to", none() => object();
        get "/guilds/{guild_id}/threads/active" threads::active, "Active threads the caller can see", none() => object();
        get "/channels/{channel_id}/thread-members" threads::list_members, "Thread members", none() => object();
        put "/channels/{channel_id}/thread-members/@me" threads::join, "Join a thread", none() => none();
        delete "/channels/{channel_id}/thread-members/@me" threads::leave, "Leave a thread", none() => none();
        get "/channels/{channel_id}/thread-members/{user_id}" threads::get_member, "A thread member", none() => object();
        put "/channels/{channel_id}/thread-members/{user_id}" threads::add_member, "Add a thread member", none() => none();
        delete "/channels/{channel_id}/thread-members/{user_id}" threads::remove_member, "Remove a thread member", none() => none();
        get "/channels/{channel_id}/posts" threads::posts, "A forum's posts: sort=hot|new|top|controversial|active, t, tag, limit, after (Coterie)", none() => object();
        get "/channels/{channel_id}/comments" threads::comments, "A post's comment tree: sort=best|top|new|controversial, parent, depth, limit, after (Coterie)", none() => object();
        put "/channels/{channel_id}/votes/@me" threads::vote_post, "Vote on a forum post (Coterie)", of::<s::votes::VoteBody>() => none();
        delete "/channels/{channel_id}/votes/@me" threads::unvote_post, "Remove one's vote on a forum post (Coterie)", none() => none();
        put "/channels/{channel_id}/messages/{message_id}/votes/@me" threads::vote_comment, "Vote on a comment (Coterie)", of::<s::votes::VoteBody>() => none();
        delete "/channels/{channel_id}/messages/{message_id}/votes/@me" threads::unvote_comment, "Remove one's vote on a comment (Coterie)", none() => none();
        put "/channels/{channel_id}/polls/{message_id}/answers/@me" polls::vote, "Choose poll answers (empty removes the vote)", of::<s::polls::PollVote>() => none();
        get "/channels/{channel_id}/polls/{message_id}/answers/{answer_id}" polls::voters, "Who chose an answer", none() => object();
        post "/channels/{channel_id}/polls/{message_id}/expire" polls::expire, "End a poll now (its author)", none() => of::<Message>();
        get "/channels/{channel_id}/webhooks" webhooks::list_channel, "A channel's webhooks", none() => object();
        post "/channels/{channel_id}/webhooks" webhooks::create, "Create a webhook", object() => object();
        get "/invites/{code}" invites::get, "Look up an invite (no login needed)", none() => of::<Invite>();
        post "/invites/{code}" invites::accept, "Join through an invite", none() => of::<Invite>();
        delete "/invites/{code}" invites::delete, "Revoke an invite", none() => of::<Invite>();
        get "/applications" apps::list, "The caller's applications", none() => object();
        post "/applications" apps::create, "Create an application", object() => object();
        get "/applications/@me" apps::me, "The bot's application", none() => object();
        patch "/applications/@me" apps::modify_me, "Edit the bot's application", object() => object();
        get "/oauth2/applications/@me" apps::me, "The bot's application", none() => object();
        get "/applications/{application_id}" apps::get, "An application (owner)", none() => object();
        patch "/applications/{application_id}" apps::modify, "Edit an application (privileged intents in flags)", object() => object();
        post "/applications/{application_id}/bot" apps::create_bot, "Create the bot account; returns its token", none() => object();
        post "/applications/{application_id}/bot/reset" apps::reset_token, "New bot token", none() => object();
        get "/oauth2/authorize" apps::authorize_info, "What the Add-bot page shows", none() => object();
        post "/oauth2/authorize" apps::authorize, "Add a bot to a guild", object() => object();
        get "/applications/{application_id}/commands" apps::list_commands, "Global commands", none() => object();
        post "/applications/{application_id}/commands" apps::create_command, "Create or replace a global command", object() => object();
        put "/applications/{application_id}/commands" apps::overwrite_commands, "Replace all global commands", object() => object();
        get "/applications/{application_id}/commands/{command_id}" apps::get_command, "A global command", none() => object();
        patch "/applications/{application_id}/commands/{command_id}" apps::edit_command, "Edit a global command", object() => object();
        delete "/applications/{application_id}/commands/{command_id}" apps::delete_command, "Delete a global command", none() => none();
        get "/applications/{application_id}/guilds/{guild_id}/commands" apps::list_guild_commands, "Guild commands", none() => object();
        post "/applications/{application_id}/guilds/{guild_id}/commands" apps::create_guild_command, "Create or replace a guild command", object() => object();
        put "/applications/{application_id}/guilds/{guild_id}/commands" apps::overwrite_guild_commands, "Replace all guild commands", object() => object();
        get "/applications/{application_id}/guilds/{guild_id}/commands/permissions" apps::command_permissions, "Command permissions", none() => object();
        get "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}" apps::get_guild_command, "A guild command", none() => object();
        patch "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}" apps::edit_guild_command, "Edit a guild command", object() => object();
        delete "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}" apps::delete_guild_command, "Delete a guild command", none() => none();
        post "/interactions" webhooks::invoke, "Invoke a command or component (waits up to 3 s for the bot)", object() => object();
        post "/interactions/{interaction_id}/{token}/callback" webhooks::callback, "A bot's answer to an interaction", object() => object();
        get "/webhooks/{webhook_id}" webhooks::get, "A webhook", none() => object();
        patch "/webhooks/{webhook_id}" webhooks::modify, "Edit a webhook", object() => object();
        delete "/webhooks/{webhook_id}" webhooks::delete, "Delete a webhook", none() => none();
        get "/webhooks/{webhook_id}/{token}" webhooks::get_by_token, "A webhook, by token", none() => object();
        patch "/webhooks/{webhook_id}/{token}" webhooks::modify_by_token, "Edit a webhook, by token", object() => object();
        delete "/webhooks/{webhook_id}/{token}" webhooks::delete_by_token, "Delete a webhook, by token", none() => none();
        post "/webhooks/{webhook_id}/{token}" webhooks::execute, "Execute a webhook (or an interaction follow-up)", object() => of::<Message>();
        post "/webhooks/{webhook_id}/{token}/slack" webhooks::execute_slack, "Execute with Slack's payload", object() => of::<Message>();
        get "/webhooks/{webhook_id}/{token}/messages/{message_id}" webhooks::get_message, "A webhook message", none() => of::<Message>();
        patch "/webhooks/{webhook_id}/{token}/messages/{message_id}" webhooks::edit_message, "Edit a webhook message", object() => of::<Message>();
        delete "/webhooks/{webhook_id}/{token}/messages/{message_id}" webhooks::delete_message, "Delete a webhook message", none() => none();
    }
    (r, d)
}

/// The OpenAPI document of the API.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1.build()
}

/// The whole application.
pub fn build(app: AppState) -> Router {
    let (api, doc) = api();
    let doc = std::sync::Arc::new(doc.build().to_json().unwrap_or_else(|_| "{}".to_owned()));
    let serve_doc = move || {
        let doc = doc.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                doc.as_str().to_owned(),
            )
        }
    };
    let api = api.route("/openapi.json", get(serve_doc));
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
        .route("/voice", get(voice::signal))
        .route(
            "/cdn/attachments/{channel_id}/{attachment_id}/{filename}",
            get(cdn::attachment),
        )
        .route(
            "/cdn/media/attachments/{channel_id}/{attachment_id}/{filename}",
            get(cdn::media_attachment),
        )
        .route("/cdn/avatars/{user_id}/{file}", get(cdn::avatar))
        .route("/cdn/icons/{guild_id}/{file}", get(cdn::icon))
        .route("/cdn/emojis/{file}", get(cdn::emoji))
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
    let reason = crate::extract::audit_reason(req.headers());
    let mut resp = crate::service::audit::REASON
        .scope(
            reason,
            tracing::Instrument::instrument(next.run(req), span.clone()),
        )
        .await;
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
