//! Voice: regions, voice states over REST, and the signalling WebSocket (`/voice`) where a
//! member who joined a voice channel negotiates their WebRTC connection with the forwarding unit.
//!
//! Signalling protocol (JSON text frames `{"op": n, "d": …}`; docs/voice.md has examples):
//! server → client: 8 HELLO `{heartbeat_interval}`, 2 READY `{user_id, guild_id, channel_id}`,
//! 20 OFFER `{sdp, tracks: [{mid, user_id, kind}]}` (server renegotiation), 21 ANSWER `{sdp}`,
//! 5 SPEAKING `{user_id, speaking}`, 6 HEARTBEAT_ACK `{t}`, 23 CONNECTED `{}`.
//! client → server: 0 IDENTIFY `{server_id, user_id, session_id, token}`, 3 HEARTBEAT `{t}`,
//! 20 OFFER `{sdp, tracks: {mid: "audio"|"camera"|"screen"|"screen_audio"}}`, 21 ANSWER `{sdp}`,
//! 22 CANDIDATE `{candidate}`.
//! Close codes (Discord's voice gateway): 4001 unknown opcode, 4002 decode error, 4003 not
//! authenticated, 4004 authentication failed, 4005 already authenticated, 4006 session no longer
//! valid, 4008 rate limited, 4009 session timeout, 4014 disconnected (left, moved, kicked),
//! 4015 voice server unavailable.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, Auth};
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::voice::media::{Cmd, SIGNAL_QUEUE, Signal};
use crate::service::voice::{self, StagePatch};
use axum::Json;
use axum::extract::{Request, State};
use axum::response::Response;
use coterie_model::Snowflake;
use coterie_voice::TrackKind;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type P1 = ApiPath<Snowflake>;
type P2 = ApiPath<(Snowflake, Snowflake)>;

/// `GET /voice/regions`: the one region, this server.
pub async fn regions(_a: Auth) -> Json<Value> {
    Json(json!([{
        "id": "coterie", "name": "This server", "optimal": true, "deprecated": false, "custom": true,
    }]))
}

async fn state_of(app: &AppState, viewer: i64, guild: i64, user: i64) -> Result<Value, ApiError> {
    GuildCtx::load(app, guild, viewer).await?;
    let s = app
        .voice
        .get(guild, user)
        .ok_or(ApiError::Unknown(crate::error::Unknown::VoiceState))?;
    Ok(s.to_json(None, true))
}

/// `GET /guilds/{id}/voice-states/@me`.
pub async fn my_state(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state_of(&app, a.id(), g.get(), a.id()).await?))
}

/// `GET /guilds/{id}/voice-states/{user}`.
pub async fn user_state(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state_of(&app, a.id(), g.get(), u.get()).await?))
}

/// `PATCH /guilds/{id}/voice-states/@me` (stage: audience, speaker, request to speak).
pub async fn patch_my_state(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(g): P1,
    ApiJson(b): ApiJson<StagePatch>,
) -> Result<Response, ApiError> {
    voice::patch_stage(&app, a.id(), g.get(), a.id(), b).await?;
    Ok(super::no_content())
}

/// `PATCH /guilds/{id}/voice-states/{user}` (stage moderators: invite to speak, move to audience).
pub async fn patch_user_state(
    State(app): State<AppState>,
    a: Auth,
    ApiPath((g, u)): P2,
    ApiJson(b): ApiJson<StagePatch>,
) -> Result<Response, ApiError> {
    voice::patch_stage(&app, a.id(), g.get(), u.get(), b).await?;
    Ok(super::no_content())
}

/// Heartbeat interval of the signalling socket.
const HEARTBEAT_MS: u64 = 13_750;
/// Client frames allowed per minute (offers, answers, candidates, heartbeats).
const FRAMES_PER_MINUTE: u32 = 240;

/// `GET /voice` with an upgrade.
pub async fn signal(State(app): State<AppState>, req: Request) -> Response {
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    let (parts, _body) = req.into_parts();
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024));
    crate::routes::gateway::accept_websocket(parts, config, move |ws| serve(app, ws))
}

#[derive(Deserialize)]
struct Frame {
    op: u8,
    #[serde(default)]
    d: Value,
}

#[derive(Deserialize)]
struct Identify {
    server_id: Snowflake,
    user_id: Snowflake,
    session_id: String,
    token: String,
}

