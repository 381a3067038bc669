//! Incoming webhooks: managed by members with MANAGE_WEBHOOKS, executed by anyone holding the
//! token (Discord's JSON or Slack's), with their messages editable through the same token.
//! `/webhooks/{id}/{token}` also serves interaction follow-ups when `id` is an application.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::audit::{self, Entry};
use crate::service::media::IncomingFile;
use crate::service::messages::{CreateMessage, Draft, Posting};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_model::message::Message;
use coterie_model::moderation::action;
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{UserRow, WebhookRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// Webhooks per channel.
const MAX_PER_CHANNEL: usize = 15;

/// Body of create and modify.
#[derive(Debug, Default, Deserialize)]
pub struct WebhookBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    avatar: Option<Option<String>>,
    channel_id: Option<Snowflake>,
}

/// Query of execute.
#[derive(Debug, Default, Deserialize)]
pub struct ExecuteQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    wait: Option<bool>,
    thread_id: Option<Snowflake>,
}

fn check_name(name: &str) -> Result<String, FieldError> {
    let n = coterie_model::validate::text(name, 1, 80)?;
    let lower = n.to_lowercase();
    if lower.contains("clyde")
        || lower.contains("discord")
        || lower == "everyone"
        || lower == "here"
    {
        return Err(FieldError::new(
            "WEBHOOK_INVALID_USERNAME",
            "That name is not allowed.",
        ));
    }
    Ok(n)
}

fn avatar_hash(a: Option<String>) -> Option<String> {
    a.filter(|h| h.len() == 32 && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// The webhook object; the token only for those allowed to manage it.
pub async fn view(app: &AppState, w: &WebhookRow, manager: bool) -> Result<Value, ApiError> {
    let mut v = json!({
        "id": w.id.to_string(),
        "type": w.kind,
        "guild_id": w.guild_id.to_string(),
        "channel_id": w.channel_id.to_string(),
        "name": w.name,
        "avatar": w.avatar,
        "application_id": w.application_id.map(|a| a.to_string()),
    });
    if manager {
        if let Some(c) = w.creator_id
            && let Some(u) = app.store.user(c).await?
        {
            v["user"] = serde_json::to_value(views::user(&u)).unwrap_or_default();
        }
        if let Some(t) = &w.token {
            v["token"] = json!(t);
            v["url"] = json!(format!("{}/api/webhooks/{}/{t}", app.base_url(None), w.id));
        }
    }
    Ok(v)
}

async fn announce(app: &AppState, w: &WebhookRow) {
    let d = json!({"guild_id": w.guild_id.to_string(), "channel_id": w.channel_id.to_string()});
    let audience = Audience::ChannelPerm {
        guild: w.guild_id,
        channel: w.channel_id,
        perm: Permissions::MANAGE_WEBHOOKS.0,
    };
    app.bus
        .publish(Event::new(
            "WEBHOOKS_UPDATE",
            &d,
            audience,
            Intents::GUILD_WEBHOOKS,
        ))
        .await;
}

/// `POST /channels/{id}/webhooks`.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    b: WebhookBody,
) -> Result<Value, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let Some(guild_id) = ctx.guild_id() else {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    ctx.require(Permissions::MANAGE_WEBHOOKS)?;
    let name = check_name(b.name.as_deref().unwrap_or(""))
        .map_err(|e| field_error("name", e.code, e.message))?;
    if app.store.channel_webhooks(channel_id).await?.len() >= MAX_PER_CHANNEL {
        return Err(ApiError::BadRequest(
            30007,
            "Maximum number of webhooks reached (15)",
        ));
    }
    let (token, _) = crate::service::auth::new_token();
    let w = WebhookRow {
        id: app.ids.next_i64(),
        kind: 1,
        guild_id,
        channel_id,
        creator_id: Some(user.id),
        application_id: None,
        name,
        avatar: avatar_hash(b.avatar.flatten()),
        token: Some(format!(
            "{token}{}",
            crate::service::auth::new_token().0.get(..20).unwrap_or("")
        )),
        created_at: app.now(),
    };
    app.store.create_webhook(&w).await?;
    audit::record(
        app,
        guild_id,
        Entry::new(action::WEBHOOK_CREATE, Some(user.id), Some(w.id))
            .changes(audit::created(&audited(&w))),
    )
    .await;
    announce(app, &w).await;
    view(app, &w, true).await
}

/// The fields of a webhook the audit log shows (never its token).
fn audited(w: &WebhookRow) -> Value {
    serde_json::json!({
        "name": w.name,
        "channel_id": w.channel_id.to_string(),
        "type": w.kind,
        "avatar_hash": w.avatar,
    })
}

/// `GET /channels/{id}/webhooks`.
pub async fn list_channel(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
) -> Result<Vec<Value>, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::MANAGE_WEBHOOKS)?;
    let mut out = vec![];
    for w in app.store.channel_webhooks(channel_id).await? {
        out.push(view(app, &w, true).await?);
    }
    Ok(out)
}

