//! Direct messages and group DMs.

use crate::db::args;
use crate::guilds::{INSERT_CHANNEL_SQL, channel_args};
use crate::{ChannelRow, Result, Store};

impl Store {
    /// The 1:1 DM channel between two users, creating it from `c` if there is none.
    /// Returns the channel and whether it was created.
    pub async fn open_dm(&self, a: i64, b: i64, c: &ChannelRow) -> Result<(ChannelRow, bool)> {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let mut tx = self.db.begin().await?;
        #[derive(sqlx::FromRow)]
        struct P {
            channel_id: i64,
        }
        let existing: Option<P> = tx
            .opt(
                "select channel_id from dm_pairs where user_low = $1 and user_high = $2",
                args![low, high],
            )
            .await?;
        if let Some(p) = existing {
            tx.commit().await?;
            let ch = self
                .channel(p.channel_id)
                .await?
                .ok_or(crate::StoreError::NotFound)?;
            return Ok((ch, false));
        }
        tx.exec(INSERT_CHANNEL_SQL, channel_args(c)).await?;
        tx.exec(
            "insert into dm_pairs (user_low, user_high, channel_id) values ($1, $2, $3)",
            args![low, high, c.id],
        )
        .await?;
        for u in if low == high {
            vec![low]
        } else {
            vec![low, high]
        } {
            tx.exec(
                "insert into dm_recipients (channel_id, user_id) values ($1, $2)",
                args![c.id, u],
            )
            .await?;
        }
        tx.commit().await?;
        Ok((c.clone(), true))
    }

    /// Creates a group DM with these recipients (owner included).
    pub async fn create_group_dm(&self, c: &ChannelRow, recipients: &[i64]) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.exec(INSERT_CHANNEL_SQL, channel_args(c)).await?;
        for u in recipients {
            tx.exec("insert into dm_recipients (channel_id, user_id) values ($1, $2) on conflict do nothing", args![c.id, *u]).await?;
        }
        tx.commit().await
    }

    /// Removes a recipient from a group DM.
    pub async fn remove_dm_recipient(&self, channel_id: i64, user_id: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from dm_recipients where channel_id = $1 and user_id = $2",
                args![channel_id, user_id],
            )
            .await?
            > 0)
    }

    /// Recipients of a DM or group DM.
    pub async fn dm_recipients(&self, channel_id: i64) -> Result<Vec<i64>> {
        let rows: Vec<crate::IdRow> = self
            .db
            .all(
                "select user_id as id from dm_recipients where channel_id = $1 order by user_id",
                args![channel_id],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Whether `user_id` is a recipient of the DM channel.
    pub async fn is_dm_recipient(&self, channel_id: i64, user_id: i64) -> Result<bool> {
        let r: Option<crate::Count> = self
            .db
            .opt("select cast(1 as bigint) as n from dm_recipients where channel_id = $1 and user_id = $2", args![channel_id, user_id])
            .await?;
        Ok(r.is_some())
    }

    /// A user's DM and group DM channels.
    pub async fn user_dm_channels(&self, user_id: i64) -> Result<Vec<ChannelRow>> {
        let rows: Vec<crate::IdRow> = self
            .db
            .all(
                "select channel_id as id from dm_recipients where user_id = $1 order by channel_id",
                args![user_id],
            )
            .await?;
        let ids: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
        self.channels(&ids).await
    }
}
