//! Interactions: a member invokes a command or clicks a component; the bot is told with
//! INTERACTION_CREATE and answers once at `/interactions/{id}/{token}/callback` within 3 s; it
//! may follow up and edit through `/webhooks/{application}/{token}` for 15 minutes.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::media::IncomingFile;
use crate::service::messages::{CreateMessage, Draft, Posting, message_event};
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::{auth, commands, views};
use coterie_model::commands::option;
use coterie_model::message::FLAG_EPHEMERAL;
use coterie_model::{Permissions, Snowflake};
use coterie_store::{InteractionRow, UserRow};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the bot has for its first answer.
pub const RESPONSE_DEADLINE_MS: i64 = 3_000;
/// How long the token works for follow-ups.
pub const TOKEN_LIFETIME_MS: i64 = 15 * 60 * 1000;
/// `response_type` meaning "the bot did not answer in time".
const TIMED_OUT: i64 = -1;
/// Message flag: the bot is still thinking (deferred response).
const FLAG_LOADING: u64 = 1 << 7;

/// Interaction types.
pub mod kind {
    /// Slash or context-menu command.
    pub const APPLICATION_COMMAND: i64 = 2;
    /// Button or select.
    pub const MESSAGE_COMPONENT: i64 = 3;
    /// Autocomplete request.
    pub const AUTOCOMPLETE: i64 = 4;
    /// Modal submitted.
    pub const MODAL_SUBMIT: i64 = 5;
}

/// Invocations waiting for the bot's first answer on this node.
#[derive(Debug, Default)]
pub struct Waiters(Mutex<HashMap<i64, oneshot::Sender<Value>>>);

impl Waiters {
    fn insert(&self, id: i64) -> oneshot::Receiver<Value> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, tx);
        }
        rx
    }

    fn take(&self, id: i64) -> Option<oneshot::Sender<Value>> {
        self.0.lock().ok().and_then(|mut m| m.remove(&id))
    }
}

/// Body of `POST /interactions` (what Discord's own client sends).
#[derive(Debug, Deserialize)]
pub struct Invoke {
    #[serde(rename = "type")]
    kind: i64,
    application_id: Snowflake,
    channel_id: Snowflake,
    #[serde(default)]
    guild_id: Option<Snowflake>,
    #[serde(default)]
    message_id: Option<Snowflake>,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    nonce: Option<String>,
}

fn bad(path: &str, msg: &str) -> ApiError {
    field_error(path, "INTERACTION_DATA_INVALID", msg)
}

/// Checks invoked options against the command's definition and collects what they reference.
async fn check_options(
    app: &AppState,
    guild: Option<&GuildCtx>,
    defs: &[Value],
    given: &[Value],
    path: &str,
    resolved: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    for (i, g) in given.iter().enumerate() {
        let name = g["name"].as_str().unwrap_or("");
        let Some(def) = defs.iter().find(|d| d["name"] == name) else {
            return Err(bad(&format!("{path}.{i}.name"), "Unknown option"));
        };
        let t = def["type"].as_i64().unwrap_or(0);
        if g["type"].as_i64().is_some_and(|gt| gt != t) {
            return Err(bad(
                &format!("{path}.{i}.type"),
                "Option type does not match the command",
            ));
        }
        let v = &g["value"];
        let p = format!("{path}.{i}.value");
        if t == option::SUB_COMMAND || t == option::SUB_COMMAND_GROUP {
            let sub_defs = def["options"].as_array().cloned().unwrap_or_default();
            let sub = g["options"].as_array().cloned().unwrap_or_default();
            Box::pin(check_options(
                app,
                guild,
                &sub_defs,
                &sub,
                &format!("{path}.{i}.options"),
                resolved,
            ))
            .await?;
            continue;
        }
        let ok = match t {
            option::STRING => v.as_str().is_some_and(|s| {
                let n = s.chars().count() as u64;
                def["min_length"].as_u64().is_none_or(|m| n >= m)
                    && def["max_length"].as_u64().is_none_or(|m| n <= m)
                    && n <= 6000
            }),
            option::INTEGER => v.as_i64().is_some_and(|n| in_range(def, n as f64)),
            option::NUMBER => v.as_f64().is_some_and(|n| in_range(def, n)),
            option::BOOLEAN => v.is_boolean(),
            option::USER | option::MENTIONABLE | option::CHANNEL | option::ROLE => {
                let id = v.as_str().and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
                resolve(app, guild, t, id, resolved).await?
            }
            _ => false,
        };
        if !ok {
            return Err(bad(&p, "Invalid option value"));
        }
        if let Some(choices) = def["choices"].as_array()
            && !choices.iter().any(|c| &c["value"] == v)
        {
            return Err(bad(&p, "Value is not one of the choices"));
        }
    }
    for d in defs {
        if d["required"].as_bool() == Some(true) && !given.iter().any(|g| g["name"] == d["name"]) {
            return Err(bad(
                &format!("{path}.{}", d["name"].as_str().unwrap_or("")),
                "Required option missing",
            ));
        }
    }
    Ok(())
}