/// `GET /guilds/{id}/webhooks`.
pub async fn list_guild(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
) -> Result<Vec<Value>, ApiError> {
    let ctx = crate::service::perms::GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_WEBHOOKS)?;
    let mut out = vec![];
    for w in app.store.guild_webhooks(guild_id).await? {
        out.push(view(app, &w, true).await?);
    }
    Ok(out)
}

/// Loads a webhook for a manager (MANAGE_WEBHOOKS in its channel).
async fn managed(app: &AppState, user: &UserRow, id: i64) -> Result<WebhookRow, ApiError> {
    let w = app
        .store
        .webhook(id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Webhook))?;
    let ctx = ChannelCtx::load(app, w.channel_id, user.id)
        .await
        .map_err(|_| ApiError::Unknown(Unknown::Webhook))?;
    ctx.require(Permissions::MANAGE_WEBHOOKS)?;
    Ok(w)
}

/// Loads a webhook by id and token (401 50027 for a wrong token).
pub async fn by_token(app: &AppState, id: i64, token: &str) -> Result<WebhookRow, ApiError> {
    let w = app
        .store
        .webhook(id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Webhook))?;
    let ok = w.token.as_deref().is_some_and(|t| {
        bool::from(subtle::ConstantTimeEq::ct_eq(
            t.as_bytes(),
            token.as_bytes(),
        ))
    });
    if !ok {
        return Err(ApiError::InvalidWebhookToken);
    }
    Ok(w)
}

/// `GET /webhooks/{id}` (manager) or `/webhooks/{id}/{token}` (no `user`, as in Discord).
pub async fn get(
    app: &AppState,
    user: Option<&UserRow>,
    id: i64,
    token: Option<&str>,
) -> Result<Value, ApiError> {
    match (user, token) {
        (_, Some(t)) => {
            let w = by_token(app, id, t).await?;
            let mut v = view(app, &w, false).await?;
            v["token"] = json!(t);
            Ok(v)
        }
        (Some(u), None) => view(app, &managed(app, u, id).await?, true).await,
        (None, None) => Err(ApiError::Unauthorized),
    }
}

/// `PATCH /webhooks/{id}` (manager; may move it) or `/webhooks/{id}/{token}`.
pub async fn modify(
    app: &AppState,
    user: Option<&UserRow>,
    id: i64,
    token: Option<&str>,
    b: WebhookBody,
) -> Result<Value, ApiError> {
    let mut w = match (user, token) {
        (_, Some(t)) => by_token(app, id, t).await?,
        (Some(u), None) => managed(app, u, id).await?,
        (None, None) => return Err(ApiError::Unauthorized),
    };
    let before = audited(&w);
    let mut errs = FieldErrors::new();
    if let Some(n) = &b.name
        && let Some(n) = errs.check("name", check_name(n))
    {
        w.name = n;
    }
    if let Some(a) = b.avatar {
        w.avatar = avatar_hash(a);
    }
    if let Some(c) = b.channel_id {
        let (Some(u), None) = (user, token) else {
            return Err(field_error(
                "channel_id",
                "WEBHOOK_CHANNEL_TOKEN",
                "Moving a webhook needs a logged-in manager.",
            ));
        };
        let ctx = ChannelCtx::load(app, c.get(), u.id).await?;
        ctx.require(Permissions::MANAGE_WEBHOOKS)?;
        if ctx.guild_id() != Some(w.guild_id) {
            errs.add(
                "channel_id",
                FieldError::new("CHANNEL_INVALID", "The channel must be in the same guild."),
            );
        }
        w.channel_id = c.get();
    }
    errs.into_result()?;
    app.store.update_webhook(&w).await?;
    audit::record(
        app,
        w.guild_id,
        Entry::new(action::WEBHOOK_UPDATE, user.map(|u| u.id), Some(w.id))
            .changes(audit::diff(&before, &audited(&w))),
    )
    .await;
    announce(app, &w).await;
    view(app, &w, token.is_none()).await
}

