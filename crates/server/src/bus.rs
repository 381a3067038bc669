//! The event bus: services publish committed changes as [`Event`]s; each node holds exactly one
//! subscription and its gateway dispatcher routes events to that node's sessions. An event's
//! payload is serialised once, here, and shared by every recipient.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::mpsc;

pub mod redis_bus;

pub use redis_bus::RedisBus;

/// Who may receive an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// Every member of the guild.
    Guild(i64),
    /// Members of the guild who can view the channel.
    Channel {
        /// Guild.
        guild: i64,
        /// Channel.
        channel: i64,
    },
    /// Members who hold `perm` in the channel.
    ChannelPerm {
        /// Guild.
        guild: i64,
        /// Channel.
        channel: i64,
        /// Required permission bits.
        perm: u64,
    },
    /// Members who hold `perm` guild-wide.
    GuildPerm {
        /// Guild.
        guild: i64,
        /// Required permission bits.
        perm: u64,
    },
    /// Members who can view a thread: they can view its parent and, for a private thread
    /// (`members` given), are a member or hold MANAGE_THREADS there.
    Thread {
        /// Guild.
        guild: i64,
        /// The thread's parent channel.
        parent: i64,
        /// A private thread's members.
        members: Option<Vec<i64>>,
    },
    /// Specific users (DMs, their own account, their own guild list).
    Users(Vec<i64>),
}

/// A change to the dispatcher's routing state, applied when the event is processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Nothing.
    None,
    /// The guild's roles, channels, overwrites or member roles changed: reload its access snapshot
    /// before routing this event.
    InvalidateGuild(i64),
    /// `user` joined `guild`: their sessions start receiving its events (after this one).
    JoinGuild {
        /// Guild.
        guild: i64,
        /// User.
        user: i64,
    },
    /// `user` left `guild`: their sessions stop receiving its events (after this one).
    LeaveGuild {
        /// Guild.
        guild: i64,
        /// User.
        user: i64,
    },
    /// The guild is gone (after this event).
    DropGuild(i64),
    /// A gateway session was resumed on `node`; any other node holding it lets it go.
    SessionMoved {
        /// Session id.
        session: String,
        /// The node that holds it now.
        node: u16,
    },
}

/// One dispatch, ready to send.
#[derive(Debug)]
pub struct Event {
    /// Dispatch name (`MESSAGE_CREATE`).
    pub name: &'static str,
    /// Serialised `d`.
    pub payload: Box<str>,
    /// Serialised `d` without message content, for sessions lacking MESSAGE_CONTENT.
    pub stripped: Option<Box<str>>,
    /// Users who get full content anyway (author, mentioned users).
    pub content_exempt: Vec<i64>,
    /// Who may receive it.
    pub audience: Audience,
    /// Intent bit(s) a session needs (0 = always sent).
    pub intent: u64,
    /// Routing change.
    pub effect: Effect,
    /// The guild, for sharding (`None` = DMs and user events, shard 0).
    pub guild_id: Option<i64>,
    /// The member an event is about: they receive GUILD_MEMBER_UPDATE about themselves even
    /// without the GUILD_MEMBERS intent.
    pub subject: Option<i64>,
    /// Position in the shared event stream (`--redis-url`), set as the event is read from it;
    /// `None` for events that never went through it (a single node, session-local frames).
    pub pos: Option<StreamPos>,
}

/// A Redis stream entry id (`<ms>-<seq>`) as one ordered number.
pub type StreamPos = u128;

/// Parses `<ms>-<seq>`.
#[must_use]
pub fn parse_pos(s: &str) -> Option<StreamPos> {
    let (ms, seq) = s.split_once('-')?;
    Some((u128::from(ms.parse::<u64>().ok()?) << 64) | u128::from(seq.parse::<u64>().ok()?))
}

/// Formats a position as `<ms>-<seq>`.
#[must_use]
pub fn format_pos(p: StreamPos) -> String {
    format!("{}-{}", p >> 64, p & u128::from(u64::MAX))
}