fn in_range(def: &Value, n: f64) -> bool {
    def["min_value"].as_f64().is_none_or(|m| n >= m)
        && def["max_value"].as_f64().is_none_or(|m| n <= m)
}

/// Adds a referenced user, member, role or channel to `resolved`; false if it does not exist.
async fn resolve(
    app: &AppState,
    guild: Option<&GuildCtx>,
    t: i64,
    id: i64,
    resolved: &mut Map<String, Value>,
) -> Result<bool, ApiError> {
    let key = id.to_string();
    let mut put = |bucket: &str, v: Value| {
        let b = resolved
            .entry(bucket.to_owned())
            .or_insert_with(|| json!({}));
        b[key.as_str()] = v;
    };
    if matches!(t, option::USER | option::MENTIONABLE) {
        if let Some(u) = app.store.user(id).await? {
            put(
                "users",
                serde_json::to_value(views::user(&u)).unwrap_or_default(),
            );
            if let Some(g) = guild
                && let Some(m) = app.store.member(g.guild.id, id).await?
            {
                let mut mv = serde_json::to_value(views::member(&m, None)).unwrap_or_default();
                mv["permissions"] = json!(g.base_of(&m));
                put("members", mv);
            }
            return Ok(true);
        }
        if t == option::USER {
            return Ok(false);
        }
    }
    if matches!(t, option::ROLE | option::MENTIONABLE) {
        if let Some(r) = guild.and_then(|g| g.roles.iter().find(|r| r.id == id)) {
            put(
                "roles",
                serde_json::to_value(views::role(r)).unwrap_or_default(),
            );
            return Ok(true);
        }
        return Ok(false);
    }
    if t == option::CHANNEL
        && let Some(c) = app
            .store
            .channel(id)
            .await?
            .filter(|c| c.guild_id.is_some() && c.guild_id == guild.map(|g| g.guild.id))
    {
        let ows = app.store.overwrites(c.id).await?;
        let mut cv = serde_json::to_value(views::guild_channel(&c, &ows)).unwrap_or_default();
        if let Some(g) = guild {
            cv["permissions"] = json!(g.in_channel(&c, &ows));
        }
        put("channels", cv);
        return Ok(true);
    }
    Ok(false)
}

/// Whether a stored message's components contain an enabled component with this custom_id.
fn has_component(components: &Value, custom_id: &str) -> bool {
    match components {
        Value::Array(a) => a.iter().any(|c| has_component(c, custom_id)),
        Value::Object(o) => {
            (o.get("custom_id").and_then(Value::as_str) == Some(custom_id)
                && o.get("disabled").and_then(Value::as_bool) != Some(true))
                || o.get("components")
                    .is_some_and(|c| has_component(c, custom_id))
        }
        _ => false,
    }
}

