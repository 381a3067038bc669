//! Application state shared by every handler, the gateway and background tasks.

use crate::bus::EventBus;
use crate::clock::Clock;
use crate::config::Config;
use crate::gateway::registry::Registry;
use crate::ids::Ids;
use crate::mail::Mailer;
use crate::ratelimit::Limiter;
use crate::service::presence::Presences;
use coterie_store::Store;
use std::ops::Deref;
use std::sync::Arc;
use tokio::sync::{Semaphore, watch};

/// Cheaply clonable handle to the application.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// What the application is made of.
#[derive(Debug)]
pub struct Inner {
    /// Settings.
    pub config: Config,
    /// Database.
    pub store: Store,
    /// Event bus.
    pub bus: Arc<dyn EventBus>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Id generator.
    pub ids: Ids,
    /// Email.
    pub mailer: Arc<dyn Mailer>,
    /// Gateway sessions of this node.
    pub sessions: Arc<Registry>,
    /// Who is online.
    pub presences: Presences,
    /// Voice states and the media task.
    pub voice: crate::service::voice::Voice,
    /// HTTP rate limits and slowmode.
    pub limiter: Limiter,
    /// Bounds concurrent password hashing (CPU and memory heavy).
    pub hash_permits: Semaphore,
    /// Bounds concurrent gateway IDENTIFY work (reconnect storms).
    pub identify_permits: Semaphore,
    /// Interactions waiting for their bot's first answer.
    pub interactions: crate::service::interactions::Waiters,
    /// VOTE_UPDATEs waiting for their one-second window.
    pub votes: crate::service::votes::Coalescer,
    /// SQLite's vote group-commit queue.
    pub vote_writer: crate::service::votes::Writer,
    /// SQLite's message group-commit queue.
    pub message_writer: crate::service::messages::writer::Writer,
    /// AutoMod's compiled rules and spam memories.
    pub automod: crate::service::automod::State,
    /// Uploaded files and images.
    pub media: crate::service::media::Media,
    /// The link-preview fetcher (None when previews are off).
    pub unfurler: Option<crate::service::unfurl::Unfurler>,
    /// Flips to true when the node begins shutting down ([`AppState::shut_down`]).
    pub shutdown: watch::Sender<bool>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The parts an [`AppState`] is assembled from (tests substitute the clock, mailer and bus).
pub struct Parts {
    /// Settings.
    pub config: Config,
    /// Database (migrated).
    pub store: Store,
    /// Event bus.
    pub bus: Arc<dyn EventBus>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Email.
    pub mailer: Arc<dyn Mailer>,
}

fn unfurler(c: &crate::config::Config) -> Option<crate::service::unfurl::Unfurler> {
    if !c.unfurl {
        return None;
    }
    let allow = crate::service::unfurl::AllowList::parse(&c.unfurl_allow).unwrap_or_default();
    match crate::service::unfurl::Unfurler::new(allow) {
        Ok(u) => Some(u),
        Err(e) => {
            tracing::error!(error = %e, "link previews are off: the HTTP client could not be built");
            None
        }
    }
}

impl AppState {
    /// Begins a graceful shutdown: the listener and background tasks stop, and every gateway
    /// session is woken to ask its client to reconnect (RECONNECT, then close).
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
        for s in self.sessions.all() {
            s.notify.notify_one();
        }
    }

    /// Assembles the state; fails when the configured object storage cannot be opened.
    pub fn new(p: Parts) -> anyhow::Result<Self> {
        let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let ids = Ids::new(p.config.node_id, p.clock.clone());
        let limiter = Limiter::new(&p.config, p.clock.clone());
        let media = crate::service::media::Media::new(&p.config)?;
        Ok(Self(Arc::new(Inner {
            media,
            sessions: Arc::new(Registry::default()),
            presences: Presences::new(&p.config),
            voice: crate::service::voice::Voice::new(&p.config),
            limiter,
            hash_permits: Semaphore::new(workers),
            identify_permits: Semaphore::new(workers * 4),
            shutdown: watch::channel(false).0,
            interactions: crate::service::interactions::Waiters::default(),
            votes: crate::service::votes::Coalescer::default(),
            vote_writer: crate::service::votes::Writer::default(),
            message_writer: crate::service::messages::writer::Writer::default(),
            automod: crate::service::automod::State::default(),
            unfurler: unfurler(&p.config),
            ids,
            config: p.config,
            store: p.store,
            bus: p.bus,
            clock: p.clock,
            mailer: p.mailer,
        })))
    }

    /// Now, in unix ms.
    #[must_use]
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The public base URL: configured, or derived from the request's Host header.
    #[must_use]
    pub fn base_url(&self, host: Option<&str>) -> String {
        if let Some(u) = &self.config.public_url {
            return u.clone();
        }
        match host.filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b))
        }) {
            Some(h) => format!("http://{h}"),
            None if self.config.listen.ip().is_unspecified() => {
                format!("http://127.0.0.1:{}", self.config.listen.port())
            }
            None => format!("http://{}", self.config.listen),
        }
    }
}
