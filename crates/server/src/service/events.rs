//! Guild scheduled events: create, list, edit, delete, RSVP ("interested"), and the background
//! tick that starts and completes events at their times and reminds interested members by DM.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::perms::GuildCtx;
use crate::service::views;
use coterie_model::channel::kind as channel_kind;
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Snowflake, Timestamp};
use coterie_store::{EventRow, UserRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// Statuses.
pub mod status {
    /// Not started.
    pub const SCHEDULED: i64 = 1;
    /// Running.
    pub const ACTIVE: i64 = 2;
    /// Ended.
    pub const COMPLETED: i64 = 3;
    /// Called off.
    pub const CANCELED: i64 = 4;
}
/// Entity type: an external place.
const EXTERNAL: i64 = 3;
/// Interested members are reminded this long before the start.
pub const REMINDER_MS: i64 = 15 * 60 * 1000;
const SETTING_SYSTEM_USER: &str = "system_user_id";

/// Body of create and modify.
#[derive(Debug, Default, Deserialize)]
pub struct EventBody {
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    channel_id: Option<Option<Snowflake>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    entity_metadata: Option<Option<Value>>,
    name: Option<String>,
    privacy_level: Option<i64>,
    scheduled_start_time: Option<Timestamp>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    scheduled_end_time: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    description: Option<Option<String>>,
    entity_type: Option<i64>,
    status: Option<i64>,
    #[serde(default, deserialize_with = "crate::extract::nullable")]
    recurrence_rule: Option<Option<Value>>,
}

/// Query with `with_user_count`.
#[derive(Debug, Deserialize)]
pub struct CountQuery {
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    pub(crate) with_user_count: Option<bool>,
}

/// Query of the interested-users listing.
#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    limit: Option<i64>,
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    with_member: Option<bool>,
    before: Option<Snowflake>,
    after: Option<Snowflake>,
}

/// The event object.
pub async fn view(app: &AppState, e: &EventRow, with_count: bool) -> Result<Value, ApiError> {
    let creator = match e.creator_id {
        Some(c) => app.store.user(c).await?.map(|u| views::user(&u)),
        None => None,
    };
    let mut v = json!({
        "id": e.id.to_string(),
        "guild_id": e.guild_id.to_string(),
        "channel_id": e.channel_id.map(|c| c.to_string()),
        "creator_id": e.creator_id.map(|c| c.to_string()),
        "name": e.name,
        "description": e.description,
        "scheduled_start_time": Timestamp(e.start_at),
        "scheduled_end_time": e.end_at.map(Timestamp),
        "privacy_level": e.privacy_level,
        "status": e.status,
        "entity_type": e.entity_type,
        "entity_id": null,
        "entity_metadata": e.location.as_ref().map(|l| json!({"location": l})),
        "creator": creator,
        "image": e.image,
        "recurrence_rule": e.recurrence_rule.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
    });
    if with_count {
        v["user_count"] = json!(app.store.event_user_count(e.id).await?);
    }
    Ok(v)
}

async fn publish(app: &AppState, name: &'static str, e: &EventRow) -> Result<(), ApiError> {
    let d = view(app, e, true).await?;
    app.bus
        .publish(Event::new(
            name,
            &d,
            audience(e),
            Intents::GUILD_SCHEDULED_EVENTS,
        ))
        .await;
    Ok(())
}

fn audience(e: &EventRow) -> Audience {
    match e.channel_id {
        Some(c) => Audience::Channel {
            guild: e.guild_id,
            channel: c,
        },
        None => Audience::Guild(e.guild_id),
    }
}

