//! Who is online on this node, and PRESENCE_UPDATE dispatches to every guild a user is in.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use coterie_model::Intents;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone)]
struct Entry {
    status: String,
    activities: Value,
    connections: u32,
}

/// Presence of users connected to this node.
#[derive(Debug, Default)]
pub struct Presences(Mutex<HashMap<i64, Entry>>);

/// Statuses a client may set.
pub const STATUSES: [&str; 5] = ["online", "dnd", "idle", "invisible", "offline"];

fn visible(status: &str) -> &str {
    match status {
        "invisible" | "offline" => "offline",
        s => s,
    }
}

impl Presences {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<i64, Entry>) -> R) -> R {
        let mut m = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut m)
    }

    /// A session connected; returns whether the visible status changed.
    pub fn connect(&self, user: i64, status: &str, activities: Value) -> bool {
        self.with(|m| match m.get_mut(&user) {
            Some(e) => {
                e.connections += 1;
                false
            }
            None => {
                m.insert(
                    user,
                    Entry {
                        status: status.to_owned(),
                        activities,
                        connections: 1,
                    },
                );
                visible(status) != "offline"
            }
        })
    }

    /// A session ended; returns whether the user went (visibly) offline.
    pub fn disconnect(&self, user: i64) -> bool {
        self.with(|m| {
            let Some(e) = m.get_mut(&user) else {
                return false;
            };
            e.connections = e.connections.saturating_sub(1);
            if e.connections > 0 {
                return false;
            }
            let was = visible(&e.status) != "offline";
            m.remove(&user);
            was
        })
    }

    /// Op 3; returns whether anything visible changed.
    pub fn update(&self, user: i64, status: &str, activities: Value) -> bool {
        self.with(|m| {
            let Some(e) = m.get_mut(&user) else {
                return false;
            };
            let changed = visible(&e.status) != visible(status) || e.activities != activities;
            e.status = status.to_owned();
            e.activities = activities;
            changed
        })
    }

    /// The visible status and activities (offline users are `None`).
    #[must_use]
    pub fn get(&self, user: i64) -> Option<(String, Value)> {
        self.with(|m| {
            m.get(&user).and_then(|e| {
                let s = visible(&e.status);
                (s != "offline").then(|| (s.to_owned(), e.activities.clone()))
            })
        })
    }
}

/// The presence object for one guild.
#[must_use]
pub fn presence_json(user: i64, guild: Option<i64>, status: &str, activities: &Value) -> Value {
    let mut v = json!({
        "user": {"id": user.to_string()},
        "status": status,
        "activities": activities,
        "client_status": if status == "offline" { json!({}) } else { json!({"web": status}) },
    });
    if let Some(g) = guild {
        v["guild_id"] = json!(g.to_string());
    }
    v
}

/// Tells every guild of the user about their current presence.
pub async fn broadcast(app: &AppState, user: i64) {
    let (status, activities) = app
        .presences
        .get(user)
        .unwrap_or_else(|| ("offline".into(), json!([])));
    let guilds = match app.store.user_guilds(user).await {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(
                user.id = user,
                error = format!("{e:#}"),
                "presence broadcast skipped"
            );
            return;
        }
    };
    for g in guilds {
        let d = presence_json(user, Some(g.id), &status, &activities);
        app.bus
            .publish(Event::new(
                "PRESENCE_UPDATE",
                &d,
                Audience::Guild(g.id),
                Intents::GUILD_PRESENCES,
            ))
            .await;
    }
}