#[derive(Deserialize)]
struct Sdp {
    sdp: String,
    #[serde(default)]
    tracks: HashMap<String, String>,
}

type Ws = crate::routes::gateway::Socket;

async fn send(ws: &mut Ws, op: u8, d: Value) -> bool {
    ws.send(Message::text(json!({"op": op, "d": d}).to_string()))
        .await
        .is_ok()
}

async fn close(ws: &mut Ws, code: u16, reason: &'static str) {
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        })))
        .await;
    let _ = ws.close(None).await;
}

/// Counts client frames per minute.
struct Budget {
    window: Instant,
    used: u32,
}

impl Budget {
    fn take(&mut self) -> bool {
        if self.window.elapsed() >= Duration::from_secs(60) {
            self.window = Instant::now();
            self.used = 0;
        }
        self.used += 1;
        self.used <= FRAMES_PER_MINUTE
    }
}

async fn next_frame(ws: &mut Ws, budget: &mut Budget) -> Result<Frame, (u16, &'static str)> {
    loop {
        let text = match ws.next().await {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Binary(_))) => return Err((4002, "Binary frames are not supported")),
            Some(Ok(Message::Close(_)) | Err(_)) | None => return Err((0, "")),
        };
        if !budget.take() {
            return Err((4008, "Rate limited"));
        }
        return serde_json::from_str(&text).map_err(|_| (4002, "Decode error"));
    }
}

async fn serve(app: AppState, mut ws: Ws) {
    let Some(media) = app.voice.media.clone() else {
        return close(&mut ws, 4015, "Voice server unavailable").await;
    };
    if !send(&mut ws, 8, json!({"heartbeat_interval": HEARTBEAT_MS})).await {
        return;
    }
    let mut budget = Budget {
        window: Instant::now(),
        used: 0,
    };
    let grace = Duration::from_millis(HEARTBEAT_MS * 3 / 2);
    // Identify first.
    let id = tokio::select! {
        f = next_frame(&mut ws, &mut budget) => match f {
            Ok(Frame { op: 0, d }) => match serde_json::from_value::<Identify>(d) {
                Ok(i) => i,
                Err(_) => return close(&mut ws, 4002, "Invalid IDENTIFY payload").await,
            },
            Ok(_) => return close(&mut ws, 4003, "Not authenticated").await,
            Err((0, _)) => return,
            Err((code, why)) => return close(&mut ws, code, why).await,
        },
        () = tokio::time::sleep(grace) => return close(&mut ws, 4009, "Session timeout").await,
    };
    let (guild, user) = (id.server_id.get(), id.user_id.get());
    let Some(state) = app
        .voice
        .redeem(app.now(), &id.token, guild, user, &id.session_id)
    else {
        return close(&mut ws, 4004, "Authentication failed").await;
    };
    let Ok(ctx) = ChannelCtx::load(&app, state.channel_id, user).await else {
        return close(&mut ws, 4006, "Session no longer valid").await;
    };
    let peer = app.voice.attach(guild, user, ctx.perms);
    let (tx, mut signals) = mpsc::channel(SIGNAL_QUEUE);
    let joined = media
        .send_wait(Cmd::Join {
            peer,
            user: u64::try_from(user).unwrap_or(0),
            room: u64::try_from(state.channel_id).unwrap_or(0),
            rights: state.rights(ctx.perms),
            signals: tx,
        })
        .await;
    if !joined {
        app.voice.detach(guild, user, peer);
        return close(&mut ws, 4015, "Voice server unavailable").await;
    }
    let ready = json!({
        "user_id": user.to_string(), "guild_id": guild.to_string(),
        "channel_id": state.channel_id.to_string(), "ip": media.advertised.ip().to_string(),
        "port": media.advertised.port(), "modes": ["webrtc"],
    });
    if send(&mut ws, 2, ready).await {
        let (code, why) = Box::pin(session(&media, &mut ws, peer, &mut signals, &mut budget)).await;
        if code != 0 {
            close(&mut ws, code, why).await;
        }
    }
    // Still the member's connection when it ended: they dropped (closed the page, lost the
    // network, ICE failed), so they leave voice now. A move or kick replaced it first.
    let dropped = app.voice.is_current(guild, user, peer);
    app.voice.detach(guild, user, peer);
    if dropped {
        voice::disconnect(&app, guild, user).await;
    }
}