/// Applies body fields to `e` with Discord's rules (create when `creating`).
async fn apply(
    app: &AppState,
    ctx: &GuildCtx,
    e: &mut EventRow,
    b: EventBody,
    creating: bool,
) -> Result<(), ApiError> {
    let mut errs = FieldErrors::new();
    if let Some(n) = &b.name {
        if let Some(n) = errs.check("name", coterie_model::validate::text(n, 1, 100)) {
            e.name = n;
        }
    } else if creating {
        errs.add(
            "name",
            FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
        );
    }
    if let Some(d) = b.description {
        e.description = match d.filter(|d| !d.trim().is_empty()) {
            Some(d) => errs.check("description", coterie_model::validate::text(&d, 1, 1000)),
            None => None,
        };
    }
    if let Some(p) = b.privacy_level
        && p != 2
    {
        errs.add(
            "privacy_level",
            FieldError::new("BASE_TYPE_CHOICES", "Value must be one of {2}."),
        );
    }
    if let Some(t) = b.entity_type {
        if !(1..=3).contains(&t) {
            errs.add(
                "entity_type",
                FieldError::new("BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}."),
            );
        }
        e.entity_type = t;
    }
    if let Some(s) = b.scheduled_start_time {
        if e.status == status::SCHEDULED && s.0 <= app.now() {
            errs.add(
                "scheduled_start_time",
                FieldError::new(
                    "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                    "Cannot schedule an event in the past.",
                ),
            );
        }
        e.start_at = s.0;
    } else if creating {
        errs.add(
            "scheduled_start_time",
            FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
        );
    }
    if let Some(end) = b.scheduled_end_time {
        e.end_at = end.map(|t| t.0);
    }
    if let Some(c) = b.channel_id {
        e.channel_id = c.map(Snowflake::get);
    }
    if let Some(m) = b.entity_metadata {
        e.location = m.and_then(|m| m["location"].as_str().map(str::to_owned));
    }
    if let Some(r) = b.recurrence_rule {
        e.recurrence_rule = r.map(|r| r.to_string());
    }
    if e.end_at.is_some_and(|end| end <= e.start_at) {
        errs.add(
            "scheduled_end_time",
            FieldError::new(
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "The end must be after the start.",
            ),
        );
    }
    if e.entity_type == EXTERNAL {
        e.channel_id = None;
        if e.location
            .as_deref()
            .is_none_or(|l| l.trim().is_empty() || l.chars().count() > 100)
        {
            errs.add(
                "entity_metadata.location",
                FieldError::new(
                    "BASE_TYPE_REQUIRED",
                    "External events need a location of 1-100 characters.",
                ),
            );
        }
        if e.end_at.is_none() {
            errs.add(
                "scheduled_end_time",
                FieldError::new("BASE_TYPE_REQUIRED", "External events need an end time."),
            );
        }
    } else {
        e.location = None;
        let want = if e.entity_type == 1 {
            channel_kind::GUILD_STAGE_VOICE
        } else {
            channel_kind::GUILD_VOICE
        };
        let ok =
            match e.channel_id {
                Some(c) => app.store.channel(c).await?.is_some_and(|ch| {
                    ch.guild_id == Some(ctx.guild.id) && ch.kind == i64::from(want)
                }),
                None => false,
            };
        if !ok {
            errs.add(
                "channel_id",
                FieldError::new(
                    "CHANNEL_INVALID",
                    "Stage and voice events need a stage or voice channel of this guild.",
                ),
            );
        }
    }
    if let Some(s) = b.status {
        let allowed = matches!((e.status, s), (1, 2) | (1, 4) | (2, 3)) || s == e.status;
        if creating || !allowed {
            errs.add(
                "status",
                FieldError::new(
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS",
                    "Invalid status transition.",
                ),
            );
        }
        e.status = s;
    }
    errs.into_result()
}

fn may_manage(ctx: &GuildCtx, e: Option<&EventRow>) -> Result<(), ApiError> {
    let p = ctx.base();
    let own = e.is_none_or(|e| e.creator_id == Some(ctx.member.member.user_id));
    if p.contains(Permissions::MANAGE_EVENTS) || (own && p.contains(Permissions::CREATE_EVENTS)) {
        Ok(())
    } else {
        Err(ApiError::MissingPermissions)
    }
}

