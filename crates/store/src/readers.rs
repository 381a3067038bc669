//! SQLite's reader connections, lent out without sqlx's pool.
//!
//! sqlx's pool pings every connection as it comes back (from a task it spawns for the purpose), to
//! catch one a cancelled query left in a bad state. For SQLite that is one more round trip to the
//! connection's worker thread per query — a third of the thread hand-offs a read costs — and an
//! in-process database has nothing a ping could find: a cancelled read's statement is finished or
//! reset on the connection's thread before it takes its next command.

use crate::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::{Semaphore, SemaphorePermit};

/// A fixed set of read-only connections; a query borrows one and gives it back when done.
#[derive(Debug)]
pub(crate) struct Readers {
    idle: Mutex<Vec<SqliteConnection>>,
    /// One permit per idle connection.
    free: Semaphore,
}

/// A connection on loan; it goes back to the set when dropped, also when its query was cancelled.
pub(crate) struct Loan<'a> {
    readers: &'a Readers,
    conn: Option<SqliteConnection>,
    _permit: SemaphorePermit<'a>,
}

impl Readers {
    /// Opens `n` (at least one) connections.
    pub(crate) async fn open(opts: &SqliteConnectOptions, n: u32) -> Result<Self, StoreError> {
        let n = n.max(1) as usize;
        let mut idle = Vec::with_capacity(n);
        for _ in 0..n {
            idle.push(opts.connect().await?);
        }
        Ok(Self {
            idle: Mutex::new(idle),
            free: Semaphore::new(n),
        })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<SqliteConnection>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free connection.
    pub(crate) async fn lend(&self) -> Result<Loan<'_>, StoreError> {
        let permit = self
            .free
            .acquire()
            .await
            .map_err(|_| StoreError::Backend(sqlx::Error::PoolClosed))?;
        let conn = self.idle().pop();
        if conn.is_none() {
            // Permits and idle connections are kept equal; only a closed set has fewer.
            return Err(StoreError::Backend(sqlx::Error::PoolClosed));
        }
        Ok(Loan {
            readers: self,
            conn,
            _permit: permit,
        })
    }

    /// Refuses new loans and closes the idle connections.
    pub(crate) async fn close(&self) {
        self.free.close();
        let conns = std::mem::take(&mut *self.idle());
        for c in conns {
            let _ = c.close().await;
        }
    }
}

impl Loan<'_> {
    /// The borrowed connection.
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        #[expect(clippy::expect_used, reason = "set when lent, taken only by drop")]
        self.conn.as_mut().expect("a loan holds its connection")
    }
}

impl Drop for Loan<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.readers.idle().push(c);
        }
    }
}
