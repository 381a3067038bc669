//! Messages: history, send (mentions, replies, nonces, embeds, slowmode), edit, delete, bulk
//! delete, pins, typing and read acknowledgements.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::audit::{self, Entry};
use crate::service::automod;
use crate::service::media::upload::AttachmentRef;
use crate::service::media::{self, IncomingFile};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_model::channel::kind as channel_kind;
use coterie_model::message::{self as msg, Message, kind};
use coterie_model::moderation::action;
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{MessagePage, MessagePatch, UserRow};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

mod compose;
pub mod writer;

pub use compose::*;

/// Bulk delete refuses messages older than this.
const BULK_DELETE_MAX_AGE_MS: i64 = 14 * 24 * 3600 * 1000;
/// `enforce_nonce` looks back this far.
const NONCE_WINDOW_MS: i64 = 5 * 60 * 1000;

/// Body of `PATCH /channels/{id}/messages/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EditMessage {
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    content: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    embeds: Option<Option<Vec<Value>>>,
    flags: Option<u64>,
    allowed_mentions: Option<AllowedMentions>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    components: Option<Option<Vec<Value>>>,
    /// The files to keep (existing ids) and to add (`files[n]` indexes); absent keeps them all.
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    attachments: Option<Option<Vec<AttachmentRef>>>,
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

/// Message content a bot may not read: without the MESSAGE_CONTENT intent enabled for its
/// application, a bot sees empty content, embeds and components except in its own messages,
/// messages that mention it, and DMs.
pub async fn strip_for_bot(
    app: &AppState,
    viewer: &UserRow,
    ctx: &ChannelCtx,
    msgs: &mut [Message],
) -> Result<(), ApiError> {
    if !viewer.bot || ctx.guild.is_none() {
        return Ok(());
    }
    let flags = app
        .store
        .application(viewer.id)
        .await?
        .map_or(0, |a| a.flags);
    if crate::service::apps::allowed_privileged(flags) & coterie_model::Intents::MESSAGE_CONTENT
        != 0
    {
        return Ok(());
    }
    let me = Snowflake::from_i64(viewer.id);
    for m in msgs
        .iter_mut()
        .filter(|m| m.author.id != me && !m.mentions.iter().any(|u| u.user.id == me))
    {
        m.content.clear();
        m.embeds.clear();
        m.attachments.clear();
        m.components.clear();
        m.poll = None;
    }
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
    let mut msgs = views::messages(app, &rows, user.id).await?;
    strip_for_bot(app, user, &ctx, &mut msgs).await?;
    Ok(msgs)
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
    let mut msgs = views::messages(app, &[row], user.id).await?;
    strip_for_bot(app, user, &ctx, &mut msgs).await?;
    Ok(msgs.remove(0))
}

/// `POST /channels/{id}/messages`, with any files of a multipart body.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    b: CreateMessage,
    files: Vec<IncomingFile>,
) -> Result<Message, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if !channel_kind::is_textual(ctx.channel.kind as u8) {
        return Err(ApiError::BadRequest(
            50008,
            "Cannot send messages in a non-text channel",
        ));
    }
    ctx.require(Permissions::SEND_MESSAGES)?;
    let enforce_nonce = b.enforce_nonce.unwrap_or(false);
    let mut errs = FieldErrors::new();
    let draft = Draft::parse(b, &mut errs);
    errs.into_result()?;
    if draft.is_empty() && files.is_empty() {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    if !files.is_empty() {
        ctx.require(Permissions::ATTACH_FILES)?;
    }
    if draft.poll.is_some() {
        ctx.require(Permissions::SEND_POLLS)?;
    }
    if enforce_nonce && let Some(n) = &draft.nonce {
        let since = coterie_store::min_id_at(app.now() - NONCE_WINDOW_MS);
        if let Some(existing) = app
            .store
            .message_by_nonce(channel_id, user.id, n, since)
            .await?
        {
            return Ok(views::messages(app, &[existing], user.id).await?.remove(0));
        }
    }
    if draft
        .reference
        .as_ref()
        .is_some_and(|r| r.message_id.is_some())
    {
        ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    }
    slowmode(app, &ctx, user.id, "message").await?;
    let id = app.ids.next_i64();
    let verdict = automod::screen(
        app,
        user.id,
        automod::Subject::Message {
            ctx: &ctx,
            content: &draft.content,
            message_id: id,
        },
    )
    .await?;
    crate::service::threads::before_send(app, &ctx, user.id).await?;
    let mut posting = Posting::member(user, &ctx);
    posting.id = Some(id);
    let (view, row) = post_with_files(app, &ctx, draft, posting, files).await?;
    automod::after_post(app, &ctx, user.id, verdict, row.id, &row.content).await?;
    crate::service::unfurl::spawn(app, channel_id, row.id, user.id, &row.content, row.flags);
    Ok(view)
}

