//! Who is online, and PRESENCE_UPDATE dispatches to every guild a user is in. Each node counts its
//! own sessions; with several nodes (`--redis-url`) each also keeps its view of a user in Redis (a
//! hash per user, node → status, refreshed every minute and expiring after three), and a user's
//! presence is the most present status any node reports.

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

/// Presence of users connected to this node, and the shared view when nodes share Redis.
#[derive(Debug, Default)]
pub struct Presences(Mutex<HashMap<i64, Entry>>, Option<Shared>);

/// The Redis side of presence.
#[derive(Debug)]
struct Shared {
    url: String,
    node: u16,
    conn: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
}

/// How long a node's report about a user lives without a refresh.
const SHARED_TTL_S: i64 = 180;

fn shared_key(user: i64) -> String {
    format!("coterie:presence:{user}")
}

/// Online beats dnd beats idle.
fn rank(status: &str) -> u8 {
    match status {
        "online" => 3,
        "dnd" => 2,
        "idle" => 1,
        _ => 0,
    }
}

/// Statuses a client may set.
pub const STATUSES: [&str; 5] = ["online", "dnd", "idle", "invisible", "offline"];

fn visible(status: &str) -> &str {
    match status {
        "invisible" | "offline" => "offline",
        s => s,
    }
}

impl Presences {
    /// Local only, or shared through Redis when the configuration names it.
    #[must_use]
    pub fn new(config: &crate::config::Config) -> Self {
        Self(
            Mutex::default(),
            config.redis_url.clone().map(|url| Shared {
                url,
                node: config.node_id,
                conn: tokio::sync::OnceCell::new(),
            }),
        )
    }

    async fn conn(&self) -> Option<redis::aio::ConnectionManager> {
        let sh = self.1.as_ref()?;
        match sh
            .conn
            .get_or_try_init(|| async {
                redis::aio::ConnectionManager::new(redis::Client::open(sh.url.as_str())?).await
            })
            .await
        {
            Ok(c) => Some(c.clone()),
            Err(e) => {
                tracing::warn!(error = %e, "shared presence unavailable");
                None
            }
        }
    }

    /// Writes this node's view of `users` to Redis (online users set, others cleared).
    pub async fn share(&self, users: &[i64]) {
        let (Some(sh), Some(mut conn)) = (self.1.as_ref(), self.conn().await) else {
            return;
        };
        let mut pipe = redis::pipe();
        for u in users {
            let key = shared_key(*u);
            match self.get(*u) {
                Some((status, activities)) => {
                    let v = json!({"status": status, "activities": activities}).to_string();
                    pipe.hset(&key, sh.node, v).ignore();
                    pipe.expire(&key, SHARED_TTL_S).ignore();
                }
                None => {
                    pipe.hdel(&key, sh.node).ignore();
                }
            }
        }
        if let Err(e) = pipe.query_async::<()>(&mut conn).await {
            tracing::warn!(error = %e, "shared presence not written");
        }
    }

    /// Presence of each user as every node reports it (local sessions first).
    pub async fn lookup(&self, users: &[i64]) -> HashMap<i64, (String, Value)> {
        let mut out: HashMap<i64, (String, Value)> = users
            .iter()
            .filter_map(|u| self.get(*u).map(|p| (*u, p)))
            .collect();
        let rest: Vec<i64> = users
            .iter()
            .copied()
            .filter(|u| !out.contains_key(u))
            .collect();
        if rest.is_empty() {
            return out;
        }
        let Some(mut conn) = self.conn().await else {
            return out;
        };
        let mut pipe = redis::pipe();
        for u in &rest {
            pipe.hvals(shared_key(*u));
        }
        let reports: Vec<Vec<String>> = match pipe.query_async(&mut conn).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "shared presence not read");
                return out;
            }
        };
        for (u, views) in rest.into_iter().zip(reports) {
            let best = views
                .iter()
                .filter_map(|v| serde_json::from_str::<Value>(v).ok())
                .filter_map(|v| {
                    let s = v["status"].as_str()?.to_owned();
                    (rank(&s) > 0).then(|| (s, v["activities"].clone()))
                })
                .max_by_key(|(s, _)| rank(s));
            if let Some(p) = best {
                out.insert(u, p);
            }
        }
        out
    }

    fn local_users(&self) -> Vec<i64> {
        self.with(|m| m.keys().copied().collect())
    }

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

    /// The status the user set (invisible included) and activities, if connected here.
    #[must_use]
    pub fn own(&self, user: i64) -> Option<(String, Value)> {
        self.with(|m| {
            m.get(&user)
                .map(|e| (e.status.clone(), e.activities.clone()))
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

/// Keeps this node's reports in Redis alive (several nodes only).
pub async fn refresh_shared(app: AppState) {
    let mut stop = app.shutdown.subscribe();
    loop {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        let users = app.presences.local_users();
        for chunk in users.chunks(1000) {
            app.presences.share(chunk).await;
        }
    }
}

/// Tells every guild of the user about their current presence (across nodes).
pub async fn broadcast(app: &AppState, user: i64) {
    match app.store.user_guilds(user).await {
        Ok(g) => broadcast_to(app, user, g.iter().map(|g| g.id)).await,
        Err(e) => {
            tracing::warn!(
                user.id = user,
                error = format!("{e:#}"),
                "presence broadcast skipped"
            );
        }
    }
}

/// [`broadcast`] when the caller already holds the user's guild ids (IDENTIFY just read them).
pub async fn broadcast_to(app: &AppState, user: i64, guilds: impl Iterator<Item = i64>) {
    app.presences.share(&[user]).await;
    let (status, activities) = app
        .presences
        .lookup(&[user])
        .await
        .remove(&user)
        .unwrap_or_else(|| ("offline".into(), json!([])));
    for g in guilds {
        let d = presence_json(user, Some(g), &status, &activities);
        app.bus
            .publish(Event::new(
                "PRESENCE_UPDATE",
                &d,
                Audience::Guild(g),
                Intents::GUILD_PRESENCES,
            ))
            .await;
    }
}
