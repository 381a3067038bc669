//! Worker-id leases: each node sharing a database holds one snowflake worker id (0–1023) while it
//! keeps renewing the lease.

use crate::db::args;
use crate::{Result, Store};
use sqlx::FromRow;

#[derive(FromRow)]
struct Lease {
    worker_id: i64,
    expires_at: i64,
}

/// Worker ids a snowflake can hold.
const WORKERS: i64 = 1024;

impl Store {
    /// Takes the lowest worker id that is free or whose lease expired, for `holder` until
    /// `now + ttl_ms`. None when all 1,024 are held.
    pub async fn lease_worker(&self, holder: &str, now: i64, ttl_ms: i64) -> Result<Option<u16>> {
        for _ in 0..8 {
            let held: Vec<Lease> = self
                .db
                .all(
                    "select worker_id, expires_at from node_leases order by worker_id",
                    vec![],
                )
                .await?;
            let candidate = (0..WORKERS).find(|id| {
                held.iter()
                    .find(|l| l.worker_id == *id)
                    .is_none_or(|l| l.expires_at < now)
            });
            let Some(id) = candidate else {
                return Ok(None);
            };
            // Free, or expired: the update only wins while the lease is still expired, so two
            // nodes racing for the same id cannot both get it.
            let won = self
                .db
                .exec(
                    "insert into node_leases (worker_id, holder, expires_at) values ($1, $2, $3) \
                     on conflict (worker_id) do update set holder = excluded.holder, expires_at = excluded.expires_at \
                     where node_leases.expires_at < $4",
                    args![id, holder, now + ttl_ms, now],
                )
                .await?
                > 0;
            if won {
                return Ok(u16::try_from(id).ok());
            }
        }
        Ok(None)
    }

    /// Extends `holder`'s lease; false when it no longer holds it.
    pub async fn renew_worker(&self, id: u16, holder: &str, now: i64, ttl_ms: i64) -> Result<bool> {
        Ok(self
            .db
            .exec(
                "update node_leases set expires_at = $1 where worker_id = $2 and holder = $3 and expires_at >= $4",
                args![now + ttl_ms, i64::from(id), holder, now],
            )
            .await?
            > 0)
    }

    /// Gives the id back (graceful shutdown).
    pub async fn release_worker(&self, id: u16, holder: &str) -> Result<()> {
        self.db
            .exec(
                "delete from node_leases where worker_id = $1 and holder = $2",
                args![i64::from(id), holder],
            )
            .await?;
        Ok(())
    }
}
