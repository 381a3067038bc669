//! One WebSocket connection: HELLO, IDENTIFY or RESUME, then a single task that writes queued
//! dispatches, reads client frames and enforces heartbeats — no separate reader and writer tasks,
//! and a small read buffer, to keep idle connections small.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::gateway::session::{Frame, Session, ws_text};
use crate::gateway::{handoff, ready};
use crate::service::{auth, presence, views};
use coterie_model::gateway::{
    ClientFrame, Identify, PresenceUpdate, RequestGuildMembers, Resume, UserIds, close, op,
};
use coterie_model::{Intents, Snowflake};
use futures_util::SinkExt;
use futures_util::StreamExt;
use serde_json::json;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Client frames allowed per minute (Discord's limit); more closes with 4008.
const FRAMES_PER_MINUTE: u32 = 120;
/// Time allowed to IDENTIFY or RESUME after HELLO.
const IDENTIFY_DEADLINE: Duration = Duration::from_secs(30);
/// A write that takes longer than this means the client is not reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames written per flush.
const BATCH: usize = 64;

/// A gateway WebSocket (upgraded by `routes::gateway::upgrade`).
pub type Ws = tokio_tungstenite::WebSocketStream<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// Connection parameters from the upgrade request.
#[derive(Debug, Clone)]
pub struct Params {
    /// `v` was absent or a supported version.
    pub version_ok: bool,
    /// `encoding` was absent or `json`.
    pub encoding_ok: bool,
    /// URL to put in READY's `resume_gateway_url`.
    pub resume_url: String,
}

struct Conn {
    ws: Ws,
    frames: u32,
    window_start: Instant,
}

/// A boxed future: rare steps of a connection (a heartbeat ACK, a close) are not sized into the
/// task every idle session keeps.
type Rare<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Conn {
    fn send_text(&mut self, s: String) -> Rare<'_, bool> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(s.len() + 10);
            ws_text(&mut out, &s);
            self.write(&out).await
        })
    }

    fn close(&mut self, code: u16, reason: &'static str) -> Rare<'_, ()> {
        Box::pin(async move {
            let frame = CloseFrame {
                code: code.into(),
                reason: Utf8Bytes::from_static(reason),
            };
            let _ = timeout(WRITE_TIMEOUT, self.ws.send(Message::Close(Some(frame)))).await;
        })
    }

    /// Writes encoded text messages to the socket in one go; false if it failed or stalled.
    ///
    /// Data frames bypass the WebSocket library's write buffer, which would otherwise keep the
    /// capacity of the largest write (READY) for the connection's life and cost a write call per
    /// message: a batch of queued dispatches is one `write`. Whatever the library itself queued
    /// (a pong, a close) is flushed first, so frames never interleave.
    async fn write(&mut self, bytes: &[u8]) -> bool {
        let write = async {
            self.ws.flush().await.map_err(std::io::Error::other)?;
            self.ws.get_mut().write_all(bytes).await
        };
        matches!(timeout(WRITE_TIMEOUT, write).await, Ok(Ok(())))
    }

    /// Counts a client frame; false when over the limit.
    fn count_frame(&mut self) -> bool {
        if self.window_start.elapsed() > Duration::from_secs(60) {
            self.window_start = Instant::now();
            self.frames = 0;
        }
        self.frames += 1;
        self.frames <= FRAMES_PER_MINUTE
    }

    /// Writes everything queued for the session; false if the socket failed.
    async fn flush_session(&mut self, app: &AppState, s: &Session) -> bool {
        loop {
            let (frames, more) = s.take_unsent(BATCH);
            if frames.is_empty() {
                return true;
            }
            if app.bus.shared()
                && let Some(cp) = s.note_local(&frames)
            {
                handoff::save(app, s, cp).await;
            }
            let mut out = Vec::with_capacity(frames.iter().map(Frame::size_hint).sum());
            for f in &frames {
                f.render_into(&mut out);
            }
            if !self.write(&out).await {
                return false;
            }
            if !more {
                return true;
            }
        }
    }
}

struct ConnGuard;
impl Drop for ConnGuard {
    fn drop(&mut self) {
        crate::metrics::GATEWAY_CONNECTIONS.dec();
    }
}

