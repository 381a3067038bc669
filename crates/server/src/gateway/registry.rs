//! The node's sessions, indexed by id, user and guild. Locks are never held across `.await`.

use crate::app::AppState;
use crate::bus::StreamPos;
use crate::gateway::session::Session;
use coterie_model::Intents;
use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

#[derive(Debug, Default)]
struct Index {
    by_id: HashMap<String, Arc<Session>>,
    by_user: HashMap<i64, Vec<Arc<Session>>>,
    by_guild: HashMap<i64, Vec<Arc<Session>>>,
    /// The subset of `by_guild` that asked for GUILD_PRESENCES: presence changes, the busiest
    /// guild-wide events, visit only them instead of scanning every member's session.
    presence_by_guild: HashMap<i64, Vec<Arc<Session>>>,
}

impl Index {
    fn subscribe(&mut self, guild: i64, s: &Arc<Session>) {
        self.by_guild.entry(guild).or_default().push(s.clone());
        if s.intents.has(Intents::GUILD_PRESENCES) {
            self.presence_by_guild
                .entry(guild)
                .or_default()
                .push(s.clone());
        }
    }

    fn unsubscribe(&mut self, guild: i64, keep: impl Fn(&Arc<Session>) -> bool) {
        for map in [&mut self.by_guild, &mut self.presence_by_guild] {
            if let Some(list) = map.get_mut(&guild) {
                list.retain(&keep);
                if list.is_empty() {
                    map.remove(&guild);
                }
            }
        }
    }
}

/// Every session of this node.
#[derive(Debug, Default)]
pub struct Registry {
    index: RwLock<Index>,
    /// Stream position of the last event the dispatcher finished routing (shared bus only).
    position: std::sync::Mutex<StreamPos>,
}

impl Registry {
    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that every event up to `pos` has been routed.
    pub fn set_position(&self, pos: StreamPos) {
        *self
            .position
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = pos;
    }

    /// Stream position of the last event fully routed.
    #[must_use]
    pub fn position(&self) -> StreamPos {
        *self
            .position
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a session unless one with its id is already here; returns whether it was added.
    pub fn insert_new(&self, s: Arc<Session>, guilds: &[i64]) -> bool {
        let mut idx = self.write();
        if idx.by_id.contains_key(&s.id) {
            return false;
        }
        if let Ok(mut g) = s.guilds.lock() {
            g.extend(guilds.iter().copied());
        }
        for g in guilds {
            idx.subscribe(*g, &s);
        }
        idx.by_user.entry(s.user_id).or_default().push(s.clone());
        idx.by_id.insert(s.id.clone(), s);
        crate::metrics::GATEWAY_SESSIONS.inc();
        true
    }

    /// Adds a session receiving events of `guilds` (already filtered by shard).
    pub fn insert(&self, s: Arc<Session>, guilds: &[i64]) {
        self.insert_new(s, guilds);
    }

    /// Removes a session; returns whether the user has no other session left on this node, or
    /// `None` if it was already removed.
    pub fn remove(&self, s: &Session) -> Option<bool> {
        let guilds: Vec<i64> = s
            .guilds
            .lock()
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default();
        let mut idx = self.write();
        // The index holds one Arc per id: compare pointers, not id strings, in the long lists.
        let held = idx.by_id.remove(&s.id)?;
        crate::metrics::GATEWAY_SESSIONS.dec();
        for g in guilds {
            idx.unsubscribe(g, |x| !Arc::ptr_eq(x, &held));
        }
        let last = match idx.by_user.get_mut(&s.user_id) {
            Some(list) => {
                list.retain(|x| !Arc::ptr_eq(x, &held));
                list.is_empty()
            }
            None => true,
        };
        if last {
            idx.by_user.remove(&s.user_id);
        }
        Some(last)
    }

    /// A session by id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.read().by_id.get(id).cloned()
    }

    /// Runs `f` over the sessions subscribed to a guild.
    pub fn for_guild(&self, guild: i64, f: impl FnMut(&Arc<Session>)) {
        self.for_guild_wanting(guild, 0, f);
    }

    /// Runs `f` over the sessions subscribed to a guild that may want an event gated by
    /// `intent` (0: all of them); GUILD_PRESENCES visits only the sessions that asked for it.
    pub fn for_guild_wanting(&self, guild: i64, intent: u64, mut f: impl FnMut(&Arc<Session>)) {
        let idx = self.read();
        let map = if intent == Intents::GUILD_PRESENCES {
            &idx.presence_by_guild
        } else {
            &idx.by_guild
        };
        if let Some(list) = map.get(&guild) {
            list.iter().for_each(&mut f);
        }
    }

    /// Runs `f` over a user's sessions.
    pub fn for_user(&self, user: i64, mut f: impl FnMut(&Arc<Session>)) {
        if let Some(list) = self.read().by_user.get(&user) {
            list.iter().for_each(&mut f);
        }
    }

    /// Whether the user has any session on this node.
    #[must_use]
    pub fn has_user(&self, user: i64) -> bool {
        self.read().by_user.contains_key(&user)
    }

    /// Subscribes a user's sessions (in the right shard) to a guild.
    pub fn join_guild(&self, user: i64, guild: i64) {
        let mut idx = self.write();
        let sessions: Vec<Arc<Session>> = idx.by_user.get(&user).cloned().unwrap_or_default();
        for s in sessions {
            if !s.in_shard(Some(guild)) {
                continue;
            }
            let new = s
                .guilds
                .lock()
                .map(|mut g| g.insert(guild))
                .unwrap_or(false);
            if new {
                idx.subscribe(guild, &s);
            }
        }
    }

    /// Unsubscribes a user's sessions from a guild.
    pub fn leave_guild(&self, user: i64, guild: i64) {
        let mut idx = self.write();
        let sessions: Vec<Arc<Session>> = idx.by_user.get(&user).cloned().unwrap_or_default();
        for s in &sessions {
            if let Ok(mut g) = s.guilds.lock() {
                g.remove(&guild);
            }
        }
        idx.unsubscribe(guild, |s| s.user_id != user);
    }

    /// Unsubscribes everyone from a deleted guild.
    pub fn drop_guild(&self, guild: i64) {
        let mut idx = self.write();
        idx.presence_by_guild.remove(&guild);
        if let Some(list) = idx.by_guild.remove(&guild) {
            for s in list {
                if let Ok(mut g) = s.guilds.lock() {
                    g.remove(&guild);
                }
            }
        }
    }

    /// Every session (shutdown, reaping).
    #[must_use]
    pub fn all(&self) -> Vec<Arc<Session>> {
        self.read().by_id.values().cloned().collect()
    }
}

/// Ends every session of a user (password reset, account changes that revoke tokens).
pub fn invalidate_user_sessions(app: &AppState, user_id: i64) {
    app.sessions.for_user(user_id, |s| {
        s.kick(coterie_model::gateway::close::AUTHENTICATION_FAILED, true)
    });
}

/// Ends the sessions that identified with one token (logout revokes it).
pub fn invalidate_token_sessions(app: &AppState, user_id: i64, token_hash: &[u8]) {
    app.sessions.for_user(user_id, |s| {
        if s.token_hash == token_hash {
            s.kick(coterie_model::gateway::close::AUTHENTICATION_FAILED, true);
        }
    });
}
