//! Applications and their bot accounts: create, read, edit (privileged intents), bot token
//! issue and reset, and adding a bot to a guild (OAuth2 `bot` scope).

use crate::app::AppState;
use crate::bus::{Audience, Effect, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::extract::Auth;
use crate::service::perms::GuildCtx;
use crate::service::{auth, members, views};
use base64::Engine as _;
use coterie_model::validate::{self, FieldError};
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{ApplicationRow, NewUser, RoleRow, StoreError, UserRow};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

/// Application flag: GUILD_PRESENCES may be requested.
pub const FLAG_GATEWAY_PRESENCE: i64 = 1 << 12;
/// Application flag: GUILD_MEMBERS may be requested.
pub const FLAG_GATEWAY_GUILD_MEMBERS: i64 = 1 << 14;
/// Application flag: MESSAGE_CONTENT may be requested.
pub const FLAG_GATEWAY_MESSAGE_CONTENT: i64 = 1 << 18;
const SETTABLE_FLAGS: i64 =
    FLAG_GATEWAY_PRESENCE | FLAG_GATEWAY_GUILD_MEMBERS | FLAG_GATEWAY_MESSAGE_CONTENT;
const MAX_APPS_PER_USER: usize = 25;

/// The privileged intents an application may request.
#[must_use]
pub fn allowed_privileged(flags: i64) -> u64 {
    let mut i = 0;
    if flags & FLAG_GATEWAY_PRESENCE != 0 {
        i |= Intents::GUILD_PRESENCES;
    }
    if flags & FLAG_GATEWAY_GUILD_MEMBERS != 0 {
        i |= Intents::GUILD_MEMBERS;
    }
    if flags & FLAG_GATEWAY_MESSAGE_CONTENT != 0 {
        i |= Intents::MESSAGE_CONTENT;
    }
    i
}

/// Body of create and edit.
#[derive(Debug, Default, Deserialize)]
pub struct AppBody {
    name: Option<String>,
    description: Option<String>,
    flags: Option<i64>,
    bot_public: Option<bool>,
}

/// The application object (every field discord.py, discord.js, twilight and serenity read).
pub async fn view(app: &AppState, a: &ApplicationRow) -> Result<Value, ApiError> {
    let owner = app
        .store
        .user(a.owner_id)
        .await?
        .map_or_else(|| views::deleted_user(a.owner_id), |u| views::user(&u));
    let bot = if a.has_bot {
        app.store.user(a.id).await?.map(|u| views::user(&u))
    } else {
        None
    };
    let mut v = json!({
        "id": a.id.to_string(),
        "name": a.name,
        "icon": a.icon,
        "description": a.description,
        "summary": "",
        "type": null,
        "bot_public": a.bot_public,
        "bot_require_code_grant": a.bot_require_code_grant,
        "verify_key": a.verify_key,
        "owner": owner,
        "team": null,
        "flags": a.flags,
        "rpc_origins": [],
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "tags": [],
        "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
        "integration_types_config": {"0": {}},
        "approximate_guild_count": 0,
    });
    if let Some(b) = bot {
        v["bot"] = serde_json::to_value(b).unwrap_or_default();
    }
    Ok(v)
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A Discord-shaped bot token: `base64(user id).timestamp.random` (libraries that sanity-check
/// the format accept it); only its SHA-256 is stored.
fn bot_token(user_id: i64, now: i64) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut r = [0u8; 27];
    rand::rng().fill_bytes(&mut r);
    format!(
        "{}.{}.{}",
        e.encode(user_id.to_string()),
        e.encode((now / 1000).to_be_bytes().get(2..).unwrap_or(&[])),
        e.encode(r)
    )
}

async fn owned(app: &AppState, user: &UserRow, id: i64) -> Result<ApplicationRow, ApiError> {
    let a = app
        .store
        .application(id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    if a.owner_id != user.id {
        return Err(ApiError::Unknown(Unknown::Application));
    }
    Ok(a)
}

/// `POST /applications`.
pub async fn create(app: &AppState, user: &UserRow, b: AppBody) -> Result<Value, ApiError> {
    if user.bot {
        return Err(ApiError::Forbidden(20001, "Bots cannot use this endpoint"));
    }
    let name = validate::text(b.name.as_deref().unwrap_or(""), 2, 32)
        .map_err(|e| field_error("name", e.code, e.message))?;
    if app.store.applications_of(user.id).await?.len() >= MAX_APPS_PER_USER {
        return Err(ApiError::BadRequest(
            30002,
            "Maximum number of applications reached (25)",
        ));
    }
    let a = ApplicationRow {
        id: app.ids.next_i64(),
        owner_id: user.id,
        name,
        description: b
            .description
            .unwrap_or_default()
            .chars()
            .take(400)
            .collect(),
        icon: None,
        bot_public: b.bot_public.unwrap_or(true),
        bot_require_code_grant: false,
        flags: b.flags.unwrap_or(0) & SETTABLE_FLAGS,
        verify_key: random_hex(32),
        has_bot: false,
        created_at: app.now(),
    };
    app.store.create_application(&a).await?;
    view(app, &a).await
}

/// `GET /applications` (Coterie: the caller's applications).
pub async fn list(app: &AppState, user: &UserRow) -> Result<Vec<Value>, ApiError> {
    let mut out = vec![];
    for a in app.store.applications_of(user.id).await? {
        out.push(view(app, &a).await?);
    }
    Ok(out)
}

/// `GET /applications/{id}` (owner) and `/applications/@me` (the bot itself).
pub async fn get(app: &AppState, who: &UserRow, id: Option<i64>) -> Result<Value, ApiError> {
    let a = match id {
        Some(id) => owned(app, who, id).await?,
        None => current(app, who).await?,
    };
    view(app, &a).await
}

/// The application of a bot account.
pub async fn current(app: &AppState, who: &UserRow) -> Result<ApplicationRow, ApiError> {
    if !who.bot {
        return Err(ApiError::Unknown(Unknown::Application));
    }
    app.store
        .application(who.id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))
}

/// `PATCH /applications/{id}` (owner) or `/applications/@me` (the bot; it cannot grant itself
/// privileged intents).
pub async fn modify(
    app: &AppState,
    who: &UserRow,
    id: Option<i64>,
    b: AppBody,
) -> Result<Value, ApiError> {
    let mut a = match id {
        Some(id) => owned(app, who, id).await?,
        None => current(app, who).await?,
    };
    let mut errs = FieldErrors::new();
    if let Some(n) = &b.name
        && let Some(n) = errs.check("name", validate::text(n, 2, 32))
    {
        a.name = n;
    }
    if let Some(d) = b.description {
        if d.chars().count() > 400 {
            errs.add(
                "description",
                FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 400 or fewer in length."),
            );
        }
        a.description = d;
    }
    if let Some(f) = b.flags {
        if who.bot && (f & SETTABLE_FLAGS) & !a.flags != 0 {
            return Err(ApiError::MissingPermissions);
        }
        a.flags = (a.flags & !SETTABLE_FLAGS) | (f & SETTABLE_FLAGS);
    }
    if let Some(p) = b.bot_public {
        a.bot_public = p;
    }
    errs.into_result()?;
    app.store.update_application(&a).await?;
    view(app, &a).await
}

fn bot_username(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
        .take(28)
        .collect();
    while s.contains("..") {
        s = s.replace("..", ".");
    }
    if s.chars().count() < 2 {
        s = format!("bot{s}");
    }
    s
}

/// `POST /applications/{id}/bot`: creates the bot account and returns its first token.
pub async fn create_bot(app: &AppState, user: &UserRow, id: i64) -> Result<Value, ApiError> {
    let a = owned(app, user, id).await?;
    if a.has_bot {
        return Err(ApiError::BadRequest(
            1_000_003,
            "This application already has a bot; reset its token instead",
        ));
    }
    let base = bot_username(&a.name);
    let mut created = None;
    for attempt in 0..10 {
        let username = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}{}", 1000 + rand::random::<u16>() % 9000)
        };
        match app
            .store
            .create_user(NewUser {
                id: a.id,
                username,
                email: None,
                password_hash: String::new(),
                bot: true,
                global_name: Some(a.name.clone()),
                created_at: app.now(),
            })
            .await
        {
            Ok(u) => {
                created = Some(u);
                break;
            }
            Err(StoreError::Conflict {
                constraint: "users_username_lower_key",
            }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let bot = created.ok_or_else(|| {
        field_error(
            "name",
            "USERNAME_ALREADY_TAKEN",
            "No free username for this bot; rename the application.",
        )
    })?;
    app.store.set_has_bot(a.id).await?;
    let token = bot_token(bot.id, app.now());
    app.store
        .insert_token(&auth::token_hash(&token), bot.id, app.now())
        .await?;
    Ok(json!({"token": token, "user": views::user(&bot)}))
}

/// `POST /applications/{id}/bot/reset`: a new token; every old one stops working.
pub async fn reset_token(app: &AppState, user: &UserRow, id: i64) -> Result<Value, ApiError> {
    let a = owned(app, user, id).await?;
    if !a.has_bot {
        return Err(ApiError::Unknown(Unknown::User));
    }
    let token = bot_token(a.id, app.now());
    app.store
        .replace_tokens(a.id, &auth::token_hash(&token), app.now())
        .await?;
    crate::gateway::registry::invalidate_user_sessions(app, a.id);
    Ok(json!({"token": token}))
}

/// Query of `/oauth2/authorize`.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Snowflake,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    permissions: Option<String>,
}

/// Body of `POST /oauth2/authorize`.
#[derive(Debug, Deserialize)]
pub struct AuthorizeBody {
    guild_id: Snowflake,
    #[serde(default)]
    permissions: Option<Permissions>,
    #[serde(default)]
    authorize: Option<bool>,
}

/// `GET /oauth2/authorize`: what the "Add bot" page shows — the application, its bot, and the
/// guilds the caller may add it to.
pub async fn authorize_info(
    app: &AppState,
    user: &UserRow,
    q: AuthorizeQuery,
) -> Result<Value, ApiError> {
    let a = app
        .store
        .application(q.client_id.get())
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    if !a.has_bot {
        return Err(field_error(
            "client_id",
            "APPLICATION_HAS_NO_BOT",
            "This application has no bot.",
        ));
    }
    let mut guilds = vec![];
    for g in app.store.user_guilds(user.id).await? {
        let ctx = GuildCtx::load(app, g.id, user.id).await?;
        if ctx.base().contains(Permissions::MANAGE_GUILD) {
            let has_bot = app.store.member(g.id, a.id).await?.is_some();
            guilds.push(json!({"id": g.id.to_string(), "name": g.name, "icon": g.icon, "permissions": ctx.base(), "has_bot": has_bot}));
        }
    }
    Ok(json!({
        "application": view(app, &a).await?,
        "bot": app.store.user(a.id).await?.map(|u| views::user(&u)),
        "guilds": guilds,
        "user": views::user(user),
        "scope": q.scope.unwrap_or_else(|| "bot".into()),
        "permissions": q.permissions.and_then(|p| Permissions::parse(&p)).unwrap_or_default(),
    }))
}

/// `POST /oauth2/authorize`: adds the bot to a guild (MANAGE_GUILD) with a managed role carrying
/// the requested permissions (only bits the caller holds).
pub async fn authorize(
    app: &AppState,
    user: &Auth,
    q: AuthorizeQuery,
    b: AuthorizeBody,
) -> Result<Value, ApiError> {
    if q.scope
        .as_deref()
        .is_some_and(|s| !s.split([' ', '+', ',']).any(|x| x == "bot"))
    {
        return Err(field_error(
            "scope",
            "OAUTH2_SCOPE_INVALID",
            "Only the bot scope is supported.",
        ));
    }
    if b.authorize == Some(false) {
        return Ok(json!({"location": null}));
    }
    let a = app
        .store
        .application(q.client_id.get())
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    if !a.has_bot {
        return Err(field_error(
            "client_id",
            "APPLICATION_HAS_NO_BOT",
            "This application has no bot.",
        ));
    }
    if !a.bot_public && a.owner_id != user.id() {
        return Err(ApiError::Forbidden(
            50013,
            "Only the owner may add a private bot",
        ));
    }
    let guild_id = b.guild_id.get();
    let ctx = GuildCtx::load(app, guild_id, user.id()).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    let wanted = b
        .permissions
        .or_else(|| q.permissions.as_deref().and_then(Permissions::parse))
        .unwrap_or_default();
    if !ctx.base().contains(wanted) {
        return Err(ApiError::MissingPermissions);
    }
    let bot = app
        .store
        .user(a.id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::User))?;
    let joined = app
        .store
        .add_member(guild_id, bot.id, app.now(), false, false)
        .await
        .map_err(|e| match e {
            StoreError::Conflict {
                constraint: "bans_pkey",
            } => ApiError::Forbidden(40007, "The bot is banned from this guild."),
            other => other.into(),
        })?;
    if joined {
        let role = RoleRow {
            id: app.ids.next_i64(),
            guild_id,
            name: a.name.clone(),
            color: 0,
            hoist: false,
            position: 1,
            permissions: wanted.0 as i64,
            managed: true,
            mentionable: false,
            icon: None,
            unicode_emoji: None,
            flags: 0,
            bot_id: Some(bot.id),
        };
        app.store.create_role(&role).await?;
        app.store.add_member_role(guild_id, bot.id, role.id).await?;
        let d = json!({"guild_id": guild_id.to_string(), "role": views::role(&role)});
        app.bus
            .publish(
                Event::new(
                    "GUILD_ROLE_CREATE",
                    &d,
                    Audience::Guild(guild_id),
                    Intents::GUILDS,
                )
                .with_effect(Effect::InvalidateGuild(guild_id)),
            )
            .await;
        members::announce_join(app, guild_id, &bot).await?;
        crate::service::audit::record(
            app,
            guild_id,
            crate::service::audit::Entry::new(
                coterie_model::moderation::action::BOT_ADD,
                Some(user.id()),
                Some(bot.id),
            ),
        )
        .await;
        tracing::info!(guild.id = guild_id, application.id = a.id, "bot added");
    }
    Ok(json!({"location": format!("{}/oauth2/authorized", app.base_url(None))}))
}
