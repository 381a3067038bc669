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

    /// For every channel the user can reach through guild membership or DMs: the ack and — where
    /// the channel's newest message is past it — how many messages are unread (capped at
    /// [`UNREAD_CAP`]) and how many of them mention the user directly, one of the roles they hold
    /// in that guild, or everyone. One query, however many channels:
    /// READY needs this for every channel at once. Permission filtering happens in the caller.
    pub async fn read_states(&self, user_id: i64) -> Result<Vec<ReadStateRow>> {
        // `mention_everyone` is compared with a literal: SQLite re-compiles a statement on every
        // execution when a bound parameter decides whether a partial index applies (here
        // messages_everyone_idx), and this is the largest statement IDENTIFY runs.
        self.db
            .all(
                format!(
                "select c.id as channel_id, rs.last_message_id, \
                 case when c.last_message_id > coalesce(rs.last_message_id, 0) then \
                 (select count(*) from (select 1 from messages m where m.channel_id = c.id \
                 and m.id > coalesce(rs.last_message_id, 0) limit $2) u) else 0 end as unread, \
                 case when c.last_message_id > coalesce(rs.last_message_id, 0) then \
                 (select count(*) from (select mm.message_id from message_mentions mm where mm.user_id = $1 \
                 and mm.channel_id = c.id and mm.message_id > coalesce(rs.last_message_id, 0) \
                 union select m.id as message_id from messages m where m.channel_id = c.id \
                 and m.id > coalesce(rs.last_message_id, 0) and m.mention_everyone = {everyone} \
                 union select rm.message_id from message_role_mentions rm where rm.channel_id = c.id \
                 and rm.message_id > coalesce(rs.last_message_id, 0) and rm.role_id in \
                 (select mr.role_id from member_roles mr where mr.guild_id = c.guild_id and mr.user_id = $1)) t) \
                 else 0 end as mentions \
                 from channels c left join read_states rs on rs.channel_id = c.id and rs.user_id = $1 \
                 where c.guild_id in (select guild_id from members where user_id = $1) \
                 or c.id in (select channel_id from dm_recipients where user_id = $1)",
                    everyone = crate::db::bool_lit(self.engine(), true)
                ),
                args![user_id, UNREAD_CAP],
            )
            .await
    }
}
