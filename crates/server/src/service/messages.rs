//! Messages: history, send (mentions, replies, nonces, embeds, slowmode), edit, delete, bulk
//! delete, pins, typing and read acknowledgements.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_model::channel::kind as channel_kind;
use coterie_model::message::{self as msg, Message, MessageReference, kind};
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Snowflake, Timestamp, mentions};
use coterie_store::{MessagePage, MessagePatch, MessageRow, NewMessage, UserRow};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Longest message text.
pub const MAX_CONTENT: usize = 2000;
/// Pins per channel.
const MAX_PINS: i64 = 250;
/// Bulk delete refuses messages older than this.
const BULK_DELETE_MAX_AGE_MS: i64 = 14 * 24 * 3600 * 1000;
/// `enforce_nonce` looks back this far.
const NONCE_WINDOW_MS: i64 = 5 * 60 * 1000;

/// `allowed_mentions`.
#[derive(Debug, Default, Deserialize)]
pub struct AllowedMentions {
    parse: Option<Vec<String>>,
    users: Option<Vec<Snowflake>>,
    roles: Option<Vec<Snowflake>>,
    replied_user: Option<bool>,
}

/// Body of `POST /channels/{id}/messages`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateMessage {
    content: Option<String>,
    nonce: Option<Value>,
    tts: Option<bool>,
    embeds: Option<Vec<Value>>,
    embed: Option<Value>,
    allowed_mentions: Option<AllowedMentions>,
    message_reference: Option<MessageReference>,
    components: Option<Vec<Value>>,
    sticker_ids: Option<Vec<Snowflake>>,
    flags: Option<u64>,
    enforce_nonce: Option<bool>,
}

/// Body of `PATCH /channels/{id}/messages/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct EditMessage {
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    content: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    embeds: Option<Option<Vec<Value>>>,
    flags: Option<u64>,
    allowed_mentions: Option<AllowedMentions>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    components: Option<Option<Vec<Value>>>,
}

/// Query of `GET /channels/{id}/messages`.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    limit: Option<i64>,
    before: Option<Snowflake>,
    after: Option<Snowflake>,
    around: Option<Snowflake>,
}

/// Body of bulk delete.
#[derive(Debug, Deserialize)]
pub struct BulkDelete {
    messages: Vec<Snowflake>,
}

/// Query of the paged pins listing.
#[derive(Debug, Deserialize)]
pub struct PinsQuery {
    before: Option<Timestamp>,
    limit: Option<i64>,
}

/// One entry of the paged pins listing.
#[derive(Debug, Serialize)]
pub struct PinItem {
    pinned_at: Timestamp,
    message: Message,
}

/// The paged pins listing.
#[derive(Debug, Serialize)]
pub struct PinPage {
    items: Vec<PinItem>,
    has_more: bool,
}

fn intent(ctx: &ChannelCtx) -> u64 {
    if ctx.guild_id().is_some() {
        Intents::GUILD_MESSAGES
    } else {
        Intents::DIRECT_MESSAGES
    }
}