/// `POST /guilds/{id}/scheduled-events`.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: EventBody,
) -> Result<Value, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    may_manage(&ctx, None)?;
    let mut e = EventRow {
        id: app.ids.next_i64(),
        guild_id,
        channel_id: None,
        creator_id: Some(user.id),
        name: String::new(),
        description: None,
        start_at: 0,
        end_at: None,
        privacy_level: 2,
        status: status::SCHEDULED,
        entity_type: b.entity_type.unwrap_or(0),
        location: None,
        image: None,
        recurrence_rule: None,
        reminded: false,
        created_at: app.now(),
    };
    if b.entity_type.is_none() {
        return Err(field_error(
            "entity_type",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    }
    apply(app, &ctx, &mut e, b, true).await?;
    app.store.create_event(&e).await?;
    publish(app, "GUILD_SCHEDULED_EVENT_CREATE", &e).await?;
    view(app, &e, true).await
}

/// `GET /guilds/{id}/scheduled-events`.
pub async fn list(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    with_count: bool,
) -> Result<Vec<Value>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let mut out = vec![];
    for e in app.store.guild_events(guild_id).await? {
        if visible(app, &ctx, &e).await? {
            out.push(view(app, &e, with_count).await?);
        }
    }
    Ok(out)
}

async fn visible(app: &AppState, ctx: &GuildCtx, e: &EventRow) -> Result<bool, ApiError> {
    let Some(c) = e.channel_id else {
        return Ok(true);
    };
    let Some(ch) = app.store.channel(c).await? else {
        return Ok(true);
    };
    let ows = app.store.overwrites(c).await?;
    Ok(ctx
        .in_channel(&ch, &ows)
        .contains(Permissions::VIEW_CHANNEL))
}

async fn load(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<(GuildCtx, EventRow), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let e = app
        .store
        .event(guild_id, id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::ScheduledEvent))?;
    if !visible(app, &ctx, &e).await? {
        return Err(ApiError::Unknown(Unknown::ScheduledEvent));
    }
    Ok((ctx, e))
}

/// `GET /guilds/{id}/scheduled-events/{event}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    with_count: bool,
) -> Result<Value, ApiError> {
    let (_, e) = load(app, user, guild_id, id).await?;
    view(app, &e, with_count).await
}

/// `PATCH /guilds/{id}/scheduled-events/{event}`.
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    b: EventBody,
) -> Result<Value, ApiError> {
    let (ctx, mut e) = load(app, user, guild_id, id).await?;
    may_manage(&ctx, Some(&e))?;
    if matches!(e.status, status::COMPLETED | status::CANCELED) {
        return Err(field_error(
            "status",
            "GUILD_SCHEDULED_EVENT_INVALID_STATUS",
            "Ended events cannot change.",
        ));
    }
    apply(app, &ctx, &mut e, b, false).await?;
    app.store.update_event(&e).await?;
    publish(app, "GUILD_SCHEDULED_EVENT_UPDATE", &e).await?;
    view(app, &e, true).await
}

