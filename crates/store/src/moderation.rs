//! Moderation records: the audit log, AutoMod rules, reports with their reporters, and instance
//! suspensions.

use crate::db::{Arg, args};
use crate::{Count, Result, Store, StoreError};
use sqlx::FromRow;

/// An audit log entry as stored (`changes` and `options` are JSON).
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct AuditRow {
    /// Id (snowflake).
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Actor (None: the system).
    pub user_id: Option<i64>,
    /// Target.
    pub target_id: Option<i64>,
    /// Discord action type.
    pub action_type: i64,
    /// JSON array of changes.
    pub changes: Option<String>,
    /// JSON object of options.
    pub options: Option<String>,
    /// Reason.
    pub reason: Option<String>,
}

/// Filters of an audit log page.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditQuery {
    /// Actor.
    pub user_id: Option<i64>,
    /// Action type.
    pub action_type: Option<i64>,
    /// Entries older than this id.
    pub before: Option<i64>,
    /// Entries newer than this id.
    pub after: Option<i64>,
    /// 1–100.
    pub limit: i64,
}

/// An AutoMod rule as stored (`body` is its API JSON).
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct AutoModRow {
    /// Id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Trigger type.
    pub trigger_type: i64,
    /// The rule's JSON.
    pub body: String,
}

/// A report as stored.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct ReportRow {
    /// Id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Channel of the message.
    pub channel_id: Option<i64>,
    /// Message.
    pub message_id: Option<i64>,
    /// Message id or 0.
    pub subject: i64,
    /// The member reported.
    pub target_user_id: i64,
    /// First reason.
    pub reason: String,
    /// Snapshot of the message text.
    pub content: Option<String>,
    /// `member` or `automod`.
    pub source: String,
    /// 0 open, 1 resolved, 2 dismissed.
    pub status: i64,
    /// Distinct reporters.
    pub reporter_count: i64,
    /// Escalated to the instance.
    pub escalated: bool,
    /// Action taken.
    pub action: Option<String>,
    /// Moderator who closed it.
    pub resolved_by: Option<i64>,
    /// Created.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A new report (or another reporter of an open one).
#[derive(Debug, Clone)]
pub struct NewReport {
    /// Id to use when no open report exists.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// Channel.
    pub channel_id: Option<i64>,
    /// Message.
    pub message_id: Option<i64>,
    /// Member reported.
    pub target_user_id: i64,
    /// Reporter (None: AutoMod).
    pub reporter_id: Option<i64>,
    /// Reason.
    pub reason: String,
    /// Message text snapshot.
    pub content: Option<String>,
    /// `member` or `automod`.
    pub source: &'static str,
    /// Now.
    pub now: i64,
}

const REPORT_COLS: &str = "id, guild_id, channel_id, message_id, subject, target_user_id, reason, content, source, \
    status, reporter_count, escalated, action, resolved_by, created_at, updated_at";
const AUDIT_COLS: &str = "id, guild_id, user_id, target_id, action_type, changes, options, reason";

impl Store {
    /// Appends an audit log entry.
    pub async fn insert_audit(&self, e: &AuditRow) -> Result<()> {
        self.db
            .exec(
                format!(
                    "insert into audit_log ({AUDIT_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8)"
                ),
                args![
                    e.id,
                    e.guild_id,
                    e.user_id,
                    e.target_id,
                    e.action_type,
                    e.changes.clone(),
                    e.options.clone(),
                    e.reason.clone()
                ],
            )
            .await?;
        Ok(())
    }

    /// A page of a guild's audit log, newest first.
    pub async fn audit_log(&self, guild_id: i64, q: AuditQuery) -> Result<Vec<AuditRow>> {
        let mut conds = vec!["guild_id = $1".to_owned()];
        let mut vals: Vec<Arg> = vec![guild_id.into()];
        let mut push = |cond: &str, v: i64| {
            vals.push(v.into());
            conds.push(format!("{cond} ${}", vals.len()));
        };
        if let Some(u) = q.user_id {
            push("user_id =", u);
        }
        if let Some(a) = q.action_type {
            push("action_type =", a);
        }
        if let Some(b) = q.before {
            push("id <", b);
        }
        if let Some(a) = q.after {
            push("id >", a);
        }
        // With only `after`, take the entries just after it, then show them newest first.
        let ascending = q.after.is_some() && q.before.is_none();
        let sql = format!(
            "select {AUDIT_COLS} from audit_log where {} order by id {} limit {}",
            conds.join(" and "),
            if ascending { "asc" } else { "desc" },
            q.limit.clamp(1, 100)
        );
        let mut rows: Vec<AuditRow> = self.db.all(sql, vals).await?;
        if ascending {
            rows.reverse();
        }
        Ok(rows)
    }

