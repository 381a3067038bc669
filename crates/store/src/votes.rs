//! Up/down votes on forum posts and comments. One row per (item, voter); each change updates
//! the item's counters, its ranking keys and the author's karma in the same transaction, touching
//! rows in one fixed order (vote, item, author) so concurrent votes cannot deadlock.

use crate::db::{Arg, Tx, args, placeholders};
use crate::{Result, Store};
use coterie_model::ranking;
use sqlx::FromRow;

/// An item's counters after a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteOutcome {
    /// Upvotes.
    pub upvotes: i64,
    /// Downvotes.
    pub downvotes: i64,
    /// Whether anything changed (false: the same vote again).
    pub changed: bool,
    /// The item's guild.
    pub guild_id: i64,
}

/// Which item a vote is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteTarget {
    /// A forum post (its thread id).
    Post(i64),
    /// A comment (its message id) in a post.
    Comment {
        /// The post.
        post: i64,
        /// The comment's message id.
        message: i64,
    },
}

#[derive(FromRow)]
struct Value {
    value: i64,
}

/// One vote of a batch: the item, the voter, 1, -1 or 0 (remove), and the time.
pub type VoteRequest = (VoteTarget, i64, i64, i64);

#[derive(FromRow)]
struct ItemId {
    id: i64,
    value: i64,
}

#[derive(FromRow)]
struct PostCounters {
    upvotes: i64,
    downvotes: i64,
    created_at: i64,
    last_comment_at: Option<i64>,
    owner_id: i64,
    guild_id: i64,
    old: i64,
}

#[derive(FromRow)]
struct CommentCounters {
    upvotes: i64,
    downvotes: i64,
    author_id: Option<i64>,
    guild_id: i64,
    old: i64,
}

async fn write_vote(
    tx: &mut Tx,
    table: &str,
    col: &str,
    item: i64,
    user: i64,
    value: i64,
    now: i64,
) -> Result<()> {
    if value == 0 {
        tx.exec(
            format!("delete from {table} where {col} = $1 and user_id = $2"),
            args![item, user],
        )
        .await?;
    } else {
        tx.exec(
            format!(
                "insert into {table} ({col}, user_id, value, voted_at) values ($1, $2, $3, $4) \
                 on conflict ({col}, user_id) do update set value = excluded.value, voted_at = excluded.voted_at"
            ),
            args![item, user, value, now],
        )
        .await?;
    }
    Ok(())
}

/// Karma changes of a transaction: `(guild, author, delta)`.
type Karma = Vec<(i64, i64, i64)>;

fn add_karma(karma: &mut Karma, guild: i64, author: i64, voter: i64, delta: i64) {
    // Votes on one's own posts and comments do not count.
    if delta != 0 && author != voter {
        karma.push((guild, author, delta));
    }
}

/// Applies karma changes last and in (guild, member) order, so transactions that vote on
/// different items never wait on each other's member rows in opposite orders.
async fn apply_karma(tx: &mut Tx, mut karma: Karma) -> Result<Vec<(i64, i64)>> {
    karma.sort_unstable();
    let mut merged: Karma = Vec::with_capacity(karma.len());
    for (g, u, d) in karma {
        match merged.last_mut() {
            Some(last) if last.0 == g && last.1 == u => last.2 += d,
            _ => merged.push((g, u, d)),
        }
    }
    let mut changed = Vec::new();
    for (g, u, d) in merged.into_iter().filter(|k| k.2 != 0) {
        tx.exec(
            "update members set karma = karma + $1 where guild_id = $2 and user_id = $3",
            args![d, g, u],
        )
        .await?;
        changed.push((g, u));
    }
    Ok(changed)
}

impl Store {
    /// Sets (`value` 1 or -1) or removes (0) `user`'s vote; `None` if the item does not exist.
    pub async fn vote(
        &self,
        target: VoteTarget,
        user: i64,
        value: i64,
        now: i64,
    ) -> Result<Option<VoteOutcome>> {
        Ok(self
            .vote_batch(&[(target, user, value, now)])
            .await?
            .pop()
            .flatten())
    }