impl Event {
    /// An event whose payload is `d`.
    pub fn new(
        name: &'static str,
        d: &impl serde::Serialize,
        audience: Audience,
        intent: u64,
    ) -> Self {
        let guild_id = match &audience {
            Audience::Guild(g) | Audience::GuildPerm { guild: g, .. } => Some(*g),
            Audience::Channel { guild, .. }
            | Audience::ChannelPerm { guild, .. }
            | Audience::Thread { guild, .. } => Some(*guild),
            Audience::Users(_) => None,
        };
        Self {
            name,
            payload: serde_json::to_string(d)
                .unwrap_or_else(|_| "{}".to_owned())
                .into_boxed_str(),
            stripped: None,
            content_exempt: vec![],
            audience,
            intent,
            effect: Effect::None,
            guild_id,
            subject: None,
            pos: None,
        }
    }

    /// Sets the routing effect.
    #[must_use]
    pub fn with_effect(mut self, effect: Effect) -> Self {
        self.effect = effect;
        self
    }

    /// Names the member the event is about.
    #[must_use]
    pub fn about(mut self, user: i64) -> Self {
        self.subject = Some(user);
        self
    }

    /// Adds a content-stripped payload for sessions without MESSAGE_CONTENT; `exempt` users
    /// (author, mentioned) still get the full one.
    #[must_use]
    pub fn with_stripped(mut self, d: &impl serde::Serialize, exempt: Vec<i64>) -> Self {
        self.stripped = serde_json::to_string(d).ok().map(String::into_boxed_str);
        self.content_exempt = exempt;
        self
    }

    /// Overrides the guild used for sharding.
    #[must_use]
    pub fn in_guild(mut self, guild: Option<i64>) -> Self {
        self.guild_id = guild;
        self
    }
}

/// Publishing and the node's single subscription.
#[async_trait]
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Publishes an event (after the change it describes is committed). Waits when the node's
    /// queue is full rather than dropping.
    async fn publish(&self, event: Event);
    /// Takes this node's subscription; only the dispatcher calls it, once.
    fn subscribe(&self) -> Option<mpsc::Receiver<Arc<Event>>>;

    /// Whether events are shared with other nodes, which lets a gateway session resume on a
    /// node other than the one that held it (see `gateway::handoff`).
    fn shared(&self) -> bool {
        false
    }

    /// Every event after `after`, oldest first, or `None` when some of them are no longer kept
    /// (or the bus keeps no history).
    async fn events_after(&self, _after: StreamPos) -> anyhow::Result<Option<Vec<Event>>> {
        Ok(None)
    }

    /// Stores a session's resume checkpoint for `ttl_secs` (`None` deletes it).
    async fn put_checkpoint(
        &self,
        _session: &str,
        _value: Option<Vec<u8>>,
        _ttl_secs: u64,
    ) -> anyhow::Result<()> {
        Ok(())
    }

    /// A session's resume checkpoint, if one is kept.
    async fn get_checkpoint(&self, _session: &str) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(None)
    }
}

/// The in-process bus of a single node.
#[derive(Debug)]
pub struct LocalBus {
    tx: mpsc::Sender<Arc<Event>>,
    rx: std::sync::Mutex<Option<mpsc::Receiver<Arc<Event>>>>,
}

impl LocalBus {
    /// A bus holding up to `capacity` undelivered events.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let (tx, rx) = mpsc::channel(capacity);
        Self {
            tx,
            rx: std::sync::Mutex::new(Some(rx)),
        }
    }
}

#[async_trait]
impl EventBus for LocalBus {
    async fn publish(&self, event: Event) {
        crate::metrics::EVENTS_PUBLISHED.inc();
        // Fails only when the dispatcher has stopped (shutdown); nothing is left to deliver to.
        let _ = self.tx.send(Arc::new(event)).await;
    }

    fn subscribe(&self) -> Option<mpsc::Receiver<Arc<Event>>> {
        self.rx.lock().ok().and_then(|mut r| r.take())
    }
}
