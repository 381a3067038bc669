//! The rules of Coterie, shared by the REST routes and the gateway: each function checks
//! permissions and input, writes through the store in one transaction, and publishes events.

pub mod apps;
pub mod audit;
pub mod auth;
pub mod automod;
pub mod channels;
pub mod commands;
pub mod dms;
pub mod emojis;
pub mod events;
pub mod forums;
pub mod guilds;
pub mod interactions;
pub mod invites;
pub mod media;
pub mod members;
pub mod messages;
pub mod moderation;
pub mod perms;
pub mod pins;
pub mod polls;
pub mod presence;
pub mod reactions;
pub mod reports;
pub mod roles;
pub mod search;
pub mod threads;
pub mod unfurl;
pub mod users;
pub mod views;
pub mod voice;
pub mod votes;
pub mod webhooks;