    /// Several votes in one transaction (group commit); each result is as [`Store::vote`]'s.
    /// Concurrent batches must not share items (callers partition by item) so that row locks
    /// are taken in a consistent order.
    pub async fn vote_batch(&self, reqs: &[VoteRequest]) -> Result<Vec<Option<VoteOutcome>>> {
        let mut tx = self.db.begin().await?;
        let mut out = Vec::with_capacity(reqs.len());
        let mut karma = Karma::new();
        for (target, user, value, now) in reqs {
            out.push(match *target {
                VoteTarget::Post(post) => {
                    vote_post(&mut tx, &mut karma, post, *user, *value, *now).await?
                }
                VoteTarget::Comment { post, message } => {
                    vote_comment(&mut tx, &mut karma, post, message, *user, *value, *now).await?
                }
            });
        }
        if out.iter().flatten().any(|o| o.changed) {
            let members = apply_karma(&mut tx, karma).await?;
            let done = tx.commit().await;
            for (g, u) in members {
                self.cache.drop_member(g, u);
            }
            done?;
        }
        Ok(out)
    }

    /// `user`'s vote on a post (0 = none).
    pub async fn post_vote(&self, post: i64, user: i64) -> Result<i64> {
        let v: Option<Value> = self
            .db
            .opt(
                "select value from post_votes where post_id = $1 and user_id = $2",
                args![post, user],
            )
            .await?;
        Ok(v.map_or(0, |v| v.value))
    }

    /// `user`'s votes among posts (`comments` false) or comments, as `(id, value)`.
    pub async fn votes_of(
        &self,
        user: i64,
        ids: &[i64],
        comments: bool,
    ) -> Result<Vec<(i64, i64)>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let (table, col) = if comments {
            ("comment_votes", "message_id")
        } else {
            ("post_votes", "post_id")
        };
        let sql = format!(
            "select {col} as id, value from {table} where user_id = $1 and {col} in ({})",
            placeholders(2, ids.len())
        );
        let mut a = args![user];
        a.extend(ids.iter().map(|i| Arg::from(*i)));
        let rows: Vec<ItemId> = self.db.all(sql, a).await?;
        Ok(rows.into_iter().map(|r| (r.id, r.value)).collect())
    }

    /// Recounts an item's votes from the vote rows: `(upvotes, downvotes)` (exactness checks).
    pub async fn count_votes(&self, target: VoteTarget) -> Result<(i64, i64)> {
        let (sql, id) = match target {
            VoteTarget::Post(p) => (
                "select value as id, count(*) as value from post_votes where post_id = $1 group by value",
                p,
            ),
            VoteTarget::Comment { message, .. } => (
                "select value as id, count(*) as value from comment_votes where message_id = $1 group by value",
                message,
            ),
        };
        let rows: Vec<ItemId> = self.db.all(sql, args![id]).await?;
        let get = |v: i64| rows.iter().find(|r| r.id == v).map_or(0, |r| r.value);
        Ok((get(1), get(-1)))
    }
}

/// Locks a row for the rest of the transaction while reading it (PostgreSQL `for update`;
/// SQLite's single writer already serialises write transactions).
fn locking(tx: &Tx, select: &str) -> String {
    match tx.engine() {
        crate::Engine::Postgres => format!("{select} for update"),
        crate::Engine::Sqlite => select.to_owned(),
    }
}

