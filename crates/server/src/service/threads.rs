//! Threads: started from a message or standalone in text and announcement channels, and forum
//! posts (public threads in a forum channel, opened by their starter message). Members, archive
//! and lock, the active and archived listings, auto-archiving and THREAD_* dispatches.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::audit::{self, Entry};
use crate::service::messages::{CreateMessage, Draft, Posting, post};
use crate::service::perms::{ChannelCtx, ThreadCtx};
use crate::service::views;
use coterie_model::channel::{self, Channel, ChannelSettings, ThreadMember, kind};
use coterie_model::moderation::action;
use coterie_model::validate::{self, FieldError};
use coterie_model::{Intents, Permissions, Snowflake, ranking};
use coterie_store::{ChannelRow, NewThread, ThreadPatch, ThreadRow, ThreadWithChannel, UserRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// Auto-archive periods (minutes) Discord accepts.
pub const ARCHIVE_MINUTES: [i64; 4] = [60, 1440, 4320, 10080];
/// Tags one post may carry.
const MAX_APPLIED_TAGS: usize = 5;
/// Threads in GUILD_CREATE and the active listing.
pub const ACTIVE_LIMIT: i64 = 1000;

/// Body of `POST /channels/{id}/threads` and `POST /channels/{id}/messages/{id}/threads`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct StartThread {
    name: Option<String>,
    auto_archive_duration: Option<i64>,
    rate_limit_per_user: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<u8>,
    invitable: Option<bool>,
    /// Forum posts: the starter message.
    #[schema(value_type = Option<Object>)]
    message: Option<CreateMessage>,
    /// Forum posts: tag ids.
    applied_tags: Option<Vec<Snowflake>>,
}

/// Thread fields of `PATCH /channels/{thread}`.
#[derive(Debug, Default, Deserialize)]
pub struct ThreadBody {
    pub(crate) name: Option<String>,
    pub(crate) archived: Option<bool>,
    pub(crate) auto_archive_duration: Option<i64>,
    pub(crate) locked: Option<bool>,
    pub(crate) invitable: Option<bool>,
    pub(crate) rate_limit_per_user: Option<i64>,
    pub(crate) flags: Option<u64>,
    pub(crate) applied_tags: Option<Vec<Snowflake>>,
}

/// Query of the archived listings.
#[derive(Debug, Deserialize)]
pub struct ArchivedQuery {
    before: Option<String>,
    limit: Option<i64>,
}

/// Query of the thread member list.
#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    after: Option<Snowflake>,
    limit: Option<i64>,
}

fn not_a_thread() -> ApiError {
    ApiError::BadRequest(50024, "Cannot execute action on this channel type")
}

/// The caller's view of a thread: 400 50024 for a channel that is not one.
pub async fn load(app: &AppState, user_id: i64, id: i64) -> Result<ChannelCtx, ApiError> {
    match ChannelCtx::load_thread_by_id(app, id, user_id).await {
        Err(ApiError::Unknown(_)) if app.store.channel(id).await?.is_some() => Err(not_a_thread()),
        r => r,
    }
}

/// The thread part of a context loaded by [`load`].
pub fn thread_of(ctx: &ChannelCtx) -> Result<&ThreadCtx, ApiError> {
    ctx.thread.as_ref().ok_or_else(not_a_thread)
}

fn sf(v: i64) -> Snowflake {
    Snowflake::from_i64(v)
}

fn is_private(t: &ThreadRow) -> bool {
    t.kind == i64::from(kind::PRIVATE_THREAD)
}

/// The audience of events about a thread.
#[must_use]
pub fn audience(t: &ThreadRow, private_members: Option<Vec<i64>>) -> Audience {
    Audience::Thread {
        guild: t.guild_id,
        parent: t.parent_id,
        members: if is_private(t) {
            Some(private_members.unwrap_or_default())
        } else {
            None
        },
    }
}

/// The wire object of a thread for `viewer` (their vote on a forum post).
pub async fn view(
    app: &AppState,
    t: &ThreadWithChannel,
    post: bool,
    viewer: Option<i64>,
) -> Result<Channel, ApiError> {
    let me = match (post, viewer) {
        (true, Some(u)) => app.store.post_vote(t.thread.channel_id, u).await?,
        _ => 0,
    };
    Ok(views::thread_channel(&t.channel, &t.thread, post, me))
}

