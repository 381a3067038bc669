//! Comment trees of forum posts: a comment is a message in the post's thread, placed under the
//! comment it replies to. Each keeps a materialized path (16-hex-digit ids joined by `.`), its
//! depth and counts, so a branch is one index range and a level one index scan per parent.

use crate::db::{Tx, args};
use crate::{MessageRow, Result};
use coterie_model::ranking;
use sqlx::FromRow;

/// Deepest nesting; a reply to a comment this deep becomes its sibling.
pub const MAX_DEPTH: i64 = 100;

/// What a new message's thread bookkeeping needs of its thread.
#[derive(FromRow)]
pub(crate) struct PostInfo {
    owner_id: i64,
    created_at: i64,
    upvotes: i64,
    downvotes: i64,
    auto_archive_duration: i64,
    parent_type: i64,
}

#[derive(FromRow)]
struct Node {
    message_id: i64,
    parent_id: i64,
    path: String,
    depth: i64,
    child_count: i64,
}

const NODE_COLS: &str = "message_id, parent_id, path, depth, child_count";

fn segment(id: i64) -> String {
    format!("{id:016x}")
}

/// Ids of a path's segments, root first.
fn path_ids(path: &str) -> Vec<i64> {
    path.split('.')
        .filter_map(|s| i64::from_str_radix(s, 16).ok())
        .collect()
}

async fn node(tx: &mut Tx, id: i64) -> Result<Option<Node>> {
    let sql = format!("select {NODE_COLS} from comments where message_id = $1");
    tx.opt(sql, args![id]).await
}

fn created_ms(id: i64) -> i64 {
    coterie_model::Snowflake::from_i64(id).created_ms() as i64
}

/// Which of these channel ids are threads, with what [`on_message_created`] needs of each.
pub(crate) async fn post_infos(
    tx: &mut Tx,
    channel_ids: &[i64],
) -> Result<std::collections::HashMap<i64, PostInfo>> {
    #[derive(FromRow)]
    struct Row {
        channel_id: i64,
        #[sqlx(flatten)]
        info: PostInfo,
    }
    if channel_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let sql = format!(
        "select t.channel_id, t.owner_id, t.created_at, t.upvotes, t.downvotes, t.auto_archive_duration, \
         p.type as parent_type from threads t join channels p on p.id = t.parent_id where t.channel_id in ({})",
        crate::db::placeholders(1, channel_ids.len())
    );
    let rows: Vec<Row> = tx
        .all(sql, channel_ids.iter().map(|c| (*c).into()).collect())
        .await?;
    Ok(rows.into_iter().map(|r| (r.channel_id, r.info)).collect())
}

/// Thread bookkeeping for a new message: counters and auto-archive time; in a forum post, the
/// comment row and its ancestors' counts, and the post's "active" key.
pub(crate) async fn on_message_created(tx: &mut Tx, r: &MessageRow, post: &PostInfo) -> Result<()> {
    let starter = r.id == r.channel_id;
    let at = created_ms(r.id);
    let counted = i64::from(!starter);
    tx.exec(
        "update threads set message_count = message_count + $1, total_message_sent = total_message_sent + $1, \
         auto_archive_at = $2 where channel_id = $3",
        args![counted, at + post.auto_archive_duration * 60_000, r.channel_id],
    )
    .await?;
    if starter || post.parent_type != i64::from(coterie_model::channel::kind::GUILD_FORUM) {
        return Ok(());
    }
    let mut parent = match r.ref_message_id {
        Some(p) if r.ref_channel_id == Some(r.channel_id) => node(tx, p).await?,
        _ => None,
    };
    if let Some(p) = &parent
        && p.depth >= MAX_DEPTH
    {
        parent = node(tx, p.parent_id).await?;
    }
    let (parent_id, path, depth) = match &parent {
        Some(p) => (
            p.message_id,
            format!("{}.{}", p.path, segment(r.id)),
            p.depth + 1,
        ),
        None => (0, segment(r.id), 1),
    };
    tx.exec(
        "insert into comments (message_id, post_id, parent_id, path, depth) values ($1, $2, $3, $4, $5)",
        args![r.id, r.channel_id, parent_id, &path, depth],
    )
    .await?;
    if let Some(p) = &parent {
        tx.exec(
            "update comments set child_count = child_count + 1 where message_id = $1",
            args![p.message_id],
        )
        .await?;
        for a in path_ids(&p.path) {
            tx.exec(
                "update comments set descendant_count = descendant_count + 1 where message_id = $1",
                args![a],
            )
            .await?;
        }
    }
    if r.author_id != post.owner_id && at - post.created_at <= ranking::ACTIVE_WINDOW_MS {
        tx.exec(
            "update threads set last_comment_at = $1, active = $2 where channel_id = $3",
            args![
                at,
                ranking::hot(post.upvotes, post.downvotes, at.max(post.created_at)),
                r.channel_id
            ],
        )
        .await?;
    }
    Ok(())
}

