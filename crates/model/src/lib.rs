//! Coterie's pure types: snowflake ids, timestamps, permissions, intents, validated input and the
//! Discord-compatible JSON shapes of the REST API and the gateway. Nothing here performs I/O.

pub mod channel;
pub mod commands;
pub mod gateway;
pub mod guild;
pub mod intents;
pub mod invite;
pub mod mentions;
pub mod message;
pub mod moderation;
pub mod permissions;
pub mod ranking;
mod schema;
pub mod snowflake;
pub mod time;
pub mod user;
pub mod validate;

pub use intents::Intents;
pub use permissions::Permissions;
pub use snowflake::{Snowflake, SnowflakeGenerator};
pub use time::Timestamp;