async fn publish_thread(
    app: &AppState,
    name: &'static str,
    ctx_thread: &ThreadCtx,
    t: &ThreadWithChannel,
    extra: Option<(&str, Value)>,
) -> Result<(), ApiError> {
    let mut v = serde_json::to_value(views::thread_channel(
        &t.channel,
        &t.thread,
        ctx_thread.is_post(),
        0,
    ))
    .unwrap_or_default();
    if let (Some((k, x)), Some(o)) = (extra, v.as_object_mut()) {
        o.insert(k.to_owned(), x);
    }
    if let Some(o) = v.as_object_mut() {
        // Votes are per viewer; sessions learn scores from VOTE_UPDATE.
        o.remove("me_vote");
    }
    app.bus
        .publish(Event::new(
            name,
            &v,
            audience(&t.thread, ctx_thread.members.clone()),
            Intents::GUILDS,
        ))
        .await;
    Ok(())
}

fn check_archive_minutes(v: Option<i64>, errs: &mut FieldErrors) -> Option<i64> {
    let m = v?;
    if ARCHIVE_MINUTES.contains(&m) {
        Some(m)
    } else {
        errs.add(
            "auto_archive_duration",
            FieldError::new(
                "BASE_TYPE_CHOICES",
                "Value must be one of (60, 1440, 4320, 10080).",
            ),
        );
        None
    }
}

fn check_slowmode(v: Option<i64>, errs: &mut FieldErrors) -> Option<i64> {
    let r = v?;
    if (0..=21600).contains(&r) {
        Some(r)
    } else {
        errs.add(
            "rate_limit_per_user",
            FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 21600."),
        );
        None
    }
}

/// Validates applied tags against a forum's tags; moderated tags need MANAGE_THREADS.
fn check_tags(
    st: &ChannelSettings,
    forum_flags: u64,
    tags: &[Snowflake],
    can_moderate: bool,
    required: bool,
    errs: &mut FieldErrors,
) -> Result<Vec<i64>, ApiError> {
    let mut out: Vec<i64> = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        match st.available_tags.iter().find(|a| a.id == Some(*t)) {
            Some(a) if a.moderated && !can_moderate => return Err(ApiError::MissingPermissions),
            Some(_) => {
                if !out.contains(&t.get()) {
                    out.push(t.get());
                }
            }
            None => errs.add(
                &format!("applied_tags.{i}"),
                FieldError::new("TAG_INVALID", "Unknown tag."),
            ),
        }
    }
    if out.len() > MAX_APPLIED_TAGS {
        errs.add(
            "applied_tags",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."),
        );
    }
    if required && out.is_empty() && forum_flags & channel::FLAG_REQUIRE_TAG != 0 {
        errs.add(
            "applied_tags",
            FieldError::new("TAG_REQUIRED", "A tag is required to post in this forum."),
        );
    }
    Ok(out)
}

struct Start<'a> {
    parent: &'a ChannelCtx,
    id: i64,
    kind: u8,
    name: String,
    minutes: i64,
    slowmode: i64,
    invitable: bool,
    tags: Vec<i64>,
    owner: i64,
}

