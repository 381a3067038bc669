//! Votes on forum posts and comments (Coterie extension), and VOTE_UPDATE: score changes reach
//! the sessions that can view the post, coalesced to at most one event per item per second.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, Unknown, field_error};
use crate::service::perms::ChannelCtx;
use coterie_model::{Intents, Snowflake};
use coterie_store::{Engine, StoreError, UserRow, VoteOutcome, VoteRequest, VoteTarget};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Minimum gap between two VOTE_UPDATEs about one item (wall time, not the app clock: this
/// paces traffic).
const COALESCE: Duration = Duration::from_secs(1);

/// Body of `PUT …/votes/@me`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VoteBody {
    #[schema(value_type = i64)]
    value: Value,
}

struct Pending {
    last_sent: Option<Instant>,
    next: Option<(Audience, Value, i64)>,
}

/// VOTE_UPDATEs waiting for their item's one-second window.
#[derive(Default)]
pub struct Coalescer {
    items: Mutex<HashMap<(i64, i64), Pending>>,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Coalescer")
    }
}

impl Coalescer {
    /// Returns the event to send now, or keeps it (replacing an older one) for its window.
    fn offer(&self, key: (i64, i64), ev: (Audience, Value, i64)) -> Option<(Audience, Value, i64)> {
        let now = Instant::now();
        let mut m = self
            .items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let p = m.entry(key).or_insert(Pending {
            last_sent: None,
            next: None,
        });
        if p.last_sent
            .is_none_or(|t| now.duration_since(t) >= COALESCE)
        {
            p.last_sent = Some(now);
            p.next = None;
            Some(ev)
        } else {
            p.next = Some(ev);
            None
        }
    }

    /// Events whose window has passed; forgets idle items.
    fn due(&self) -> Vec<(Audience, Value, i64)> {
        let now = Instant::now();
        let mut m = self
            .items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = vec![];
        m.retain(|_, p| {
            let since = p.last_sent.map_or(COALESCE, |t| now.duration_since(t));
            if since < COALESCE {
                return true;
            }
            if let Some(ev) = p.next.take() {
                p.last_sent = Some(now);
                out.push(ev);
                return true;
            }
            // Idle items are forgotten after a while.
            since < 10 * COALESCE
        });
        out
    }
}

/// Votes waiting for writer tasks that commit them in batches (group commit): one writer on
/// SQLite (it has one writer connection), several on PostgreSQL, each owning a share of the
/// items so concurrent batches never lock the same rows.
#[derive(Default)]
pub struct Writer {
    queues: std::sync::OnceLock<Vec<mpsc::Sender<Queued>>>,
}

/// Writer tasks on PostgreSQL.
const PG_WRITERS: usize = 4;

type Queued = (
    VoteRequest,
    oneshot::Sender<Result<Option<VoteOutcome>, StoreError>>,
);

/// Votes committed together at most.
const BATCH: usize = 64;

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

async fn writer_loop(store: coterie_store::Store, mut rx: mpsc::Receiver<Queued>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(q) => batch.push(q),
                Err(_) => break,
            }
        }
        let reqs: Vec<VoteRequest> = batch.iter().map(|q| q.0).collect();
        match store.vote_batch(&reqs).await {
            Ok(outs) => {
                for ((_, reply), o) in batch.into_iter().zip(outs) {
                    let _ = reply.send(Ok(o));
                }
            }
            // One bad vote must not fail the others: retry them one by one.
            Err(_) => {
                for ((target, user, value, now), reply) in batch {
                    let _ = reply.send(store.vote(target, user, value, now).await);
                }
            }
        }
    }
}

async fn write(app: &AppState, req: VoteRequest) -> Result<Option<VoteOutcome>, ApiError> {
    let queues = app.vote_writer.queues.get_or_init(|| {
        let n = if app.store.engine() == Engine::Sqlite {
            1
        } else {
            PG_WRITERS
        };
        (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::channel(1024);
                tokio::spawn(writer_loop(app.store.clone(), rx));
                tx
            })
            .collect()
    });
    let item = match req.0 {
        VoteTarget::Post(p) => p,
        VoteTarget::Comment { message, .. } => message,
    };
    let queue = &queues[(item.unsigned_abs() as usize >> 22) % queues.len()];
    let (reply, answer) = oneshot::channel();
    queue
        .send((req, reply))
        .await
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("the vote writer stopped")))?;
    Ok(answer
        .await
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("the vote writer stopped")))??)
}

async fn send(app: &AppState, (audience, d, guild): (Audience, Value, i64)) {
    app.bus
        .publish(
            Event::new("VOTE_UPDATE", &d, audience, Intents::COTERIE_VOTES).in_guild(Some(guild)),
        )
        .await;
}

/// Flushes coalesced VOTE_UPDATEs; runs until shutdown.
pub async fn run(app: AppState) {
    let mut t = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        t.tick().await;
        for ev in app.votes.due() {
            send(&app, ev).await;
        }
    }
}

fn parse_value(b: &VoteBody) -> Result<i64, ApiError> {
    match b.value.as_i64() {
        Some(v @ (1 | -1)) => Ok(v),
        _ => Err(field_error(
            "value",
            "BASE_TYPE_CHOICES",
            "Value must be one of {1, -1}.",
        )),
    }
}

/// The post a vote is about: a thread in a forum the caller can view, open for votes.
async fn open_post(app: &AppState, user: &UserRow, post_id: i64) -> Result<ChannelCtx, ApiError> {
    let ctx = crate::service::threads::load(app, user.id, post_id).await?;
    let Some(tc) = ctx.thread.as_ref().filter(|t| t.is_post()) else {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    };
    if tc.row.locked {
        return Err(ApiError::BadRequest(160005, "Thread is locked"));
    }
    if tc.row.archived {
        return Err(ApiError::BadRequest(50083, "Thread is archived"));
    }
    Ok(ctx)
}

/// Sets (`value` Some) or removes the caller's vote on a post or, with `message`, a comment.
pub async fn vote(
    app: &AppState,
    user: &UserRow,
    post_id: i64,
    message: Option<i64>,
    value: Option<&VoteBody>,
) -> Result<(), ApiError> {
    let v = value.map(parse_value).transpose()?.unwrap_or(0);
    let ctx = open_post(app, user, post_id).await?;
    let target = match message {
        None => VoteTarget::Post(post_id),
        Some(m) => {
            if m == post_id {
                // The starter message is the post itself.
                VoteTarget::Post(post_id)
            } else {
                VoteTarget::Comment {
                    post: post_id,
                    message: m,
                }
            }
        }
    };
    let now = app.now();
    let out = write(app, (target, user.id, v, now))
        .await?
        .ok_or(ApiError::Unknown(if message.is_some() {
            Unknown::Message
        } else {
            Unknown::Channel
        }))?;
    if !out.changed {
        return Ok(());
    }
    let item = match target {
        VoteTarget::Post(_) => 0,
        VoteTarget::Comment { message, .. } => message,
    };
    let mut d = json!({
        "guild_id": Snowflake::from_i64(out.guild_id),
        "channel_id": Snowflake::from_i64(post_id),
        "score": out.upvotes - out.downvotes,
        "upvotes": out.upvotes,
        "downvotes": out.downvotes,
    });
    if item != 0 {
        d["message_id"] = json!(Snowflake::from_i64(item));
    }
    if let Some(ev) = app
        .votes
        .offer((post_id, item), (ctx.audience(), d, out.guild_id))
    {
        send(app, ev).await;
    }
    Ok(())
}
