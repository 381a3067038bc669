//! Read states: the last message each user acknowledged in each channel, and the unread and
//! mention counts derived from it.

use crate::db::args;
use crate::{ReadStateRow, Result, Store};

/// Unread counts stop at this many (a badge shows "99+" long before).
pub const UNREAD_CAP: i64 = 1000;

impl Store {
    /// Acknowledges `message_id` in a channel.
    pub async fn ack(&self, user_id: i64, channel_id: i64, message_id: i64) -> Result<()> {
        self.db
            .exec(
                "insert into read_states (user_id, channel_id, last_message_id) values ($1, $2, $3) \
                 on conflict (user_id, channel_id) do update set last_message_id = excluded.last_message_id",
                args![user_id, channel_id, message_id],
            )
            .await?;
        Ok(())
    }

    /// For every channel the user can reach through guild membership or DMs: the ack and the
    /// channel's newest message. Permission filtering happens in the caller.
    pub async fn read_states(&self, user_id: i64) -> Result<Vec<ReadStateRow>> {
        self.db
            .all(
                "select c.id as channel_id, rs.last_message_id, c.last_message_id as channel_last_message_id \
                 from channels c left join read_states rs on rs.channel_id = c.id and rs.user_id = $1 \
                 where c.guild_id in (select guild_id from members where user_id = $1) \
                 or c.id in (select channel_id from dm_recipients where user_id = $1)",
                args![user_id],
            )
            .await
    }

    /// Messages newer than `after` in a channel, capped at [`UNREAD_CAP`].
    pub async fn unread_count(&self, channel_id: i64, after: i64) -> Result<i64> {
        let c: Option<crate::Count> = self
            .db
            .opt(
                "select count(*) as n from (select 1 from messages where channel_id = $1 and id > $2 limit $3) t",
                args![channel_id, after, UNREAD_CAP],
            )
            .await?;
        Ok(c.map_or(0, |c| c.n))
    }

    /// Messages newer than `after` that mention the user directly, one of `role_ids`, or everyone.
    /// `mention_everyone` is stored only when the author was allowed to mention everyone.
    pub async fn mention_count(
        &self,
        user_id: i64,
        channel_id: i64,
        after: i64,
        role_ids: &[i64],
    ) -> Result<i64> {
        let roles_clause = if role_ids.is_empty() {
            String::new()
        } else {
            format!(
                " union select message_id from message_role_mentions where channel_id = $2 and message_id > $3 and role_id in ({})",
                crate::db::placeholders(5, role_ids.len())
            )
        };
        let sql = format!(
            "select count(*) as n from (select message_id from message_mentions where user_id = $1 and channel_id = $2 \
             and message_id > $3 union select id as message_id from messages where channel_id = $2 and id > $3 \
             and mention_everyone = $4{roles_clause}) t"
        );
        let mut a = args![user_id, channel_id, after, true];
        a.extend(role_ids.iter().map(|r| crate::db::Arg::from(*r)));
        let c: Option<crate::Count> = self.db.opt(sql, a).await?;
        Ok(c.map_or(0, |c| c.n))
    }
}
