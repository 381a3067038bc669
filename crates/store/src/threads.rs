//! Threads (and forum posts, which are threads in a forum channel): the thread row beside its
//! channel row, thread members, archiving, and the listings Discord's API offers.

use crate::db::{Arg, Tx, args, placeholders};
use crate::guilds::{CHANNEL_COLS_T, INSERT_CHANNEL_SQL, channel_args};
use crate::{ChannelRow, Result, Store, StoreError};
use sqlx::FromRow;

pub(crate) const THREAD_COLS: &str = "t.channel_id, t.guild_id, t.parent_id, t.owner_id, t.type, t.archived, \
    t.archive_at, t.auto_archive_duration, t.auto_archive_at, t.locked, t.invitable, t.pinned, t.applied_tags, \
    t.message_count, t.member_count, t.total_message_sent, t.created_at, t.upvotes, t.downvotes, t.score, t.hot, \
    t.controversy, t.active, t.last_comment_at";

/// A thread's own state.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct ThreadRow {
    /// The thread's channel id.
    pub channel_id: i64,
    /// Guild.
    pub guild_id: i64,
    /// The channel it lives in.
    pub parent_id: i64,
    /// Who started it.
    pub owner_id: i64,
    /// 10, 11 or 12.
    #[sqlx(rename = "type")]
    pub kind: i64,
    /// Archived.
    pub archived: bool,
    /// When `archived` last changed (ms).
    pub archive_at: i64,
    /// Minutes of inactivity before it archives itself.
    pub auto_archive_duration: i64,
    /// When it archives itself if nothing happens (ms).
    pub auto_archive_at: i64,
    /// Only MANAGE_THREADS may unarchive it or post.
    pub locked: bool,
    /// Non-moderators may add others (private threads).
    pub invitable: bool,
    /// Pinned (forum posts; channel flag PINNED).
    pub pinned: bool,
    /// Forum tag ids (JSON array of strings).
    pub applied_tags: String,
    /// Messages, without the forum starter message or deleted ones.
    pub message_count: i64,
    /// Members (capped in views at 50, like Discord).
    pub member_count: i64,
    /// Messages ever sent.
    pub total_message_sent: i64,
    /// Created (ms).
    pub created_at: i64,
    /// Post upvotes.
    pub upvotes: i64,
    /// Post downvotes.
    pub downvotes: i64,
    /// upvotes − downvotes.
    pub score: i64,
    /// Hot key (see coterie_model::ranking).
    pub hot: i64,
    /// Controversy key.
    pub controversy: i64,
    /// Active key (hot from the latest qualifying comment).
    pub active: i64,
    /// Latest qualifying comment (ms).
    pub last_comment_at: Option<i64>,
}

/// A thread with its channel row.
#[derive(Debug, Clone)]
pub struct ThreadWithChannel {
    /// The channel row (name, slowmode, last message).
    pub channel: ChannelRow,
    /// The thread row.
    pub thread: ThreadRow,
}

/// A thread membership.
#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct ThreadMemberRow {
    /// Thread.
    pub thread_id: i64,
    /// User.
    pub user_id: i64,
    /// Joined (ms).
    pub joined_at: i64,
    /// Notification flags.
    pub flags: i64,
}

/// Everything a new thread is created with.
#[derive(Debug, Clone)]
pub struct NewThread {
    /// Its channel row (type, name, guild, `parent_id`, slowmode).
    pub channel: ChannelRow,
    /// Its thread row.
    pub thread: ThreadRow,
    /// Tag ids applied (forum posts).
    pub tags: Vec<i64>,
    /// Members to add (the owner).
    pub members: Vec<i64>,
}

/// Thread fields a modify may change.
#[derive(Debug, Clone)]
pub struct ThreadPatch {
    /// Channel id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Slowmode.
    pub rate_limit_per_user: i64,
    /// Archived.
    pub archived: bool,
    /// When `archived` changed.
    pub archive_at: i64,
    /// Minutes.
    pub auto_archive_duration: i64,
    /// Next auto-archive time.
    pub auto_archive_at: i64,
    /// Locked.
    pub locked: bool,
    /// Invitable.
    pub invitable: bool,
    /// Pinned.
    pub pinned: bool,
    /// Tags, when changed.
    pub tags: Option<Vec<i64>>,
}

#[derive(FromRow)]
struct Joined {
    #[sqlx(flatten)]
    channel: ChannelRow,
    #[sqlx(flatten)]
    thread: ThreadRow,
}

