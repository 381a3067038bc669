//! The Coterie server: a Discord-compatible REST API and gateway over a SQLite or PostgreSQL
//! store, with an in-process event bus. `main.rs` wraps it in the `coterie` command.

pub mod app;
pub mod assets;
pub mod bus;
pub mod clock;
pub mod config;
pub mod error;
pub mod extract;
pub mod gateway;
pub mod ids;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod router;
pub mod routes;
pub mod serve;
pub mod service;
