//! The audit log: every moderation and configuration change, with the `X-Audit-Log-Reason` the
//! request carried, readable by VIEW_AUDIT_LOG and dispatched as GUILD_AUDIT_LOG_ENTRY_CREATE.
//!
//! The reason travels as a task-local set by the HTTP layer for the whole request, so services
//! record entries without threading a header through every call (decision 38).

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, field_error};
use crate::service::perms::GuildCtx;
use crate::service::views;
use coterie_model::moderation::{AuditLog, AuditLogChange, AuditLogEntry, action};
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{AuditQuery, AuditRow, UserRow};
use serde::Deserialize;
use serde_json::{Map, Value, json};

tokio::task_local! {
    /// The reason the current request gave (`X-Audit-Log-Reason`).
    pub static REASON: Option<String>;
}

/// The current request's reason, if any.
#[must_use]
pub fn reason() -> Option<String> {
    REASON.try_with(Clone::clone).ok().flatten()
}

/// Keys never shown as changes (identity and bookkeeping).
const SKIP: &[&str] = &[
    "id",
    "guild_id",
    "last_message_id",
    "last_pin_timestamp",
    "member_count",
    "message_count",
    "total_message_sent",
    "approximate_member_count",
    "approximate_presence_count",
    "created_at",
    "user",
    "score",
    "upvotes",
    "downvotes",
    "me_vote",
];

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Action type.
    pub action: u16,
    /// Who acted (None: the system, e.g. AutoMod).
    pub actor: Option<i64>,
    /// What was acted on.
    pub target: Option<i64>,
    /// Changed fields.
    pub changes: Vec<AuditLogChange>,
    /// Options (values are strings, as Discord sends them).
    pub options: Option<Value>,
}

impl Entry {
    /// An entry without changes.
    #[must_use]
    pub fn new(action: u16, actor: Option<i64>, target: Option<i64>) -> Self {
        Self {
            action,
            actor,
            target,
            changes: vec![],
            options: None,
        }
    }

    /// With changes.
    #[must_use]
    pub fn changes(mut self, c: Vec<AuditLogChange>) -> Self {
        self.changes = c;
        self
    }

    /// With options.
    #[must_use]
    pub fn options(mut self, o: Value) -> Self {
        self.options = Some(o);
        self
    }
}

/// Top-level fields that differ between two JSON views of an object.
#[must_use]
pub fn diff(before: &Value, after: &Value) -> Vec<AuditLogChange> {
    let empty = Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !SKIP.contains(&k.as_str()))
        .filter_map(|k| {
            let o = b.get(k).filter(|v| !v.is_null());
            let n = a.get(k).filter(|v| !v.is_null());
            (o != n).then(|| AuditLogChange {
                key: k.clone(),
                old_value: o.cloned(),
                new_value: n.cloned(),
            })
        })
        .collect()
}

/// Any API object as JSON, for [`diff`], [`created`] and [`deleted`].
#[must_use]
pub fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Every field of a created object as `new_value`.
#[must_use]
pub fn created(v: &Value) -> Vec<AuditLogChange> {
    diff(&Value::Null, v)
}

/// Every field of a deleted object as `old_value`.
#[must_use]
pub fn deleted(v: &Value) -> Vec<AuditLogChange> {
    diff(v, &Value::Null)
}

fn view(r: &AuditRow) -> AuditLogEntry {
    fn parse<T: serde::de::DeserializeOwned>(s: &Option<String>) -> Option<T> {
        s.as_deref().and_then(|s| serde_json::from_str(s).ok())
    }
    AuditLogEntry {
        id: Snowflake::from_i64(r.id),
        user_id: r.user_id.map(Snowflake::from_i64),
        target_id: r.target_id.map(Snowflake::from_i64),
        action_type: u16::try_from(r.action_type).unwrap_or(0),
        changes: parse(&r.changes),
        options: parse(&r.options),
        reason: r.reason.clone(),
    }
}

/// Records an entry with the current request's reason and tells VIEW_AUDIT_LOG holders. A
/// failure is logged, never returned: the action it describes has already happened.
pub async fn record(app: &AppState, guild_id: i64, e: Entry) {
    record_with_reason(app, guild_id, e, reason()).await;
}

/// [`record`] with an explicit reason (AutoMod, reports).
pub async fn record_with_reason(app: &AppState, guild_id: i64, e: Entry, reason: Option<String>) {
    let row = AuditRow {
        id: app.ids.next_i64(),
        guild_id,
        user_id: e.actor,
        target_id: e.target,
        action_type: i64::from(e.action),
        changes: (!e.changes.is_empty())
            .then(|| serde_json::to_string(&e.changes).unwrap_or_default()),
        options: e.options.as_ref().map(Value::to_string),
        reason,
    };
    if let Err(err) = app.store.insert_audit(&row).await {
        tracing::error!(guild.id = guild_id, error = %err, "audit log entry not stored");
        return;
    }
    let mut d = serde_json::to_value(view(&row)).unwrap_or(Value::Null);
    d["guild_id"] = json!(guild_id.to_string());
    app.bus
        .publish(Event::new(
            "GUILD_AUDIT_LOG_ENTRY_CREATE",
            &d,
            Audience::GuildPerm {
                guild: guild_id,
                perm: Permissions::VIEW_AUDIT_LOG.0,
            },
            Intents::GUILD_MODERATION,
        ))
        .await;
}

/// Query of `GET /guilds/{id}/audit-logs`.
#[derive(Debug, Deserialize)]
pub struct LogQuery {
    user_id: Option<Snowflake>,
    action_type: Option<i64>,
    before: Option<Snowflake>,
    after: Option<Snowflake>,
    limit: Option<i64>,
}

/// `GET /guilds/{id}/audit-logs`: VIEW_AUDIT_LOG.
pub async fn list(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    q: LogQuery,
) -> Result<AuditLog, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::VIEW_AUDIT_LOG)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    let rows = app
        .store
        .audit_log(
            guild_id,
            AuditQuery {
                user_id: q.user_id.map(Snowflake::get),
                action_type: q.action_type.filter(|a| *a > 0),
                before: q.before.map(Snowflake::get),
                after: q.after.map(Snowflake::get),
                limit,
            },
        )
        .await?;
    let mut ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| {
            let target_is_user = matches!(
                u16::try_from(r.action_type).unwrap_or(0),
                action::MEMBER_KICK..=action::BOT_ADD
                    | action::AUTO_MODERATION_BLOCK_MESSAGE..=action::AUTO_MODERATION_USER_COMMUNICATION_DISABLED
                    | action::MESSAGE_DELETE
            );
            [r.user_id, r.target_id.filter(|_| target_is_user)]
        })
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let users = app.store.users(&ids).await?;
    let wants_rules = rows.iter().any(|r| {
        (i64::from(action::AUTO_MODERATION_RULE_CREATE)
            ..=i64::from(action::AUTO_MODERATION_USER_COMMUNICATION_DISABLED))
            .contains(&r.action_type)
    });
    let auto_moderation_rules = if wants_rules {
        crate::service::automod::rules_of(app, guild_id).await?
    } else {
        vec![]
    };
    Ok(AuditLog {
        audit_log_entries: rows.iter().map(view).collect(),
        users: users.iter().map(views::user).collect(),
        integrations: vec![],
        webhooks: vec![],
        guild_scheduled_events: vec![],
        threads: vec![],
        application_commands: vec![],
        auto_moderation_rules,
    })
}