async fn create_rows(app: &AppState, s: Start<'_>) -> Result<ThreadWithChannel, ApiError> {
    crate::service::messages::slowmode(app, s.parent, s.owner, "thread").await?;
    crate::service::automod::screen(
        app,
        s.owner,
        crate::service::automod::Subject::ThreadTitle {
            ctx: s.parent,
            name: &s.name,
        },
    )
    .await?;
    let now = app.now();
    let guild_id = s
        .parent
        .guild_id()
        .ok_or(ApiError::Unknown(Unknown::Channel))?;
    let created = sf(s.id).created_ms() as i64;
    let channel = ChannelRow {
        id: s.id,
        guild_id: Some(guild_id),
        kind: i64::from(s.kind),
        name: Some(s.name),
        topic: None,
        position: 0,
        parent_id: Some(s.parent.channel.id),
        nsfw: false,
        rate_limit_per_user: s.slowmode,
        bitrate: None,
        user_limit: None,
        owner_id: Some(s.owner),
        icon: None,
        last_message_id: None,
        last_pin_at: None,
        flags: 0,
        created_at: now,
        settings: "{}".to_owned(),
    };
    let thread = ThreadRow {
        channel_id: s.id,
        guild_id,
        parent_id: s.parent.channel.id,
        owner_id: s.owner,
        kind: i64::from(s.kind),
        archived: false,
        archive_at: now,
        auto_archive_duration: s.minutes,
        auto_archive_at: now + s.minutes * 60_000,
        locked: false,
        invitable: s.invitable,
        pinned: false,
        applied_tags: "[]".to_owned(),
        message_count: 0,
        member_count: 0,
        total_message_sent: 0,
        created_at: created,
        upvotes: 0,
        downvotes: 0,
        score: 0,
        hot: ranking::hot(0, 0, created),
        controversy: 0,
        active: ranking::hot(0, 0, created),
        last_comment_at: None,
    };
    match app
        .store
        .create_thread(&NewThread {
            channel,
            thread,
            tags: s.tags,
            members: vec![s.owner],
        })
        .await
    {
        Ok(()) => {}
        Err(coterie_store::StoreError::Conflict { .. }) => {
            return Err(ApiError::BadRequest(
                160004,
                "A thread has already been created for this message",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    app.store
        .thread(s.id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Channel))
}

async fn announce_created(
    app: &AppState,
    t: &ThreadWithChannel,
    parent: &ChannelRow,
    owner: i64,
) -> Result<ThreadCtx, ApiError> {
    let tc = ThreadCtx {
        row: t.thread.clone(),
        parent: parent.clone(),
        members: is_private(&t.thread).then(|| vec![owner]),
    };
    publish_thread(
        app,
        "THREAD_CREATE",
        &tc,
        t,
        Some(("newly_created", json!(true))),
    )
    .await?;
    let m = app.store.thread_member(t.thread.channel_id, owner).await?;
    if let Some(m) = m {
        member_update(app, &t.thread, &m).await;
    }
    let v = views::thread_channel(&t.channel, &t.thread, tc.is_post(), 0);
    audit::record(
        app,
        t.thread.guild_id,
        Entry::new(
            action::THREAD_CREATE,
            Some(owner),
            Some(t.thread.channel_id),
        )
        .changes(audit::created(&audit::json(&v))),
    )
    .await;
    Ok(tc)
}

async fn member_update(app: &AppState, t: &ThreadRow, m: &coterie_store::ThreadMemberRow) {
    let mut v = views::thread_member(m);
    v.guild_id = Some(sf(t.guild_id));
    app.bus
        .publish(
            Event::new(
                "THREAD_MEMBER_UPDATE",
                &v,
                Audience::Users(vec![m.user_id]),
                Intents::GUILDS,
            )
            .in_guild(Some(t.guild_id)),
        )
        .await;
}

fn name_of(b: Option<&String>, errs: &mut FieldErrors) -> String {
    match b {
        Some(n) => errs
            .check("name", validate::text(n, 1, 100))
            .unwrap_or_default(),
        None => {
            errs.add(
                "name",
                FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
            );
            String::new()
        }
    }
}

fn default_minutes(parent: &ChannelRow) -> i64 {
    ChannelSettings::parse(&parent.settings)
        .default_auto_archive_duration
        .map_or(4320, i64::from)
}

/// `POST /channels/{id}/messages/{id}/threads`: a public thread from a message (same id).
pub async fn start_from_message(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    b: StartThread,
) -> Result<Channel, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let t = u8::try_from(ctx.channel.kind).unwrap_or(0);
    if !matches!(t, kind::GUILD_TEXT | kind::GUILD_ANNOUNCEMENT) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    ctx.require(Permissions::CREATE_PUBLIC_THREADS | Permissions::READ_MESSAGE_HISTORY)?;
    app.store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let mut errs = FieldErrors::new();
    let name = name_of(b.name.as_ref(), &mut errs);
    let minutes = check_archive_minutes(b.auto_archive_duration, &mut errs);
    let slowmode = check_slowmode(b.rate_limit_per_user, &mut errs);
    errs.into_result()?;
    let thread_kind = if t == kind::GUILD_ANNOUNCEMENT {
        kind::ANNOUNCEMENT_THREAD
    } else {
        kind::PUBLIC_THREAD
    };
    let th = create_rows(
        app,
        Start {
            parent: &ctx,
            id: message_id,
            kind: thread_kind,
            name,
            minutes: minutes.unwrap_or_else(|| default_minutes(&ctx.channel)),
            slowmode: slowmode.unwrap_or(0),
            invitable: true,
            tags: vec![],
            owner: user.id,
        },
    )
    .await?;
    announce_created(app, &th, &ctx.channel, user.id).await?;
    view(app, &th, false, Some(user.id)).await
}

/// `POST /channels/{id}/threads`: a standalone thread, or a forum post with its first message.
pub async fn start(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    b: StartThread,
) -> Result<Value, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let t = u8::try_from(ctx.channel.kind).unwrap_or(0);
    if t == kind::GUILD_FORUM {
        return start_post(app, user, &ctx, b).await;
    }
    if !matches!(t, kind::GUILD_TEXT | kind::GUILD_ANNOUNCEMENT) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let mut errs = FieldErrors::new();
    let thread_kind = match (t, b.kind) {
        (kind::GUILD_ANNOUNCEMENT, None | Some(kind::ANNOUNCEMENT_THREAD)) => {
            kind::ANNOUNCEMENT_THREAD
        }
        (kind::GUILD_TEXT, None | Some(kind::PRIVATE_THREAD)) => kind::PRIVATE_THREAD,
        (kind::GUILD_TEXT, Some(kind::PUBLIC_THREAD)) => kind::PUBLIC_THREAD,
        _ => {
            errs.add(
                "type",
                FieldError::new(
                    "BASE_TYPE_CHOICES",
                    "Not a thread type this channel can hold.",
                ),
            );
            kind::PUBLIC_THREAD
        }
    };
    let name = name_of(b.name.as_ref(), &mut errs);
    let minutes = check_archive_minutes(b.auto_archive_duration, &mut errs);
    let slowmode = check_slowmode(b.rate_limit_per_user, &mut errs);
    errs.into_result()?;
    ctx.require(if thread_kind == kind::PRIVATE_THREAD {
        Permissions::CREATE_PRIVATE_THREADS
    } else {
        Permissions::CREATE_PUBLIC_THREADS
    })?;
    let th = create_rows(
        app,
        Start {
            parent: &ctx,
            id: app.ids.next_i64(),
            kind: thread_kind,
            name,
            minutes: minutes.unwrap_or_else(|| default_minutes(&ctx.channel)),
            slowmode: slowmode.unwrap_or(0),
            invitable: b.invitable.unwrap_or(true),
            tags: vec![],
            owner: user.id,
        },
    )
    .await?;
    announce_created(app, &th, &ctx.channel, user.id).await?;
    Ok(serde_json::to_value(view(app, &th, false, Some(user.id)).await?).unwrap_or_default())
}

/// Whether the caller passes a forum's karma and membership-age gates (moderators always do).
fn posting_gate(ctx: &ChannelCtx, st: &ChannelSettings, now: i64) -> Result<(), ApiError> {
    if ctx
        .perms
        .intersects(Permissions::MANAGE_THREADS | Permissions::MANAGE_CHANNELS)
    {
        return Ok(());
    }
    let Some(g) = &ctx.guild else { return Ok(()) };
    if g.member.member.karma < st.min_karma_to_post {
        return Err(ApiError::Forbidden(
            50013,
            "Missing Permissions: your karma in this community is below the minimum this forum requires to post",
        ));
    }
    if now - g.member.member.joined_at < st.min_member_age_to_post.saturating_mul(1000) {
        return Err(ApiError::Forbidden(
            50013,
            "Missing Permissions: you joined this community too recently to post in this forum",
        ));
    }
    Ok(())
}

async fn start_post(
    app: &AppState,
    user: &UserRow,
    ctx: &ChannelCtx,
    b: StartThread,
) -> Result<Value, ApiError> {
    ctx.require(Permissions::SEND_MESSAGES)?;
    let st = ChannelSettings::parse(&ctx.channel.settings);
    posting_gate(ctx, &st, app.now())?;
    let mut errs = FieldErrors::new();
    let name = name_of(b.name.as_ref(), &mut errs);
    let minutes = check_archive_minutes(b.auto_archive_duration, &mut errs);
    let slowmode = check_slowmode(b.rate_limit_per_user, &mut errs);
    let tags = check_tags(
        &st,
        ctx.channel.flags as u64,
        b.applied_tags.as_deref().unwrap_or(&[]),
        ctx.perms.contains(Permissions::MANAGE_THREADS),
        true,
        &mut errs,
    )?;
    let draft = match b.message {
        Some(m) => {
            let mut inner = FieldErrors::new();
            let d = Draft::parse(m, &mut inner);
            errs.nest("message", inner);
            Some(d)
        }
        None => {
            errs.add(
                "message",
                FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
            );
            None
        }
    };
    errs.into_result()?;
    let Some(draft) = draft else {
        return Err(field_error(
            "message",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    if draft.is_empty() {
        return Err(ApiError::BadRequest(50006, "Cannot send an empty message"));
    }
    let id = app.ids.next_i64();
    let verdict = crate::service::automod::screen(
        app,
        user.id,
        crate::service::automod::Subject::Message {
            ctx,
            content: &draft.content,
            message_id: id,
        },
    )
    .await?;
    let th = create_rows(
        app,
        Start {
            parent: ctx,
            id,
            kind: kind::PUBLIC_THREAD,
            name,
            minutes: minutes.unwrap_or_else(|| default_minutes(&ctx.channel)),
            slowmode: slowmode.unwrap_or(i64::from(st.default_thread_rate_limit_per_user)),
            invitable: true,
            tags,
            owner: user.id,
        },
    )
    .await?;
    announce_created(app, &th, &ctx.channel, user.id).await?;
    let tctx = ChannelCtx::load(app, id, user.id).await?;
    let mut posting = Posting::member(user, &tctx);
    posting.id = Some(id);
    let message = match post(app, &tctx, draft, posting).await {
        Ok((m, row)) => {
            crate::service::automod::after_post(app, &tctx, user.id, verdict, id, &row.content)
                .await?;
            m
        }
        Err(e) => {
            // Nothing half-made stays behind.
            app.store.delete_channel(id).await?;
            return Err(e);
        }
    };
    let th = app
        .store
        .thread(id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Channel))?;
    let mut v =
        serde_json::to_value(view(app, &th, true, Some(user.id)).await?).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "message".into(),
            serde_json::to_value(message).unwrap_or_default(),
        );
    }
    Ok(v)
}

/// Before a message is sent in a thread: a locked archived thread refuses it (unless the
/// sender may manage threads); an archived one is unarchived. The sender becomes a member.
pub async fn before_send(app: &AppState, ctx: &ChannelCtx, user: i64) -> Result<(), ApiError> {
    let Some(tc) = &ctx.thread else { return Ok(()) };
    let t = &tc.row;
    if t.locked && !ctx.perms.contains(Permissions::MANAGE_THREADS) {
        return Err(ApiError::BadRequest(160005, "Thread is locked"));
    }
    if t.archived {
        let now = app.now();
        let patch = patch_of(&ctx.channel, t, now);
        app.store
            .update_thread(&ThreadPatch {
                archived: false,
                archive_at: now,
                auto_archive_at: now + t.auto_archive_duration * 60_000,
                ..patch
            })
            .await?;
        if let Some(th) = app.store.thread(t.channel_id).await? {
            publish_thread(app, "THREAD_UPDATE", tc, &th, None).await?;
        }
    }
    if !(tc.is_post() || app.store.thread_member(t.channel_id, user).await?.is_some())
        && app
            .store
            .add_thread_member(t.channel_id, user, app.now())
            .await?
        && let Some(m) = app.store.thread_member(t.channel_id, user).await?
    {
        member_update(app, t, &m).await;
    }
    Ok(())
}

fn patch_of(c: &ChannelRow, t: &ThreadRow, now: i64) -> ThreadPatch {
    ThreadPatch {
        id: t.channel_id,
        name: c.name.clone().unwrap_or_default(),
        rate_limit_per_user: c.rate_limit_per_user,
        archived: t.archived,
        archive_at: t.archive_at,
        auto_archive_duration: t.auto_archive_duration,
        auto_archive_at: t.auto_archive_at.max(now),
        locked: t.locked,
        invitable: t.invitable,
        pinned: t.pinned,
        tags: None,
    }
}

/// `PATCH /channels/{thread}`: the owner may rename, (un)archive (unless locked), change the
/// auto-archive period and a post's tags; MANAGE_THREADS may do everything, including lock,
/// pin and slowmode.
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    ctx: &ChannelCtx,
    b: ThreadBody,
) -> Result<Channel, ApiError> {
    let tc = thread_of(ctx)?;
    let t = &tc.row;
    let moderator = ctx.perms.contains(Permissions::MANAGE_THREADS);
    let owner = t.owner_id == user.id;
    if !moderator && !owner {
        return Err(ApiError::MissingPermissions);
    }
    let unarchiving = t.archived && b.archived == Some(false);
    if t.archived && !unarchiving {
        return Err(ApiError::BadRequest(50083, "Thread is archived"));
    }
    if t.locked && unarchiving && !moderator {
        return Err(ApiError::BadRequest(160005, "Thread is locked"));
    }
    let needs_moderator = b.locked.is_some_and(|l| l != t.locked)
        || b.rate_limit_per_user.is_some()
        || b.flags
            .is_some_and(|f| (f & channel::FLAG_PINNED != 0) != t.pinned)
        || (b.invitable.is_some() && !owner);
    if needs_moderator && !moderator {
        return Err(ApiError::MissingPermissions);
    }
    let now = app.now();
    let mut p = patch_of(&ctx.channel, t, now);
    let mut errs = FieldErrors::new();
    if let Some(n) = &b.name
        && let Some(n) = errs.check("name", validate::text(n, 1, 100))
    {
        crate::service::automod::screen(
            app,
            user.id,
            crate::service::automod::Subject::ThreadTitle { ctx, name: &n },
        )
        .await?;
        p.name = n;
    }
    if let Some(m) = check_archive_minutes(b.auto_archive_duration, &mut errs) {
        p.auto_archive_duration = m;
    }
    if let Some(r) = check_slowmode(b.rate_limit_per_user, &mut errs) {
        p.rate_limit_per_user = r;
    }
    if let Some(l) = b.locked {
        p.locked = l;
    }
    if let Some(i) = b.invitable
        && is_private(t)
    {
        p.invitable = i;
    }
    if let Some(f) = b.flags {
        if f & channel::FLAG_PINNED != 0 && !tc.is_post() {
            errs.add(
                "flags",
                FieldError::new("BASE_TYPE_CHOICES", "Only forum posts can be pinned."),
            );
        }
        p.pinned = f & channel::FLAG_PINNED != 0;
    }
    if let Some(tags) = &b.applied_tags {
        if !tc.is_post() {
            errs.add(
                "applied_tags",
                FieldError::new("BASE_TYPE_CHOICES", "Only forum posts have tags."),
            );
        } else {
            let st = ChannelSettings::parse(&tc.parent.settings);
            p.tags = Some(check_tags(
                &st,
                tc.parent.flags as u64,
                tags,
                moderator,
                true,
                &mut errs,
            )?);
        }
    }
    errs.into_result()?;
    if let Some(a) = b.archived
        && a != t.archived
    {
        p.archived = a;
        p.archive_at = now;
    }
    if !p.archived {
        p.auto_archive_at = now + p.auto_archive_duration * 60_000;
    }
    app.store.update_thread(&p).await?;
    let th = app
        .store
        .thread(t.channel_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Channel))?;
    let before = views::thread_channel(&ctx.channel, t, tc.is_post(), 0);
    let after = views::thread_channel(&th.channel, &th.thread, tc.is_post(), 0);
    audit::record(
        app,
        t.guild_id,
        Entry::new(action::THREAD_UPDATE, Some(user.id), Some(t.channel_id))
            .changes(audit::diff(&audit::json(&before), &audit::json(&after))),
    )
    .await;
    publish_thread(app, "THREAD_UPDATE", tc, &th, None).await?;
    view(app, &th, tc.is_post(), Some(user.id)).await
}