/// Checks embeds against Discord's limits and gives each a `type`.
fn check_embeds(embeds: &mut [Value], errs: &mut FieldErrors) {
    if embeds.len() > 10 {
        errs.add(
            "embeds",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."),
        );
        return;
    }
    let mut total = 0usize;
    let limits: [(&str, usize); 3] = [("title", 256), ("description", 4096), ("url", 2048)];
    for (i, e) in embeds.iter_mut().enumerate() {
        let Some(obj) = e.as_object_mut() else {
            errs.add(
                &format!("embeds.{i}"),
                FieldError::new(
                    "DICT_TYPE_CONVERT",
                    "Only dictionaries may be used in a DictType",
                ),
            );
            continue;
        };
        obj.entry("type").or_insert_with(|| json!("rich"));
        for (k, max) in limits {
            if let Some(s) = obj.get(k).and_then(Value::as_str) {
                let n = s.chars().count();
                total += if k == "url" { 0 } else { n };
                if n > max {
                    errs.add(
                        &format!("embeds.{i}.{k}"),
                        FieldError::new(
                            "BASE_TYPE_MAX_LENGTH",
                            format!("Must be {max} or fewer in length."),
                        ),
                    );
                }
            }
        }
        for (outer, inner, max) in [("footer", "text", 2048), ("author", "name", 256)] {
            if let Some(s) = obj
                .get(outer)
                .and_then(|o| o.get(inner))
                .and_then(Value::as_str)
            {
                total += s.chars().count();
                if s.chars().count() > max {
                    errs.add(
                        &format!("embeds.{i}.{outer}.{inner}"),
                        FieldError::new(
                            "BASE_TYPE_MAX_LENGTH",
                            format!("Must be {max} or fewer in length."),
                        ),
                    );
                }
            }
        }
        if let Some(fields) = obj.get("fields").and_then(Value::as_array) {
            if fields.len() > 25 {
                errs.add(
                    &format!("embeds.{i}.fields"),
                    FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),
                );
            }
            for (j, f) in fields.iter().enumerate() {
                for (k, max) in [("name", 256), ("value", 1024)] {
                    match f.get(k).and_then(Value::as_str) {
                        Some(s) => {
                            total += s.chars().count();
                            if s.chars().count() > max {
                                errs.add(
                                    &format!("embeds.{i}.fields.{j}.{k}"),
                                    FieldError::new(
                                        "BASE_TYPE_MAX_LENGTH",
                                        format!("Must be {max} or fewer in length."),
                                    ),
                                );
                            }
                        }
                        None => errs.add(
                            &format!("embeds.{i}.fields.{j}.{k}"),
                            FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
                        ),
                    }
                }
            }
        }
    }
    if total > 6000 {
        errs.add(
            "embeds",
            FieldError::new(
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            ),
        );
    }
}

fn check_content(content: &str, errs: &mut FieldErrors) {
    if content.chars().count() > MAX_CONTENT {
        errs.add(
            "content",
            FieldError::new(
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {MAX_CONTENT} or fewer in length."),
            ),
        );
    }
}

/// Which mentions take effect, given the author's permissions and `allowed_mentions`.
struct Resolved {
    everyone: bool,
    users: Vec<i64>,
    roles: Vec<i64>,
}

async fn resolve_mentions(
    app: &AppState,
    ctx: &ChannelCtx,
    content: &str,
    allowed: Option<&AllowedMentions>,
    replied_to: Option<i64>,
    author: i64,
) -> Result<Resolved, ApiError> {
    let found = mentions::parse(content);
    let parse_has = |what: &str| {
        allowed.is_none_or(|a| {
            a.parse
                .as_ref()
                .is_some_and(|p| p.iter().any(|x| x == what))
        })
    };
    let user_allowed = |id: Snowflake| {
        parse_has("users")
            || allowed.is_some_and(|a| a.users.as_ref().is_some_and(|u| u.contains(&id)))
    };
    let role_allowed = |id: Snowflake| {
        parse_has("roles")
            || allowed.is_some_and(|a| a.roles.as_ref().is_some_and(|r| r.contains(&id)))
    };
    let mut user_ids: Vec<i64> = found.users.iter().map(|u| u.get()).collect();
    let existing: Vec<i64> = app
        .store
        .users(&user_ids)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    user_ids.retain(|u| existing.contains(u));
    // Everyone named stays in `mentions`; only allowed ones notify. Discord shows both the same way.
    user_ids.retain(|u| user_allowed(Snowflake::from_i64(*u)));
    let reply_ping = allowed.is_none_or(|a| a.replied_user.unwrap_or(false));
    if let Some(r) = replied_to.filter(|r| *r != author && reply_ping)
        && !user_ids.contains(&r)
    {
        user_ids.push(r);
    }
    let can_everyone = ctx.perms.contains(Permissions::MENTION_EVERYONE);
    let (everyone, roles) = match &ctx.guild {
        Some(g) => {
            let roles = found
                .roles
                .iter()
                .filter(|r| role_allowed(**r))
                .filter_map(|r| {
                    g.roles
                        .iter()
                        .find(|x| x.id == r.get() && x.id != g.guild.id)
                })
                .filter(|r| r.mentionable || can_everyone)
                .map(|r| r.id)
                .collect();
            (
                (found.everyone || found.here) && parse_has("everyone") && can_everyone,
                roles,
            )
        }
        None => (false, vec![]),
    };
    Ok(Resolved {
        everyone,
        users: user_ids,
        roles,
    })
}