/// `DELETE /guilds/{id}/scheduled-events/{event}`.
pub async fn delete(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<(), ApiError> {
    let (ctx, e) = load(app, user, guild_id, id).await?;
    may_manage(&ctx, Some(&e))?;
    let d = view(app, &e, false).await?;
    app.store.delete_event(guild_id, id).await?;
    app.bus
        .publish(Event::new(
            "GUILD_SCHEDULED_EVENT_DELETE",
            &d,
            audience(&e),
            Intents::GUILD_SCHEDULED_EVENTS,
        ))
        .await;
    Ok(())
}

/// `PUT|DELETE /guilds/{id}/scheduled-events/{event}/users/@me`: mark or unmark interest.
pub async fn rsvp(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    interested: bool,
) -> Result<(), ApiError> {
    let (_, e) = load(app, user, guild_id, id).await?;
    if interested && matches!(e.status, status::COMPLETED | status::CANCELED) {
        return Err(field_error(
            "status",
            "GUILD_SCHEDULED_EVENT_INVALID_STATUS",
            "This event has ended.",
        ));
    }
    let changed = if interested {
        app.store.add_event_user(id, user.id, app.now()).await?
    } else {
        app.store.remove_event_user(id, user.id).await?
    };
    if changed {
        let d = json!({"guild_scheduled_event_id": id.to_string(), "user_id": user.id.to_string(), "guild_id": guild_id.to_string()});
        let name = if interested {
            "GUILD_SCHEDULED_EVENT_USER_ADD"
        } else {
            "GUILD_SCHEDULED_EVENT_USER_REMOVE"
        };
        app.bus
            .publish(Event::new(
                name,
                &d,
                audience(&e),
                Intents::GUILD_SCHEDULED_EVENTS,
            ))
            .await;
    }
    Ok(())
}

/// `GET /guilds/{id}/scheduled-events/{event}/users`.
pub async fn users(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    q: UsersQuery,
) -> Result<Vec<Value>, ApiError> {
    load(app, user, guild_id, id).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    let rows = app
        .store
        .event_users(
            id,
            q.after.map_or(0, Snowflake::get),
            q.before.map_or(i64::MAX, Snowflake::get),
            limit,
        )
        .await?;
    let mut out = vec![];
    for u in rows {
        let mut v = json!({"guild_scheduled_event_id": id.to_string(), "user": views::user(&u)});
        if q.with_member == Some(true)
            && let Some(m) = app.store.member(guild_id, u.id).await?
        {
            v["member"] = serde_json::to_value(views::member(&m, None)).unwrap_or_default();
        }
        out.push(v);
    }
    Ok(out)
}

/// The instance's own account, which sends reminders (created on first use).
pub(crate) async fn system_user(app: &AppState) -> Result<UserRow, ApiError> {
    if let Some(id) = app
        .store
        .setting(SETTING_SYSTEM_USER)
        .await?
        .and_then(|s| s.parse::<i64>().ok())
        && let Some(u) = app.store.user(id).await?
    {
        return Ok(u);
    }
    let u = app
        .store
        .create_user(coterie_store::NewUser {
            id: app.ids.next_i64(),
            username: "coterie".into(),
            email: None,
            password_hash: String::new(),
            bot: true,
            global_name: Some("Coterie".into()),
            created_at: app.now(),
        })
        .await?;
    app.store
        .set_setting(SETTING_SYSTEM_USER, &u.id.to_string())
        .await?;
    Ok(u)
}

async fn remind(app: &AppState, e: &EventRow) -> Result<(), ApiError> {
    let sys = system_user(app).await?;
    let guild = app
        .store
        .guild(e.guild_id)
        .await?
        .map_or_else(String::new, |g| g.name);
    let mut after = 0;
    loop {
        let batch = app.store.event_users(e.id, after, i64::MAX, 100).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for u in &batch {
            let content = format!(
                "Reminder: **{}** in {guild} starts <t:{}:R>.",
                e.name,
                e.start_at / 1000
            );
            crate::service::dms::system_message(app, &sys, u, &content).await?;
        }
    }
    Ok(())
}

/// Starts, completes and announces due events; runs every second.
pub async fn tick(app: &AppState) -> Result<(), ApiError> {
    let now = app.now();
    for mut e in app.store.due_events(now, REMINDER_MS).await? {
        let before = e.status;
        if e.status == status::SCHEDULED && !e.reminded && e.start_at <= now + REMINDER_MS {
            e.reminded = true;
            app.store.update_event(&e).await?;
            remind(app, &e).await?;
        }
        if e.status == status::SCHEDULED && e.start_at <= now {
            e.status = status::ACTIVE;
        }
        if e.status == status::ACTIVE && e.end_at.is_some_and(|end| end <= now) {
            e.status = status::COMPLETED;
        }
        if e.status != before {
            app.store.update_event(&e).await?;
            publish(app, "GUILD_SCHEDULED_EVENT_UPDATE", &e).await?;
        }
    }
    Ok(())
}

/// The background loop.
pub async fn run(app: AppState) {
    let mut t = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        t.tick().await;
        if let Err(e) = tick(&app).await {
            tracing::warn!(error = %e, "scheduled events tick failed");
        }
        if let Err(e) = crate::service::threads::tick(&app).await {
            tracing::warn!(error = %e, "thread auto-archive tick failed");
        }
        if let Err(e) = crate::service::polls::tick(&app).await {
            tracing::warn!(error = %e, "poll tick failed");
        }
        crate::service::interactions::prune(&app).await;
    }
}