/// `DELETE /channels/{thread}`: MANAGE_THREADS.
pub async fn delete(app: &AppState, ctx: &ChannelCtx) -> Result<Channel, ApiError> {
    let tc = thread_of(ctx)?;
    ctx.require(Permissions::MANAGE_THREADS)?;
    let t = &tc.row;
    let th = ThreadWithChannel {
        channel: ctx.channel.clone(),
        thread: t.clone(),
    };
    let v = views::thread_channel(&th.channel, t, tc.is_post(), 0);
    app.store.delete_channel(t.channel_id).await?;
    audit::record(
        app,
        t.guild_id,
        Entry::new(
            action::THREAD_DELETE,
            ctx.guild.as_ref().map(|g| g.member.member.user_id),
            Some(t.channel_id),
        )
        .changes(audit::deleted(&audit::json(&v))),
    )
    .await;
    app.bus
        .publish(Event::new(
            "THREAD_DELETE",
            &json!({"id": sf(t.channel_id), "guild_id": sf(t.guild_id), "parent_id": sf(t.parent_id), "type": t.kind}),
            audience(t, tc.members.clone()),
            Intents::GUILDS,
        ))
        .await;
    Ok(v)
}

/// Archives threads whose inactivity period ran out; runs every second.
pub async fn tick(app: &AppState) -> Result<(), ApiError> {
    let now = app.now();
    for id in app.store.due_thread_archives(now, 100).await? {
        if !app.store.auto_archive_thread(id, now).await? {
            continue;
        }
        let Some(th) = app.store.thread(id).await? else {
            continue;
        };
        let Some(parent) = app.store.channel(th.thread.parent_id).await? else {
            continue;
        };
        let members = if is_private(&th.thread) {
            Some(
                app.store
                    .thread_members(id, 0, 1000)
                    .await?
                    .into_iter()
                    .map(|m| m.user_id)
                    .collect(),
            )
        } else {
            None
        };
        let tc = ThreadCtx {
            row: th.thread.clone(),
            parent,
            members,
        };
        publish_thread(app, "THREAD_UPDATE", &tc, &th, None).await?;
    }
    Ok(())
}