/// The parent channel's columns, prefixed `p_` so they can come back in the same row.
#[derive(FromRow)]
struct ParentCols {
    p_id: i64,
    p_guild_id: Option<i64>,
    p_type: i64,
    p_name: Option<String>,
    p_topic: Option<String>,
    p_position: i64,
    p_parent_id: Option<i64>,
    p_nsfw: bool,
    p_rate_limit_per_user: i64,
    p_bitrate: Option<i64>,
    p_user_limit: Option<i64>,
    p_owner_id: Option<i64>,
    p_icon: Option<String>,
    p_last_message_id: Option<i64>,
    p_last_pin_at: Option<i64>,
    p_flags: i64,
    p_created_at: i64,
    p_settings: String,
}

impl From<ParentCols> for ChannelRow {
    fn from(p: ParentCols) -> Self {
        Self {
            id: p.p_id,
            guild_id: p.p_guild_id,
            kind: p.p_type,
            name: p.p_name,
            topic: p.p_topic,
            position: p.p_position,
            parent_id: p.p_parent_id,
            nsfw: p.p_nsfw,
            rate_limit_per_user: p.p_rate_limit_per_user,
            bitrate: p.p_bitrate,
            user_limit: p.p_user_limit,
            owner_id: p.p_owner_id,
            icon: p.p_icon,
            last_message_id: p.p_last_message_id,
            last_pin_at: p.p_last_pin_at,
            flags: p.p_flags,
            created_at: p.p_created_at,
            settings: p.p_settings,
        }
    }
}

#[derive(FromRow)]
struct JoinedWithParent {
    #[sqlx(flatten)]
    joined: Joined,
    #[sqlx(flatten)]
    parent: ParentCols,
}

impl From<Joined> for ThreadWithChannel {
    fn from(j: Joined) -> Self {
        Self {
            channel: j.channel,
            thread: j.thread,
        }
    }
}

/// `select` of a thread with its channel.
pub(crate) fn joined_sql(rest: &str) -> String {
    format!(
        "select {CHANNEL_COLS_T}, {THREAD_COLS} from threads t join channels c on c.id = t.channel_id {rest}"
    )
}

fn tags_json(tags: &[i64]) -> String {
    let v: Vec<String> = tags.iter().map(i64::to_string).collect();
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".to_owned())
}

async fn set_tags(tx: &mut Tx, thread: i64, tags: &[i64]) -> Result<()> {
    tx.exec(
        "delete from thread_tags where thread_id = $1",
        args![thread],
    )
    .await?;
    for t in tags {
        tx.exec(
            "insert into thread_tags (thread_id, tag_id) values ($1, $2) on conflict do nothing",
            args![thread, *t],
        )
        .await?;
    }
    tx.exec(
        "update threads set applied_tags = $1 where channel_id = $2",
        args![tags_json(tags), thread],
    )
    .await?;
    Ok(())
}

async fn add_member(tx: &mut Tx, thread: i64, user: i64, now: i64) -> Result<bool> {
    let n = tx
        .exec(
            "insert into thread_members (thread_id, user_id, joined_at, flags) values ($1, $2, $3, 0) \
             on conflict do nothing",
            args![thread, user, now],
        )
        .await?;
    if n > 0 {
        tx.exec(
            "update threads set member_count = member_count + 1 where channel_id = $1",
            args![thread],
        )
        .await?;
    }
    Ok(n > 0)
}

impl Store {
    /// Creates a thread: channel row, thread row, tags and members, in one transaction.
    pub async fn create_thread(&self, n: &NewThread) -> Result<()> {
        let t = &n.thread;
        let mut tx = self.db.begin().await?;
        tx.exec(INSERT_CHANNEL_SQL, channel_args(&n.channel))
            .await?;
        tx.exec(
            "insert into threads (channel_id, guild_id, parent_id, owner_id, type, archived, archive_at, \
             auto_archive_duration, auto_archive_at, locked, invitable, pinned, applied_tags, created_at, hot, active) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '[]', $13, $14, $15)",
            args![
                t.channel_id,
                t.guild_id,
                t.parent_id,
                t.owner_id,
                t.kind,
                t.archived,
                t.archive_at,
                t.auto_archive_duration,
                t.auto_archive_at,
                t.locked,
                t.invitable,
                t.pinned,
                t.created_at,
                t.hot,
                t.active
            ],
        )
        .await?;
        set_tags(&mut tx, t.channel_id, &n.tags).await?;
        for u in &n.members {
            add_member(&mut tx, t.channel_id, *u, t.created_at).await?;
        }
        let done = tx.commit().await;
        self.cache.drop_threadless(Some(t.guild_id));
        done
    }

