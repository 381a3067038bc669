//! Opening the database, starting the HTTP server with its background tasks, and shutting it
//! down gracefully: stop accepting, ask gateway sessions to RECONNECT, finish requests, close the
//! database (which checkpoints SQLite's WAL).

use crate::app::{AppState, Parts};
use crate::bus::LocalBus;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::mail::{LogMailer, Mailer};
use anyhow::Context;
use coterie_store::{DbConfig, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the database is reached, from the configuration.
#[must_use]
pub fn db_config(c: &Config) -> DbConfig {
    match &c.database_url {
        Some(url) => DbConfig::Postgres {
            url: url.clone(),
            max_connections: 32,
            schema: None,
        },
        None => DbConfig::Sqlite {
            path: c.data_dir.join("coterie.db"),
            readers: c.sqlite_readers,
        },
    }
}

/// Opens the configured database and applies pending migrations.
pub async fn open_store(c: &Config, clock: &dyn Clock) -> anyhow::Result<Store> {
    if c.database_url.is_none() {
        std::fs::create_dir_all(&c.data_dir)
            .with_context(|| format!("creating data directory {}", c.data_dir.display()))?;
    }
    let store = Store::open(&db_config(c))
        .await
        .context("opening the database")?;
    let n = store
        .migrate(clock.now_ms())
        .await
        .context("applying migrations")?;
    if n > 0 {
        tracing::info!(migrations = n, "database migrated");
    }
    Ok(store)
}

/// A running server.
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The application state (tests reach the store and clock through it).
    pub app: AppState,
    server: JoinHandle<anyhow::Result<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Graceful shutdown: RECONNECT every session, stop accepting, drain, close the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.app.shut_down();
        // Give gateway connections a moment to send op 7 and close.
        for _ in 0..50 {
            if crate::metrics::gateway_connections() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let res = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        for t in self.tasks {
            t.abort();
        }
        if self.app.config.database_url.is_some() && !self.app.config.node_id_given {
            let _ = self
                .app
                .store
                .release_worker(self.app.config.node_id, &lease_holder())
                .await;
        }
        self.app.store.close().await;
        match res {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Ok(()),
        }
    }
}

/// The parts of a production node: system clock, logging or SMTP mail, local bus.
pub async fn production_parts(config: Config) -> anyhow::Result<Parts> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = open_store(&config, clock.as_ref()).await?;
    let mailer: Arc<dyn Mailer> = match &config.smtp_url {
        Some(url) => Arc::new(crate::mail::SmtpMailer::new(
            url,
            config.mail_from.clone(),
            config.public_url.as_deref(),
        )?),
        None => Arc::new(LogMailer),
    };
    if let Some(mode) = config.registration {
        crate::service::auth::set_registration_mode(&store, mode).await?;
    }
    let mut config = config;
    if config.database_url.is_some() && !config.node_id_given {
        config.node_id = lease_node_id(&store, clock.as_ref()).await?;
    }
    let bus: Arc<dyn crate::bus::EventBus> = match &config.redis_url {
        Some(url) => {
            if config.database_url.is_none() {
                anyhow::bail!(
                    "redis_url: several nodes need a shared PostgreSQL database (--database-url)"
                );
            }
            Arc::new(
                crate::bus::RedisBus::connect(
                    url,
                    "coterie:events",
                    65_536,
                    std::time::Duration::from_secs(config.resume_window_secs),
                )
                .await
                .with_context(|| "connecting to Redis")?,
            )
        }
        None => Arc::new(LocalBus::new(65_536)),
    };
    Ok(Parts {
        config,
        store,
        bus,
        clock,
        mailer,
    })
}

/// How long a worker-id lease lasts without renewal.
const LEASE_TTL_MS: i64 = 30_000;

/// This process's name in the lease table.
fn lease_holder() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    format!("{host}:{}", std::process::id())
}

/// Leases a free snowflake worker id from PostgreSQL (several nodes share the database).
async fn lease_node_id(store: &Store, clock: &dyn Clock) -> anyhow::Result<u16> {
    let id = store
        .lease_worker(&lease_holder(), clock.now_ms(), LEASE_TTL_MS)
        .await?
        .context("all 1,024 snowflake worker ids are leased by running nodes")?;
    tracing::info!(node_id = id, "leased a snowflake worker id");
    Ok(id)
}

/// Renews the worker-id lease every 10 s. A node that loses its lease stops: minting ids another
/// node may also mint would corrupt data.
async fn renew_lease(app: AppState) {
    let holder = lease_holder();
    let id = app.config.node_id;
    let mut tick = tokio::time::interval(Duration::from_millis((LEASE_TTL_MS / 3) as u64));
    let mut stop = app.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        match app
            .store
            .renew_worker(id, &holder, app.now(), LEASE_TTL_MS)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!(
                    node_id = id,
                    "lost the snowflake worker-id lease; shutting down"
                );
                app.shut_down();
                return;
            }
            Err(e) => {
                tracing::warn!(node_id = id, error = %e, "worker-id lease not renewed; retrying")
            }
        }
    }
}

/// Binds the listener and starts serving plus the background tasks.
pub async fn start(mut parts: Parts) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(parts.config.listen)
        .await
        .with_context(|| format!("binding {}", parts.config.listen))?;
    let addr = listener.local_addr()?;
    // URLs built without a request (files in gateway events) name the port actually bound.
    parts.config.listen = addr;
    if parts.config.redis_url.is_some() {
        // Other nodes write the same database; their writes would not reach this node's cache.
        parts.store.disable_cache();
    }
    let app = AppState::new(parts)?;
    let rx = app
        .bus
        .subscribe()
        .context("the bus was already subscribed")?;
    let mut tasks = vec![
        tokio::spawn(crate::gateway::dispatcher::run(app.clone(), rx)),
        tokio::spawn(crate::gateway::connection::reap(app.clone())),
        tokio::spawn(crate::service::events::run(app.clone())),
        tokio::spawn(crate::service::votes::run(app.clone())),
        tokio::spawn(crate::service::media::run_sweeper(app.clone())),
    ];
    if app.config.redis_url.is_some() {
        tasks.push(tokio::spawn(crate::service::presence::refresh_shared(
            app.clone(),
        )));
    }
    if app.config.database_url.is_some() && !app.config.node_id_given {
        tasks.push(tokio::spawn(renew_lease(app.clone())));
    }
    let router = crate::router::build(app.clone());
    let mut stop = app.shutdown.subscribe();
    let server = tokio::spawn(async move {
        // Gateway frames and responses go out as soon as they are written: without TCP_NODELAY a
        // small frame written while an earlier one is unacknowledged waits for the ACK (Nagle).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|v| *v).await;
        })
        .await
        .context("serving HTTP")
    });
    Ok(Running {
        addr,
        app,
        server,
        tasks,
    })
}
