//! Forum listings (Coterie extensions): a forum's posts in hot, new, top, controversial or active
//! order, and a post's comment tree in best, top, new or controversial order. Both page by opaque
//! keyset cursors; the tree is assembled level by level with `more` stubs where it was cut.

use crate::app::AppState;
use crate::error::{ApiError, field_error};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use base64::Engine as _;
use coterie_model::channel::kind;
use coterie_model::message::Message;
use coterie_model::{Permissions, Snowflake};
use coterie_store::{CommentRow, CommentSort, PostQuery, PostSort, ThreadWithChannel, UserRow};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Replies shown per comment before a `more` stub.
const REPLIES_PER_COMMENT: i64 = 10;
/// Comments in one tree response.
const TREE_BUDGET: usize = 200;
/// Default and largest `depth`.
const DEFAULT_DEPTH: i64 = 8;

/// Query of `GET /channels/{forum}/posts`.
#[derive(Debug, Deserialize)]
pub struct PostsQuery {
    sort: Option<String>,
    t: Option<String>,
    tag: Option<Snowflake>,
    limit: Option<i64>,
    after: Option<String>,
}

/// Query of `GET /channels/{post}/comments`.
#[derive(Debug, Deserialize)]
pub struct CommentsQuery {
    sort: Option<String>,
    parent: Option<Snowflake>,
    depth: Option<i64>,
    limit: Option<i64>,
    after: Option<String>,
}

fn encode_cursor(parts: &[&str]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(parts.join(".").as_bytes())
}

fn bad_cursor() -> ApiError {
    field_error("after", "CURSOR_INVALID", "Invalid or mismatched cursor.")
}

/// Decodes a cursor issued for `kind`/`a`/`b`; returns `(key, id)`.
fn decode_cursor(s: &str, kind: &str, a: &str, b: &str) -> Result<(i64, i64), ApiError> {
    if s.len() > 200 {
        return Err(bad_cursor());
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.as_bytes())
        .map_err(|_| bad_cursor())?;
    let text = String::from_utf8(raw).map_err(|_| bad_cursor())?;
    let p: Vec<&str> = text.split('.').collect();
    match p[..] {
        [k, x, y, key, id] if k == kind && x == a && y == b => Ok((
            key.parse().map_err(|_| bad_cursor())?,
            id.parse().map_err(|_| bad_cursor())?,
        )),
        _ => Err(bad_cursor()),
    }
}

fn check_limit(v: Option<i64>, default: i64) -> Result<i64, ApiError> {
    let l = v.unwrap_or(default);
    if (1..=100).contains(&l) {
        Ok(l)
    } else {
        Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ))
    }
}

fn period_ms(t: &str) -> Option<i64> {
    let h = 3_600_000;
    Some(match t {
        "hour" => h,
        "day" => 24 * h,
        "week" => 7 * 24 * h,
        "month" => 30 * 24 * h,
        "year" => 365 * 24 * h,
        "all" => return Some(0),
        _ => return None,
    })
}

/// Forum posts with their starter messages, as the viewer sees them.
async fn post_views(
    app: &AppState,
    user: &UserRow,
    ctx: &ChannelCtx,
    rows: &[ThreadWithChannel],
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|t| t.thread.channel_id).collect();
    let mine: HashMap<i64, i64> = app
        .store
        .votes_of(user.id, &ids, false)
        .await?
        .into_iter()
        .collect();
    let starters = app.store.messages_by_ids(&ids).await?;
    let mut msgs: Vec<Message> = views::messages(app, &starters, user.id).await?;
    crate::service::messages::strip_for_bot(app, user, ctx, &mut msgs).await?;
    let by_id: HashMap<Snowflake, Message> = msgs.into_iter().map(|m| (m.id, m)).collect();
    Ok(rows
        .iter()
        .map(|t| {
            let me = mine.get(&t.thread.channel_id).copied().unwrap_or(0);
            let mut v =
                serde_json::to_value(views::thread_channel(&t.channel, &t.thread, true, me))
                    .unwrap_or_default();
            v["message"] = by_id
                .get(&Snowflake::from_i64(t.thread.channel_id))
                .map_or(Value::Null, |m| serde_json::to_value(m).unwrap_or_default());
            v
        })
        .collect())
}