fn check_allowed_mentions(a: Option<&AllowedMentions>, errs: &mut FieldErrors) {
    let Some(a) = a else { return };
    if let Some(p) = &a.parse {
        for (i, v) in p.iter().enumerate() {
            if !["users", "roles", "everyone"].contains(&v.as_str()) {
                errs.add(
                    &format!("allowed_mentions.parse.{i}"),
                    FieldError::new(
                        "BASE_TYPE_CHOICES",
                        "Value must be one of ('roles', 'users', 'everyone').",
                    ),
                );
            }
        }
        if p.iter().any(|x| x == "users") && a.users.as_ref().is_some_and(|u| !u.is_empty()) {
            errs.add(
                "allowed_mentions",
                FieldError::new(
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    "parse:[\"users\"] and users: [ids] are mutually exclusive.",
                ),
            );
        }
        if p.iter().any(|x| x == "roles") && a.roles.as_ref().is_some_and(|r| !r.is_empty()) {
            errs.add(
                "allowed_mentions",
                FieldError::new(
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    "parse:[\"roles\"] and roles: [ids] are mutually exclusive.",
                ),
            );
        }
    }
    if a.users.as_ref().is_some_and(|u| u.len() > 100)
        || a.roles.as_ref().is_some_and(|r| r.len() > 100)
    {
        errs.add(
            "allowed_mentions",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."),
        );
    }
}

/// Builds the MESSAGE_CREATE/UPDATE event for a message in a channel (content stripped for
/// sessions without MESSAGE_CONTENT, except the author and mentioned users).
fn message_event(
    name: &'static str,
    ctx: &ChannelCtx,
    m: &Message,
    author_member: Option<&coterie_store::MemberWithRoles>,
) -> Event {
    let mut full = m.clone();
    full.guild_id = ctx.guild_id().map(Snowflake::from_i64);
    if full.member.is_none() {
        full.member = author_member.map(|mm| views::member(mm, None));
    }
    let mut ev = Event::new(name, &full, ctx.audience(), intent(ctx));
    if ctx.guild_id().is_some() {
        let mut stripped = full.clone();
        stripped.content = String::new();
        stripped.embeds = vec![];
        stripped.attachments = vec![];
        stripped.components = vec![];
        let mut exempt: Vec<i64> = full.mentions.iter().map(|u| u.user.id.get()).collect();
        exempt.push(full.author.id.get());
        ev = ev.with_stripped(&stripped, exempt);
    }
    ev
}

/// A system message row (pins, joins) with no text of its own.
fn system_row(
    id: i64,
    channel_id: i64,
    guild_id: Option<i64>,
    author_id: i64,
    k: u8,
    reference: Option<i64>,
) -> MessageRow {
    MessageRow {
        id,
        channel_id,
        guild_id,
        author_id,
        kind: i64::from(k),
        content: String::new(),
        flags: 0,
        tts: false,
        mention_everyone: false,
        mention_users: "[]".into(),
        mention_roles: "[]".into(),
        embeds: "[]".into(),
        components: "[]".into(),
        nonce: None,
        pinned_at: None,
        edited_at: None,
        ref_message_id: reference,
        ref_channel_id: reference.map(|_| channel_id),
        ref_guild_id: reference.and(guild_id),
    }
}

/// Stores a system message and publishes its MESSAGE_CREATE.
async fn post_system(
    app: &AppState,
    ctx: &ChannelCtx,
    viewer: i64,
    row: MessageRow,
) -> Result<(), ApiError> {
    app.store
        .create_message(&NewMessage {
            row: row.clone(),
            mention_user_ids: vec![],
            mention_role_ids: vec![],
        })
        .await?;
    let view = views::messages(app, &[row], viewer).await?.remove(0);
    app.bus
        .publish(message_event(
            "MESSAGE_CREATE",
            ctx,
            &view,
            ctx.guild.as_ref().map(|g| &g.member),
        ))
        .await;
    Ok(())
}

/// `GET /channels/{id}/messages`: newest first; empty without READ_MESSAGE_HISTORY.
pub async fn list(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    q: HistoryQuery,
) -> Result<Vec<Message>, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    let page = match (q.around, q.before, q.after) {
        (Some(a), None, None) => MessagePage::Around(a.get()),
        (None, Some(b), None) => MessagePage::Before(b.get()),
        (None, None, Some(a)) => MessagePage::After(a.get()),
        (None, None, None) => MessagePage::Latest,
        _ => {
            return Err(field_error(
                "before",
                "MESSAGE_HISTORY_PARAMS_EXCLUSIVE",
                "before, after and around are mutually exclusive.",
            ));
        }
    };
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(vec![]);
    }
    let rows = app.store.messages(channel_id, page, limit).await?;
    views::messages(app, &rows, user.id).await
}