/// Slowmode for `what` (`message`, or `thread` for new threads and forum posts); members with
/// MANAGE_MESSAGES, MANAGE_CHANNELS or BYPASS_SLOWMODE are exempt.
pub(crate) async fn slowmode(
    app: &AppState,
    ctx: &ChannelCtx,
    user_id: i64,
    what: &str,
) -> Result<(), ApiError> {
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
    app.limiter
        .slowmode(ctx.channel.id, user_id, secs, what)
        .await
}

/// `PATCH /channels/{id}/messages/{id}`: the author edits; others with MANAGE_MESSAGES may only
/// toggle SUPPRESS_EMBEDS.
pub async fn edit(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    b: EditMessage,
    files: Vec<IncomingFile>,
) -> Result<Message, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if let Some(Some(content)) = &b.content {
        automod::screen(
            app,
            user.id,
            automod::Subject::Message {
                ctx: &ctx,
                content,
                message_id,
            },
        )
        .await?;
    }
    edit_in(app, &ctx, user, message_id, b, files).await
}

/// Edits a message in an already loaded channel context (webhooks use a system context).
pub async fn edit_in(
    app: &AppState,
    ctx: &ChannelCtx,
    user: &UserRow,
    message_id: i64,
    b: EditMessage,
    files: Vec<IncomingFile>,
) -> Result<Message, ApiError> {
    let channel_id = ctx.channel.id;
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let is_author = row.author_id == user.id;
    let system = !kind::is_authored(row.kind);
    let touches_files = b.attachments.is_some() || !files.is_empty();
    if system
        && (b.content.is_some() || b.embeds.is_some() || b.components.is_some() || touches_files)
    {
        return Err(ApiError::Forbidden(
            50021,
            "Cannot execute action on a system message",
        ));
    }
    if !is_author
        && (b.content.is_some() || b.embeds.is_some() || b.components.is_some() || touches_files)
    {
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
    if !files.is_empty() {
        ctx.require(Permissions::ATTACH_FILES)?;
    }
    let held = app.store.attachments_of(&[message_id]).await?;
    let refs = b.attachments.clone().map(Option::unwrap_or_default);
    // The files the message keeps: those listed (or all of them when the list is absent).
    let kept: Vec<i64> = match &refs {
        Some(r) => r
            .iter()
            .filter_map(AttachmentRef::existing)
            .filter(|id| held.iter().any(|h| h.id == *id))
            .collect(),
        None => held.iter().map(|h| h.id).collect(),
    };
    if kept.len() + files.len() > media::MAX_FILES {
        return Err(field_error(
            "attachments",
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be {} or fewer in length.", media::MAX_FILES),
        ));
    }
    let final_content = content.clone().unwrap_or_else(|| row.content.clone());
    let final_embeds_empty = embeds.as_ref().map_or(row.embeds == "[]", Vec::is_empty);
    let final_components_empty = b.components.as_ref().map_or(row.components == "[]", |c| {
        c.as_ref().is_none_or(Vec::is_empty)
    });
    if final_content.trim().is_empty()
        && final_embeds_empty
        && final_components_empty
        && kept.is_empty()
        && files.is_empty()
    {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    if let Some(c) = content {
        let m = resolve_mentions(
            app,
            ctx,
            &c,
            b.allowed_mentions.as_ref(),
            None,
            user.id,
            ctx.perms.contains(Permissions::MENTION_EVERYONE),
        )
        .await?;
        p.content = Some((c, m.everyone, m.users, m.roles));
    }
    let content_changed = p.content.as_ref().is_some_and(|c| c.0 != row.content);
    if let Some(e) = embeds {
        p.embeds = Some(serde_json::to_string(&e).unwrap_or_else(|_| "[]".into()));
    } else if content_changed {
        // New text, new previews: drop those of the old links (they come back if still linked).
        let old: Vec<Value> = serde_json::from_str(&row.embeds).unwrap_or_default();
        let kept: Vec<Value> = old
            .iter()
            .filter(|e| !crate::service::unfurl::is_preview(e))
            .cloned()
            .collect();
        if kept.len() != old.len() {
            p.embeds = Some(Value::Array(kept).to_string());
        }
    }
    if let Some(c) = b.components {
        p.components =
            Some(serde_json::to_string(&c.unwrap_or_default()).unwrap_or_else(|_| "[]".into()));
    }
    if let Some(f) = b.flags {
        let keep = row.flags as u64 & !msg::FLAG_SUPPRESS_EMBEDS;
        p.flags = Some((keep | (f & msg::FLAG_SUPPRESS_EMBEDS)) as i64);
    }
    let files_change = refs.is_some() || !files.is_empty();
    if p.content.is_some() || p.embeds.is_some() || p.components.is_some() || files_change {
        p.edited_at = Some(app.now());
    }
    if files_change {
        let metas = media::upload::metas(refs.as_deref().unwrap_or_default());
        let added = media::store_files(app, channel_id, user.id, files, &metas).await?;
        let mut ids = kept;
        ids.extend(added.iter().map(|a| a.id));
        app.store
            .set_message_attachments(channel_id, message_id, &ids)
            .await?;
        app.media.sweep_soon();
    }
    let updated = app.store.update_message(channel_id, message_id, p).await?;
    let view = views::messages(app, &[updated], user.id).await?.remove(0);
    app.bus
        .publish(message_event("MESSAGE_UPDATE", ctx, &view, None))
        .await;
    if content_changed {
        crate::service::unfurl::spawn(
            app,
            channel_id,
            message_id,
            row.author_id,
            &view.content,
            view.flags as i64,
        );
    }
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
    delete_in(app, &ctx, user, message_id).await
}

/// Deletes a message in an already loaded channel context.
pub async fn delete_in(
    app: &AppState,
    ctx: &ChannelCtx,
    user: &UserRow,
    message_id: i64,
) -> Result<(), ApiError> {
    let channel_id = ctx.channel.id;
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
        app.media.sweep_soon();
        if row.author_id != user.id
            && let Some(g) = ctx.guild_id()
        {
            audit::record(
                app,
                g,
                Entry::new(action::MESSAGE_DELETE, Some(user.id), Some(row.author_id))
                    .options(json!({"channel_id": channel_id.to_string(), "count": "1"})),
            )
            .await;
        }
        let mut d = json!({"id": message_id.to_string(), "channel_id": channel_id.to_string()});
        if let Some(g) = ctx.guild_id() {
            d["guild_id"] = json!(g.to_string());
        }
        app.bus
            .publish(Event::new(
                "MESSAGE_DELETE",
                &d,
                ctx.audience(),
                intent(ctx),
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
    app.media.sweep_soon();
    audit::record(
        app,
        guild_id,
        Entry::new(action::MESSAGE_BULK_DELETE, Some(user.id), Some(channel_id))
            .options(json!({"count": gone.len().to_string()})),
    )
    .await;
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
