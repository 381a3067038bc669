//! Composing messages: validating bodies (content, embeds, components, allowed mentions),
//! resolving mentions, and storing and publishing a message for any author — members, bots
//! answering interactions, webhooks and the system.

use crate::app::AppState;
use crate::bus::Event;
use crate::error::{ApiError, FieldErrors, field_error};
use crate::service::perms::{ChannelCtx, ThreadCtx};
use crate::service::views;
use coterie_model::message::{self as msg, Message, MessageReference, PollAnswer, PollMedia, kind};
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Snowflake, mentions};
use coterie_store::{MemberWithRoles, MessageRow, NewMessage, PollRow, UserRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest message text.
pub const MAX_CONTENT: usize = 2000;

/// `allowed_mentions`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AllowedMentions {
    pub(crate) parse: Option<Vec<String>>,
    pub(crate) users: Option<Vec<Snowflake>>,
    pub(crate) roles: Option<Vec<Snowflake>>,
    pub(crate) replied_user: Option<bool>,
}

/// Body of `POST /channels/{id}/messages`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CreateMessage {
    pub(crate) content: Option<String>,
    pub(crate) nonce: Option<Value>,
    pub(crate) tts: Option<bool>,
    pub(crate) embeds: Option<Vec<Value>>,
    pub(crate) embed: Option<Value>,
    pub(crate) allowed_mentions: Option<AllowedMentions>,
    pub(crate) message_reference: Option<MessageReference>,
    pub(crate) components: Option<Vec<Value>>,
    pub(crate) sticker_ids: Option<Vec<Snowflake>>,
    pub(crate) flags: Option<u64>,
    pub(crate) enforce_nonce: Option<bool>,
    /// A poll (Discord's poll create request).
    #[schema(value_type = Option<Object>)]
    pub(crate) poll: Option<Value>,
    /// Names and alt text of the files sent as `files[n]` (`id` = n).
    pub(crate) attachments: Option<Vec<crate::service::media::upload::AttachmentRef>>,
}

/// A validated poll request.
#[derive(Debug, Clone)]
pub struct PollDraft {
    question: PollMedia,
    answers: Vec<PollAnswer>,
    hours: i64,
    multiselect: bool,
}

fn poll_media(v: &Value, path: &str, max: usize, errs: &mut FieldErrors) -> PollMedia {
    let text = v["text"]
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let emoji = v["emoji"]
        .as_object()
        .map(|e| msg::ReactionEmoji {
            id: e
                .get("id")
                .and_then(|i| i.as_str())
                .and_then(|i| i.parse().ok()),
            name: e.get("name").and_then(|n| n.as_str()).map(str::to_owned),
        })
        .filter(|e| e.id.is_some() || e.name.as_deref().is_some_and(|n| !n.is_empty()));
    match &text {
        Some(t) if t.chars().count() > max => errs.add(
            &format!("{path}.text"),
            FieldError::new(
                "BASE_TYPE_BAD_LENGTH",
                format!("Must be between 1 and {max} in length."),
            ),
        ),
        None if emoji.is_none() => errs.add(
            &format!("{path}.text"),
            FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
        ),
        _ => {}
    }
    PollMedia { text, emoji }
}

/// Validates a poll request: a question of up to 300 characters, 1–10 answers of up to 55,
/// a duration of 1–768 hours (default 24).
fn parse_poll(v: &Value, errs: &mut FieldErrors) -> Option<PollDraft> {
    if !v.is_object() {
        errs.add(
            "poll",
            FieldError::new(
                "MODEL_TYPE_CONVERT",
                "Only dictionaries may be used in a ModelType",
            ),
        );
        return None;
    }
    let question = poll_media(&v["question"], "poll.question", 300, errs);
    if question.text.is_none() {
        errs.add(
            "poll.question.text",
            FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
        );
    }
    let list = v["answers"].as_array().cloned().unwrap_or_default();
    if list.is_empty() || list.len() > 10 {
        errs.add(
            "poll.answers",
            FieldError::new(
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 10 in length.",
            ),
        );
    }
    let answers = list
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, a)| PollAnswer {
            answer_id: u32::try_from(i + 1).unwrap_or(1),
            poll_media: poll_media(
                &a["poll_media"],
                &format!("poll.answers.{i}.poll_media"),
                55,
                errs,
            ),
        })
        .collect();
    let hours = match &v["duration"] {
        Value::Null => 24,
        d => match d.as_i64() {
            Some(h) if (1..=768).contains(&h) => h,
            _ => {
                errs.add(
                    "poll.duration",
                    FieldError::new("NUMBER_TYPE_MAX", "Must be between 1 and 768."),
                );
                24
            }
        },
    };
    if !matches!(v["layout_type"], Value::Null) && v["layout_type"] != 1 {
        errs.add(
            "poll.layout_type",
            FieldError::new("BASE_TYPE_CHOICES", "Value must be one of {1}."),
        );
    }
    Some(PollDraft {
        question,
        answers,
        hours,
        multiselect: v["allow_multiselect"].as_bool().unwrap_or(false),
    })
}