/// `POST /interactions`: validates, tells the bot, and waits (at most 3 s) for its first answer.
/// Returns the answer's summary, or 400 "the application did not respond".
pub async fn invoke(app: &AppState, user: &UserRow, b: Invoke) -> Result<Value, ApiError> {
    if user.bot {
        return Err(ApiError::Forbidden(20001, "Bots cannot use this endpoint"));
    }
    let ctx = ChannelCtx::load(app, b.channel_id.get(), user.id).await?;
    if b.guild_id.is_some_and(|g| Some(g.get()) != ctx.guild_id()) {
        return Err(bad("guild_id", "The channel is not in this guild"));
    }
    let a = app
        .store
        .application(b.application_id.get())
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    let bot = app
        .store
        .user(a.id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    let bot_perms = match &ctx.guild {
        Some(g) => {
            let m = app
                .store
                .member(g.guild.id, bot.id)
                .await?
                .ok_or_else(|| bad("application_id", "The application is not in this guild"))?;
            g.in_channel_of(&m, &ctx.channel, &ctx.overwrites)
        }
        None if ctx.recipients.contains(&bot.id) => crate::service::perms::DM_PERMISSIONS,
        None => {
            return Err(bad(
                "application_id",
                "The application is not in this conversation",
            ));
        }
    };
    let mut data = b.data.clone();
    let mut name = String::new();
    let mut message = None;
    match b.kind {
        kind::APPLICATION_COMMAND | kind::AUTOCOMPLETE => {
            ctx.require(Permissions::USE_APPLICATION_COMMANDS)?;
            let cmd_id = data["id"]
                .as_str()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            let cmd = app
                .store
                .command(a.id, cmd_id)
                .await?
                .ok_or(ApiError::Unknown(Unknown::Command))?;
            if cmd.scope != 0 && Some(cmd.scope) != ctx.guild_id() {
                return Err(ApiError::Unknown(Unknown::Command));
            }
            let def = commands::view(&cmd);
            if let Some(p) = def["default_member_permissions"]
                .as_str()
                .and_then(Permissions::parse)
            {
                ctx.require(p)?;
            }
            name.clone_from(&cmd.name);
            let mut resolved = Map::new();
            if b.kind == kind::APPLICATION_COMMAND {
                let defs = def["options"].as_array().cloned().unwrap_or_default();
                let given = data["options"].as_array().cloned().unwrap_or_default();
                check_options(
                    app,
                    ctx.guild.as_ref(),
                    &defs,
                    &given,
                    "data.options",
                    &mut resolved,
                )
                .await?;
            }
            if let Some(target) = data["target_id"]
                .as_str()
                .and_then(|s| s.parse::<i64>().ok())
            {
                if cmd.kind == coterie_model::commands::kind::MESSAGE {
                    let m = app
                        .store
                        .message(ctx.channel.id, target)
                        .await?
                        .ok_or(ApiError::Unknown(Unknown::Message))?;
                    let mv = views::messages(app, &[m], user.id).await?.remove(0);
                    resolved.insert("messages".into(), json!({ target.to_string(): mv }));
                } else if !resolve(app, ctx.guild.as_ref(), option::USER, target, &mut resolved)
                    .await?
                {
                    return Err(ApiError::Unknown(Unknown::User));
                }
            }
            data["id"] = json!(cmd.id.to_string());
            data["name"] = json!(cmd.name);
            data["type"] = json!(cmd.kind);
            if let Some(o) = data.as_object_mut() {
                o.remove("version");
                if !resolved.is_empty() {
                    o.insert("resolved".into(), Value::Object(resolved));
                }
                if let Some(g) = ctx.guild_id().filter(|_| cmd.scope != 0) {
                    o.insert("guild_id".into(), json!(g.to_string()));
                }
            }
        }
        kind::MESSAGE_COMPONENT => {
            let mid = b
                .message_id
                .ok_or_else(|| bad("message_id", "This field is required"))?
                .get();
            let m = app
                .store
                .message(ctx.channel.id, mid)
                .await?
                .ok_or(ApiError::Unknown(Unknown::Message))?;
            let custom_id = data["custom_id"].as_str().unwrap_or("");
            let components: Value = serde_json::from_str(&m.components).unwrap_or_default();
            if m.author_id != a.id || !has_component(&components, custom_id) {
                return Err(bad("data.custom_id", "Unknown component"));
            }
            message = Some(
                serde_json::to_value(views::messages(app, &[m], user.id).await?.remove(0))
                    .unwrap_or_default(),
            );
        }
        kind::MODAL_SUBMIT => {
            if data["custom_id"].as_str().is_none_or(str::is_empty) {
                return Err(bad("data.custom_id", "This field is required"));
            }
        }
        _ => {
            return Err(field_error(
                "type",
                "BASE_TYPE_CHOICES",
                "Value must be one of {2, 3, 4, 5}.",
            ));
        }
    }
    let (token, hash) = auth::new_token();
    let row = InteractionRow {
        id: app.ids.next_i64(),
        application_id: a.id,
        token_hash: hash,
        kind: b.kind,
        guild_id: ctx.guild_id(),
        channel_id: ctx.channel.id,
        user_id: user.id,
        message_id: b.message_id.map(Snowflake::get),
        name,
        created_at: app.now(),
        response_type: None,
        response_message_id: None,
        ephemeral_message: None,
    };
    app.store.create_interaction(&row).await?;
    let payload = build_payload(app, &row, &token, &ctx, user, data, message, bot_perms).await?;
    let rx = app.interactions.insert(row.id);
    app.bus
        .publish(
            Event::new(
                "INTERACTION_CREATE",
                &payload,
                Audience::Users(vec![a.id]),
                0,
            )
            .in_guild(row.guild_id),
        )
        .await;
    let answer = tokio::time::timeout(Duration::from_millis(RESPONSE_DEADLINE_MS as u64), rx).await;
    let nonce = b.nonce.clone();
    match answer {
        Ok(Ok(v)) => {
            let d = json!({"id": row.id.to_string(), "nonce": nonce});
            app.bus
                .publish(Event::new(
                    "INTERACTION_SUCCESS",
                    &d,
                    Audience::Users(vec![user.id]),
                    0,
                ))
                .await;
            Ok(json!({"id": row.id.to_string(), "response": v}))
        }
        _ => {
            app.interactions.take(row.id);
            if app.store.respond_interaction(row.id, TIMED_OUT).await? {
                let d = json!({"id": row.id.to_string(), "nonce": nonce});
                app.bus
                    .publish(Event::new(
                        "INTERACTION_FAILURE",
                        &d,
                        Audience::Users(vec![user.id]),
                        0,
                    ))
                    .await;
                return Err(ApiError::BadRequest(
                    1_000_004,
                    "The application did not respond",
                ));
            }
            // The answer raced the deadline and won.
            Ok(json!({"id": row.id.to_string(), "response": null}))
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site assembling Discord's payload"
)]
async fn build_payload(
    app: &AppState,
    i: &InteractionRow,
    token: &str,
    ctx: &ChannelCtx,
    user: &UserRow,
    data: Value,
    message: Option<Value>,
    bot_perms: Permissions,
) -> Result<Value, ApiError> {
    let mut channel =
        serde_json::to_value(crate::service::channels::view_of(app, ctx, user.id).await?)
            .unwrap_or_default();
    channel["permissions"] = json!(ctx.perms);
    let mut v = json!({
        "id": i.id.to_string(),
        "application_id": i.application_id.to_string(),
        "type": i.kind,
        "token": token,
        "version": 1,
        "data": data,
        "channel_id": ctx.channel.id.to_string(),
        "channel": channel,
        "app_permissions": bot_perms,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": app.config.upload_file_limit,
    });
    match &ctx.guild {
        Some(g) => {
            let mut m =
                serde_json::to_value(views::member(&g.member, Some(user))).unwrap_or_default();
            m["permissions"] = json!(ctx.perms);
            v["guild_id"] = json!(g.guild.id.to_string());
            v["guild"] = json!({"id": g.guild.id.to_string(), "locale": g.guild.preferred_locale, "features": []});
            v["guild_locale"] = json!(g.guild.preferred_locale);
            v["member"] = m;
            v["authorizing_integration_owners"] = json!({"0": g.guild.id.to_string()});
            v["context"] = json!(0);
        }
        None => {
            v["user"] = serde_json::to_value(views::user(user)).unwrap_or_default();
            v["authorizing_integration_owners"] = json!({"0": "0"});
            v["context"] = json!(if ctx.recipients.len() == 2 { 1 } else { 2 });
        }
    }
    if let Some(m) = message {
        v["message"] = serde_json::to_value(m).unwrap_or_default();
    }
    Ok(v)
}

/// Loads an interaction by id and token; 10062 for unknown, wrong-token or expired ones.
async fn by_token(app: &AppState, id: i64, token: &str) -> Result<InteractionRow, ApiError> {
    let i = app
        .store
        .interaction(id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Interaction))?;
    let hash = auth::token_hash(token);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        i.token_hash.as_slice(),
        hash.as_slice(),
    )) || app.now() - i.created_at > TOKEN_LIFETIME_MS
    {
        return Err(ApiError::Unknown(Unknown::Interaction));
    }
    Ok(i)
}

