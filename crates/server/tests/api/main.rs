//! Black-box tests of the HTTP API and gateway: each test starts a real server on a loopback port
//! with a fresh database (SQLite by default; PostgreSQL when `COTERIE_TEST_DB=postgres` and
//! `TEST_DATABASE_URL` are set) and a clock the test moves by hand.

mod harness;

mod auth;
mod bots;
mod channels;
mod errors;
mod events;
mod forums;
mod gateway;
mod guilds;
mod invites;
mod media;
mod members;
mod messages;
mod moderation;
mod polls;
mod resume;
mod roles;
mod routes;
mod scaleout;
mod search;
mod threads;
mod unfurl;
mod voice;