/// `DELETE /webhooks/{id}` or `/webhooks/{id}/{token}`.
pub async fn delete(
    app: &AppState,
    user: Option<&UserRow>,
    id: i64,
    token: Option<&str>,
) -> Result<(), ApiError> {
    let w = match (user, token) {
        (_, Some(t)) => by_token(app, id, t).await?,
        (Some(u), None) => managed(app, u, id).await?,
        (None, None) => return Err(ApiError::Unauthorized),
    };
    app.store.delete_webhook(w.id).await?;
    audit::record(
        app,
        w.guild_id,
        Entry::new(action::WEBHOOK_DELETE, user.map(|u| u.id), Some(w.id))
            .changes(audit::deleted(&audited(&w))),
    )
    .await;
    announce(app, &w).await;
    Ok(())
}

/// `POST /webhooks/{id}/{token}`: posts a message as the webhook; returns it when `wait`.
pub async fn execute(
    app: &AppState,
    id: i64,
    token: &str,
    q: ExecuteQuery,
    body: Value,
    files: Vec<IncomingFile>,
) -> Result<Option<Message>, ApiError> {
    if app.store.application(id).await?.is_some() {
        let m = crate::service::interactions::followup(app, id, token, body, files).await?;
        return Ok(Some(m));
    }
    let w = by_token(app, id, token).await?;
    if q.thread_id.is_some() {
        return Err(field_error(
            "thread_id",
            "THREADS_UNSUPPORTED",
            "Threads arrive with the forums issue.",
        ));
    }
    let mut errs = FieldErrors::new();
    let username = match body.get("username").and_then(Value::as_str) {
        Some(n) => errs.check("username", check_name(n)),
        None => None,
    };
    let parsed: CreateMessage = crate::extract::parse_json(body.to_string().as_bytes())?;
    let mut draft = Draft::parse(parsed, &mut errs);
    errs.into_result()?;
    draft.reference = None;
    if draft.is_empty() && files.is_empty() {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    let author = app
        .store
        .user(w.id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Webhook))?;
    let ctx = ChannelCtx::system(app, w.channel_id, w.id).await?;
    let over = json!({"username": username.unwrap_or_else(|| w.name.clone()), "avatar": w.avatar, "avatar_url": body.get("avatar_url")}).to_string();
    let posting = Posting {
        author: &author,
        member: None,
        can_everyone: true,
        can_tts: true,
        allowed_flags: coterie_model::message::FLAG_SUPPRESS_EMBEDS
            | coterie_model::message::FLAG_SUPPRESS_NOTIFICATIONS,
        kind: Some(coterie_model::message::kind::DEFAULT),
        webhook_id: Some(w.id),
        application_id: None,
        author_override: Some(&over),
        interaction: None,
        persist: true,
        id: None,
    };
    let (m, _) =
        crate::service::messages::post_with_files(app, &ctx, draft, posting, files).await?;
    Ok(q.wait.unwrap_or(false).then_some(m))
}

