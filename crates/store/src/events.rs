//! Guild scheduled events and who is interested in them.

use crate::db::args;
use crate::{EventRow, Result, Store, StoreError, UserRow};

const COLS: &str = "id, guild_id, channel_id, creator_id, name, description, start_at, end_at, privacy_level, status, \
    entity_type, location, image, recurrence_rule, reminded, created_at";

/// An event with its interested count.
#[derive(Debug, Clone)]
pub struct EventWithCount {
    /// The event.
    pub event: EventRow,
    /// Interested users.
    pub user_count: i64,
}

impl Store {
    /// Creates an event.
    pub async fn create_event(&self, e: &EventRow) -> Result<()> {
        self.db
            .exec(
                format!("insert into scheduled_events ({COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"),
                event_args(e),
            )
            .await?;
        Ok(())
    }

    /// Overwrites an event's fields.
    pub async fn update_event(&self, e: &EventRow) -> Result<()> {
        let n = self
            .db
            .exec(
                "update scheduled_events set channel_id = $1, name = $2, description = $3, start_at = $4, end_at = $5, \
                 privacy_level = $6, status = $7, entity_type = $8, location = $9, image = $10, recurrence_rule = $11, reminded = $12 \
                 where id = $13",
                args![e.channel_id, &e.name, e.description.clone(), e.start_at, e.end_at, e.privacy_level, e.status, e.entity_type,
                    e.location.clone(), e.image.clone(), e.recurrence_rule.clone(), e.reminded, e.id],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// One event.
    pub async fn event(&self, guild_id: i64, id: i64) -> Result<Option<EventRow>> {
        self.db
            .opt(
                format!("select {COLS} from scheduled_events where guild_id = $1 and id = $2"),
                args![guild_id, id],
            )
            .await
    }

    /// A guild's events, soonest first.
    pub async fn guild_events(&self, guild_id: i64) -> Result<Vec<EventRow>> {
        self.db
            .all(
                format!(
                    "select {COLS} from scheduled_events where guild_id = $1 order by start_at, id"
                ),
                args![guild_id],
            )
            .await
    }

    /// Deletes an event.
    pub async fn delete_event(&self, guild_id: i64, id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from scheduled_events where guild_id = $1 and id = $2",
                args![guild_id, id],
            )
            .await?
            > 0)
    }

    /// Marks a user interested; returns whether it is new.
    pub async fn add_event_user(&self, event_id: i64, user_id: i64, now: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "insert into scheduled_event_users (event_id, user_id, created_at) values ($1, $2, $3) on conflict do nothing",
                args![event_id, user_id, now],
            )
            .await?
            > 0)
    }

    /// Removes interest; returns whether it existed.
    pub async fn remove_event_user(&self, event_id: i64, user_id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from scheduled_event_users where event_id = $1 and user_id = $2",
                args![event_id, user_id],
            )
            .await?
            > 0)
    }

    /// Interested users by id.
    pub async fn event_users(
        &self,
        event_id: i64,
        after: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<UserRow>> {
        self.db
            .all(
                "select u.id, u.username, u.email, u.email_verified, u.password_hash, u.global_name, u.avatar, u.bot, \
                 u.instance_admin, u.flags, u.created_at from scheduled_event_users e join users u on u.id = e.user_id \
                 where e.event_id = $1 and e.user_id > $2 and e.user_id < $3 order by e.user_id limit $4",
                args![event_id, after, before, limit],
            )
            .await
    }

    /// Number of interested users.
    pub async fn event_user_count(&self, event_id: i64) -> Result<i64> {
        let c: Option<crate::Count> = self
            .db
            .opt(
                "select count(*) as n from scheduled_event_users where event_id = $1",
                args![event_id],
            )
            .await?;
        Ok(c.map_or(0, |c| c.n))
    }

    /// Events whose status must change at `now` (to start or to complete) or whose reminder is due
    /// (starting within `remind_ms`).
    pub async fn due_events(&self, now: i64, remind_ms: i64) -> Result<Vec<EventRow>> {
        self.db
            .all(
                format!(
                    "select {COLS} from scheduled_events where (status = 1 and start_at <= $1) \
                     or (status = 2 and end_at is not null and end_at <= $1) \
                     or (status = 1 and reminded = $2 and start_at <= $3) order by start_at limit 500"
                ),
                args![now, false, now + remind_ms],
            )
            .await
    }
}

fn event_args(e: &EventRow) -> Vec<crate::db::Arg> {
    args![
        e.id,
        e.guild_id,
        e.channel_id,
        e.creator_id,
        &e.name,
        e.description.clone(),
        e.start_at,
        e.end_at,
        e.privacy_level,
        e.status,
        e.entity_type,
        e.location.clone(),
        e.image.clone(),
        e.recurrence_rule.clone(),
        e.reminded,
        e.created_at
    ]
}
