//! Reactions: one row per (message, emoji, user).

use crate::db::{Arg, args, placeholders};
use crate::{ReactionCountRow, Result, Store, UserRow};

impl Store {
    /// Adds a reaction; returns whether it was new.
    pub async fn add_reaction(
        &self,
        message_id: i64,
        emoji: &str,
        user_id: i64,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let added = tx
            .exec(
                "insert into reactions (message_id, emoji, user_id, created_at) values ($1, $2, $3, $4) on conflict do nothing",
                args![message_id, emoji, user_id, now],
            )
            .await?
            > 0;
        if added {
            tx.exec(
                "update messages set extras = extras | $2 where id = $1 and extras & $2 = 0",
                args![message_id, crate::extras::REACTIONS],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Removes a reaction; returns whether it existed.
    pub async fn remove_reaction(
        &self,
        message_id: i64,
        emoji: &str,
        user_id: i64,
    ) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "delete from reactions where message_id = $1 and emoji = $2 and user_id = $3",
                args![message_id, emoji, user_id],
            )
            .await?
            > 0)
    }

    /// Removes every reaction, or every reaction with one emoji.
    pub async fn clear_reactions(&self, message_id: i64, emoji: Option<&str>) -> Result<u64> {
        match emoji {
            Some(e) => {
                self.db
                    .exec(
                        "delete from reactions where message_id = $1 and emoji = $2",
                        args![message_id, e],
                    )
                    .await
            }
            None => {
                self.db
                    .exec(
                        "delete from reactions where message_id = $1",
                        args![message_id],
                    )
                    .await
            }
        }
    }

    /// Number of distinct emoji on a message.
    pub async fn reaction_emoji_count(&self, message_id: i64) -> Result<i64> {
        let c: Option<crate::Count> = self
            .db
            .opt(
                "select count(distinct emoji) as n from reactions where message_id = $1",
                args![message_id],
            )
            .await?;
        Ok(c.map_or(0, |c| c.n))
    }

    /// Users who reacted with `emoji`, by user id after `after`.
    pub async fn reaction_users(
        &self,
        message_id: i64,
        emoji: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<UserRow>> {
        self.db
            .all(
                "select u.id, u.username, u.email, u.email_verified, u.password_hash, u.global_name, u.avatar, u.bot, \
                 u.instance_admin, u.flags, u.created_at from reactions r join users u on u.id = r.user_id \
                 where r.message_id = $1 and r.emoji = $2 and r.user_id > $3 order by r.user_id limit $4",
                args![message_id, emoji, after, limit],
            )
            .await
    }

    /// Reaction counts of several messages, with whether `viewer` reacted, in first-reaction order.
    pub async fn reaction_counts(
        &self,
        message_ids: &[i64],
        viewer: i64,
    ) -> Result<Vec<ReactionCountRow>> {
        if message_ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "select message_id, emoji, count(*) as n, cast(max(case when user_id = $1 then 1 else 0 end) as bigint) as me, \
             min(created_at) as first_at from reactions where message_id in ({}) group by message_id, emoji \
             order by message_id, first_at, emoji",
            placeholders(2, message_ids.len())
        );
        let mut a: Vec<Arg> = args![viewer];
        a.extend(message_ids.iter().map(|i| Arg::from(*i)));
        self.db.all(sql, a).await
    }
}