    /// A guild's AutoMod rules, oldest first.
    pub async fn automod_rules(&self, guild_id: i64) -> Result<Vec<AutoModRow>> {
        self.db
            .all(
                "select id, guild_id, trigger_type, body from automod_rules where guild_id = $1 order by id",
                args![guild_id],
            )
            .await
    }

    /// Stores a new rule unless the guild already has `max` of its trigger type
    /// (`Conflict{automod_rules_limit}`).
    pub async fn insert_automod_rule(&self, r: &AutoModRow, max: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let n: Option<Count> = tx
            .opt(
                "select count(*) as n from automod_rules where guild_id = $1 and trigger_type = $2",
                args![r.guild_id, r.trigger_type],
            )
            .await?;
        if n.map_or(0, |c| c.n) >= max {
            return Err(StoreError::Conflict {
                constraint: "automod_rules_limit",
            });
        }
        tx.exec(
            "insert into automod_rules (id, guild_id, trigger_type, body) values ($1, $2, $3, $4)",
            args![r.id, r.guild_id, r.trigger_type, &r.body],
        )
        .await?;
        tx.commit().await
    }

    /// Replaces a rule's JSON; false if it does not exist.
    pub async fn update_automod_rule(&self, guild_id: i64, id: i64, body: &str) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "update automod_rules set body = $1 where id = $2 and guild_id = $3",
                args![body, id, guild_id],
            )
            .await?
            > 0)
    }

    /// Deletes a rule; false if it did not exist.
    pub async fn delete_automod_rule(&self, guild_id: i64, id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from automod_rules where id = $1 and guild_id = $2",
                args![id, guild_id],
            )
            .await?
            > 0)
    }

    /// Files a report, or adds the reporter to the open report on the same message (or member).
    /// Returns the report and whether this reporter was new to it. Two first reports racing
    /// meet at the open-report key; the loser retries and joins the winner's report.
    pub async fn file_report(&self, r: &NewReport) -> Result<(ReportRow, bool)> {
        match self.file_report_once(r).await {
            Err(StoreError::Conflict { .. }) => self.file_report_once(r).await,
            other => other,
        }
    }

    async fn file_report_once(&self, r: &NewReport) -> Result<(ReportRow, bool)> {
        let subject = r.message_id.unwrap_or(0);
        let mut tx = self.db.begin().await?;
        let select = format!(
            "select {REPORT_COLS} from reports where guild_id = $1 and target_user_id = $2 and subject = $3 and status = 0"
        );
        let existing: Option<ReportRow> = tx
            .opt(select, args![r.guild_id, r.target_user_id, subject])
            .await?;
        let id = if let Some(e) = &existing {
            e.id
        } else {
            tx.exec(
                format!(
                    "insert into reports ({REPORT_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, $10, null, null, $11, $11)"
                ),
                args![
                    r.id,
                    r.guild_id,
                    r.channel_id,
                    r.message_id,
                    subject,
                    r.target_user_id,
                    &r.reason,
                    r.content.clone(),
                    r.source,
                    false,
                    r.now
                ],
            )
            .await?;
            r.id
        };
        let added = if let Some(reporter) = r.reporter_id {
            let conflict = "on conflict (report_id, user_id) do nothing";
            let added = tx
                .exec(
                    format!("insert into report_reporters (report_id, user_id, reason, created_at) values ($1, $2, $3, $4) {conflict}"),
                    args![id, reporter, &r.reason, r.now],
                )
                .await?
                > 0;
            if added {
                tx.exec(
                    "update reports set reporter_count = reporter_count + 1, updated_at = $2 where id = $1",
                    args![id, r.now],
                )
                .await?;
            }
            added
        } else {
            existing.is_none()
        };
        let row: Option<ReportRow> = tx
            .opt(
                format!("select {REPORT_COLS} from reports where id = $1"),
                args![id],
            )
            .await?;
        tx.commit().await?;
        Ok((row.ok_or(StoreError::NotFound)?, added))
    }

    /// One report of a guild.
    pub async fn report(&self, guild_id: i64, id: i64) -> Result<Option<ReportRow>> {
        self.db
            .opt(
                format!("select {REPORT_COLS} from reports where id = $1 and guild_id = $2"),
                args![id, guild_id],
            )
            .await
    }

    /// A guild's reports in one state (newest first), or the instance's escalated ones
    /// (`guild_id` None).
    pub async fn reports(
        &self,
        guild_id: Option<i64>,
        status: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ReportRow>> {
        let scope = if guild_id.is_some() {
            "guild_id = $1"
        } else {
            "escalated = $1"
        };
        let first: Arg = match guild_id {
            Some(g) => g.into(),
            None => true.into(),
        };
        // The status is a literal (an integer, so nothing to escape): a parameter could not show
        // that the open-reports partial index applies (decision 84).
        let sql = format!(
            "select {REPORT_COLS} from reports where {scope} and status = {status} and id < $2 order by id desc limit {}",
            limit.clamp(1, 100)
        );
        self.db
            .all(sql, args![first, before.unwrap_or(i64::MAX)])
            .await
    }

    /// Closes or escalates a report; returns it after, or None if it was not open.
    pub async fn update_report(
        &self,
        id: i64,
        status: i64,
        action: Option<&str>,
        escalated: Option<bool>,
        by: i64,
        now: i64,
    ) -> Result<Option<ReportRow>> {
        let mut tx = self.db.begin().await?;
        let n = match escalated {
            Some(e) => {
                tx.exec(
                    "update reports set status = $1, action = coalesce($2, action), resolved_by = $3, updated_at = $4, \
                     escalated = $5 where id = $6 and status = 0",
                    args![status, action, by, now, e, id],
                )
                .await?
            }
            None => {
                tx.exec(
                    "update reports set status = $1, action = coalesce($2, action), resolved_by = $3, updated_at = $4 \
                     where id = $5 and status = 0",
                    args![status, action, by, now, id],
                )
                .await?
            }
        };
        if n == 0 {
            return Ok(None);
        }
        let row: Option<ReportRow> = tx
            .opt(
                format!("select {REPORT_COLS} from reports where id = $1"),
                args![id],
            )
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Who reported a report.
    pub async fn reporters(&self, report_id: i64) -> Result<Vec<i64>> {
        let v: Vec<crate::IdRow> = self
            .db
            .all(
                "select user_id as id from report_reporters where report_id = $1 order by created_at",
                args![report_id],
            )
            .await?;
        Ok(v.into_iter().map(|r| r.id).collect())
    }

    /// Suspends an account instance-wide and revokes its tokens; false if it already was.
    pub async fn suspend_user(
        &self,
        user_id: i64,
        admin_id: i64,
        reason: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .exec(
                "insert into suspensions (user_id, admin_id, reason, created_at) values ($1, $2, $3, $4) \
                 on conflict (user_id) do nothing",
                args![user_id, admin_id, reason, now],
            )
            .await?;
        tx.exec("delete from auth_tokens where user_id = $1", args![user_id])
            .await?;
        let done = tx.commit().await;
        self.cache.drop_user(user_id);
        done?;
        Ok(n > 0)
    }

    /// Lifts a suspension; false if there was none.
    pub async fn unsuspend_user(&self, user_id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec("delete from suspensions where user_id = $1", args![user_id])
            .await?
            > 0)
    }

    /// Whether an account is suspended.
    pub async fn is_suspended(&self, user_id: i64) -> Result<bool> {
        let n: Option<Count> = self
            .db
            .opt(
                "select cast(1 as bigint) as n from suspensions where user_id = $1",
                args![user_id],
            )
            .await?;
        Ok(n.is_some())
    }

    /// How many members joined a guild after `since` (ms).
    pub async fn joins_since(&self, guild_id: i64, since: i64) -> Result<i64> {
        let n: Option<Count> = self
            .db
            .opt(
                "select count(*) as n from members where guild_id = $1 and joined_at > $2",
                args![guild_id, since],
            )
            .await?;
        Ok(n.map_or(0, |c| c.n))
    }

    /// Clears `pending` for every member of a guild (screening turned off).
    pub async fn clear_pending(&self, guild_id: i64) -> Result<u64> {
        let done = self
            .db
            .exec(
                "update members set pending = $1 where guild_id = $2 and pending = $3",
                args![false, guild_id, true],
            )
            .await;
        self.cache.drop_guild_members(guild_id);
        done
    }
}
