//! Resuming a gateway session on a node other than the one that held it (`--redis-url`).
//!
//! Every event reaches every node through the shared stream, in one order, and a session's
//! frames are the events the dispatcher decided it may receive. So a session is rebuilt from a
//! checkpoint — the last frame its client acknowledged and the stream position that frame
//! corresponds to — by replaying the stream from that position through the same routing
//! decisions and numbering the frames from the checkpoint. The node holding a session saves the
//! checkpoint in Redis when a heartbeat acknowledges a newer frame. Frames that did not come
//! through the stream (READY, RESUMED, member chunks, channels appearing after a permission
//! change) cannot be rebuilt: the checkpoint records the newest of them before it is sent, and
//! a RESUME that would need one is refused with op 9 (the client identifies again).
//!
//! Limits: permissions are evaluated as they are when the session is rebuilt, not as they were
//! when each event passed; a session whose checkpoint is older than the stream keeps
//! (`--resume-window-secs`) or more than 100,000 events behind cannot be rebuilt.

use crate::app::AppState;
use crate::bus::{Effect, Event, StreamPos, format_pos, parse_pos};
use crate::gateway::access::GuildAccess;
use crate::gateway::dispatcher;
use crate::gateway::session::{Checkpoint, Session};
use crate::service::{auth, presence};
use coterie_model::Intents;
use coterie_model::gateway::{Resume, close};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What Redis keeps about a session.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    user: i64,
    /// Hex SHA-256 of the token it identified with.
    token: String,
    bot: bool,
    intents: u64,
    shard: [u32; 2],
    guilds: Vec<i64>,
    seq: u64,
    pos: String,
    local: u64,
    status: String,
    activities: serde_json::Value,
}

/// Lower-case hex of a token hash, as checkpoints keep it.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Saves a session's checkpoint (no-op on a single node). Failures are logged: the session then
/// resumes only on its own node.
pub async fn save(app: &AppState, s: &Session, cp: Checkpoint) {
    if !app.bus.shared() {
        return;
    }
    let (status, activities) = app
        .presences
        .own(s.user_id)
        .unwrap_or_else(|| ("online".to_owned(), serde_json::json!([])));
    let record = Record {
        user: s.user_id,
        token: hex(&s.token_hash),
        bot: s.bot,
        intents: s.intents.0,
        shard: s.shard,
        guilds: s
            .guilds
            .lock()
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default(),
        seq: cp.seq,
        pos: format_pos(cp.pos),
        local: cp.local,
        status,
        activities,
    };
    let Ok(bytes) = serde_json::to_vec(&record) else {
        return;
    };
    if let Err(e) = app
        .bus
        .put_checkpoint(&s.id, Some(bytes), app.config.resume_window_secs)
        .await
    {
        tracing::warn!(
            error = format!("{e:#}"),
            "saving a resume checkpoint failed"
        );
    }
}

/// Forgets a session that ended (it can no longer be resumed anywhere).
pub async fn forget(app: &AppState, s: &Session) {
    if app.bus.shared()
        && let Err(e) = app.bus.put_checkpoint(&s.id, None, 0).await
    {
        tracing::warn!(
            error = format!("{e:#}"),
            "dropping a resume checkpoint failed"
        );
    }
}

