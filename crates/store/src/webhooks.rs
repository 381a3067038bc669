//! Incoming webhooks. Each has a bot user row with the webhook's id so its messages have an author.

use crate::db::args;
use crate::{Result, Store, StoreError, WebhookRow};

const COLS: &str =
    "id, type, guild_id, channel_id, creator_id, application_id, name, avatar, token, created_at";

impl Store {
    /// Creates a webhook and its author row.
    pub async fn create_webhook(&self, w: &WebhookRow) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.exec(
            "insert into users (id, username, username_lower, password_hash, bot, instance_admin, created_at, flags) \
             values ($1, $2, $3, '', $4, $5, $6, $7)",
            args![w.id, format!("webhook.{}", w.id), format!("webhook.{}", w.id), true, false, w.created_at, 1i64 << 40],
        )
        .await?;
        tx.exec(
            format!(
                "insert into webhooks ({COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            args![
                w.id,
                w.kind,
                w.guild_id,
                w.channel_id,
                w.creator_id,
                w.application_id,
                &w.name,
                w.avatar.clone(),
                w.token.clone(),
                w.created_at
            ],
        )
        .await?;
        tx.commit().await
    }

    /// One webhook.
    pub async fn webhook(&self, id: i64) -> Result<Option<WebhookRow>> {
        self.db
            .opt(
                format!("select {COLS} from webhooks where id = $1"),
                args![id],
            )
            .await
    }

    /// A channel's webhooks.
    pub async fn channel_webhooks(&self, channel_id: i64) -> Result<Vec<WebhookRow>> {
        self.db
            .all(
                format!("select {COLS} from webhooks where channel_id = $1 order by id"),
                args![channel_id],
            )
            .await
    }

    /// A guild's webhooks.
    pub async fn guild_webhooks(&self, guild_id: i64) -> Result<Vec<WebhookRow>> {
        self.db
            .all(
                format!("select {COLS} from webhooks where guild_id = $1 order by id"),
                args![guild_id],
            )
            .await
    }

    /// Updates name, avatar and channel.
    pub async fn update_webhook(&self, w: &WebhookRow) -> Result<()> {
        let n = self
            .db
            .exec(
                "update webhooks set name = $1, avatar = $2, channel_id = $3 where id = $4",
                args![&w.name, w.avatar.clone(), w.channel_id, w.id],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Deletes a webhook (its messages stay).
    pub async fn delete_webhook(&self, id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec("delete from webhooks where id = $1", args![id])
            .await?
            > 0)
    }
}