/// `GET /channels/{id}/messages/{id}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
) -> Result<Message, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    Ok(views::messages(app, &[row], user.id).await?.remove(0))
}

/// `POST /channels/{id}/messages`.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    mut b: CreateMessage,
) -> Result<Message, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if !channel_kind::is_textual(ctx.channel.kind as u8) {
        return Err(ApiError::BadRequest(
            50008,
            "Cannot send messages in a non-text channel",
        ));
    }
    ctx.require(Permissions::SEND_MESSAGES)?;
    let mut errs = FieldErrors::new();
    let content = b.content.take().unwrap_or_default();
    check_content(&content, &mut errs);
    let mut embeds = b.embeds.take().unwrap_or_default();
    if let Some(e) = b.embed.take() {
        embeds.push(e);
    }
    check_embeds(&mut embeds, &mut errs);
    let components = b.components.take().unwrap_or_default();
    if components.len() > 5 {
        errs.add(
            "components",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."),
        );
    }
    check_allowed_mentions(b.allowed_mentions.as_ref(), &mut errs);
    let nonce = match &b.nonce {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= 25 => Some(json!(s).to_string()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Some(_) => {
            errs.add(
                "nonce",
                FieldError::new(
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be an integer or a string of 25 or fewer characters.",
                ),
            );
            None
        }
    };
    errs.into_result()?;
    if content.trim().is_empty()
        && embeds.is_empty()
        && components.is_empty()
        && b.sticker_ids.as_ref().is_none_or(Vec::is_empty)
    {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    if b.enforce_nonce.unwrap_or(false)
        && let Some(n) = &nonce
    {
        let since = coterie_store::min_id_at(app.now() - NONCE_WINDOW_MS);
        if let Some(existing) = app
            .store
            .message_by_nonce(channel_id, user.id, n, since)
            .await?
        {
            return Ok(views::messages(app, &[existing], user.id).await?.remove(0));
        }
    }
    // Replies.
    let mut reference = None;
    let mut replied_author = None;
    if let Some(r) = &b.message_reference
        && let Some(mid) = r.message_id
    {
        ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
        let same_channel = r.channel_id.is_none_or(|c| c.get() == channel_id);
        let target = if same_channel {
            app.store.message(channel_id, mid.get()).await?
        } else {
            None
        };
        match target {
            Some(t) => {
                replied_author = Some(t.author_id);
                reference = Some(t);
            }
            None if r.fail_if_not_exists == Some(false) => {}
            None => {
                return Err(field_error(
                    "message_reference",
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                ));
            }
        }
    }
    slowmode(app, &ctx, user.id)?;
    let m = resolve_mentions(
        app,
        &ctx,
        &content,
        b.allowed_mentions.as_ref(),
        replied_author,
        user.id,
    )
    .await?;
    let tts = b.tts.unwrap_or(false) && ctx.perms.contains(Permissions::SEND_TTS_MESSAGES);
    let flags =
        b.flags.unwrap_or(0) & (msg::FLAG_SUPPRESS_EMBEDS | msg::FLAG_SUPPRESS_NOTIFICATIONS);
    let id = app.ids.next_i64();
    let ids_json = |v: &[i64]| {
        serde_json::to_string(&v.iter().map(i64::to_string).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into())
    };
    let row = MessageRow {
        id,
        channel_id,
        guild_id: ctx.guild_id(),
        author_id: user.id,
        kind: i64::from(if reference.is_some() {
            kind::REPLY
        } else {
            kind::DEFAULT
        }),
        content,
        flags: flags as i64,
        tts,
        mention_everyone: m.everyone,
        mention_users: ids_json(&m.users),
        mention_roles: ids_json(&m.roles),
        embeds: serde_json::to_string(&embeds).unwrap_or_else(|_| "[]".into()),
        components: serde_json::to_string(&components).unwrap_or_else(|_| "[]".into()),
        nonce,
        pinned_at: None,
        edited_at: None,
        ref_message_id: reference.as_ref().map(|r| r.id),
        ref_channel_id: reference.as_ref().map(|r| r.channel_id),
        ref_guild_id: reference.as_ref().and_then(|r| r.guild_id),
    };
    let notify_users = if flags & msg::FLAG_SUPPRESS_NOTIFICATIONS == 0 {
        m.users.clone()
    } else {
        vec![]
    };
    let notify_roles = if flags & msg::FLAG_SUPPRESS_NOTIFICATIONS == 0 {
        m.roles.clone()
    } else {
        vec![]
    };
    app.store
        .create_message(&NewMessage {
            row: row.clone(),
            mention_user_ids: notify_users,
            mention_role_ids: notify_roles,
        })
        .await?;
    crate::metrics::MESSAGES_CREATED.inc();
    let view = views::messages(app, &[row], user.id).await?.remove(0);
    let member = ctx.guild.as_ref().map(|g| &g.member);
    app.bus
        .publish(message_event("MESSAGE_CREATE", &ctx, &view, member))
        .await;
    Ok(view)
}

fn slowmode(app: &AppState, ctx: &ChannelCtx, user_id: i64) -> Result<(), ApiError> {
    let secs = ctx.channel.rate_limit_per_user;
    if secs <= 0 || ctx.guild.is_none() {
        return Ok(());
    }
    let exempt = Permissions::MANAGE_MESSAGES.0
        | Permissions::MANAGE_CHANNELS.0
        | Permissions::BYPASS_SLOWMODE.0;
    if ctx.perms.0 & exempt != 0 {
        return Ok(());
    }
    app.limiter.slowmode(ctx.channel.id, user_id, secs)
}

/// `PATCH /channels/{id}/messages/{id}`: the author edits; others with MANAGE_MESSAGES may only
/// toggle SUPPRESS_EMBEDS.
pub async fn edit(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    b: EditMessage,
) -> Result<Message, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let is_author = row.author_id == user.id;
    let system = ![i64::from(kind::DEFAULT), i64::from(kind::REPLY)].contains(&row.kind);
    if system && (b.content.is_some() || b.embeds.is_some() || b.components.is_some()) {
        return Err(ApiError::Forbidden(
            50021,
            "Cannot execute action on a system message",
        ));
    }
    if !is_author && (b.content.is_some() || b.embeds.is_some() || b.components.is_some()) {
        return Err(ApiError::Forbidden(
            50005,
            "Cannot edit a message authored by another user",
        ));
    }
    if !is_author && b.flags.is_some() {
        ctx.require(Permissions::MANAGE_MESSAGES)?;
    }
    let mut errs = FieldErrors::new();
    check_allowed_mentions(b.allowed_mentions.as_ref(), &mut errs);
    let mut p = MessagePatch::default();
    let content = b.content.as_ref().map(|c| c.clone().unwrap_or_default());
    if let Some(c) = &content {
        check_content(c, &mut errs);
    }
    let mut embeds = b.embeds.clone().map(Option::unwrap_or_default);
    if let Some(e) = embeds.as_mut() {
        check_embeds(e, &mut errs);
    }
    errs.into_result()?;
    let final_content = content.clone().unwrap_or_else(|| row.content.clone());
    let final_embeds_empty = embeds.as_ref().map_or(row.embeds == "[]", Vec::is_empty);
    let final_components_empty = b.components.as_ref().map_or(row.components == "[]", |c| {
        c.as_ref().is_none_or(Vec::is_empty)
    });
    if final_content.trim().is_empty() && final_embeds_empty && final_components_empty {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    if let Some(c) = content {
        let m = resolve_mentions(app, &ctx, &c, b.allowed_mentions.as_ref(), None, user.id).await?;
        p.content = Some((c, m.everyone, m.users, m.roles));
    }
    if let Some(e) = embeds {
        p.embeds = Some(serde_json::to_string(&e).unwrap_or_else(|_| "[]".into()));
    }
    if let Some(c) = b.components {
        p.components =
            Some(serde_json::to_string(&c.unwrap_or_default()).unwrap_or_else(|_| "[]".into()));
    }
    if let Some(f) = b.flags {
        let keep = row.flags as u64 & !msg::FLAG_SUPPRESS_EMBEDS;
        p.flags = Some((keep | (f & msg::FLAG_SUPPRESS_EMBEDS)) as i64);
    }
    if p.content.is_some() || p.embeds.is_some() || p.components.is_some() {
        p.edited_at = Some(app.now());
    }
    let updated = app.store.update_message(channel_id, message_id, p).await?;
    let view = views::messages(app, &[updated], user.id).await?.remove(0);
    app.bus
        .publish(message_event("MESSAGE_UPDATE", &ctx, &view, None))
        .await;
    Ok(view)
}

/// `DELETE /channels/{id}/messages/{id}`: the author, or MANAGE_MESSAGES in a guild.
pub async fn delete(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if row.author_id != user.id
        && !(ctx.guild.is_some() && ctx.perms.contains(Permissions::MANAGE_MESSAGES))
    {
        return Err(ApiError::MissingPermissions);
    }
    if app.store.delete_message(channel_id, message_id).await? {
        let mut d = json!({"id": message_id.to_string(), "channel_id": channel_id.to_string()});
        if let Some(g) = ctx.guild_id() {
            d["guild_id"] = json!(g.to_string());
        }
        app.bus
            .publish(Event::new(
                "MESSAGE_DELETE",
                &d,
                ctx.audience(),
                intent(&ctx),
            ))
            .await;
    }
    Ok(())
}

/// `POST /channels/{id}/messages/bulk-delete`: 2–100 messages no older than two weeks.
pub async fn bulk_delete(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    b: BulkDelete,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let Some(guild_id) = ctx.guild_id() else {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    ctx.require(Permissions::MANAGE_MESSAGES)?;
    let mut ids: Vec<i64> = b.messages.iter().map(|s| s.get()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != b.messages.len() {
        return Err(field_error(
            "messages",
            "BINARY_TYPE_DUPLICATE",
            "Duplicate messages.",
        ));
    }
    if !(2..=100).contains(&ids.len()) {
        return Err(field_error(
            "messages",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 2 and 100 in length.",
        ));
    }
    let oldest_allowed = app.now() - BULK_DELETE_MAX_AGE_MS;
    if ids
        .iter()
        .any(|i| (Snowflake::from_i64(*i).created_ms() as i64) < oldest_allowed)
    {
        return Err(ApiError::BadRequest(
            50034,
            "You can only bulk delete messages that are under 14 days old.",
        ));
    }
    let gone = app.store.bulk_delete_messages(channel_id, &ids).await?;
    let pairs: Vec<(i64, i64)> = gone.into_iter().map(|id| (channel_id, id)).collect();
    announce_deleted(app, guild_id, &pairs).await;
    Ok(())
}

/// Publishes deletions of guild messages, grouped by channel (one MESSAGE_DELETE, or one
/// MESSAGE_DELETE_BULK per channel).
pub async fn announce_deleted(app: &AppState, guild_id: i64, deleted: &[(i64, i64)]) {
    let mut by_channel: HashMap<i64, Vec<i64>> = HashMap::new();
    for (c, id) in deleted {
        by_channel.entry(*c).or_default().push(*id);
    }
    for (c, ids) in by_channel {
        let audience = Audience::Channel {
            guild: guild_id,
            channel: c,
        };
        let ev = if let [one] = ids[..] {
            Event::new(
                "MESSAGE_DELETE",
                &json!({"id": one.to_string(), "channel_id": c.to_string(), "guild_id": guild_id.to_string()}),
                audience,
                Intents::GUILD_MESSAGES,
            )
        } else {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            Event::new(
                "MESSAGE_DELETE_BULK",
                &json!({"ids": ids, "channel_id": c.to_string(), "guild_id": guild_id.to_string()}),
                audience,
                Intents::GUILD_MESSAGES,
            )
        };
        app.bus.publish(ev).await;
    }
}

fn pins_event(ctx: &ChannelCtx, last_pin_at: Option<i64>) -> Event {
    let mut d = json!({"channel_id": ctx.channel.id.to_string(), "last_pin_timestamp": last_pin_at.map(Timestamp)});
    if let Some(g) = ctx.guild_id() {
        d["guild_id"] = json!(g.to_string());
    }
    let i = if ctx.guild_id().is_some() {
        Intents::GUILDS
    } else {
        Intents::DIRECT_MESSAGES
    };
    Event::new("CHANNEL_PINS_UPDATE", &d, ctx.audience(), i)
}

/// Pins or unpins a message: PIN_MESSAGES (or MANAGE_MESSAGES) and READ_MESSAGE_HISTORY.
pub async fn set_pinned(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    pin: bool,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    if !(ctx.perms.contains(Permissions::PIN_MESSAGES)
        || ctx.perms.contains(Permissions::MANAGE_MESSAGES))
    {
        return Err(ApiError::MissingPermissions);
    }
    app.store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if pin && app.store.pin_count(channel_id).await? >= MAX_PINS {
        return Err(ApiError::BadRequest(
            30003,
            "Maximum number of pins reached (250)",
        ));
    }
    let now = app.now();
    if !app
        .store
        .set_pinned(channel_id, message_id, pin.then_some(now))
        .await?
    {
        return Ok(());
    }
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let view = views::messages(app, &[row], user.id).await?.remove(0);
    app.bus
        .publish(message_event("MESSAGE_UPDATE", &ctx, &view, None))
        .await;
    if pin {
        let sys = system_row(
            app.ids.next_i64(),
            channel_id,
            ctx.guild_id(),
            user.id,
            kind::CHANNEL_PINNED_MESSAGE,
            Some(message_id),
        );
        post_system(app, &ctx, user.id, sys).await?;
    }
    let last = app
        .store
        .channel(channel_id)
        .await?
        .and_then(|c| c.last_pin_at);
    app.bus.publish(pins_event(&ctx, last)).await;
    Ok(())
}

/// `GET /channels/{id}/pins` (the older flat list, newest pin first).
pub async fn pins(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
) -> Result<Vec<Message>, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(vec![]);
    }
    let rows = app.store.pins(channel_id, None, MAX_PINS).await?;
    views::messages(app, &rows, user.id).await
}

/// `GET /channels/{id}/messages/pins` (paged by pin time).
pub async fn pins_page(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    q: PinsQuery,
) -> Result<PinPage, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=50).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 50.",
        ));
    }
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(PinPage {
            items: vec![],
            has_more: false,
        });
    }
    let mut rows = app
        .store
        .pins(channel_id, q.before.map(|t| t.0), limit + 1)
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let msgs = views::messages(app, &rows, user.id).await?;
    let items = rows
        .iter()
        .zip(msgs)
        .map(|(r, m)| PinItem {
            pinned_at: Timestamp(r.pinned_at.unwrap_or(0)),
            message: m,
        })
        .collect();
    Ok(PinPage { items, has_more })
}

