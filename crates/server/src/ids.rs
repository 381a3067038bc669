//! Minting snowflake ids for this node.

use crate::clock::Clock;
use coterie_model::{Snowflake, SnowflakeGenerator};
use std::sync::{Arc, Mutex};

/// The node's id generator.
#[derive(Debug)]
pub struct Ids {
    generator: Mutex<SnowflakeGenerator>,
    clock: Arc<dyn Clock>,
}

impl Ids {
    /// A generator for `node` (unique per node sharing a database).
    #[must_use]
    pub fn new(node: u16, clock: Arc<dyn Clock>) -> Self {
        Self {
            generator: Mutex::new(SnowflakeGenerator::new(node)),
            clock,
        }
    }

    /// The next id.
    pub fn next(&self) -> Snowflake {
        let now = u64::try_from(self.clock.now_ms()).unwrap_or(0);
        // A poisoned lock only means another thread panicked mid-`next`; the generator's state
        // is two integers and stays valid.
        let mut g = self
            .generator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.next(now)
    }

    /// The next id as stored.
    pub fn next_i64(&self) -> i64 {
        self.next().get()
    }
}