    /// A thread with its channel.
    pub async fn thread(&self, id: i64) -> Result<Option<ThreadWithChannel>> {
        let r: Option<Joined> = self
            .db
            .opt(joined_sql("where t.channel_id = $1"), args![id])
            .await?;
        Ok(r.map(ThreadWithChannel::from))
    }

    /// A thread with its channel and its parent channel, in one query.
    pub async fn thread_with_parent(
        &self,
        id: i64,
    ) -> Result<Option<(ThreadWithChannel, ChannelRow)>> {
        let sql = format!(
            "select {CHANNEL_COLS_T}, {THREAD_COLS}, p.id as p_id, p.guild_id as p_guild_id, p.type as p_type, \
             p.name as p_name, p.topic as p_topic, p.position as p_position, p.parent_id as p_parent_id, p.nsfw as p_nsfw, \
             p.rate_limit_per_user as p_rate_limit_per_user, p.bitrate as p_bitrate, p.user_limit as p_user_limit, \
             p.owner_id as p_owner_id, p.icon as p_icon, p.last_message_id as p_last_message_id, p.last_pin_at as p_last_pin_at, \
             p.flags as p_flags, p.created_at as p_created_at, p.settings as p_settings \
             from threads t join channels c on c.id = t.channel_id join channels p on p.id = t.parent_id where t.channel_id = $1"
        );
        let r: Option<JoinedWithParent> = self.db.opt(sql, args![id]).await?;
        Ok(r.map(|r| (r.joined.into(), r.parent.into())))
    }

