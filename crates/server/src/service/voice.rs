//! Voice states: who is in which voice or stage channel, muted, deafened, streaming. Members join
//! with gateway op 4; the session gets VOICE_SERVER_UPDATE (a one-use-per-state token and the
//! signalling endpoint) and opens `/voice`, where its WebRTC connection to the forwarding unit is
//! negotiated (see `routes::voice`). Everything that changes what a participant may do (server
//! mute and deafen, moves, kicks, bans, permission changes, stage speaker changes) lands here and
//! is pushed to the media task at once.
//!
//! States live in memory on the node that holds the member's gateway session (voice needs one
//! node per community; see docs/voice.md).

pub mod media;
pub mod stage;

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, Unknown};
use crate::gateway::session::Session;
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::views;
use coterie_model::channel::kind;
use coterie_model::{Intents, Permissions, Snowflake, Timestamp};
use coterie_voice::{PeerId, Rights};
use media::{Cmd, Media};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// One member's voice state in one community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Guild.
    pub guild_id: i64,
    /// Voice or stage channel.
    pub channel_id: i64,
    /// Member.
    pub user_id: i64,
    /// The gateway session that joined.
    pub session_id: String,
    /// The host the member reached the gateway at: their signalling endpoint is there.
    pub host: String,
    /// Server mute (the member row's `mute`).
    pub mute: bool,
    /// Server deafen.
    pub deaf: bool,
    /// Muted by themselves.
    pub self_mute: bool,
    /// Deafened by themselves.
    pub self_deaf: bool,
    /// Camera on.
    pub self_video: bool,
    /// Screen share on.
    pub self_stream: bool,
    /// Stage audience (cannot be heard).
    pub suppress: bool,
    /// Stage: when they asked to speak (unix ms).
    pub request_to_speak: Option<i64>,
}

impl State {
    /// The dispatch / REST shape (`guild_id` included when `with_guild`).
    #[must_use]
    pub fn to_json(&self, member: Option<&Value>, with_guild: bool) -> Value {
        let mut v = json!({
            "channel_id": self.channel_id.to_string(),
            "user_id": self.user_id.to_string(),
            "session_id": self.session_id,
            "deaf": self.deaf,
            "mute": self.mute,
            "self_deaf": self.self_deaf,
            "self_mute": self.self_mute,
            "self_video": self.self_video,
            "self_stream": self.self_stream,
            "suppress": self.suppress,
            "request_to_speak_timestamp": self.request_to_speak.map(Timestamp),
        });
        if with_guild {
            v["guild_id"] = json!(self.guild_id.to_string());
        }
        if let Some(m) = member {
            v["member"] = m.clone();
        }
        v
    }

    /// What the forwarding unit lets through, given the member's permissions in the channel.
    #[must_use]
    pub fn rights(&self, perms: Permissions) -> Rights {
        Rights {
            send_audio: perms.contains(Permissions::SPEAK)
                && !self.mute
                && !self.self_mute
                && !self.suppress,
            send_video: perms.contains(Permissions::STREAM) && !self.suppress,
            receive_audio: !self.deaf && !self.self_deaf,
        }
    }
}

/// Locks, carrying on after a panic elsewhere (the maps stay consistent: every update is one
/// insert or remove).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A signalling token handed out in VOICE_SERVER_UPDATE.
#[derive(Debug, Clone)]
struct Ticket {
    guild_id: i64,
    user_id: i64,
    session_id: String,
    expires_ms: i64,
}

/// How long a VOICE_SERVER_UPDATE token may wait to be used.
const TICKET_TTL_MS: i64 = 60_000;
/// Tickets kept at most (oldest dropped).
const MAX_TICKETS: usize = 100_000;

/// A live media connection of a member.
#[derive(Debug, Clone, Copy)]
struct Conn {
    peer: PeerId,
    perms: Permissions,
}