/// `GET /channels/{forum}/posts`.
pub async fn posts(
    app: &AppState,
    user: &UserRow,
    forum: i64,
    q: PostsQuery,
) -> Result<Value, ApiError> {
    let ctx = ChannelCtx::load(app, forum, user.id).await?;
    if ctx.channel.kind != i64::from(kind::GUILD_FORUM) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let sort_name = q.sort.as_deref().unwrap_or("hot");
    let sort = match sort_name {
        "hot" => PostSort::Hot,
        "new" => PostSort::New,
        "top" => PostSort::Top,
        "controversial" => PostSort::Controversial,
        "active" => PostSort::Active,
        _ => {
            return Err(field_error(
                "sort",
                "BASE_TYPE_CHOICES",
                "Value must be one of (hot, new, top, controversial, active).",
            ));
        }
    };
    let t = q.t.as_deref().unwrap_or("all");
    let period = period_ms(t).ok_or_else(|| {
        field_error(
            "t",
            "BASE_TYPE_CHOICES",
            "Value must be one of (hour, day, week, month, year, all).",
        )
    })?;
    let limit = check_limit(q.limit, 25)?;
    let tag = q.tag.map(Snowflake::get);
    let tag_s = tag.map_or_else(String::new, |t| t.to_string());
    let cursor_b = format!("{t}-{tag_s}");
    let after = q
        .after
        .as_deref()
        .map(|s| decode_cursor(s, "p1", sort_name, &cursor_b))
        .transpose()?;
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(json!({"posts": [], "next": null}));
    }
    let min_id = if period == 0 {
        0
    } else {
        coterie_store::min_id_at(app.now() - period)
    };
    let mut rows = app
        .store
        .forum_posts(&PostQuery {
            forum,
            sort,
            min_id,
            tag,
            after,
            limit: limit + 1,
        })
        .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(25));
        rows.last().map(|l| {
            encode_cursor(&[
                "p1",
                sort_name,
                &cursor_b,
                &sort.key(&l.thread).to_string(),
                &l.thread.channel_id.to_string(),
            ])
        })
    } else {
        None
    };
    if after.is_none() {
        let mut pinned = app.store.pinned_posts(forum, tag).await?;
        pinned.append(&mut rows);
        rows = pinned;
    }
    let posts = post_views(app, user, &ctx, &rows).await?;
    Ok(json!({"posts": posts, "next": next}))
}

fn comment_sort(s: &str) -> Option<CommentSort> {
    Some(match s {
        "best" => CommentSort::Best,
        "top" => CommentSort::Top,
        "new" => CommentSort::New,
        "controversial" => CommentSort::Controversial,
        _ => return None,
    })
}

struct Tree {
    rows: Vec<CommentRow>,
    /// parent → shown children, in order.
    children: HashMap<i64, Vec<usize>>,
}