/// The identified connection: relays signalling both ways until either side ends it.
async fn session(
    media: &voice::media::Media,
    ws: &mut Ws,
    peer: coterie_voice::PeerId,
    signals: &mut mpsc::Receiver<Signal>,
    budget: &mut Budget,
) -> (u16, &'static str) {
    let grace = Duration::from_millis(HEARTBEAT_MS * 3 / 2);
    let mut deadline = Instant::now() + grace;
    loop {
        tokio::select! {
            sig = signals.recv() => {
                let (op, d) = match sig {
                    Some(Signal::Offer { sdp, tracks }) => (20, json!({
                        "sdp": sdp,
                        "tracks": tracks.iter().map(|t| json!({
                            "mid": t.mid, "user_id": t.user.to_string(), "kind": t.kind.as_str(),
                        })).collect::<Vec<_>>(),
                    })),
                    Some(Signal::Speaking { user, speaking }) => (5, json!({"user_id": user.to_string(), "speaking": speaking})),
                    Some(Signal::Connected) => (23, json!({})),
                    // The member left, was moved, kicked, or their connection failed.
                    None => return (4014, "Disconnected"),
                };
                if !send(ws, op, d).await {
                    return (0, "");
                }
            }
            f = next_frame(ws, budget) => {
                let f = match f {
                    Ok(f) => f,
                    Err(e) => return e,
                };
                match f.op {
                    0 => return (4005, "Already authenticated"),
                    3 => {
                        deadline = Instant::now() + grace;
                        let t = f.d.get("t").cloned().unwrap_or(f.d);
                        if !send(ws, 6, json!({"t": t})).await {
                            return (0, "");
                        }
                    }
                    20 => {
                        let Ok(o) = serde_json::from_value::<Sdp>(f.d) else {
                            return (4002, "Invalid OFFER payload");
                        };
                        let labels = o
                            .tracks
                            .iter()
                            .filter_map(|(mid, k)| Some((mid.clone(), TrackKind::parse(k)?)))
                            .collect();
                        let (reply, answer) = oneshot::channel();
                        if !media.send_wait(Cmd::Offer { peer, sdp: o.sdp, labels, reply }).await {
                            return (4015, "Voice server unavailable");
                        }
                        match answer.await {
                            Ok(Ok(sdp)) => {
                                if !send(ws, 21, json!({"sdp": sdp, "type": "answer"})).await {
                                    return (0, "");
                                }
                            }
                            // An unusable offer is refused; the connection stays as it was.
                            Ok(Err(e)) => {
                                if !send(ws, 21, json!({"error": e})).await {
                                    return (0, "");
                                }
                            }
                            Err(_) => return (4014, "Disconnected"),
                        }
                    }
                    21 => {
                        let Ok(a) = serde_json::from_value::<Sdp>(f.d) else {
                            return (4002, "Invalid ANSWER payload");
                        };
                        let (reply, done) = oneshot::channel();
                        if !media.send_wait(Cmd::Answer { peer, sdp: a.sdp, reply }).await {
                            return (4015, "Voice server unavailable");
                        }
                        // A stale answer (crossed offers) is ignored: the server offers again.
                        let _ = done.await;
                    }
                    22 => {
                        if let Some(line) = f.d.get("candidate").and_then(Value::as_str).filter(|l| !l.is_empty()) {
                            media.send(Cmd::Candidate { peer, line: line.to_owned() });
                        }
                    }
                    _ => return (4001, "Unknown opcode"),
                }
            }
            () = sleep_until(deadline) => return (4009, "Session timeout"),
        }
    }
}

/// `POST /stage-instances`.
pub async fn create_stage(
    State(app): State<AppState>,
    a: Auth,
    ApiJson(b): ApiJson<voice::stage::CreateStage>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(voice::stage::create(&app, a.id(), b).await?))
}

/// `GET /stage-instances/{channel}`.
pub async fn get_stage(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(voice::stage::get(&app, a.id(), c.get()).await?))
}

/// `PATCH /stage-instances/{channel}`.
pub async fn modify_stage(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
    ApiJson(b): ApiJson<voice::stage::ModifyStage>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(voice::stage::modify(&app, a.id(), c.get(), b).await?))
}

/// `DELETE /stage-instances/{channel}`.
pub async fn delete_stage(
    State(app): State<AppState>,
    a: Auth,
    ApiPath(c): P1,
) -> Result<Response, ApiError> {
    voice::stage::delete(&app, a.id(), c.get()).await?;
    Ok(super::no_content())
}