/// Voice states and media connections of this node.
#[derive(Debug)]
pub struct Voice {
    states: Mutex<HashMap<i64, HashMap<i64, State>>>,
    tickets: Mutex<HashMap<String, Ticket>>,
    conns: Mutex<HashMap<(i64, i64), Conn>>,
    stages: Mutex<HashMap<i64, stage::Stage>>,
    next_peer: AtomicU64,
    /// The media task (None when voice is off or its socket could not be bound).
    pub media: Option<Media>,
}

impl Voice {
    /// Starts the media task when the configuration enables voice (needs a Tokio runtime).
    #[must_use]
    pub fn new(config: &crate::config::Config) -> Self {
        let media = if config.voice && tokio::runtime::Handle::try_current().is_ok() {
            match Media::start(config.voice_udp, config.voice_public_ip, config.voice_tcp) {
                Ok(m) => {
                    tracing::info!(udp = %m.advertised, "voice media listening");
                    Some(m)
                }
                Err(e) => {
                    tracing::error!(error = %e, udp = %config.voice_udp, "voice media is off: the UDP port could not be bound");
                    None
                }
            }
        } else {
            None
        };
        Self {
            states: Mutex::default(),
            tickets: Mutex::default(),
            conns: Mutex::default(),
            stages: Mutex::default(),
            next_peer: AtomicU64::new(1),
            media,
        }
    }

    fn states(&self) -> MutexGuard<'_, HashMap<i64, HashMap<i64, State>>> {
        lock(&self.states)
    }

    /// Voice states of a community (GUILD_CREATE).
    #[must_use]
    pub fn guild_states(&self, guild: i64) -> Vec<State> {
        self.states()
            .get(&guild)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One member's state.
    #[must_use]
    pub fn get(&self, guild: i64, user: i64) -> Option<State> {
        self.states().get(&guild)?.get(&user).cloned()
    }

    fn put(&self, s: State) {
        self.states()
            .entry(s.guild_id)
            .or_default()
            .insert(s.user_id, s);
    }

    fn take(&self, guild: i64, user: i64) -> Option<State> {
        let mut all = self.states();
        let g = all.get_mut(&guild)?;
        let s = g.remove(&user);
        if g.is_empty() {
            all.remove(&guild);
        }
        s
    }

    fn occupants(&self, guild: i64, channel: i64) -> usize {
        self.states().get(&guild).map_or(0, |m| {
            m.values().filter(|s| s.channel_id == channel).count()
        })
    }

    fn issue_ticket(&self, now: i64, s: &State) -> String {
        let token = crate::service::auth::new_token().0;
        let mut t = lock(&self.tickets);
        t.retain(|_, v| v.expires_ms > now);
        if t.len() >= MAX_TICKETS {
            t.clear();
        }
        t.insert(
            token.clone(),
            Ticket {
                guild_id: s.guild_id,
                user_id: s.user_id,
                session_id: s.session_id.clone(),
                expires_ms: now + TICKET_TTL_MS,
            },
        );
        token
    }

    /// Redeems a signalling token: the member's current voice state when the token, guild, user
    /// and session all match it.
    #[must_use]
    pub fn redeem(
        &self,
        now: i64,
        token: &str,
        guild: i64,
        user: i64,
        session: &str,
    ) -> Option<State> {
        let t = lock(&self.tickets).remove(token)?;
        if t.expires_ms <= now
            || t.guild_id != guild
            || t.user_id != user
            || t.session_id != session
        {
            return None;
        }
        self.get(guild, user).filter(|s| s.session_id == session)
    }

    /// Registers a member's media connection (replacing and closing an older one).
    pub fn attach(&self, guild: i64, user: i64, perms: Permissions) -> PeerId {
        let peer = PeerId(self.next_peer.fetch_add(1, Ordering::Relaxed));
        let old = lock(&self.conns).insert((guild, user), Conn { peer, perms });
        if let (Some(old), Some(m)) = (old, &self.media) {
            m.send(Cmd::Leave { peer: old.peer });
        }
        peer
    }

    /// Forgets a media connection if it is still the member's current one.
    pub fn detach(&self, guild: i64, user: i64, peer: PeerId) {
        let mut c = lock(&self.conns);
        if c.get(&(guild, user)).is_some_and(|c| c.peer == peer) {
            c.remove(&(guild, user));
        }
        drop(c);
        if let Some(m) = &self.media {
            m.send(Cmd::Leave { peer });
        }
    }

    /// Whether the media connection is still the member's current one.
    #[must_use]
    pub fn is_current(&self, guild: i64, user: i64, peer: PeerId) -> bool {
        lock(&self.conns)
            .get(&(guild, user))
            .is_some_and(|c| c.peer == peer)
    }

    fn stages(&self) -> MutexGuard<'_, HashMap<i64, stage::Stage>> {
        lock(&self.stages)
    }

    /// Opens a stage unless one is open on its channel.
    pub fn open_stage(&self, s: stage::Stage) -> bool {
        let mut all = self.stages();
        if all.contains_key(&s.channel_id) {
            return false;
        }
        all.insert(s.channel_id, s);
        true
    }

    /// The live stage of a channel.
    #[must_use]
    pub fn stage(&self, channel: i64) -> Option<stage::Stage> {
        self.stages().get(&channel).cloned()
    }

    /// Stores a changed stage.
    pub fn replace_stage(&self, s: stage::Stage) {
        self.stages().insert(s.channel_id, s);
    }

    /// Ends a stage.
    pub fn close_stage(&self, channel: i64) -> Option<stage::Stage> {
        self.stages().remove(&channel)
    }

    /// Live stages of a community (GUILD_CREATE).
    #[must_use]
    pub fn guild_stages(&self, guild: i64) -> Vec<stage::Stage> {
        self.stages()
            .values()
            .filter(|s| s.guild_id == guild)
            .cloned()
            .collect()
    }

    /// Pushes a member's current rights to their media connection (new permissions if given).
    fn refresh(&self, guild: i64, user: i64, perms: Option<Permissions>) {
        let Some(state) = self.get(guild, user) else {
            return;
        };
        let mut conns = lock(&self.conns);
        let Some(c) = conns.get_mut(&(guild, user)) else {
            return;
        };
        if let Some(p) = perms {
            c.perms = p;
        }
        let (peer, rights) = (c.peer, state.rights(c.perms));
        drop(conns);
        if let Some(m) = &self.media {
            m.send(Cmd::Rights { peer, rights });
        }
    }

    /// Closes a member's media connection.
    fn hang_up(&self, guild: i64, user: i64) {
        let old = lock(&self.conns).remove(&(guild, user));
        if let (Some(c), Some(m)) = (old, &self.media) {
            m.send(Cmd::Leave { peer: c.peer });
        }
    }
}