enum Step {
    Continue,
    Close(u16, &'static str),
}

/// Serves one connection to completion.
///
/// Not an `async fn`: the task of every idle session would then keep the arguments beside the
/// locals they are moved into (rustc does not overlap the two), about 370 bytes each.
pub fn serve(app: AppState, ws: Ws, params: Params) -> impl Future<Output = ()> + Send {
    let mut c = Conn {
        ws,
        frames: 0,
        window_start: Instant::now(),
    };
    async move {
        crate::metrics::GATEWAY_CONNECTIONS.inc();
        let _guard = ConnGuard;
        if !params.version_ok {
            return c
                .close(close::INVALID_API_VERSION, "Invalid API version")
                .await;
        }
        if !params.encoding_ok {
            return c
                .close(close::DECODE_ERROR, "Only encoding=json is supported")
                .await;
        }
        let grace = heartbeat_grace(&app);
        // Boxed: what only the handshake needs (IDENTIFY, RESUME) is not sized into the task every
        // idle session keeps.
        let (session, generation) = match Box::pin(handshake(&app, &mut c, &params)).await {
            Ok(attached) => attached,
            Err(Some((code, reason))) => return c.close(code, reason).await,
            Err(None) => return,
        };
        session.expect_heartbeat(grace);

        // Attached: write dispatches, read client frames. Nothing else wakes the task: a missed
        // heartbeat and a shutdown are noticed by `reap` and `AppState::shut_down`, which kick or
        // notify the session, so an idle session keeps no timer and no watch of its own.
        loop {
            if *app.shutdown.borrow() {
                let _ = c.send_text(r#"{"op":7,"d":null}"#.to_owned()).await;
                c.close(close::UNKNOWN_ERROR, "Server restarting").await;
                return detach(&session, generation);
            }
            tokio::select! {
                () = session.notify.notified() => {
                    let (kick, current) = {
                        let st = session.state();
                        (st.kick, st.generation == generation)
                    };
                    if !current {
                        // A newer connection resumed this session; pass the wake-up on.
                        session.notify.notify_one();
                        return c.close(close::UNKNOWN_ERROR, "Session resumed elsewhere").await;
                    }
                    if let Some(code) = kick {
                        session.state().kick = None;
                        c.close(code, kick_reason(code)).await;
                        return detach(&session, generation);
                    }
                    if !c.flush_session(&app, &session).await {
                        return detach(&session, generation);
                    }
                }
                msg = c.ws.next() => {
                    let text = match msg {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Binary(_))) => {
                            c.close(close::DECODE_ERROR, "Binary frames are not supported").await;
                            return detach(&session, generation);
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                        Some(Ok(Message::Close(frame))) => {
                            let code = frame.map_or(1005, |f| u16::from(f.code));
                            if code == 1000 || code == 1001 {
                                return Box::pin(end_now(&app, &session)).await;
                            }
                            return detach(&session, generation);
                        }
                        Some(Err(_)) | None => return detach(&session, generation),
                    };
                    if !c.count_frame() {
                        c.close(close::RATE_LIMITED, "Rate limited").await;
                        return detach(&session, generation);
                    }
                    let Ok(frame) = serde_json::from_str::<ClientFrame<'_>>(&text) else {
                        c.close(close::DECODE_ERROR, "Decode error").await;
                        return detach(&session, generation);
                    };
                    let d = frame.d.map(|d| d.get()).unwrap_or("null");
                    let step = match frame.op {
                        op::HEARTBEAT => {
                            session.expect_heartbeat(grace);
                            if let Ok(Some(seq)) = serde_json::from_str::<Option<u64>>(d)
                                && let Some(cp) = session.ack(seq, || app.sessions.position())
                            {
                                Box::pin(handoff::save(&app, &session, cp)).await;
                            }
                            if c.send_text(r#"{"op":11}"#.to_owned()).await { Step::Continue } else { return detach(&session, generation) }
                        }
                        op::IDENTIFY | op::RESUME => Step::Close(close::ALREADY_AUTHENTICATED, "Already authenticated"),
                        op::PRESENCE_UPDATE => update_presence(&app, &session, d),
                        op::VOICE_STATE_UPDATE => {
                            let host = params.resume_url.split_once("://").map_or("", |(_, h)| h);
                            match Box::pin(crate::service::voice::gateway_update(&app, &session, d, host)).await {
                                Ok(()) => Step::Continue,
                                Err(()) => Step::Close(close::DECODE_ERROR, "Invalid VOICE_STATE_UPDATE payload"),
                            }
                        }
                        op::REQUEST_GUILD_MEMBERS => Box::pin(request_members(&app, &session, d)).await,
                        _ => Step::Close(close::UNKNOWN_OPCODE, "Unknown opcode"),
                    };
                    if let Step::Close(code, reason) = step {
                        c.close(code, reason).await;
                        return detach(&session, generation);
                    }
                }
            }
        }
    }
}

/// Why the connection ends before a session is attached: the close code and reason to send, or
/// None when the socket is already gone.
type Refused = Option<(u16, &'static str)>;

/// HELLO, then client frames until the client identifies or resumes: the attached session and
/// its connection generation.
async fn handshake(
    app: &AppState,
    c: &mut Conn,
    params: &Params,
) -> Result<(Arc<Session>, u64), Refused> {
    let mut shutdown = app.shutdown.subscribe();
    let interval = app.config.heartbeat_interval_ms;
    let hello = format!(r#"{{"op":10,"d":{{"heartbeat_interval":{interval}}}}}"#);
    if !c.send_text(hello).await {
        return Err(None);
    }
    let grace = heartbeat_grace(app);
    let identify_by = Instant::now() + IDENTIFY_DEADLINE;
    let mut deadline = Instant::now() + grace;
    loop {
        if *shutdown.borrow() {
            return Err(Some((close::UNKNOWN_ERROR, "Server restarting")));
        }
        tokio::select! {
            msg = c.ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => return Err(Some((close::DECODE_ERROR, "Binary frames are not supported"))),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err(None),
                };
                if !c.count_frame() {
                    return Err(Some((close::RATE_LIMITED, "Rate limited")));
                }
                let Ok(frame) = serde_json::from_str::<ClientFrame<'_>>(&text) else {
                    return Err(Some((close::DECODE_ERROR, "Decode error")));
                };
                let d = frame.d.map(|d| d.get()).unwrap_or("null");
                match frame.op {
                    op::HEARTBEAT => {
                        deadline = Instant::now() + grace;
                        if !c.send_text(r#"{"op":11}"#.to_owned()).await { return Err(None); }
                    }
                    op::IDENTIFY => return identify(app, d, params).await.map_err(Some),
                    op::RESUME => match resume(app, d).await {
                        Ok(s) => return Ok(s),
                        Err(None) => {
                            if !c.send_text(r#"{"op":9,"d":false}"#.to_owned()).await { return Err(None); }
                        }
                        Err(refused) => return Err(refused),
                    },
                    op::PRESENCE_UPDATE | op::VOICE_STATE_UPDATE | op::REQUEST_GUILD_MEMBERS => {
                        return Err(Some((close::NOT_AUTHENTICATED, "Not authenticated")));
                    }
                    _ => return Err(Some((close::UNKNOWN_OPCODE, "Unknown opcode"))),
                }
            }
            () = sleep_until(deadline.min(identify_by)) => return Err(Some((close::SESSION_TIMED_OUT, "Session timed out"))),
            _ = shutdown.changed() => continue,
        }
    }
}

/// How long a client may go without heartbeating: one and a half intervals.
fn heartbeat_grace(app: &AppState) -> Duration {
    let interval = app.config.heartbeat_interval_ms;
    Duration::from_millis(interval + interval / 2)
}

/// The close reason sent with a code a session was kicked with.
fn kick_reason(code: u16) -> &'static str {
    match code {
        close::SESSION_TIMED_OUT => "Session timed out",
        close::AUTHENTICATION_FAILED => "Authentication failed",
        _ => "Closed by server",
    }
}

fn random_id() -> String {
    let (t, _) = auth::new_token();
    t.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect()
}

pub(crate) fn attach(s: &Session, resume_from: u64) -> u64 {
    let mut st = s.state();
    st.generation += 1;
    st.attached = true;
    // The connection's task sets its first deadline once it runs.
    st.heartbeat_by = None;
    st.detached_at = None;
    st.kick = None;
    st.sent = resume_from;
    st.generation
}

fn detach(s: &Session, generation: u64) {
    let mut st = s.state();
    if st.generation == generation {
        st.attached = false;
        st.heartbeat_by = None;
        st.detached_at = Some(std::time::Instant::now());
    }
}

async fn identify(
    app: &AppState,
    d: &str,
    params: &Params,
) -> Result<(Arc<Session>, u64), (u16, &'static str)> {
    let id: Identify =
        serde_json::from_str(d).map_err(|_| (close::DECODE_ERROR, "Invalid IDENTIFY payload"))?;
    let _permit = app
        .identify_permits
        .acquire()
        .await
        .map_err(|_| (close::UNKNOWN_ERROR, "Server restarting"))?;
    let token = id.token.trim();
    let token = token
        .strip_prefix("Bot ")
        .or_else(|| token.strip_prefix("Bearer "))
        .unwrap_or(token);
    let Ok(Some((user, hash))) = auth::authenticate(app, token).await else {
        return Err((close::AUTHENTICATION_FAILED, "Authentication failed"));
    };
    let intents = match id.intents {
        Some(i) if i & !Intents::DEFINED != 0 => {
            return Err((close::INVALID_INTENTS, "Invalid intent(s)"));
        }
        Some(i) => Intents(i),
        None if user.bot => return Err((close::INVALID_INTENTS, "Intents are required")),
        None => Intents(Intents::DEFINED),
    };
    if user.bot {
        let flags = app
            .store
            .application(user.id)
            .await
            .ok()
            .flatten()
            .map_or(0, |a| a.flags);
        let allowed = crate::service::apps::allowed_privileged(flags);
        if intents.0 & Intents::PRIVILEGED & !allowed != 0 {
            return Err((close::DISALLOWED_INTENTS, "Disallowed intent(s)"));
        }
    }
    let shard = id.shard.unwrap_or([0, 1]);
    if shard[1] == 0 || shard[0] >= shard[1] {
        return Err((close::INVALID_SHARD, "Invalid shard"));
    }
    let session = Arc::new(Session::new(
        random_id(),
        user.id,
        user.bot,
        intents,
        shard,
        hash,
    ));
    let Ok(reach) = app.store.user_reach(user.id).await else {
        return Err((close::UNKNOWN_ERROR, "Try again"));
    };
    let all_guilds = reach.guilds;
    let guilds: Vec<i64> = all_guilds
        .iter()
        .copied()
        .filter(|g| session.in_shard(Some(*g)))
        .collect();
    app.sessions.insert(session.clone(), &guilds);
    let generation = attach(&session, 0);
    let status = id.presence.as_ref().map_or("online", |p| p.status.as_str());
    let status = if presence::STATUSES.contains(&status) {
        status
    } else {
        "online"
    };
    let activities = id
        .presence
        .as_ref()
        .map_or(json!([]), |p| json!(p.activities));
    if app.presences.connect(user.id, status, activities) {
        let app2 = app.clone();
        tokio::spawn(async move {
            presence::broadcast_to(&app2, user.id, all_guilds.into_iter()).await
        });
    }
    let built = build_ready(
        app,
        &session,
        &user,
        ready::Scope {
            guilds: &guilds,
            dms: &reach.dm_channels,
        },
        params,
        id.large_threshold.unwrap_or(50),
    )
    .await;
    match built {
        Ok(first) => {
            session.push_ready(first);
            Ok((session, generation))
        }
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "building READY failed");
            end_now(app, &session).await;
            Err((close::UNKNOWN_ERROR, "Try again"))
        }
    }
}