/// `GET /channels/{post}/comments`.
pub async fn comments(
    app: &AppState,
    user: &UserRow,
    post: i64,
    q: CommentsQuery,
) -> Result<Value, ApiError> {
    let ctx = ChannelCtx::load(app, post, user.id).await?;
    if !ctx.thread.as_ref().is_some_and(|t| t.is_post()) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let sort_name = q.sort.as_deref().unwrap_or("best");
    let sort = comment_sort(sort_name).ok_or_else(|| {
        field_error(
            "sort",
            "BASE_TYPE_CHOICES",
            "Value must be one of (best, top, new, controversial).",
        )
    })?;
    let limit = check_limit(q.limit, 50)?;
    let depth = q.depth.unwrap_or(DEFAULT_DEPTH);
    if !(1..=coterie_store::MAX_DEPTH).contains(&depth) {
        return Err(field_error(
            "depth",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    let parent = match q.parent {
        None => 0,
        Some(p) if p.get() == post => 0,
        Some(p) => {
            app.store
                .comment(post, p.get())
                .await?
                .ok_or(ApiError::Unknown(crate::error::Unknown::Message))?;
            p.get()
        }
    };
    let parent_s = parent.to_string();
    let after = q
        .after
        .as_deref()
        .map(|s| decode_cursor(s, "c1", sort_name, &parent_s))
        .transpose()?;
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(json!({"comments": [], "next": null}));
    }
    let mut top = app
        .store
        .comment_page(post, parent, sort, after, limit + 1)
        .await?;
    let next = if top.len() as i64 > limit {
        top.truncate(usize::try_from(limit).unwrap_or(50));
        top.last().map(|l| cursor(sort, sort_name, parent, l))
    } else {
        None
    };
    let mut tree = Tree {
        rows: vec![],
        children: HashMap::new(),
    };
    let mut frontier: Vec<i64> = vec![];
    for r in top {
        if r.child_count > 0 {
            frontier.push(r.message_id);
        }
        tree.children
            .entry(parent)
            .or_default()
            .push(tree.rows.len());
        tree.rows.push(r);
    }
    for _ in 1..depth {
        if frontier.is_empty() || tree.rows.len() >= TREE_BUDGET {
            break;
        }
        let kids = app
            .store
            .comment_children(post, &frontier, sort, REPLIES_PER_COMMENT)
            .await?;
        frontier.clear();
        for r in kids {
            if tree.rows.len() >= TREE_BUDGET {
                break;
            }
            if r.child_count > 0 {
                frontier.push(r.message_id);
            }
            tree.children
                .entry(r.parent_id)
                .or_default()
                .push(tree.rows.len());
            tree.rows.push(r);
        }
    }
    let ids: Vec<i64> = tree.rows.iter().map(|r| r.message_id).collect();
    let msg_rows = app.store.messages_by_ids(&ids).await?;
    let mut msgs = views::messages(app, &msg_rows, user.id).await?;
    crate::service::messages::strip_for_bot(app, user, &ctx, &mut msgs).await?;
    let mut by_id: HashMap<i64, Value> = msgs
        .into_iter()
        .map(|m| (m.id.get(), serde_json::to_value(m).unwrap_or_default()))
        .collect();
    let built = build(&tree, parent, &mut by_id, sort, sort_name, post);
    Ok(json!({"comments": built, "next": next}))
}

fn cursor(sort: CommentSort, sort_name: &str, parent: i64, last: &CommentRow) -> String {
    encode_cursor(&[
        "c1",
        sort_name,
        &parent.to_string(),
        &sort.key(last).to_string(),
        &last.message_id.to_string(),
    ])
}

fn build(
    tree: &Tree,
    parent: i64,
    msgs: &mut HashMap<i64, Value>,
    sort: CommentSort,
    sort_name: &str,
    post: i64,
) -> Vec<Value> {
    let Some(kids) = tree.children.get(&parent) else {
        return vec![];
    };
    kids.iter()
        .map(|&i| {
            let r = &tree.rows[i];
            let mut v = msgs.remove(&r.message_id).unwrap_or_else(|| {
                // A deleted comment that still holds replies.
                json!({"id": Snowflake::from_i64(r.message_id), "channel_id": Snowflake::from_i64(post),
                       "content": "", "author": null, "deleted": true})
            });
            v["score"] = json!(r.score);
            v["upvotes"] = json!(r.upvotes);
            v["downvotes"] = json!(r.downvotes);
            // The viewer's vote came with the message object (0 for a tombstone).
            if v.get("me_vote").is_none() {
                v["me_vote"] = json!(0);
            }
            v["depth"] = json!(r.depth);
            v["reply_count"] = json!(r.descendant_count);
            v["parent_id"] = if r.parent_id == 0 {
                Value::Null
            } else {
                json!(Snowflake::from_i64(r.parent_id))
            };
            let replies = build(tree, r.message_id, msgs, sort, sort_name, post);
            let shown = tree.children.get(&r.message_id).map_or(0, Vec::len) as i64;
            if r.child_count > shown {
                let after = tree
                    .children
                    .get(&r.message_id)
                    .and_then(|c| c.last())
                    .map(|&j| cursor(sort, sort_name, r.message_id, &tree.rows[j]));
                v["more"] = json!({"count": r.child_count - shown, "parent_id": Snowflake::from_i64(r.message_id), "after": after});
            }
            v["replies"] = Value::Array(replies);
            v
        })
        .collect()
}