    /// Several threads by id, in no particular order.
    pub async fn threads_by_ids(&self, ids: &[i64]) -> Result<Vec<ThreadWithChannel>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = joined_sql(&format!(
            "where t.channel_id in ({})",
            placeholders(1, ids.len())
        ));
        let rows: Vec<Joined> = self
            .db
            .all(sql, ids.iter().map(|i| Arg::from(*i)).collect())
            .await?;
        Ok(rows.into_iter().map(ThreadWithChannel::from).collect())
    }

    /// The guild's unarchived threads, newest first, at most `limit`.
    pub async fn active_threads(
        &self,
        guild_id: i64,
        limit: i64,
    ) -> Result<Vec<ThreadWithChannel>> {
        if self.cache.threadless(guild_id) {
            return Ok(vec![]);
        }
        let ticket = self.cache.ticket();
        let sql = joined_sql(&format!(
            "where t.guild_id = $1 and t.archived = {} order by t.channel_id desc limit $2",
            crate::db::bool_lit(self.engine(), false)
        ));
        let rows: Vec<Joined> = self.db.all(sql, args![guild_id, limit]).await?;
        if rows.is_empty()
            && limit > 0
            && let Some(t) = ticket
        {
            self.cache.fill_threadless(t, guild_id);
        }
        Ok(rows.into_iter().map(ThreadWithChannel::from).collect())
    }

    /// Archived threads of a channel of one type, most recently archived first, before `before`
    /// (archive time, ms); `member` limits them to threads that user belongs to.
    pub async fn archived_threads(
        &self,
        parent_id: i64,
        kind: i64,
        before: i64,
        member: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ThreadWithChannel>> {
        let archived = crate::db::bool_lit(self.engine(), true);
        let (sql, a) = match member {
            None => (
                joined_sql(&format!(
                    "where t.parent_id = $1 and t.archived = {archived} and t.archive_at < $2 and t.type = $3 \
                     order by t.archive_at desc, t.channel_id desc limit $4"
                )),
                args![parent_id, before, kind, limit],
            ),
            Some(u) => (
                joined_sql(&format!(
                    "where t.parent_id = $1 and t.archived = {archived} and t.archive_at < $2 and t.type = $3 \
                     and exists (select 1 from thread_members m where m.thread_id = t.channel_id and m.user_id = $5) \
                     order by t.archive_at desc, t.channel_id desc limit $4"
                )),
                args![parent_id, before, kind, limit, u],
            ),
        };
        let rows: Vec<Joined> = self.db.all(sql, a).await?;
        Ok(rows.into_iter().map(ThreadWithChannel::from).collect())
    }

    /// Applies a modify to a thread's channel and thread rows.
    pub async fn update_thread(&self, p: &ThreadPatch) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .exec(
                "update channels set name = $1, rate_limit_per_user = $2, flags = $3 where id = $4",
                args![
                    &p.name,
                    p.rate_limit_per_user,
                    if p.pinned { 2_i64 } else { 0 },
                    p.id
                ],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        tx.exec(
            "update threads set archived = $1, archive_at = $2, auto_archive_duration = $3, auto_archive_at = $4, \
             locked = $5, invitable = $6, pinned = $7 where channel_id = $8",
            args![
                p.archived,
                p.archive_at,
                p.auto_archive_duration,
                p.auto_archive_at,
                p.locked,
                p.invitable,
                p.pinned,
                p.id
            ],
        )
        .await?;
        if let Some(tags) = &p.tags {
            set_tags(&mut tx, p.id, tags).await?;
        }
        let done = tx.commit().await;
        self.cache.drop_channels(&[p.id]);
        if !p.archived {
            // The patch holds no guild id; unarchiving is rare.
            self.cache.drop_threadless(None);
        }
        done
    }

    /// Threads whose inactivity period has run out, oldest first (at most `limit`).
    pub async fn due_thread_archives(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
        let rows: Vec<crate::IdRow> = self
            .db
            .all(
                format!(
                    "select channel_id as id from threads where archived = {} and auto_archive_at <= $1 \
                     order by auto_archive_at limit $2",
                    crate::db::bool_lit(self.engine(), false)
                ),
                args![now, limit],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Archives a thread if it is still due (another node may have done it); returns whether
    /// this call archived it.
    pub async fn auto_archive_thread(&self, id: i64, now: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                format!(
                    "update threads set archived = $1, archive_at = $2 where channel_id = $3 and archived = {} \
                     and auto_archive_at <= $2",
                    crate::db::bool_lit(self.engine(), false)
                ),
                args![true, now, id],
            )
            .await?
            > 0)
    }

    /// Adds a member; returns false if they already were one.
    pub async fn add_thread_member(&self, thread: i64, user: i64, now: i64) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let added = add_member(&mut tx, thread, user, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Removes a member; returns false if they were not one.
    pub async fn remove_thread_member(&self, thread: i64, user: i64) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let n = tx
            .exec(
                "delete from thread_members where thread_id = $1 and user_id = $2",
                args![thread, user],
            )
            .await?;
        if n > 0 {
            tx.exec(
                "update threads set member_count = member_count - 1 where channel_id = $1",
                args![thread],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// One membership.
    pub async fn thread_member(&self, thread: i64, user: i64) -> Result<Option<ThreadMemberRow>> {
        self.db
            .opt(
                "select thread_id, user_id, joined_at, flags from thread_members where thread_id = $1 and user_id = $2",
                args![thread, user],
            )
            .await
    }

    /// Members of a thread by user id, after `after`, at most `limit`.
    pub async fn thread_members(
        &self,
        thread: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ThreadMemberRow>> {
        self.db
            .all(
                "select thread_id, user_id, joined_at, flags from thread_members where thread_id = $1 and user_id > $2 \
                 order by user_id limit $3",
                args![thread, after, limit],
            )
            .await
    }

    /// A user's memberships among the given threads.
    pub async fn thread_memberships(
        &self,
        user: i64,
        threads: &[i64],
    ) -> Result<Vec<ThreadMemberRow>> {
        if threads.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "select thread_id, user_id, joined_at, flags from thread_members where user_id = $1 and thread_id in ({})",
            placeholders(2, threads.len())
        );
        let mut a = args![user];
        a.extend(threads.iter().map(|i| Arg::from(*i)));
        self.db.all(sql, a).await
    }
}

/// Orders of a forum's post listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSort {
    /// Reddit's hot.
    Hot,
    /// Newest first.
    New,
    /// Highest score first.
    Top,
    /// Most controversial first.
    Controversial,
    /// Hot measured from the latest qualifying comment.
    Active,
}

impl PostSort {
    fn column(self) -> &'static str {
        match self {
            Self::Hot => "t.hot",
            Self::New => "t.channel_id",
            Self::Top => "t.score",
            Self::Controversial => "t.controversy",
            Self::Active => "t.active",
        }
    }

    /// The key of a row for this sort.
    #[must_use]
    pub fn key(self, t: &ThreadRow) -> i64 {
        match self {
            Self::Hot => t.hot,
            Self::New => t.channel_id,
            Self::Top => t.score,
            Self::Controversial => t.controversy,
            Self::Active => t.active,
        }
    }
}

/// One page of a forum listing.
#[derive(Debug, Clone)]
pub struct PostQuery {
    /// The forum.
    pub forum: i64,
    /// Order.
    pub sort: PostSort,
    /// Only posts with ids at or above this (time period); 0 for all.
    pub min_id: i64,
    /// Only posts carrying this tag.
    pub tag: Option<i64>,
    /// Continue after this `(key, id)`.
    pub after: Option<(i64, i64)>,
    /// Rows to return.
    pub limit: i64,
}

impl Store {
    /// A page of a forum's unpinned posts in `sort` order (keyset: one index range scan).
    pub async fn forum_posts(&self, q: &PostQuery) -> Result<Vec<ThreadWithChannel>> {
        let col = q.sort.column();
        let mut a: Vec<Arg> = args![q.forum, q.min_id];
        let mut rest = format!(
            "where t.parent_id = $1 and t.pinned = {} and t.channel_id >= $2",
            crate::db::bool_lit(self.engine(), false)
        );
        if let Some(tag) = q.tag {
            a.push(Arg::from(tag));
            rest.push_str(&format!(
                " and exists (select 1 from thread_tags g where g.thread_id = t.channel_id and g.tag_id = ${})",
                a.len()
            ));
        }
        if let Some((k, id)) = q.after {
            if q.sort == PostSort::New {
                a.push(Arg::from(id));
                rest.push_str(&format!(" and t.channel_id < ${}", a.len()));
            } else {
                a.push(Arg::from(k));
                a.push(Arg::from(id));
                let (kp, ip) = (a.len() - 1, a.len());
                rest.push_str(&format!(
                    " and {col} <= ${kp} and ({col} < ${kp} or t.channel_id < ${ip})"
                ));
            }
        }
        a.push(Arg::from(q.limit));
        if q.sort == PostSort::New {
            rest.push_str(&format!(" order by t.channel_id desc limit ${}", a.len()));
        } else {
            rest.push_str(&format!(
                " order by {col} desc, t.channel_id desc limit ${}",
                a.len()
            ));
        }
        let rows: Vec<Joined> = self.db.all(joined_sql(&rest), a).await?;
        Ok(rows.into_iter().map(ThreadWithChannel::from).collect())
    }

    /// A forum's pinned posts, newest first (at most 50).
    pub async fn pinned_posts(
        &self,
        forum: i64,
        tag: Option<i64>,
    ) -> Result<Vec<ThreadWithChannel>> {
        let mut a = args![forum];
        let mut rest = format!(
            "where t.parent_id = $1 and t.pinned = {}",
            crate::db::bool_lit(self.engine(), true)
        );
        if let Some(tag) = tag {
            a.push(Arg::from(tag));
            rest.push_str(
                " and exists (select 1 from thread_tags g where g.thread_id = t.channel_id and g.tag_id = $2)",
            );
        }
        rest.push_str(" order by t.channel_id desc limit 50");
        let rows: Vec<Joined> = self.db.all(joined_sql(&rest), a).await?;
        Ok(rows.into_iter().map(ThreadWithChannel::from).collect())
    }

    /// The plan of a hot listing page (tests check it is an index range scan).
    pub async fn explain_hot_listing(&self, forum: i64) -> Result<String> {
        #[derive(FromRow)]
        struct Line {
            detail: String,
        }
        let q = format!(
            "select t.channel_id from threads t where t.parent_id = $1 and t.pinned = {} and t.channel_id >= $2 \
             and t.hot <= $3 and (t.hot < $3 or t.channel_id < $4) order by t.hot desc, t.channel_id desc limit 26",
            crate::db::bool_lit(self.engine(), false)
        );
        let a = args![forum, 0_i64, i64::MAX, i64::MAX];
        Ok(match self.engine() {
            crate::Engine::Sqlite => {
                let rows: Vec<Line> = self.db.all(format!("explain query plan {q}"), a).await?;
                rows.into_iter()
                    .map(|l| l.detail)
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            crate::Engine::Postgres => {
                #[derive(FromRow)]
                struct Plan {
                    #[sqlx(rename = "QUERY PLAN")]
                    plan: String,
                }
                let rows: Vec<Plan> = self.db.all(format!("explain {q}"), a).await?;
                rows.into_iter()
                    .map(|l| l.plan)
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        })
    }
}