async fn build_ready(
    app: &AppState,
    s: &Session,
    user: &coterie_store::UserRow,
    scope: ready::Scope<'_>,
    params: &Params,
    large: u32,
) -> anyhow::Result<Vec<Arc<Event>>> {
    let r = ready::ready(app, user, scope, &s.id, s.shard, params.resume_url.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = vec![Arc::new(Event::new(
        "READY",
        &r,
        Audience::Users(vec![]),
        0,
    ))];
    let presences = s.intents.has(Intents::GUILD_PRESENCES);
    for g in scope.guilds {
        if let Some(gc) = ready::guild_create(app, *g, user.id, user.bot, presences, large)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            out.push(Arc::new(Event::new(
                "GUILD_CREATE",
                &gc,
                Audience::Users(vec![]),
                0,
            )));
        }
    }
    Ok(out)
}

async fn resume(
    app: &AppState,
    d: &str,
) -> Result<(Arc<Session>, u64), Option<(u16, &'static str)>> {
    let r: Resume = serde_json::from_str(d)
        .map_err(|_| Some((close::DECODE_ERROR, "Invalid RESUME payload")))?;
    let token = r.token.trim();
    let token = token
        .strip_prefix("Bot ")
        .or_else(|| token.strip_prefix("Bearer "))
        .unwrap_or(token);
    let (s, generation) = match app.sessions.get(&r.session_id) {
        Some(s) => resume_here(app, &r, token, s).await?,
        // Not held here: another node may have held it.
        None => handoff::resume(app, &r, token).await?,
    };
    s.push_once(Arc::new(Event::new(
        "RESUMED",
        &json!({"_trace": []}),
        Audience::Users(vec![]),
        0,
    )));
    Ok((s, generation))
}

