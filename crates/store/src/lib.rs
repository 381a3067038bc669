//! Coterie's storage. [`Store`] is one implementation over two engines — SQLite (the embedded
//! default: a single writer connection plus a set of readers, WAL) and PostgreSQL — with
//! per-engine migrations and shared SQL. Each mutation that touches several rows runs in one
//! transaction. Tests use SQLite in a temporary file, configured as in production.

mod apps;
mod cache;
mod comments;
mod db;
mod dms;
mod error;
mod events;
mod guilds;
mod interactions;
mod invites;
mod media;
mod members;
mod messages;
mod migrate;
mod moderation;
mod nodes;
mod polls;
mod reactions;
mod read_states;
mod readers;
mod rows;
mod search;
mod threads;
mod users;
mod votes;
mod webhooks;

pub use apps::NewCommand;
pub use comments::{CommentRow, CommentSort, MAX_DEPTH};
pub use db::{DbConfig, Engine};
pub use error::StoreError;
pub use events::EventWithCount;
pub use guilds::{ChannelPatch, GuildPatch, Membership, NewGuild, UserReach};
pub use invites::InviteUse;
pub use media::{AttachmentRow, EmojiRow};
pub use members::MemberPatch;
pub use messages::{MessagePage, MessagePatch, NewMessage, min_id_at};
pub use moderation::{AuditQuery, AuditRow, AutoModRow, NewReport, ReportRow};
pub use polls::{PollCountRow, PollRow};
pub use rows::*;
pub use search::SearchQuery;
pub use threads::{
    NewThread, PostQuery, PostSort, ThreadMemberRow, ThreadPatch, ThreadRow, ThreadWithChannel,
};
pub use users::{NewUser, UserPatch};
pub use votes::{VoteOutcome, VoteRequest, VoteTarget};

use db::Db;

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    cache: std::sync::Arc<cache::Cache>,
}

impl Store {
    /// Opens (and creates, for SQLite) the database. Does not migrate.
    pub async fn open(cfg: &DbConfig) -> Result<Self> {
        Ok(Self {
            db: Db::open(cfg).await?,
            cache: std::sync::Arc::new(cache::Cache::new()),
        })
    }

    /// Stops caching guild, channel and overwrite rows in this process. A node whose database
    /// other nodes also write must call this: their writes would not reach this cache.
    pub fn disable_cache(&self) {
        self.cache.disable();
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self, now_ms: i64) -> Result<usize> {
        migrate::run(&self.db, now_ms).await
    }

    /// Which engine this store runs on.
    #[must_use]
    pub fn engine(&self) -> Engine {
        self.db.engine()
    }

    /// Closes every connection (flushes SQLite's WAL on the last close).
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        let _: Option<rows::Count> = self.db.opt("select cast(1 as bigint) as n", vec![]).await?;
        Ok(())
    }
}
