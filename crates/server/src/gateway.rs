//! The real-time gateway: Discord's v10 protocol over WebSocket (JSON text frames). One
//! dispatcher per node routes bus events to sessions; each session keeps a bounded replay buffer
//! for RESUME; each connection is one task with a small read buffer.

pub mod access;
pub mod connection;
pub mod dispatcher;
pub mod handoff;
pub mod ready;
pub mod registry;
pub mod session;