/// A RESUME's token must be valid and belong to the session's account (and, when a hex hash is
/// given, be the very token the session identified with); else the connection closes with 4004.
pub(crate) async fn check_resume_token(
    app: &AppState,
    token: &str,
    user_id: i64,
    token_hash_hex: Option<&str>,
) -> Result<(), Option<(u16, &'static str)>> {
    match auth::authenticate(app, token).await {
        Ok(Some((user, hash)))
            if user.id == user_id && token_hash_hex.is_none_or(|h| h == handoff::hex(&hash)) =>
        {
            Ok(())
        }
        Ok(_) => Err(Some((
            close::AUTHENTICATION_FAILED,
            "Authentication failed",
        ))),
        Err(_) => Err(Some((close::UNKNOWN_ERROR, "Try again"))),
    }
}

/// Resumes a session this node holds.
async fn resume_here(
    app: &AppState,
    r: &Resume,
    token: &str,
    s: Arc<Session>,
) -> Result<(Arc<Session>, u64), Option<(u16, &'static str)>> {
    check_resume_token(app, token, s.user_id, None).await?;
    let seq = r.seq.unwrap_or(0);
    let generation = {
        let st = s.state();
        let complete = match st.buffer.front() {
            Some(f) => f.seq <= seq + 1,
            None => st.seq <= seq,
        };
        if st.dead || !st.ready || seq > st.seq || !complete {
            return Err(None);
        }
        drop(st);
        attach(&s, seq)
    };
    Ok((s, generation))
}