/// `POST /channels/{id}/typing`.
pub async fn typing(app: &AppState, user: &UserRow, channel_id: i64) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::SEND_MESSAGES)?;
    let mut d = json!({
        "channel_id": channel_id.to_string(),
        "user_id": user.id.to_string(),
        "timestamp": app.now() / 1000,
    });
    let i = match &ctx.guild {
        Some(g) => {
            d["guild_id"] = json!(g.guild.id.to_string());
            d["member"] =
                serde_json::to_value(views::member(&g.member, Some(user))).unwrap_or_default();
            Intents::GUILD_MESSAGE_TYPING
        }
        None => Intents::DIRECT_MESSAGE_TYPING,
    };
    app.bus
        .publish(Event::new("TYPING_START", &d, ctx.audience(), i))
        .await;
    Ok(())
}

/// `POST /channels/{id}/messages/{id}/ack`: marks the channel read up to the message; the
/// user's other sessions learn of it through MESSAGE_ACK.
pub async fn ack(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
) -> Result<(), ApiError> {
    ChannelCtx::load(app, channel_id, user.id).await?;
    app.store.ack(user.id, channel_id, message_id).await?;
    let d = json!({"channel_id": channel_id.to_string(), "message_id": message_id.to_string(), "version": app.now()});
    app.bus
        .publish(Event::new(
            "MESSAGE_ACK",
            &d,
            Audience::Users(vec![user.id]),
            0,
        ))
        .await;
    Ok(())
}

/// Posts the "X joined" system message in the guild's system channel, unless switched off.
pub async fn system_join_message(
    app: &AppState,
    guild_id: i64,
    user_id: i64,
) -> Result<(), ApiError> {
    let Some(g) = app.store.guild(guild_id).await? else {
        return Ok(());
    };
    let Some(channel_id) = g.system_channel_id else {
        return Ok(());
    };
    if g.system_channel_flags & 1 != 0 {
        return Ok(());
    }
    let Ok(ctx) = ChannelCtx::load(app, channel_id, user_id).await else {
        return Ok(());
    };
    let row = system_row(
        app.ids.next_i64(),
        channel_id,
        Some(guild_id),
        user_id,
        kind::USER_JOIN,
        None,
    );
    post_system(app, &ctx, user_id, row).await?;
    Ok(())
}