/// Slack's incoming-webhook payload turned into a Discord message body.
#[must_use]
pub fn from_slack(v: &Value) -> Value {
    let mut embeds = vec![];
    for a in v
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(10)
    {
        let mut e = json!({"type": "rich"});
        if let Some(t) = a.get("title").and_then(Value::as_str) {
            e["title"] = json!(t);
        }
        if let Some(u) = a.get("title_link").and_then(Value::as_str) {
            e["url"] = json!(u);
        }
        let text = [a.get("pretext"), a.get("text")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        if !text.is_empty() {
            e["description"] = json!(text);
        }
        if let Some(c) = a
            .get("color")
            .and_then(Value::as_str)
            .and_then(|c| u32::from_str_radix(c.trim_start_matches('#'), 16).ok())
        {
            e["color"] = json!(c);
        }
        if let Some(f) = a.get("footer").and_then(Value::as_str) {
            e["footer"] = json!({"text": f});
        }
        let fields: Vec<Value> = a
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| json!({"name": f.get("title").and_then(Value::as_str).unwrap_or("\u{200b}"), "value": f.get("value").and_then(Value::as_str).unwrap_or("\u{200b}"), "inline": f.get("short").and_then(Value::as_bool).unwrap_or(false)}))
            .collect();
        if !fields.is_empty() {
            e["fields"] = json!(fields);
        }
        embeds.push(e);
    }
    let mut out =
        json!({"content": v.get("text").and_then(Value::as_str).unwrap_or(""), "embeds": embeds});
    if let Some(u) = v.get("username").and_then(Value::as_str) {
        out["username"] = json!(u);
    }
    if let Some(i) = v.get("icon_url").and_then(Value::as_str) {
        out["avatar_url"] = json!(i);
    }
    out
}

/// A webhook's own message, addressed by the webhook's id and token: the webhook, the message and the
/// webhook's user (the message's author).
async fn own_message(
    app: &AppState,
    id: i64,
    token: &str,
    message: &str,
) -> Result<(WebhookRow, coterie_store::MessageRow, UserRow), ApiError> {
    let w = by_token(app, id, token).await?;
    let message_id: i64 = message
        .parse()
        .map_err(|_| ApiError::Unknown(Unknown::Message))?;
    let m = app
        .store
        .message(w.channel_id, message_id)
        .await?
        .filter(|m| m.webhook_id == Some(w.id))
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let author = app
        .store
        .user(w.id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Webhook))?;
    Ok((w, m, author))
}

/// `GET /webhooks/{id}/{token}/messages/{message}`.
pub async fn get_message(
    app: &AppState,
    id: i64,
    token: &str,
    message: &str,
) -> Result<Value, ApiError> {
    if app.store.application(id).await?.is_some() {
        return crate::service::interactions::get_message(app, id, token, message).await;
    }
    let (w, m, _) = own_message(app, id, token, message).await?;
    Ok(serde_json::to_value(views::messages(app, &[m], w.id).await?.remove(0)).unwrap_or_default())
}

/// `PATCH /webhooks/{id}/{token}/messages/{message}`.
pub async fn edit_message(
    app: &AppState,
    id: i64,
    token: &str,
    message: &str,
    body: Value,
    files: Vec<IncomingFile>,
) -> Result<Value, ApiError> {
    if app.store.application(id).await?.is_some() {
        return crate::service::interactions::edit_message(app, id, token, message, body, files)
            .await;
    }
    let (w, m, author) = own_message(app, id, token, message).await?;
    let patch: crate::service::messages::EditMessage =
        crate::extract::parse_json(body.to_string().as_bytes())?;
    let edited = crate::service::messages::edit_in(
        app,
        &ChannelCtx::system(app, w.channel_id, w.id).await?,
        &author,
        m.id,
        patch,
        files,
    )
    .await?;
    Ok(serde_json::to_value(edited).unwrap_or_default())
}

/// `DELETE /webhooks/{id}/{token}/messages/{message}`.
pub async fn delete_message(
    app: &AppState,
    id: i64,
    token: &str,
    message: &str,
) -> Result<(), ApiError> {
    if app.store.application(id).await?.is_some() {
        return crate::service::interactions::delete_message(app, id, token, message).await;
    }
    let (w, m, author) = own_message(app, id, token, message).await?;
    crate::service::messages::delete_in(
        app,
        &ChannelCtx::system(app, w.channel_id, w.id).await?,
        &author,
        m.id,
    )
    .await
}