fn update_presence(app: &AppState, s: &Session, d: &str) -> Step {
    let Ok(p) = serde_json::from_str::<PresenceUpdate>(d) else {
        return Step::Close(close::DECODE_ERROR, "Invalid presence payload");
    };
    if !presence::STATUSES.contains(&p.status.as_str()) {
        return Step::Continue;
    }
    if app
        .presences
        .update(s.user_id, &p.status, json!(p.activities))
    {
        let app2 = app.clone();
        let user = s.user_id;
        tokio::spawn(async move { presence::broadcast(&app2, user).await });
    }
    Step::Continue
}

async fn request_members(app: &AppState, s: &Arc<Session>, d: &str) -> Step {
    let Ok(req) = serde_json::from_str::<RequestGuildMembers>(d) else {
        return Step::Close(close::DECODE_ERROR, "Invalid request");
    };
    let gid = req.guild_id.get();
    if !s.guilds.lock().is_ok_and(|g| g.contains(&gid)) {
        return Step::Continue;
    }
    let result = async {
        let (rows, not_found): (Vec<_>, Vec<Snowflake>) = match &req.user_ids {
            Some(ids) => {
                let ids: Vec<i64> = match ids {
                    UserIds::One(i) => vec![i.get()],
                    UserIds::Many(v) => v.iter().take(100).map(|i| i.get()).collect(),
                };
                let rows = app.store.members_by_ids(gid, &ids).await?;
                let missing = ids
                    .iter()
                    .filter(|i| !rows.iter().any(|r| r.member.user_id == **i))
                    .map(|i| Snowflake::from_i64(*i))
                    .collect();
                (rows, missing)
            }
            None => {
                let query = req.query.clone().unwrap_or_default();
                let limit = if req.limit == 0 {
                    i64::MAX
                } else {
                    i64::from(req.limit.min(100))
                };
                if query.is_empty() {
                    let mut all = Vec::new();
                    let mut after = 0;
                    loop {
                        let page = app
                            .store
                            .members(gid, after, 1000.min(limit - all.len() as i64))
                            .await?;
                        let Some(last) = page.last() else { break };
                        after = last.member.user_id;
                        let n = page.len();
                        all.extend(page);
                        if n < 1000 || all.len() as i64 >= limit {
                            break;
                        }
                    }
                    (all, vec![])
                } else {
                    (
                        app.store
                            .search_members(gid, &query, limit.min(100))
                            .await?,
                        vec![],
                    )
                }
            }
        };
        Ok::<_, crate::error::ApiError>((rows, not_found))
    }
    .await;
    let Ok((rows, not_found)) = result else {
        return Step::Continue;
    };
    let chunks: Vec<&[coterie_store::MemberWithRoles]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(1000).collect()
    };
    let count = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let Ok(members) = views::members(app, chunk).await else {
            return Step::Continue;
        };
        let mut d = json!({
            "guild_id": req.guild_id,
            "members": members,
            "chunk_index": i,
            "chunk_count": count,
        });
        if i == 0 && !not_found.is_empty() {
            d["not_found"] = json!(not_found);
        }
        if req.presences {
            let p: Vec<_> = chunk
                .iter()
                .filter_map(|m| {
                    app.presences
                        .get(m.member.user_id)
                        .map(|(st, a)| presence::presence_json(m.member.user_id, None, &st, &a))
                })
                .collect();
            d["presences"] = json!(p);
        }
        if let Some(n) = &req.nonce {
            d["nonce"] = json!(n);
        }
        s.push(
            Arc::new(Event::new(
                "GUILD_MEMBERS_CHUNK",
                &d,
                Audience::Users(vec![]),
                0,
            )),
            false,
        );
    }
    Step::Continue
}