/// Publishes a member's voice state (`None` channel = they left).
async fn publish(app: &AppState, s: &State, left: bool) {
    let member = match app.store.member(s.guild_id, s.user_id).await {
        Ok(Some(m)) => {
            let u = app.store.user(s.user_id).await.ok().flatten();
            serde_json::to_value(views::member(&m, u.as_ref())).ok()
        }
        _ => None,
    };
    let mut d = s.to_json(member.as_ref(), true);
    if left {
        d["channel_id"] = Value::Null;
    }
    app.bus
        .publish(
            Event::new(
                "VOICE_STATE_UPDATE",
                &d,
                Audience::Guild(s.guild_id),
                Intents::GUILD_VOICE_STATES,
            )
            .in_guild(Some(s.guild_id))
            .about(s.user_id),
        )
        .await;
}

/// The op 4 payload.
#[derive(Debug, Deserialize)]
struct Update {
    guild_id: Snowflake,
    channel_id: Option<Snowflake>,
    #[serde(default)]
    self_mute: bool,
    #[serde(default)]
    self_deaf: bool,
    #[serde(default)]
    self_video: Option<bool>,
    #[serde(default)]
    self_stream: Option<bool>,
}

/// Why a join was not made (the gateway has no error frame for op 4: nothing is dispatched).
fn deny(why: &str, guild: i64, user: i64) {
    tracing::debug!(guild.id = guild, user.id = user, why, "voice join refused");
}