async fn vote_post(
    tx: &mut Tx,
    karma: &mut Karma,
    post: i64,
    user: i64,
    value: i64,
    now: i64,
) -> Result<Option<VoteOutcome>> {
    // Locking the item first serialises concurrent votes on it, so the old vote read next is
    // the one this change replaces and the counters read here stay current.
    let sql = locking(
        tx,
        "select upvotes, downvotes, created_at, last_comment_at, owner_id, guild_id, \
         coalesce((select value from post_votes where post_id = $1 and user_id = $2), 0) as old \
         from threads where channel_id = $1",
    );
    let c: Option<PostCounters> = tx.opt(sql, args![post, user]).await?;
    let Some(mut c) = c else { return Ok(None) };
    let (du, dd) = ranking::vote_delta(c.old, value);
    let changed = (du, dd) != (0, 0);
    if changed {
        write_vote(tx, "post_votes", "post_id", post, user, value, now).await?;
        c.upvotes += du;
        c.downvotes += dd;
        let active_t = c.last_comment_at.unwrap_or(c.created_at).max(c.created_at);
        tx.exec(
            "update threads set upvotes = $1, downvotes = $2, score = $3, hot = $4, controversy = $5, active = $6 \
             where channel_id = $7",
            args![
                c.upvotes,
                c.downvotes,
                c.upvotes - c.downvotes,
                ranking::hot(c.upvotes, c.downvotes, c.created_at),
                ranking::controversy(c.upvotes, c.downvotes),
                ranking::hot(c.upvotes, c.downvotes, active_t),
                post
            ],
        )
        .await?;
        add_karma(karma, c.guild_id, c.owner_id, user, du - dd);
    }
    Ok(Some(VoteOutcome {
        upvotes: c.upvotes,
        downvotes: c.downvotes,
        changed,
        guild_id: c.guild_id,
    }))
}

async fn vote_comment(
    tx: &mut Tx,
    karma: &mut Karma,
    post: i64,
    message: i64,
    user: i64,
    value: i64,
    now: i64,
) -> Result<Option<VoteOutcome>> {
    let sql = locking(
        tx,
        "select c.upvotes, c.downvotes, m.author_id, t.guild_id, \
         coalesce((select value from comment_votes v where v.message_id = $1 and v.user_id = $3), 0) as old \
         from comments c join threads t on t.channel_id = c.post_id \
         left join messages m on m.id = c.message_id where c.message_id = $1 and c.post_id = $2",
    );
    let sql = if tx.engine() == crate::Engine::Postgres {
        // `for update` cannot lock the nullable side of an outer join; lock the comment row.
        format!("{} of c", sql)
    } else {
        sql
    };
    let c: Option<CommentCounters> = tx.opt(sql, args![message, post, user]).await?;
    let Some(mut c) = c else { return Ok(None) };
    let (du, dd) = ranking::vote_delta(c.old, value);
    let changed = (du, dd) != (0, 0);
    if changed {
        write_vote(tx, "comment_votes", "message_id", message, user, value, now).await?;
        c.upvotes += du;
        c.downvotes += dd;
        tx.exec(
            "update comments set upvotes = $1, downvotes = $2, score = $3, best = $4, controversy = $5 where message_id = $6",
            args![
                c.upvotes,
                c.downvotes,
                c.upvotes - c.downvotes,
                ranking::best(c.upvotes, c.downvotes),
                ranking::controversy(c.upvotes, c.downvotes),
                message
            ],
        )
        .await?;
        if let Some(a) = c.author_id {
            add_karma(karma, c.guild_id, a, user, du - dd);
        }
    }
    Ok(Some(VoteOutcome {
        upvotes: c.upvotes,
        downvotes: c.downvotes,
        changed,
        guild_id: c.guild_id,
    }))
}

#[derive(FromRow)]
struct CounterRow {
    id: i64,
    upvotes: i64,
    downvotes: i64,
}

impl Store {
    /// Vote counters of the given messages that are forum comments or forum post openers, as
    /// `(id, upvotes, downvotes)`.
    pub async fn message_vote_counters(&self, ids: &[i64]) -> Result<Vec<(i64, i64, i64)>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = placeholders(2, ids.len());
        let sql = format!(
            "select message_id as id, upvotes, downvotes from comments where message_id in ({list}) \
             union all select t.channel_id as id, t.upvotes, t.downvotes from threads t join channels p on p.id = t.parent_id \
             where t.channel_id in ({list}) and p.type = $1"
        );
        let mut a = args![i64::from(coterie_model::channel::kind::GUILD_FORUM)];
        a.extend(ids.iter().map(|i| Arg::from(*i)));
        let rows: Vec<CounterRow> = self.db.all(sql, a).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, r.upvotes, r.downvotes))
            .collect())
    }
}
