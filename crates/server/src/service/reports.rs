//! Reports and the moderation queue (Coterie extension): members report a message or a member;
//! reports of the same thing collapse into one with a reporter count; moderators resolve or
//! dismiss them, optionally acting (delete, timeout, kick, ban, approve a held message); reporters
//! learn by a system DM that their report was handled, never by whom. Reports can be escalated
//! to the instance's administrators.

use crate::app::AppState;
use crate::error::{ApiError, Unknown, field_error};
use crate::service::audit::{self, Entry};
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::{members, messages};
use coterie_model::moderation::{Report, action, report_status};
use coterie_model::{Permissions, Snowflake, Timestamp};
use coterie_store::{NewReport, ReportRow, UserRow};
use serde::Deserialize;
use serde_json::json;

/// Body of a report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReportBody {
    reason: String,
}

/// Query of the queue.
#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    status: Option<String>,
    before: Option<Snowflake>,
    limit: Option<i64>,
}

/// Body of `PATCH …/reports/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportUpdate {
    status: Option<String>,
    action: Option<String>,
    /// Timeout length for `action: timeout` (default one hour).
    duration_seconds: Option<i64>,
    /// Hand the report to the instance's administrators (stays open).
    escalate: Option<bool>,
}

fn status_name(s: i64) -> &'static str {
    match u8::try_from(s).unwrap_or(0) {
        report_status::RESOLVED => "resolved",
        report_status::DISMISSED => "dismissed",
        _ => "open",
    }
}

/// A status name as its stored number (400 50035 naming `status` otherwise).
fn status_code(s: &str) -> Result<i64, ApiError> {
    match s {
        "open" => Ok(i64::from(report_status::OPEN)),
        "resolved" => Ok(i64::from(report_status::RESOLVED)),
        "dismissed" => Ok(i64::from(report_status::DISMISSED)),
        _ => Err(field_error(
            "status",
            "BASE_TYPE_CHOICES",
            "Must be one of open, resolved, dismissed.",
        )),
    }
}

/// A report as moderators see it (`moderator` false hides the snapshot and outcome).
#[must_use]
pub fn view(r: &ReportRow, moderator: bool) -> Report {
    Report {
        id: Snowflake::from_i64(r.id),
        guild_id: Snowflake::from_i64(r.guild_id),
        channel_id: r.channel_id.map(Snowflake::from_i64),
        message_id: r.message_id.map(Snowflake::from_i64),
        target_user_id: Snowflake::from_i64(r.target_user_id),
        reason: r.reason.clone(),
        status: status_name(r.status).to_owned(),
        reporter_count: u32::try_from(r.reporter_count).unwrap_or(0),
        created_at: Timestamp(r.created_at),
        content: r.content.clone().filter(|_| moderator),
        action: r.action.clone().filter(|_| moderator),
        escalated: r.escalated && moderator,
        source: r.source.clone(),
    }
}

fn check_reason(reason: &str) -> Result<String, ApiError> {
    let t = reason.trim();
    let n = t.chars().count();
    if n == 0 || n > 512 {
        return Err(field_error(
            "reason",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 512 in length.",
        ));
    }
    Ok(t.to_owned())
}

/// `POST /channels/{c}/messages/{m}/reports`: any member who can see the message.
pub async fn report_message(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    b: ReportBody,
) -> Result<Report, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let Some(gid) = ctx.guild_id() else {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    let m = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if m.author_id == user.id {
        return Err(ApiError::BadRequest(
            50021,
            "Cannot report your own message",
        ));
    }
    let reason = check_reason(&b.reason)?;
    let what = Reported {
        guild_id: gid,
        channel_id: Some(channel_id),
        message_id: Some(message_id),
        target: m.author_id,
        content: Some(m.content),
    };
    let r = file(app, what, Some(user.id), reason).await?;
    tracing::info!(guild.id = gid, report.id = r.id, "message reported");
    Ok(view(&r, false))
}