pub(crate) fn intent(ctx: &ChannelCtx) -> u64 {
    if ctx.guild_id().is_some() {
        Intents::GUILD_MESSAGES
    } else {
        Intents::DIRECT_MESSAGES
    }
}

/// Checks embeds against Discord's limits and gives each a `type`.
pub(crate) fn check_embeds(embeds: &mut [Value], errs: &mut FieldErrors) {
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

pub(crate) fn check_content(content: &str, errs: &mut FieldErrors) {
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
pub(crate) struct Resolved {
    /// @everyone takes effect.
    pub(crate) everyone: bool,
    /// Users mentioned (and notified).
    pub(crate) users: Vec<i64>,
    /// Roles mentioned (and notified).
    pub(crate) roles: Vec<i64>,
}

pub(crate) async fn resolve_mentions(
    app: &AppState,
    ctx: &ChannelCtx,
    content: &str,
    allowed: Option<&AllowedMentions>,
    replied_to: Option<i64>,
    author: i64,
    can_everyone: bool,
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

pub(crate) fn check_allowed_mentions(a: Option<&AllowedMentions>, errs: &mut FieldErrors) {
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
pub fn message_event(
    name: &'static str,
    ctx: &ChannelCtx,
    m: &Message,
    author_member: Option<&coterie_store::MemberWithRoles>,
) -> Event {
    let mut full = m.clone();
    full.guild_id = ctx.guild_id().map(Snowflake::from_i64);
    // Per-viewer fields mean nothing in a broadcast.
    full.me_vote = None;
    if let Some(r) = full.poll.as_mut().and_then(|p| p.results.as_mut()) {
        for c in &mut r.answer_counts {
            c.me_voted = false;
        }
    }
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
        stripped.poll = None;
        let mut exempt: Vec<i64> = full.mentions.iter().map(|u| u.user.id.get()).collect();
        exempt.push(full.author.id.get());
        ev = ev.with_stripped(&stripped, exempt);
    }
    ev
}

/// A system message row (pins, joins) with no text of its own.
pub(crate) fn system_row(
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
        ..Default::default()
    }
}

/// Stores a system message and publishes its MESSAGE_CREATE.
pub(crate) async fn post_system(
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
            poll: None,
            attachment_ids: vec![],
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

/// A message body, validated.
#[derive(Debug, Default)]
pub struct Draft {
    /// Text.
    pub content: String,
    /// Embeds (validated, typed).
    pub embeds: Vec<Value>,
    /// Components.
    pub components: Vec<Value>,
    /// Nonce as stored JSON.
    pub nonce: Option<String>,
    /// TTS requested.
    pub tts: bool,
    /// Flags requested.
    pub flags: u64,
    /// Mention rules.
    pub allowed_mentions: Option<AllowedMentions>,
    /// Reply reference requested.
    pub reference: Option<MessageReference>,
    /// Stickers requested.
    pub has_stickers: bool,
    /// A poll.
    pub poll: Option<PollDraft>,
    /// Names and alt text for the request's files.
    pub file_meta: Vec<crate::service::media::upload::FileMeta>,
    /// Stored uploads the message will hold.
    pub attachments: Vec<coterie_store::AttachmentRow>,
}

impl Draft {
    /// Validates a create body; field errors go into `errs`.
    pub fn parse(mut b: CreateMessage, errs: &mut FieldErrors) -> Self {
        let content = b.content.take().unwrap_or_default();
        check_content(&content, errs);
        let mut embeds = b.embeds.take().unwrap_or_default();
        if let Some(e) = b.embed.take() {
            embeds.push(e);
        }
        check_embeds(&mut embeds, errs);
        let components = b.components.take().unwrap_or_default();
        if components.len() > 5 {
            errs.add(
                "components",
                FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."),
            );
        }
        check_allowed_mentions(b.allowed_mentions.as_ref(), errs);
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
        Self {
            content,
            embeds,
            components,
            nonce,
            tts: b.tts.unwrap_or(false),
            flags: b.flags.unwrap_or(0),
            allowed_mentions: b.allowed_mentions,
            reference: b.message_reference,
            has_stickers: b.sticker_ids.as_ref().is_some_and(|s| !s.is_empty()),
            poll: b.poll.as_ref().and_then(|p| parse_poll(p, errs)),
            file_meta: crate::service::media::upload::metas(
                b.attachments.as_deref().unwrap_or_default(),
            ),
            attachments: vec![],
        }
    }

    /// Nothing to show.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.content.trim().is_empty()
            && self.embeds.is_empty()
            && self.components.is_empty()
            && !self.has_stickers
            && self.poll.is_none()
            && self.attachments.is_empty()
    }
}

/// Who posts a message and how it is marked.
#[derive(Debug, Clone, Copy)]
pub struct Posting<'a> {
    /// The author account (a member, a bot, a webhook's author row).
    pub author: &'a UserRow,
    /// Their membership, for MESSAGE_CREATE's `member`.
    pub member: Option<&'a MemberWithRoles>,
    /// May mention @everyone and unmentionable roles.
    pub can_everyone: bool,
    /// May send TTS.
    pub can_tts: bool,
    /// Flags the author may set.
    pub allowed_flags: u64,
    /// Message type (None: DEFAULT, or REPLY with a reference).
    pub kind: Option<u8>,
    /// Webhook or application the message comes from.
    pub webhook_id: Option<i64>,
    /// Application of an interaction response.
    pub application_id: Option<i64>,
    /// `{username, avatar}` override (webhooks).
    pub author_override: Option<&'a str>,
    /// `interaction_metadata` JSON.
    pub interaction: Option<&'a str>,
    /// Store and publish (false: only build the message, for ephemeral responses).
    pub persist: bool,
    /// A fixed id (a forum post's starter message shares the post's id); None mints one.
    pub id: Option<i64>,
}

impl<'a> Posting<'a> {
    /// A member posting under their permissions in `ctx`.
    #[must_use]
    pub fn member(author: &'a UserRow, ctx: &'a ChannelCtx) -> Self {
        Self {
            author,
            member: ctx.guild.as_ref().map(|g| &g.member),
            can_everyone: ctx.perms.contains(Permissions::MENTION_EVERYONE),
            can_tts: ctx.perms.contains(Permissions::SEND_TTS_MESSAGES),
            allowed_flags: msg::FLAG_SUPPRESS_EMBEDS | msg::FLAG_SUPPRESS_NOTIFICATIONS,
            kind: None,
            webhook_id: None,
            application_id: None,
            author_override: None,
            interaction: None,
            persist: true,
            id: None,
        }
    }
}

fn ids_json(v: &[i64]) -> String {
    serde_json::to_string(&v.iter().map(i64::to_string).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// Stores the files, then posts the draft holding them; if posting fails the files go at once.
pub async fn post_with_files(
    app: &AppState,
    ctx: &ChannelCtx,
    mut d: Draft,
    p: Posting<'_>,
    files: Vec<crate::service::media::IncomingFile>,
) -> Result<(Message, MessageRow), ApiError> {
    if files.is_empty() {
        return post(app, ctx, d, p).await;
    }
    let rows =
        crate::service::media::store_files(app, ctx.channel.id, p.author.id, files, &d.file_meta)
            .await?;
    d.attachments = rows.clone();
    match post(app, ctx, d, p).await {
        Ok(v) => Ok(v),
        Err(e) => {
            crate::service::media::abandon(app, &rows).await;
            Err(e)
        }
    }
}

/// Resolves the reply and mentions of a validated draft, stores the message and publishes
/// MESSAGE_CREATE (or, when `persist` is false, only builds it).
pub async fn post(
    app: &AppState,
    ctx: &ChannelCtx,
    d: Draft,
    p: Posting<'_>,
) -> Result<(Message, MessageRow), ApiError> {
    let channel_id = ctx.channel.id;
    let mut reference = None;
    if let Some(r) = &d.reference
        && let Some(mid) = r.message_id
    {
        let same_channel = r.channel_id.is_none_or(|c| c.get() == channel_id);
        let target = if same_channel {
            app.store.message(channel_id, mid.get()).await?
        } else {
            None
        };
        match target {
            Some(t) => reference = Some(t),
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
    let m = resolve_mentions(
        app,
        ctx,
        &d.content,
        d.allowed_mentions.as_ref(),
        reference.as_ref().map(|r| r.author_id),
        p.author.id,
        p.can_everyone,
    )
    .await?;
    let flags = d.flags & p.allowed_flags;
    let kind = p.kind.unwrap_or(if reference.is_some() {
        kind::REPLY
    } else {
        kind::DEFAULT
    });
    let row = MessageRow {
        id: p.id.unwrap_or_else(|| app.ids.next_i64()),
        channel_id,
        guild_id: ctx.guild_id(),
        author_id: p.author.id,
        kind: i64::from(kind),
        content: d.content,
        flags: flags as i64,
        tts: d.tts && p.can_tts,
        mention_everyone: m.everyone,
        mention_users: ids_json(&m.users),
        mention_roles: ids_json(&m.roles),
        embeds: serde_json::to_string(&d.embeds).unwrap_or_else(|_| "[]".into()),
        components: serde_json::to_string(&d.components).unwrap_or_else(|_| "[]".into()),
        nonce: d.nonce,
        ref_message_id: reference.as_ref().map(|r| r.id),
        ref_channel_id: reference.as_ref().map(|r| r.channel_id),
        ref_guild_id: reference.as_ref().and_then(|r| r.guild_id),
        webhook_id: p.webhook_id,
        application_id: p.application_id,
        author_override: p.author_override.map(str::to_owned),
        interaction: p.interaction.map(str::to_owned),
        ..Default::default()
    };
    if !p.persist {
        let view = views::messages_unsaved(app, &row).await?;
        return Ok((view, row));
    }
    let silent = flags & msg::FLAG_SUPPRESS_NOTIFICATIONS != 0;
    let poll = d.poll.map(|p| PollRow {
        message_id: row.id,
        channel_id,
        question: serde_json::to_string(&p.question).unwrap_or_else(|_| "{}".into()),
        answers: serde_json::to_string(&p.answers).unwrap_or_else(|_| "[]".into()),
        allow_multiselect: p.multiselect,
        layout_type: i64::from(msg::POLL_LAYOUT_DEFAULT),
        expires_at: app.now() + p.hours * 3_600_000,
        finalized: false,
    });
    let new = NewMessage {
        row: row.clone(),
        mention_user_ids: if silent { vec![] } else { m.users },
        mention_role_ids: if silent { vec![] } else { m.roles },
        poll,
        attachment_ids: d.attachments.iter().map(|a| a.id).collect(),
    };
    let poll_row = new.poll.clone();
    super::writer::store(app, new).await?;
    crate::metrics::MESSAGES_CREATED.inc();
    let view = if row.id == channel_id {
        // A forum post's starter message (it shares the post's id): its post carries votes; read
        // it back whole. Every other new message is built from what is in hand.
        views::messages(app, std::slice::from_ref(&row), p.author.id)
            .await?
            .remove(0)
    } else {
        let mut m = views::fresh_message(
            app,
            &row,
            p.author,
            reference.as_ref(),
            poll_row.as_ref(),
            &d.attachments,
        )
        .await?;
        if ctx.thread.as_ref().is_some_and(ThreadCtx::is_post) {
            // A new comment in a forum post starts with no votes.
            m.score = Some(0);
            m.upvotes = Some(0);
            m.downvotes = Some(0);
            m.me_vote = Some(0);
        }
        m
    };
    app.bus
        .publish(message_event("MESSAGE_CREATE", ctx, &view, p.member))
        .await;
    Ok((view, row))
}