/// Gateway op 4: join, move, leave, or change self mute / deafen / video. `Err` only for a
/// payload that is not an op 4 payload (the connection closes with 4002). `host` is the public
/// host the client reached the gateway at (the signalling endpoint is there).
pub async fn gateway_update(
    app: &AppState,
    session: &Session,
    d: &str,
    host: &str,
) -> Result<(), ()> {
    let u: Update = serde_json::from_str(d).map_err(|_| ())?;
    let (guild, user) = (u.guild_id.get(), session.user_id);
    if !session.guilds.lock().is_ok_and(|g| g.contains(&guild)) {
        deny("not a member", guild, user);
        return Ok(());
    }
    let current = app.voice.get(guild, user);
    let Some(channel) = u.channel_id.map(Snowflake::get) else {
        if let Some(s) = current {
            leave(app, &s).await;
        }
        return Ok(());
    };
    let Ok(ctx) = ChannelCtx::load(app, channel, user).await else {
        deny("unknown or hidden channel", guild, user);
        return Ok(());
    };
    let k = u8::try_from(ctx.channel.kind).unwrap_or(0);
    if ctx.channel.guild_id != Some(guild) || !kind::is_voice(k) {
        deny("not a voice channel of this guild", guild, user);
        return Ok(());
    }
    let moving = current.as_ref().is_none_or(|s| s.channel_id != channel);
    if moving && !ctx.perms.contains(Permissions::CONNECT) {
        deny("missing CONNECT", guild, user);
        return Ok(());
    }
    let limit = ctx.channel.user_limit.unwrap_or(0);
    if moving
        && limit > 0
        && i64::try_from(app.voice.occupants(guild, channel)).unwrap_or(i64::MAX) >= limit
        && !ctx.perms.contains(Permissions::MOVE_MEMBERS)
    {
        deny("channel full", guild, user);
        return Ok(());
    }
    let member = app.store.member(guild, user).await.ok().flatten();
    let (mute, deaf) = member
        .as_ref()
        .map_or((false, false), |m| (m.member.mute, m.member.deaf));
    let stage = k == kind::GUILD_STAGE_VOICE;
    let new_session = current.as_ref().is_none_or(|s| s.session_id != session.id);
    let s = State {
        guild_id: guild,
        channel_id: channel,
        user_id: user,
        session_id: session.id.clone(),
        host: host.to_owned(),
        mute,
        deaf,
        self_mute: u.self_mute,
        self_deaf: u.self_deaf,
        self_video: u.self_video.unwrap_or(false),
        self_stream: u
            .self_stream
            .unwrap_or_else(|| current.as_ref().is_some_and(|c| c.self_stream)),
        // Stage audience until a moderator (or the member, with MUTE_MEMBERS) makes them a speaker.
        suppress: match &current {
            Some(c) if !moving => c.suppress,
            _ => stage,
        },
        request_to_speak: current
            .as_ref()
            .filter(|_| !moving)
            .and_then(|c| c.request_to_speak),
    };
    if current.as_ref() == Some(&s) {
        return Ok(());
    }
    app.voice.put(s.clone());
    if moving || new_session {
        app.voice.hang_up(guild, user);
        send_server_update(app, session, &s);
    } else {
        app.voice.refresh(guild, user, Some(ctx.perms));
    }
    publish(app, &s, false).await;
    Ok(())
}

/// VOICE_SERVER_UPDATE to the joining session: a fresh signalling token and where to use it.
fn send_server_update(app: &AppState, session: &Session, s: &State) {
    let token = app.voice.issue_ticket(app.now(), s);
    let endpoint = app
        .voice
        .media
        .as_ref()
        .map(|_| format!("{}/voice", s.host));
    let d = json!({"token": token, "guild_id": s.guild_id.to_string(), "endpoint": endpoint});
    session.push(
        std::sync::Arc::new(
            Event::new(
                "VOICE_SERVER_UPDATE",
                &d,
                Audience::Users(vec![]),
                Intents::GUILD_VOICE_STATES,
            )
            .in_guild(Some(s.guild_id)),
        ),
        false,
    );
}