/// `POST /guilds/{g}/members/{u}/reports`.
pub async fn report_member(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
    b: ReportBody,
) -> Result<Report, ApiError> {
    GuildCtx::load(app, guild_id, user.id).await?;
    if target == user.id {
        return Err(ApiError::BadRequest(50021, "Cannot report yourself"));
    }
    app.store
        .member(guild_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    let reason = check_reason(&b.reason)?;
    let what = Reported {
        guild_id,
        channel_id: None,
        message_id: None,
        target,
        content: None,
    };
    let r = file(app, what, Some(user.id), reason).await?;
    tracing::info!(guild.id = guild_id, report.id = r.id, "member reported");
    Ok(view(&r, false))
}

/// What a report is about.
#[derive(Debug, Clone)]
pub struct Reported {
    /// Guild.
    pub guild_id: i64,
    /// Channel of the message.
    pub channel_id: Option<i64>,
    /// The message (None: the member, or a message AutoMod kept out).
    pub message_id: Option<i64>,
    /// The member.
    pub target: i64,
    /// The text as it was.
    pub content: Option<String>,
}

/// Files (or adds to) a report: by a member (`reporter`), or by AutoMod (None).
pub async fn file(
    app: &AppState,
    what: Reported,
    reporter: Option<i64>,
    reason: String,
) -> Result<ReportRow, ApiError> {
    let (r, _) = app
        .store
        .file_report(&NewReport {
            id: app.ids.next_i64(),
            guild_id: what.guild_id,
            channel_id: what.channel_id,
            message_id: what.message_id,
            target_user_id: what.target,
            reporter_id: reporter,
            reason: reason.chars().take(512).collect(),
            content: what.content,
            source: if reporter.is_some() {
                "member"
            } else {
                "automod"
            },
            now: app.now(),
        })
        .await?;
    Ok(r)
}

async fn moderator(app: &AppState, user: &UserRow, guild_id: i64) -> Result<GuildCtx, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    if !ctx
        .base()
        .intersects(Permissions::MANAGE_MESSAGES | Permissions::MODERATE_MEMBERS)
    {
        return Err(ApiError::MissingPermissions);
    }
    Ok(ctx)
}

fn parse_queue(q: &QueueQuery) -> Result<(i64, i64), ApiError> {
    let status = match q.status.as_deref() {
        None => i64::from(report_status::OPEN),
        Some(s) => status_code(s)?,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    Ok((status, limit))
}

/// `GET /guilds/{g}/reports?status=open|resolved|dismissed`: MANAGE_MESSAGES or MODERATE_MEMBERS.
pub async fn list(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    q: QueueQuery,
) -> Result<Vec<Report>, ApiError> {
    moderator(app, user, guild_id).await?;
    let (status, limit) = parse_queue(&q)?;
    let rows = app
        .store
        .reports(Some(guild_id), status, q.before.map(Snowflake::get), limit)
        .await?;
    Ok(rows.iter().map(|r| view(r, true)).collect())
}

/// A report of the guild, for a moderator.
async fn moderated(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<ReportRow, ApiError> {
    moderator(app, user, guild_id).await?;
    app.store
        .report(guild_id, id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Report))
}

/// `GET /guilds/{g}/reports/{id}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<Report, ApiError> {
    Ok(view(&moderated(app, user, guild_id, id).await?, true))
}

/// Applies a report's action with the moderator's own permissions.
async fn apply(
    app: &AppState,
    user: &UserRow,
    r: &ReportRow,
    act: &str,
    duration: Option<i64>,
) -> Result<(), ApiError> {
    match act {
        "delete" => {
            let (Some(c), Some(m)) = (r.channel_id, r.message_id) else {
                return Err(field_error(
                    "action",
                    "REPORT_NO_MESSAGE",
                    "This report is not about a message.",
                ));
            };
            match messages::delete(app, user, c, m).await {
                Ok(()) | Err(ApiError::Unknown(Unknown::Message)) => Ok(()),
                Err(e) => Err(e),
            }
        }
        "timeout" => {
            let secs = duration.unwrap_or(3600);
            if !(1..=2_419_200).contains(&secs) {
                return Err(field_error(
                    "duration_seconds",
                    "NUMBER_TYPE_MAX",
                    "Must be between 1 and 2419200.",
                ));
            }
            let until = Timestamp(app.now() + secs * 1000);
            let body: members::ModifyMember =
                serde_json::from_value(json!({"communication_disabled_until": until}))
                    .map_err(ApiError::internal)?;
            members::modify(app, user, r.guild_id, r.target_user_id, body).await?;
            Ok(())
        }
        "kick" => members::kick(app, user, r.guild_id, r.target_user_id).await,
        "ban" => {
            members::ban(
                app,
                user,
                r.guild_id,
                r.target_user_id,
                members::CreateBan::default(),
            )
            .await
        }
        "approve" => approve(app, user, r).await,
        _ => Err(field_error(
            "action",
            "BASE_TYPE_CHOICES",
            "Must be one of delete, timeout, kick, ban, approve.",
        )),
    }
}