type Refusal = Option<(u16, &'static str)>;

/// Rebuilds a session this node does not hold. `Err(None)` means op 9 (identify again).
pub async fn resume(
    app: &AppState,
    r: &Resume,
    token: &str,
) -> Result<(Arc<Session>, u64), Refusal> {
    if !app.bus.shared() {
        return Err(None);
    }
    let record: Record = match app.bus.get_checkpoint(&r.session_id).await {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).map_err(|_| None)?,
        Ok(None) => return Err(None),
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "reading a resume checkpoint failed"
            );
            return Err(None);
        }
    };
    super::connection::check_resume_token(app, token, record.user, Some(&record.token)).await?;
    let hash = auth::token_hash(token);
    let seq = r.seq.unwrap_or(0);
    let Some(pos) = parse_pos(&record.pos) else {
        return Err(None);
    };
    // The client must hold everything up to the checkpoint, and nothing it may hold after it may
    // be a frame the stream cannot reproduce.
    if seq < record.seq || record.local > record.seq {
        return Err(None);
    }
    let from = Checkpoint {
        seq: record.seq,
        pos,
        local: record.local,
    };
    let s = Arc::new(Session::new(
        r.session_id.clone(),
        record.user,
        record.bot,
        Intents(record.intents),
        record.shard,
        hash,
    ));
    // Registered first (not yet ready, so live events wait in its early queue), then the stream is
    // read: together they cover every event, and the overlap is dropped by position.
    if !app.sessions.insert_new(s.clone(), &record.guilds) {
        return Err(None);
    }
    let rebuilt = match replay(app, &s, &record.guilds, pos).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(abandon(app, &s)),
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "replaying the event stream failed"
            );
            return Err(abandon(app, &s));
        }
    };
    let (frames, replayed_to) = rebuilt;
    let last = s.push_rebuilt(from, frames, replayed_to);
    if seq > last {
        // The client saw frames this node cannot account for.
        return Err(abandon(app, &s));
    }
    let generation = super::connection::attach(&s, seq);
    if app
        .presences
        .connect(record.user, &record.status, record.activities)
    {
        let app2 = app.clone();
        tokio::spawn(async move { presence::broadcast(&app2, record.user).await });
    }
    // Whichever node held the session before lets it go.
    app.bus
        .publish(
            Event::new(
                "SESSION_MOVED",
                &serde_json::json!({}),
                crate::bus::Audience::Users(vec![]),
                0,
            )
            .with_effect(Effect::SessionMoved {
                session: s.id.clone(),
                node: app.config.node_id,
            }),
        )
        .await;
    tracing::debug!(
        replayed = last - from.seq,
        "session resumed from another node"
    );
    Ok((s, generation))
}

fn abandon(app: &AppState, s: &Session) -> Refusal {
    s.state().dead = true;
    app.sessions.remove(s);
    None
}

type Replayed = (Vec<(Arc<Event>, bool)>, StreamPos);

/// The frames the session would have received after `after`, and the last position read.
async fn replay(
    app: &AppState,
    s: &Session,
    guilds: &[i64],
    after: StreamPos,
) -> anyhow::Result<Option<Replayed>> {
    let Some(events) = app.bus.events_after(after).await? else {
        return Ok(None);
    };
    let mut guilds: HashSet<i64> = guilds.iter().copied().collect();
    let mut access: HashMap<i64, Option<Arc<GuildAccess>>> = HashMap::new();
    let mut frames = Vec::new();
    let mut last = after;
    for ev in events {
        let ev = Arc::new(ev);
        last = ev.pos.unwrap_or(last);
        match &ev.effect {
            Effect::InvalidateGuild(g) | Effect::LeaveGuild { guild: g, .. } => {
                access.remove(g);
            }
            Effect::JoinGuild { guild, user } => {
                access.remove(guild);
                if *user == s.user_id && s.in_shard(Some(*guild)) {
                    guilds.insert(*guild);
                    app.sessions.join_guild(*user, *guild);
                }
            }
            Effect::DropGuild(_) | Effect::SessionMoved { .. } | Effect::None => {}
        }
        let acc = match dispatcher::guild_of(&ev.audience) {
            Some(g) if dispatcher::needs_access(&ev.audience) && guilds.contains(&g) => {
                if let std::collections::hash_map::Entry::Vacant(e) = access.entry(g) {
                    e.insert(GuildAccess::load(&app.store, g).await?.map(Arc::new));
                }
                access.get(&g).cloned().flatten()
            }
            _ => None,
        };
        if dispatcher::reaches(s, &ev, acc.as_deref(), &guilds) {
            let stripped = dispatcher::stripped_for(s, &ev);
            frames.push((ev.clone(), stripped));
        }
        match &ev.effect {
            Effect::LeaveGuild { guild, user } if *user == s.user_id => {
                guilds.remove(guild);
            }
            Effect::DropGuild(g) => {
                guilds.remove(g);
            }
            _ => {}
        }
    }
    Ok(Some((frames, last)))
}

/// Another node took over a session this node held: it ends here without ending the user's
/// presence elsewhere or their checkpoint.
pub async fn moved_away(app: &AppState, id: &str, node: u16) {
    if node == app.config.node_id {
        return;
    }
    let Some(s) = app.sessions.get(id) else {
        return;
    };
    s.kick(close::UNKNOWN_ERROR, true);
    if app.sessions.remove(&s).is_some() && app.presences.disconnect(s.user_id) {
        presence::broadcast(app, s.user_id).await;
    }
}