/// Thread bookkeeping for deleted messages: counters; a deleted comment without replies leaves
/// the tree, one with replies stays as a tombstone holding its branch.
pub(crate) async fn on_messages_deleted(tx: &mut Tx, channel_id: i64, ids: &[i64]) -> Result<()> {
    let counted = ids.iter().filter(|i| **i != channel_id).count() as i64;
    let n = tx
        .exec(
            "update threads set message_count = message_count - $1 where channel_id = $2",
            args![counted, channel_id],
        )
        .await?;
    if n == 0 {
        return Ok(());
    }
    for id in ids {
        let Some(c) = node(tx, *id).await? else {
            continue;
        };
        if c.child_count > 0 {
            continue;
        }
        tx.exec("delete from comments where message_id = $1", args![*id])
            .await?;
        let ancestors = path_ids(&c.path);
        if c.parent_id != 0 {
            tx.exec(
                "update comments set child_count = child_count - 1 where message_id = $1",
                args![c.parent_id],
            )
            .await?;
        }
        for a in ancestors.iter().filter(|a| **a != *id) {
            tx.exec(
                "update comments set descendant_count = descendant_count - 1 where message_id = $1",
                args![*a],
            )
            .await?;
        }
    }
    Ok(())
}

/// Orders of comment siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentSort {
    /// Wilson lower bound.
    Best,
    /// Score.
    Top,
    /// Newest first.
    New,
    /// Controversy.
    Controversial,
}

impl CommentSort {
    fn column(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Top => "score",
            Self::New => "message_id",
            Self::Controversial => "controversy",
        }
    }

    /// The key of a row for this sort.
    #[must_use]
    pub fn key(self, c: &CommentRow) -> i64 {
        match self {
            Self::Best => c.best,
            Self::Top => c.score,
            Self::New => c.message_id,
            Self::Controversial => c.controversy,
        }
    }
}

/// A comment's place in its tree and its counters.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct CommentRow {
    /// Its message id.
    pub message_id: i64,
    /// Parent comment (0 = top level).
    pub parent_id: i64,
    /// 1 for top level.
    pub depth: i64,
    /// Direct replies.
    pub child_count: i64,
    /// All replies below it.
    pub descendant_count: i64,
    /// Upvotes.
    pub upvotes: i64,
    /// Downvotes.
    pub downvotes: i64,
    /// Score.
    pub score: i64,
    /// Best key.
    pub best: i64,
    /// Controversy key.
    pub controversy: i64,
}

const ROW_COLS: &str = "message_id, parent_id, depth, child_count, descendant_count, upvotes, downvotes, score, best, controversy";

impl crate::Store {
    /// One page of one parent's replies (0 = top level) in `sort` order after `(key, id)`.
    pub async fn comment_page(
        &self,
        post: i64,
        parent: i64,
        sort: CommentSort,
        after: Option<(i64, i64)>,
        limit: i64,
    ) -> Result<Vec<CommentRow>> {
        let col = sort.column();
        let (cond, a) = match (after, sort) {
            (None, _) => (String::new(), args![post, parent, limit]),
            (Some((_, id)), CommentSort::New) => (
                " and message_id < $4".to_owned(),
                args![post, parent, limit, id],
            ),
            (Some((k, id)), _) => (
                format!(" and {col} <= $4 and ({col} < $4 or message_id < $5)"),
                args![post, parent, limit, k, id],
            ),
        };
        let order = if sort == CommentSort::New {
            "message_id desc".to_owned()
        } else {
            format!("{col} desc, message_id desc")
        };
        self.db
            .all(
                format!(
                    "select {ROW_COLS} from comments where post_id = $1 and parent_id = $2{cond} order by {order} limit $3"
                ),
                a,
            )
            .await
    }

    /// The first `per_parent` replies of each of `parents`, in `sort` order.
    pub async fn comment_children(
        &self,
        post: i64,
        parents: &[i64],
        sort: CommentSort,
        per_parent: i64,
    ) -> Result<Vec<CommentRow>> {
        if parents.is_empty() {
            return Ok(vec![]);
        }
        let col = sort.column();
        let order = if sort == CommentSort::New {
            "message_id desc".to_owned()
        } else {
            format!("{col} desc, message_id desc")
        };
        let sql = format!(
            "select {ROW_COLS} from (select {ROW_COLS}, row_number() over (partition by parent_id order by {order}) as rn \
             from comments where post_id = $1 and parent_id in ({})) x where rn <= $2 order by parent_id, rn",
            crate::db::placeholders(3, parents.len())
        );
        let mut a = args![post, per_parent];
        a.extend(parents.iter().map(|p| crate::db::Arg::from(*p)));
        self.db.all(sql, a).await
    }

    /// One comment row.
    pub async fn comment(&self, post: i64, id: i64) -> Result<Option<CommentRow>> {
        self.db
            .opt(
                format!("select {ROW_COLS} from comments where post_id = $1 and message_id = $2"),
                args![post, id],
            )
            .await
    }
}