async fn members_update(
    app: &AppState,
    ctx: &ChannelCtx,
    tc: &ThreadCtx,
    added: Option<&coterie_store::ThreadMemberRow>,
    removed: Option<i64>,
) -> Result<(), ApiError> {
    let t = &tc.row;
    let count = app
        .store
        .thread(t.channel_id)
        .await?
        .map_or(0, |x| x.thread.member_count);
    let mut members = tc.members.clone();
    if let (Some(m), Some(a)) = (members.as_mut(), added) {
        m.push(a.user_id);
    }
    let mut added_v = vec![];
    if let Some(a) = added {
        let mut v = serde_json::to_value(views::thread_member(a)).unwrap_or_default();
        if let Some(g) = &ctx.guild
            && let Some(m) = app.store.member(g.guild.id, a.user_id).await?
        {
            let u = app.store.user(a.user_id).await?;
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "member".into(),
                    serde_json::to_value(views::member(&m, u.as_ref())).unwrap_or_default(),
                );
                o.insert("presence".into(), Value::Null);
            }
        }
        added_v.push(v);
    }
    let mut d = json!({
        "id": sf(t.channel_id),
        "guild_id": sf(t.guild_id),
        "member_count": count.min(50),
        "added_members": added_v,
    });
    if let Some(r) = removed {
        d["removed_member_ids"] = json!([sf(r)]);
    }
    app.bus
        .publish(Event::new(
            "THREAD_MEMBERS_UPDATE",
            &d,
            audience(t, members),
            Intents::GUILD_MEMBERS,
        ))
        .await;
    Ok(())
}