/// Removes a member from voice: state gone, media closed, everyone told.
async fn leave(app: &AppState, s: &State) {
    if app.voice.take(s.guild_id, s.user_id).is_some() {
        app.voice.hang_up(s.guild_id, s.user_id);
        publish(app, s, true).await;
        stage::end_if_empty(app, s.guild_id, s.channel_id).await;
    }
}

/// Removes a member from a community's voice (kick, ban, leaving the community).
pub async fn disconnect(app: &AppState, guild: i64, user: i64) {
    if let Some(s) = app.voice.get(guild, user) {
        leave(app, &s).await;
    }
}

/// A gateway session ended: the voice states it joined end with it.
pub async fn session_ended(app: &AppState, session_id: &str) {
    let mine: Vec<State> = app
        .voice
        .states()
        .values()
        .flat_map(HashMap::values)
        .filter(|s| s.session_id == session_id)
        .cloned()
        .collect();
    for s in mine {
        leave(app, &s).await;
    }
}

/// The member row changed (server mute / deafen): their voice state follows.
pub async fn member_changed(app: &AppState, guild: i64, user: i64, mute: bool, deaf: bool) {
    let Some(mut s) = app.voice.get(guild, user) else {
        return;
    };
    if s.mute == mute && s.deaf == deaf {
        return;
    }
    s.mute = mute;
    s.deaf = deaf;
    app.voice.put(s.clone());
    app.voice.refresh(guild, user, None);
    publish(app, &s, false).await;
}

/// Roles, overwrites or membership changed in a community: members who lost CONNECT (or can no
/// longer see their channel) leave voice; everyone else's SPEAK / STREAM take effect now.
pub async fn recheck_guild(app: &AppState, guild: i64) {
    for s in app.voice.guild_states(guild) {
        match ChannelCtx::load(app, s.channel_id, s.user_id).await {
            Ok(ctx) if ctx.perms.contains(Permissions::CONNECT) => {
                app.voice.refresh(guild, s.user_id, Some(ctx.perms));
            }
            Ok(_) | Err(ApiError::MissingAccess | ApiError::Unknown(_)) => leave(app, &s).await,
            // A database hiccup is not a reason to disconnect anyone.
            Err(_) => {}
        }
    }
}

/// A voice channel was deleted: everyone in it leaves.
pub async fn channel_deleted(app: &AppState, guild: i64, channel: i64) {
    for s in app.voice.guild_states(guild) {
        if s.channel_id == channel {
            leave(app, &s).await;
        }
    }
    stage::end_if_empty(app, guild, channel).await;
}

/// `PATCH /guilds/{g}/members/{u}` with `channel_id`: MOVE_MEMBERS moves a member to another
/// voice channel (they need CONNECT there, as does the mover) or, with `null`, disconnects them.
pub async fn move_member(
    app: &AppState,
    mover: &GuildCtx,
    guild: i64,
    target: i64,
    to: Option<i64>,
) -> Result<(), ApiError> {
    mover.require(Permissions::MOVE_MEMBERS)?;
    let Some(s) = app.voice.get(guild, target) else {
        return Err(ApiError::BadRequest(
            40032,
            "Target user is not connected to voice.",
        ));
    };
    let Some(to) = to else {
        leave(app, &s).await;
        crate::service::audit::record(
            app,
            guild,
            crate::service::audit::Entry::new(
                coterie_model::moderation::action::MEMBER_DISCONNECT,
                Some(mover.member.member.user_id),
                None,
            )
            .options(json!({"count": "1"})),
        )
        .await;
        return Ok(());
    };
    let ch = app
        .store
        .channel(to)
        .await?
        .filter(|c| c.guild_id == Some(guild))
        .ok_or(ApiError::Unknown(Unknown::Channel))?;
    if !kind::is_voice(u8::try_from(ch.kind).unwrap_or(0)) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let ows = app.store.overwrites(to).await?;
    let need = Permissions::VIEW_CHANNEL | Permissions::CONNECT;
    if !mover.in_channel(&ch, &ows).contains(need) {
        return Err(ApiError::MissingPermissions);
    }
    let target_ctx = ChannelCtx::load(app, to, target).await;
    if !target_ctx.is_ok_and(|c| c.perms.contains(need)) {
        return Err(ApiError::MissingPermissions);
    }
    if s.channel_id == to {
        return Ok(());
    }
    let stage = ch.kind == i64::from(kind::GUILD_STAGE_VOICE);
    let moved = State {
        channel_id: to,
        suppress: stage,
        request_to_speak: None,
        ..s
    };
    app.voice.put(moved.clone());
    app.voice.hang_up(guild, target);
    // The member's client reconnects its media to the new channel with a new token.
    if let Some(session) = app.sessions.get(&moved.session_id) {
        send_server_update(app, &session, &moved);
    }
    publish(app, &moved, false).await;
    stage::end_if_empty(app, guild, s.channel_id).await;
    crate::service::audit::record(
        app,
        guild,
        crate::service::audit::Entry::new(
            coterie_model::moderation::action::MEMBER_MOVE,
            Some(mover.member.member.user_id),
            None,
        )
        .options(json!({"channel_id": to.to_string(), "count": "1"})),
    )
    .await;
    Ok(())
}