/// Body of the callback.
#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(rename = "type")]
    kind: i64,
    #[serde(default)]
    data: Option<Value>,
}

fn interaction_metadata(i: &InteractionRow, user: &UserRow) -> String {
    json!({
        "id": i.id.to_string(),
        "type": i.kind,
        "name": i.name,
        "user": views::user(user),
        "authorizing_integration_owners": {"0": i.guild_id.map_or_else(|| "0".to_owned(), |g| g.to_string())},
    })
    .to_string()
}

/// Posts a message for an interaction (initial response or follow-up) as its bot.
async fn respond_message(
    app: &AppState,
    i: &InteractionRow,
    data: Value,
    loading: bool,
    files: Vec<IncomingFile>,
) -> Result<(coterie_model::message::Message, bool), ApiError> {
    let bot = app
        .store
        .user(i.application_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    let invoker = app
        .store
        .user(i.user_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::User))?;
    let ctx = ChannelCtx::load(app, i.channel_id, i.application_id).await?;
    let body: CreateMessage = crate::extract::parse_json(data.to_string().as_bytes())?;
    let mut errs = FieldErrors::new();
    let mut draft = Draft::parse(body, &mut errs);
    errs.into_result()?;
    if loading {
        draft.flags |= FLAG_LOADING;
    } else if draft.is_empty() && files.is_empty() {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    let ephemeral = draft.flags & FLAG_EPHEMERAL != 0;
    let meta = interaction_metadata(i, &invoker);
    let kind = if i.kind == kind::APPLICATION_COMMAND {
        coterie_model::message::kind::CHAT_INPUT_COMMAND
    } else {
        0
    };
    let posting = Posting {
        author: &bot,
        member: None,
        can_everyone: ctx.perms.contains(Permissions::MENTION_EVERYONE),
        can_tts: ctx.perms.contains(Permissions::SEND_TTS_MESSAGES),
        allowed_flags: coterie_model::message::FLAG_SUPPRESS_EMBEDS
            | coterie_model::message::FLAG_SUPPRESS_NOTIFICATIONS
            | FLAG_EPHEMERAL
            | FLAG_LOADING,
        kind: Some(kind),
        webhook_id: Some(i.application_id),
        application_id: Some(i.application_id),
        author_override: None,
        interaction: Some(&meta),
        persist: !ephemeral,
        id: None,
    };
    let files = if ephemeral { vec![] } else { files };
    let (view, _) =
        crate::service::messages::post_with_files(app, &ctx, draft, posting, files).await?;
    if ephemeral {
        // Ephemeral messages are shown only to the invoker and never stored as messages.
        let mut full = view.clone();
        full.guild_id = ctx.guild_id().map(Snowflake::from_i64);
        app.bus
            .publish(Event::new(
                "MESSAGE_CREATE",
                &full,
                Audience::Users(vec![i.user_id]),
                0,
            ))
            .await;
    }
    Ok((view, ephemeral))
}

/// `POST /interactions/{id}/{token}/callback`.
pub async fn callback(
    app: &AppState,
    id: i64,
    token: &str,
    b: Callback,
    with_response: bool,
    files: Vec<IncomingFile>,
) -> Result<Option<Value>, ApiError> {
    let i = by_token(app, id, token).await?;
    if i.response_type == Some(TIMED_OUT)
        || (i.response_type.is_none() && app.now() - i.created_at > RESPONSE_DEADLINE_MS + 500)
    {
        return Err(ApiError::Unknown(Unknown::Interaction));
    }
    let allowed: &[i64] = match i.kind {
        kind::APPLICATION_COMMAND => &[4, 5, 9],
        kind::MESSAGE_COMPONENT => &[4, 5, 6, 7, 9],
        kind::MODAL_SUBMIT => &[4, 5, 6, 7],
        kind::AUTOCOMPLETE => &[8],
        _ => &[],
    };
    if !allowed.contains(&b.kind) {
        return Err(field_error(
            "type",
            "INTERACTION_RESPONSE_TYPE_INVALID",
            "This response type does not apply to this interaction.",
        ));
    }
    let data = b.data.clone().unwrap_or_else(|| json!({}));
    if b.kind == 9
        && (data["custom_id"].as_str().is_none_or(str::is_empty)
            || data["title"]
                .as_str()
                .is_none_or(|t| t.is_empty() || t.chars().count() > 45))
    {
        return Err(field_error(
            "data",
            "MODAL_INVALID",
            "A modal needs a custom_id and a title of 1-45 characters.",
        ));
    }
    if b.kind == 8 && data["choices"].as_array().is_none_or(|c| c.len() > 25) {
        return Err(field_error(
            "data.choices",
            "BASE_TYPE_MAX_LENGTH",
            "Up to 25 choices are required.",
        ));
    }
    if !app.store.respond_interaction(i.id, b.kind).await? {
        return Err(ApiError::BadRequest(
            40060,
            "Interaction has already been acknowledged.",
        ));
    }
    let mut resource = json!({"type": b.kind});
    let mut summary = json!({"type": b.kind});
    let mut message_id = None;
    let mut ephemeral = false;
    match b.kind {
        4 | 5 => {
            let (m, eph) = respond_message(app, &i, data.clone(), b.kind == 5, files).await?;
            ephemeral = eph;
            message_id = Some(m.id.get());
            app.store
                .set_interaction_message(
                    i.id,
                    (!eph).then(|| m.id.get()),
                    eph.then(|| serde_json::to_string(&m).unwrap_or_default()),
                )
                .await?;
            summary["message"] = serde_json::to_value(&m).unwrap_or_default();
            resource["message"] = serde_json::to_value(&m).unwrap_or_default();
        }
        7 => {
            let mid = i.message_id.ok_or(ApiError::Unknown(Unknown::Message))?;
            let m = edit_as_bot(app, &i, mid, data, files).await?;
            message_id = Some(mid);
            resource["message"] = serde_json::to_value(&m).unwrap_or_default();
        }
        8 => summary["choices"] = data["choices"].clone(),
        9 => {
            summary["modal"] = data.clone();
            let d = json!({"id": i.id.to_string(), "application_id": i.application_id.to_string(), "channel_id": i.channel_id.to_string(), "data": data});
            app.bus
                .publish(Event::new(
                    "INTERACTION_MODAL_CREATE",
                    &d,
                    Audience::Users(vec![i.user_id]),
                    0,
                ))
                .await;
        }
        _ => {}
    }
    if let Some(w) = app.interactions.take(i.id) {
        let _ = w.send(summary);
    }
    if !with_response {
        return Ok(None);
    }
    let mut inter = json!({"id": i.id.to_string(), "type": i.kind});
    if let Some(m) = message_id {
        inter["response_message_id"] = json!(m.to_string());
        inter["response_message_loading"] = json!(b.kind == 5);
        inter["response_message_ephemeral"] = json!(ephemeral);
    }
    Ok(Some(json!({"interaction": inter, "resource": resource})))
}

/// Edits a message the interaction's bot sent (UPDATE_MESSAGE and webhook edits).
async fn edit_as_bot(
    app: &AppState,
    i: &InteractionRow,
    message_id: i64,
    data: Value,
    files: Vec<IncomingFile>,
) -> Result<coterie_model::message::Message, ApiError> {
    let body: crate::service::messages::EditMessage =
        crate::extract::parse_json(data.to_string().as_bytes())?;
    let bot = app
        .store
        .user(i.application_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    crate::service::messages::edit(app, &bot, i.channel_id, message_id, body, files).await
}

/// `POST /webhooks/{application}/{token}`: a follow-up message.
pub async fn followup(
    app: &AppState,
    application_id: i64,
    token: &str,
    data: Value,
    files: Vec<IncomingFile>,
) -> Result<coterie_model::message::Message, ApiError> {
    let i = followup_target(app, application_id, token).await?;
    let (m, _) = respond_message(app, &i, data, false, files).await?;
    Ok(m)
}

async fn followup_target(
    app: &AppState,
    application_id: i64,
    token: &str,
) -> Result<InteractionRow, ApiError> {
    let i = app
        .store
        .interaction_by_token(application_id, &auth::token_hash(token))
        .await?
        .ok_or(ApiError::Unknown(Unknown::Webhook))?;
    if app.now() - i.created_at > TOKEN_LIFETIME_MS {
        return Err(ApiError::Unknown(Unknown::Webhook));
    }
    Ok(i)
}

/// Whether a stored message was sent for this application in this interaction's channel.
async fn message_of(
    app: &AppState,
    i: &InteractionRow,
    message: &str,
) -> Result<Option<i64>, ApiError> {
    if message == "@original" {
        if i.ephemeral_message.is_some() {
            return Ok(None);
        }
        return i
            .response_message_id
            .map(Some)
            .ok_or(ApiError::Unknown(Unknown::Message));
    }
    let id: i64 = message
        .parse()
        .map_err(|_| ApiError::Unknown(Unknown::Message))?;
    let m = app
        .store
        .message(i.channel_id, id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if m.application_id != Some(i.application_id) {
        return Err(ApiError::Unknown(Unknown::Message));
    }
    Ok(Some(id))
}

/// `GET /webhooks/{application}/{token}/messages/{id|@original}`.
pub async fn get_message(
    app: &AppState,
    application_id: i64,
    token: &str,
    message: &str,
) -> Result<Value, ApiError> {
    let i = followup_target(app, application_id, token).await?;
    match message_of(app, &i, message).await? {
        Some(id) => {
            let row = app
                .store
                .message(i.channel_id, id)
                .await?
                .ok_or(ApiError::Unknown(Unknown::Message))?;
            Ok(serde_json::to_value(
                views::messages(app, &[row], i.application_id)
                    .await?
                    .remove(0),
            )
            .unwrap_or_default())
        }
        None => i
            .ephemeral_message
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .ok_or(ApiError::Unknown(Unknown::Message)),
    }
}

/// `PATCH /webhooks/{application}/{token}/messages/{id|@original}` (completes a deferred response).
pub async fn edit_message(
    app: &AppState,
    application_id: i64,
    token: &str,
    message: &str,
    data: Value,
    files: Vec<IncomingFile>,
) -> Result<Value, ApiError> {
    let i = followup_target(app, application_id, token).await?;
    let Some(id) = message_of(app, &i, message).await? else {
        return Err(ApiError::BadRequest(
            1_000_005,
            "Ephemeral responses cannot be edited yet",
        ));
    };
    let row = app
        .store
        .message(i.channel_id, id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let loading = row.flags as u64 & FLAG_LOADING != 0;
    let m = edit_as_bot(app, &i, id, data, files).await?;
    if loading {
        // A deferred response becomes the real one: no longer loading, not "edited".
        let patch = coterie_store::MessagePatch {
            flags: Some((row.flags as u64 & !FLAG_LOADING) as i64),
            ..Default::default()
        };
        let fixed = app.store.update_message(i.channel_id, id, patch).await?;
        let fixed = coterie_store::MessageRow {
            edited_at: None,
            ..fixed
        };
        let view = views::messages(app, &[fixed], i.application_id)
            .await?
            .remove(0);
        let ctx = ChannelCtx::load(app, i.channel_id, i.application_id).await?;
        app.bus
            .publish(message_event("MESSAGE_UPDATE", &ctx, &view, None))
            .await;
        return Ok(serde_json::to_value(view).unwrap_or_default());
    }
    Ok(serde_json::to_value(m).unwrap_or_default())
}

/// `DELETE /webhooks/{application}/{token}/messages/{id|@original}`.
pub async fn delete_message(
    app: &AppState,
    application_id: i64,
    token: &str,
    message: &str,
) -> Result<(), ApiError> {
    let i = followup_target(app, application_id, token).await?;
    let Some(id) = message_of(app, &i, message).await? else {
        return Ok(());
    };
    let bot = app
        .store
        .user(i.application_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Application))?;
    crate::service::messages::delete(app, &bot, i.channel_id, id).await
}

/// Removes interactions whose tokens have expired.
pub async fn prune(app: &AppState) {
    if let Err(e) = app
        .store
        .prune_interactions(app.now() - TOKEN_LIFETIME_MS)
        .await
    {
        tracing::warn!(error = format!("{e:#}"), "pruning interactions failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_found_by_custom_id_in_nested_rows() {
        let c = json!([{"type": 1, "components": [{"type": 2, "custom_id": "yes"}, {"type": 2, "custom_id": "no", "disabled": true}]}]);
        assert!(has_component(&c, "yes"));
        assert!(!has_component(&c, "no"));
        assert!(!has_component(&c, "maybe"));
    }
}