/// A thread whose membership may change: 50083 once archived.
async fn load_open(app: &AppState, user_id: i64, thread_id: i64) -> Result<ChannelCtx, ApiError> {
    let ctx = load(app, user_id, thread_id).await?;
    if thread_of(&ctx)?.row.archived {
        return Err(ApiError::BadRequest(50083, "Thread is archived"));
    }
    Ok(ctx)
}

/// `PUT /channels/{thread}/thread-members/{user|@me}`.
pub async fn add_member(
    app: &AppState,
    user: &UserRow,
    thread_id: i64,
    target: Option<i64>,
) -> Result<(), ApiError> {
    let ctx = load_open(app, user.id, thread_id).await?;
    let tc = thread_of(&ctx)?;
    let target = target.unwrap_or(user.id);
    if target != user.id {
        ctx.require(Permissions::SEND_MESSAGES)?;
        if is_private(&tc.row)
            && !tc.row.invitable
            && !ctx.perms.contains(Permissions::MANAGE_THREADS)
        {
            return Err(ApiError::MissingPermissions);
        }
        let g = ctx.guild.as_ref().ok_or(ApiError::MissingAccess)?;
        let m = app
            .store
            .member(g.guild.id, target)
            .await?
            .ok_or(ApiError::Unknown(Unknown::Member))?;
        if !g
            .in_channel_of(&m, &tc.parent, &ctx.overwrites)
            .contains(Permissions::VIEW_CHANNEL)
        {
            return Err(ApiError::MissingAccess);
        }
    }
    if !app
        .store
        .add_thread_member(thread_id, target, app.now())
        .await?
    {
        return Ok(());
    }
    let m = app
        .store
        .thread_member(thread_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    if is_private(&tc.row) && target != user.id {
        // The new member learns of the thread.
        if let Some(th) = app.store.thread(thread_id).await? {
            app.bus
                .publish(
                    Event::new(
                        "THREAD_CREATE",
                        &views::thread_channel(&th.channel, &th.thread, false, 0),
                        Audience::Users(vec![target]),
                        Intents::GUILDS,
                    )
                    .in_guild(Some(tc.row.guild_id)),
                )
                .await;
        }
    }
    member_update(app, &tc.row, &m).await;
    members_update(app, &ctx, tc, Some(&m), None).await
}

/// `DELETE /channels/{thread}/thread-members/{user|@me}`: others need MANAGE_THREADS (or
/// to own the private thread).
pub async fn remove_member(
    app: &AppState,
    user: &UserRow,
    thread_id: i64,
    target: Option<i64>,
) -> Result<(), ApiError> {
    let ctx = load_open(app, user.id, thread_id).await?;
    let tc = thread_of(&ctx)?;
    let target = target.unwrap_or(user.id);
    if target != user.id
        && !ctx.perms.contains(Permissions::MANAGE_THREADS)
        && !(is_private(&tc.row) && tc.row.owner_id == user.id)
    {
        return Err(ApiError::MissingPermissions);
    }
    if !app.store.remove_thread_member(thread_id, target).await? {
        return Err(ApiError::Unknown(Unknown::Member));
    }
    members_update(app, &ctx, tc, None, Some(target)).await
}

/// `GET /channels/{thread}/thread-members/{user}`.
pub async fn get_member(
    app: &AppState,
    user: &UserRow,
    thread_id: i64,
    target: i64,
) -> Result<ThreadMember, ApiError> {
    let ctx = load(app, user.id, thread_id).await?;
    thread_of(&ctx)?;
    app.store
        .thread_member(thread_id, target)
        .await?
        .map(|m| views::thread_member(&m))
        .ok_or(ApiError::Unknown(Unknown::Member))
}

/// `GET /channels/{thread}/thread-members`.
pub async fn list_members(
    app: &AppState,
    user: &UserRow,
    thread_id: i64,
    q: MembersQuery,
) -> Result<Vec<ThreadMember>, ApiError> {
    let ctx = load(app, user.id, thread_id).await?;
    thread_of(&ctx)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    Ok(app
        .store
        .thread_members(thread_id, q.after.map_or(0, Snowflake::get), limit)
        .await?
        .iter()
        .map(views::thread_member)
        .collect())
}

/// Which of `threads` `user` may see: parent visible and, if private, a member or a moderator.
pub async fn visible_to(
    app: &AppState,
    g: &crate::service::perms::GuildCtx,
    threads: Vec<ThreadWithChannel>,
) -> Result<Vec<ThreadWithChannel>, ApiError> {
    // Most guilds have no active threads: no lookups then (GUILD_CREATE calls this per session).
    if threads.is_empty() {
        return Ok(threads);
    }
    let mut parents: Vec<i64> = threads.iter().map(|t| t.thread.parent_id).collect();
    parents.sort_unstable();
    parents.dedup();
    let rows = app.store.channels(&parents).await?;
    let ows = app.store.guild_overwrites(g.guild.id).await?;
    let perm_of = |pid: i64| {
        rows.iter()
            .find(|c| c.id == pid)
            .map_or(Permissions::NONE, |c| {
                let cows: Vec<_> = ows
                    .iter()
                    .filter(|o| o.channel_id == pid)
                    .copied()
                    .collect();
                g.in_channel(c, &cows)
            })
    };
    let private: Vec<i64> = threads
        .iter()
        .filter(|t| is_private(&t.thread))
        .map(|t| t.thread.channel_id)
        .collect();
    let mine: Vec<i64> = app
        .store
        .thread_memberships(g.member.member.user_id, &private)
        .await?
        .into_iter()
        .map(|m| m.thread_id)
        .collect();
    Ok(threads
        .into_iter()
        .filter(|t| {
            let p = perm_of(t.thread.parent_id);
            p.contains(Permissions::VIEW_CHANNEL)
                && (!is_private(&t.thread)
                    || mine.contains(&t.thread.channel_id)
                    || p.contains(Permissions::MANAGE_THREADS))
        })
        .collect())
}

async fn listing(
    app: &AppState,
    user: i64,
    threads: &[ThreadWithChannel],
    has_more: Option<bool>,
) -> Result<Value, ApiError> {
    let ids: Vec<i64> = threads.iter().map(|t| t.thread.channel_id).collect();
    let members: Vec<ThreadMember> = app
        .store
        .thread_memberships(user, &ids)
        .await?
        .iter()
        .map(views::thread_member)
        .collect();
    let forum_parents: Vec<i64> = app
        .store
        .channels(
            &threads
                .iter()
                .map(|t| t.thread.parent_id)
                .collect::<Vec<_>>(),
        )
        .await?
        .into_iter()
        .filter(|c| c.kind == i64::from(kind::GUILD_FORUM))
        .map(|c| c.id)
        .collect();
    let views: Vec<Channel> = threads
        .iter()
        .map(|t| {
            views::thread_channel(
                &t.channel,
                &t.thread,
                forum_parents.contains(&t.thread.parent_id),
                0,
            )
        })
        .collect();
    let mut v = json!({"threads": views, "members": members});
    if let Some(h) = has_more {
        v["has_more"] = json!(h);
    }
    Ok(v)
}

/// `GET /guilds/{id}/threads/active`.
pub async fn active(app: &AppState, user: &UserRow, guild_id: i64) -> Result<Value, ApiError> {
    let g = crate::service::perms::GuildCtx::load(app, guild_id, user.id).await?;
    let all = app.store.active_threads(guild_id, ACTIVE_LIMIT).await?;
    let seen = visible_to(app, &g, all).await?;
    listing(app, user.id, &seen, None).await
}

/// `GET /channels/{id}/threads/archived/public|private` and
/// `GET /channels/{id}/users/@me/threads/archived/private`.
pub async fn archived(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    private: bool,
    only_mine: bool,
    q: ArchivedQuery,
) -> Result<Value, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    if private && !only_mine {
        ctx.require(Permissions::MANAGE_THREADS)?;
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    let before = match q.before.as_deref() {
        None => i64::MAX,
        Some(s) => coterie_model::Timestamp::parse(s)
            .map(|t| t.0)
            .ok_or_else(|| {
                field_error("before", "TIMESTAMP_INVALID", "Not an ISO8601 timestamp.")
            })?,
    };
    let k = if private {
        kind::PRIVATE_THREAD
    } else if ctx.channel.kind == i64::from(kind::GUILD_ANNOUNCEMENT) {
        kind::ANNOUNCEMENT_THREAD
    } else {
        kind::PUBLIC_THREAD
    };
    let mut rows = app
        .store
        .archived_threads(
            channel_id,
            i64::from(k),
            before,
            only_mine.then_some(user.id),
            limit + 1,
        )
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(50));
    listing(app, user.id, &rows, Some(has_more)).await
}