/// The body of `PATCH /guilds/{g}/voice-states/@me` and `/{user}` (stage channels).
#[derive(Debug, Deserialize)]
pub struct StagePatch {
    /// The stage channel the member is in (required by Discord; checked when given).
    pub channel_id: Option<Snowflake>,
    /// Audience (true) or speaker (false).
    pub suppress: Option<bool>,
    /// Ask to speak (a timestamp) or withdraw (null); only for `@me`.
    #[serde(default, with = "serde_with_double_option")]
    pub request_to_speak_timestamp: Option<Option<Timestamp>>,
}

mod serde_with_double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Stage speaker management: members move themselves to the audience, ask to speak, and (with
/// MUTE_MEMBERS) become speakers; moderators with MUTE_MEMBERS invite others up or send them
/// back to the audience.
pub async fn patch_stage(
    app: &AppState,
    actor: i64,
    guild: i64,
    target: i64,
    b: StagePatch,
) -> Result<(), ApiError> {
    let Some(mut s) = app.voice.get(guild, target) else {
        return Err(ApiError::Unknown(Unknown::VoiceState));
    };
    if b.channel_id.is_some_and(|c| c.get() != s.channel_id) {
        return Err(crate::error::field_error(
            "channel_id",
            "BASE_TYPE_CHOICES",
            "Must be the stage channel the member is in.",
        ));
    }
    let ctx = ChannelCtx::load(app, s.channel_id, actor).await?;
    if ctx.channel.kind != i64::from(kind::GUILD_STAGE_VOICE) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    let myself = actor == target;
    if !myself && !ctx.perms.contains(Permissions::MUTE_MEMBERS) {
        return Err(ApiError::MissingPermissions);
    }
    if let Some(sup) = b.suppress {
        if !sup && myself && !ctx.perms.contains(Permissions::MUTE_MEMBERS) {
            return Err(ApiError::MissingPermissions);
        }
        s.suppress = sup;
        if !sup {
            s.request_to_speak = None;
        }
    }
    if let Some(r) = b.request_to_speak_timestamp {
        if !myself {
            return Err(crate::error::field_error(
                "request_to_speak_timestamp",
                "BASE_TYPE_CHOICES",
                "Members ask to speak for themselves only.",
            ));
        }
        if r.is_some() && !ctx.perms.contains(Permissions::REQUEST_TO_SPEAK) {
            return Err(ApiError::MissingPermissions);
        }
        s.request_to_speak = r.map(|_| app.now());
    }
    let before = app.voice.get(guild, target);
    if before.as_ref() == Some(&s) {
        return Ok(());
    }
    app.voice.put(s.clone());
    app.voice.refresh(guild, target, None);
    publish(app, &s, false).await;
    Ok(())
}