/// Ends a session at once (client closed with 1000/1001, or it expired).
pub async fn end_now(app: &AppState, s: &Session) {
    s.state().dead = true;
    // Ending twice (client close racing the reaper) is a no-op the second time.
    let Some(last) = app.sessions.remove(s) else {
        return;
    };
    handoff::forget(app, s).await;
    crate::service::voice::session_ended(app, &s.id).await;
    if app.presences.disconnect(s.user_id) {
        presence::broadcast(app, s.user_id).await;
    }
    if last {
        crate::service::members::drop_temporary_memberships(app, s.user_id).await;
    }
}

/// Periodically closes connections whose client stopped heartbeating (the session stays
/// resumable) and ends sessions whose connection is gone for longer than the resume window.
pub async fn reap(app: AppState) {
    let window = Duration::from_secs(app.config.resume_window_secs);
    // A late heartbeat is noticed within a quarter interval (at most 5 s) of its deadline.
    let quarter = Duration::from_millis(app.config.heartbeat_interval_ms / 4);
    let period = Duration::from_secs(5)
        .min(window)
        .min(quarter)
        .max(Duration::from_millis(50));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = std::time::Instant::now();
        for s in app.sessions.all() {
            let (expired, late) = {
                let st = s.state();
                let expired = !st.attached
                    && (st.dead || st.detached_at.is_some_and(|t| t.elapsed() >= window));
                let late =
                    st.attached && st.kick.is_none() && st.heartbeat_by.is_some_and(|t| now > t);
                (expired, late)
            };
            if expired {
                end_now(&app, &s).await;
            } else if late {
                s.kick(close::SESSION_TIMED_OUT, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Size of the future a function returns, without calling it.
    fn future_size<A, B, C, F: Future>(_: impl FnOnce(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every idle session keeps its connection task's future (M1 counts it per session): what
    /// only the handshake or rare steps need (IDENTIFY, RESUME, member requests, voice, closes,
    /// heartbeat ACKs) is boxed rather than sized into it, and `serve` takes care that its
    /// arguments are not kept twice. 1,552 bytes before; the WebSocket alone is ~330.
    #[test]
    fn an_idle_connection_task_stays_small() {
        let serve = future_size(serve);
        eprintln!("connection future: {serve} bytes");
        assert!(serve <= 1024, "the connection future is {serve} bytes");
    }
}