/// Posts a message AutoMod held, as its author, once a moderator approves it.
async fn approve(app: &AppState, user: &UserRow, r: &ReportRow) -> Result<(), ApiError> {
    let (Some(c), None, Some(content)) = (r.channel_id, r.message_id, r.content.as_ref()) else {
        return Err(field_error(
            "action",
            "REPORT_NOT_HELD",
            "Only held messages can be approved.",
        ));
    };
    GuildCtx::load(app, r.guild_id, user.id)
        .await?
        .require(Permissions::MANAGE_MESSAGES)?;
    let author = app
        .store
        .user(r.target_user_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::User))?;
    let ctx = ChannelCtx::load(app, c, author.id).await?;
    let draft = messages::Draft {
        content: content.clone(),
        ..Default::default()
    };
    messages::post(app, &ctx, draft, messages::Posting::member(&author, &ctx)).await?;
    Ok(())
}

/// `PATCH /guilds/{g}/reports/{id}` `{status, action?, duration_seconds?, escalate?}`.
pub async fn update(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    b: ReportUpdate,
) -> Result<Report, ApiError> {
    let r = moderated(app, user, guild_id, id).await?;
    let status = match b.status.as_deref() {
        Some(s) => status_code(s)?,
        None if b.escalate.is_some() => i64::from(report_status::OPEN),
        None => {
            return Err(field_error(
                "status",
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        }
    };
    if r.status != i64::from(report_status::OPEN) {
        return Err(ApiError::BadRequest(50035, "This report is already closed"));
    }
    if b.action.is_some() && status != i64::from(report_status::RESOLVED) {
        return Err(field_error(
            "action",
            "REPORT_ACTION_NEEDS_RESOLVE",
            "Actions come with status resolved.",
        ));
    }
    if let Some(act) = b.action.as_deref() {
        apply(app, user, &r, act, b.duration_seconds).await?;
    }
    let updated = app
        .store
        .update_report(
            r.id,
            status,
            b.action.as_deref(),
            b.escalate,
            user.id,
            app.now(),
        )
        .await?
        .ok_or(ApiError::BadRequest(50035, "This report is already closed"))?;
    let mut options = json!({"status": status_name(status)});
    if let Some(a) = &b.action {
        options["action"] = json!(a);
    }
    if b.escalate == Some(true) {
        options["escalated"] = json!("true");
    }
    audit::record(
        app,
        r.guild_id,
        Entry::new(action::REPORT_UPDATE, Some(user.id), Some(r.target_user_id)).options(options),
    )
    .await;
    if status != i64::from(report_status::OPEN) {
        notify_reporters(app, &updated).await;
    }
    Ok(view(&updated, true))
}

/// Tells each reporter, by a DM from the instance's account, that their report was handled.
async fn notify_reporters(app: &AppState, r: &ReportRow) {
    let run = async {
        let reporters = app.store.reporters(r.id).await?;
        if reporters.is_empty() {
            return Ok::<(), ApiError>(());
        }
        let sys = crate::service::events::system_user(app).await?;
        let guild = app
            .store
            .guild(r.guild_id)
            .await?
            .map(|g| g.name)
            .unwrap_or_default();
        let what = if r.message_id.is_some() {
            "a message"
        } else {
            "a member"
        };
        let outcome = if r.status == i64::from(report_status::RESOLVED) {
            "The moderators reviewed it and took action. Thank you for helping keep the community safe."
        } else {
            "The moderators reviewed it and decided no action was needed. Thank you for letting them know."
        };
        let text = format!("Your report about {what} in {guild} was handled. {outcome}");
        for id in reporters {
            if let Some(u) = app.store.user(id).await? {
                crate::service::dms::system_message(app, &sys, &u, &text).await?;
            }
        }
        Ok(())
    };
    if let Err(e) = run.await {
        tracing::warn!(report.id = r.id, error = %e, "reporters not notified");
    }
}

/// `GET /admin/reports`: open reports escalated to the instance (instance administrators).
pub async fn escalated(
    app: &AppState,
    user: &UserRow,
    q: QueueQuery,
) -> Result<Vec<Report>, ApiError> {
    if !user.instance_admin {
        return Err(ApiError::MissingPermissions);
    }
    let (status, limit) = parse_queue(&q)?;
    let rows = app
        .store
        .reports(None, status, q.before.map(Snowflake::get), limit)
        .await?;
    Ok(rows.iter().map(|r| view(r, true)).collect())
}
