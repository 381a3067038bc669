//! A per-process cache of the rows every permission check reads: guilds, channels and channel
//! overwrites, one by one and as whole guilds' lists (READY, access snapshots), and memberships
//! (a guild's roles with one user's member row and held roles); of user rows,
//! which every message object names; of login tokens; and of the per-guild facts every READY
//! repeats (member count, custom emoji, whether it has any active thread). Only this crate writes those tables,
//! so every write drops what it touched after its transaction ends. A fill races a write safely:
//! it takes a ticket (the invalidation generation) before reading and stores its row only if no
//! invalidation happened meanwhile.
//!
//! Revoking a token, changing a password, suspending or deleting an account drop the account's
//! cached tokens at once. The admin command line writes from another process, so cached tokens
//! also expire after [`TOKEN_TTL`] (its password resets take effect within that time) and cached
//! users after [`USER_TTL`].
//!
//! A channel's `last_message_id` moves with every message; the message writer raises it in place
//! instead of dropping the row, and remembers the newest id per channel so a fill that read an
//! older row does not store it.
//!
//! Valid only while this process is the database's only writer: a node sharing its database
//! with other nodes turns the cache off ([`crate::Store::disable_cache`]).

use crate::{ChannelRow, EmojiRow, GuildRow, Membership, OverwriteRow, UserRow};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a user row is served from the cache.
pub(crate) const USER_TTL: Duration = Duration::from_secs(60);
/// How long a token's account is served from the cache.
pub(crate) const TOKEN_TTL: Duration = Duration::from_secs(10);

/// Entries per map before it is emptied (a crude bound; refills cost one query each).
const CAP: usize = 50_000;

/// The cache; shared by every clone of a store.
pub(crate) struct Cache {
    enabled: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    guilds: HashMap<i64, GuildRow>,
    channels: HashMap<i64, ChannelRow>,
    overwrites: HashMap<i64, Vec<OverwriteRow>>,
    /// A guild's channels (threads aside), by position; `last_message_id` is brought up to date
    /// from `last_message` when read.
    guild_channels: HashMap<i64, Vec<ChannelRow>>,
    /// Overwrites of every channel of a guild.
    guild_overwrites: HashMap<i64, Vec<OverwriteRow>>,
    /// (guild, user) → the guild's roles and the user's place in it (None: not a member).
    memberships: HashMap<(i64, i64), Membership>,
    /// Users, with when they were read.
    users: HashMap<i64, (UserRow, Instant)>,
    /// Token hashes and their accounts, with when they were read.
    tokens: HashMap<Vec<u8>, (UserRow, Instant)>,
    /// Newest message id stored per channel since the channel map was last emptied.
    last_message: HashMap<i64, i64>,
    /// Members per guild (dropped with any of the guild's memberships).
    member_counts: HashMap<i64, i64>,
    /// A guild's custom emoji, oldest first.
    emojis: HashMap<i64, Vec<EmojiRow>>,
    /// Guilds known to have no unarchived thread (every GUILD_CREATE asks).
    threadless: HashSet<i64>,
}

/// Permission to store a filled row; taken before the read.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(u64);

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("enabled", &self.enabled.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn put_capped<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, v: V) {
    if map.len() >= CAP {
        map.clear();
    }
    map.insert(key, v);
}

impl Cache {
    pub(crate) fn new() -> Self {
        Self {
            enabled: AtomicBool::new(true),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the maps, or None when the cache is off.
    fn read<V>(&self, f: impl FnOnce(&Inner) -> Option<V>) -> Option<V> {
        if !self.enabled.load(Ordering::Relaxed) {
            return None;
        }
        f(&self.lock())
    }

    /// Stores a fill, unless an invalidation happened since its ticket was taken.
    fn fill(&self, t: Ticket, f: impl FnOnce(&mut Inner)) {
        let mut i = self.lock();
        if i.generation == t.0 {
            f(&mut i);
        }
    }

    /// Drops entries; fills in flight are refused.
    fn invalidate(&self, f: impl FnOnce(&mut Inner)) {
        let mut i = self.lock();
        i.generation += 1;
        f(&mut i);
    }

    /// Turns the cache off for good and empties it.
    pub(crate) fn disable(&self) {
        self.enabled.store(false, Ordering::SeqCst);
        self.clear();
    }

    /// A ticket for a fill, or None when the cache is off.
    pub(crate) fn ticket(&self) -> Option<Ticket> {
        if !self.enabled.load(Ordering::Relaxed) {
            return None;
        }
        Some(Ticket(self.lock().generation))
    }

    pub(crate) fn guild(&self, id: i64) -> Option<GuildRow> {
        self.read(|i| i.guilds.get(&id).cloned())
    }

    pub(crate) fn channel(&self, id: i64) -> Option<ChannelRow> {
        self.read(|i| i.channels.get(&id).cloned())
    }

    /// The cached channels among `ids`, and the ids still to read.
    pub(crate) fn channels(&self, ids: &[i64]) -> (Vec<ChannelRow>, Vec<i64>) {
        if !self.enabled.load(Ordering::Relaxed) {
            return (vec![], ids.to_vec());
        }
        let i = self.lock();
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for id in ids {
            match i.channels.get(id) {
                Some(c) => found.push(c.clone()),
                None => missing.push(*id),
            }
        }
        (found, missing)
    }

    pub(crate) fn overwrites(&self, channel_id: i64) -> Option<Vec<OverwriteRow>> {
        self.read(|i| i.overwrites.get(&channel_id).cloned())
    }

    pub(crate) fn guild_channels(&self, guild_id: i64) -> Option<Vec<ChannelRow>> {
        self.read(|i| {
            let mut rows = i.guild_channels.get(&guild_id)?.clone();
            for c in &mut rows {
                if let Some(&newest) = i.last_message.get(&c.id) {
                    c.last_message_id = c.last_message_id.max(Some(newest));
                }
            }
            Some(rows)
        })
    }

    pub(crate) fn guild_overwrites(&self, guild_id: i64) -> Option<Vec<OverwriteRow>> {
        self.read(|i| i.guild_overwrites.get(&guild_id).cloned())
    }

    pub(crate) fn fill_guild_channels(&self, t: Ticket, guild_id: i64, rows: &[ChannelRow]) {
        self.fill(t, |i| {
            put_capped(&mut i.guild_channels, guild_id, rows.to_vec())
        });
    }

    pub(crate) fn fill_guild_overwrites(&self, t: Ticket, guild_id: i64, rows: &[OverwriteRow]) {
        self.fill(t, |i| {
            put_capped(&mut i.guild_overwrites, guild_id, rows.to_vec())
        });
    }

    /// The cached users among `ids`, and the ids still to read.
    pub(crate) fn users(&self, ids: &[i64]) -> (Vec<UserRow>, Vec<i64>) {
        if !self.enabled.load(Ordering::Relaxed) {
            return (vec![], ids.to_vec());
        }
        let i = self.lock();
        let now = Instant::now();
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for id in ids {
            match i.users.get(id) {
                Some((u, at)) if now.duration_since(*at) < USER_TTL => found.push(u.clone()),
                _ => missing.push(*id),
            }
        }
        (found, missing)
    }

    pub(crate) fn fill_users(&self, t: Ticket, rows: &[UserRow]) {
        self.fill(t, |i| {
            let now = Instant::now();
            for u in rows {
                put_capped(&mut i.users, u.id, (u.clone(), now));
            }
        });
    }

    pub(crate) fn membership(&self, guild_id: i64, user_id: i64) -> Option<Membership> {
        self.read(|i| i.memberships.get(&(guild_id, user_id)).cloned())
    }

    pub(crate) fn fill_membership(&self, t: Ticket, guild_id: i64, user_id: i64, m: &Membership) {
        self.fill(t, |i| {
            put_capped(&mut i.memberships, (guild_id, user_id), m.clone());
        });
    }

    /// A member's row or roles changed (or they joined or left).
    pub(crate) fn drop_member(&self, guild_id: i64, user_id: i64) {
        self.invalidate(|i| {
            i.memberships.remove(&(guild_id, user_id));
            i.member_counts.remove(&guild_id);
        });
    }

    /// A guild's roles changed, or many of its members did.
    pub(crate) fn drop_guild_members(&self, guild_id: i64) {
        self.invalidate(|i| {
            i.memberships.retain(|(g, _), _| *g != guild_id);
            i.member_counts.remove(&guild_id);
        });
    }

    pub(crate) fn member_count(&self, guild_id: i64) -> Option<i64> {
        self.read(|i| i.member_counts.get(&guild_id).copied())
    }

    pub(crate) fn fill_member_count(&self, t: Ticket, guild_id: i64, n: i64) {
        self.fill(t, |i| put_capped(&mut i.member_counts, guild_id, n));
    }

    pub(crate) fn emojis(&self, guild_id: i64) -> Option<Vec<EmojiRow>> {
        self.read(|i| i.emojis.get(&guild_id).cloned())
    }

    pub(crate) fn fill_emojis(&self, t: Ticket, guild_id: i64, rows: &[EmojiRow]) {
        self.fill(t, |i| put_capped(&mut i.emojis, guild_id, rows.to_vec()));
    }

    /// A guild's emoji changed (`None`: an emoji whose guild is not at hand).
    pub(crate) fn drop_emojis(&self, guild_id: Option<i64>) {
        self.invalidate(|i| match guild_id {
            Some(g) => {
                i.emojis.remove(&g);
            }
            None => i.emojis.clear(),
        });
    }

    /// Whether the guild is known to have no unarchived thread.
    pub(crate) fn threadless(&self, guild_id: i64) -> bool {
        self.read(|i| Some(i.threadless.contains(&guild_id)))
            .unwrap_or(false)
    }

    pub(crate) fn fill_threadless(&self, t: Ticket, guild_id: i64) {
        self.fill(t, |i| {
            if i.threadless.len() >= CAP {
                i.threadless.clear();
            }
            i.threadless.insert(guild_id);
        });
    }

    /// A thread may have become active: in `guild_id`, or anywhere (`None`).
    pub(crate) fn drop_threadless(&self, guild_id: Option<i64>) {
        self.invalidate(|i| match guild_id {
            Some(g) => {
                i.threadless.remove(&g);
            }
            None => i.threadless.clear(),
        });
    }

    /// The account a token hash logs in, when cached and fresh.
    pub(crate) fn token(&self, hash: &[u8]) -> Option<UserRow> {
        self.read(|i| {
            let (u, at) = i.tokens.get(hash)?;
            (at.elapsed() < TOKEN_TTL).then(|| u.clone())
        })
    }

    pub(crate) fn fill_token(&self, t: Ticket, hash: &[u8], row: &UserRow) {
        self.fill(t, |i| {
            let now = Instant::now();
            put_capped(&mut i.tokens, hash.to_vec(), (row.clone(), now));
            // The same row serves message objects and member lists (READY's own member).
            put_capped(&mut i.users, row.id, (row.clone(), now));
        });
    }

    /// A token was revoked.
    pub(crate) fn drop_token(&self, hash: &[u8]) {
        self.invalidate(|i| {
            i.tokens.remove(hash);
        });
    }

    /// A user row changed, or the account's tokens were revoked: both go.
    pub(crate) fn drop_user(&self, id: i64) {
        self.invalidate(|i| {
            i.users.remove(&id);
            i.tokens.retain(|_, (u, _)| u.id != id);
        });
    }

    pub(crate) fn fill_guild(&self, t: Ticket, row: &GuildRow) {
        self.fill(t, |i| put_capped(&mut i.guilds, row.id, row.clone()));
    }

    pub(crate) fn fill_channel(&self, t: Ticket, row: &ChannelRow) {
        self.fill_channels(t, std::slice::from_ref(row));
    }

    pub(crate) fn fill_channels(&self, t: Ticket, rows: &[ChannelRow]) {
        self.fill(t, |i| {
            for row in rows {
                let mut row = row.clone();
                if let Some(&newest) = i.last_message.get(&row.id) {
                    row.last_message_id = row.last_message_id.max(Some(newest));
                }
                put_capped(&mut i.channels, row.id, row);
            }
        });
    }

    pub(crate) fn fill_overwrites(&self, t: Ticket, channel_id: i64, rows: &[OverwriteRow]) {
        self.fill(t, |i| {
            put_capped(&mut i.overwrites, channel_id, rows.to_vec())
        });
    }

    /// Messages were stored (committed): channels' `last_message_id` only moves forward.
    pub(crate) fn messages_stored(&self, newest: impl Iterator<Item = (i64, i64)>) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        let mut i = self.lock();
        if i.last_message.len() >= CAP {
            // Forgetting the newest ids would let a racing fill store an older one: refuse
            // every fill in flight and start over.
            i.generation += 1;
            i.last_message.clear();
            i.channels.clear();
            i.guild_channels.clear();
        }
        for (channel, id) in newest {
            let e = i.last_message.entry(channel).or_insert(id);
            *e = (*e).max(id);
            if let Some(c) = i.channels.get_mut(&channel) {
                c.last_message_id = c.last_message_id.max(Some(id));
            }
        }
    }

    /// A guild row changed (or the guild was just made).
    pub(crate) fn drop_guild(&self, id: i64) {
        self.invalidate(|i| {
            i.guilds.remove(&id);
            i.guild_channels.remove(&id);
            i.guild_overwrites.remove(&id);
        });
    }

    /// Channel rows (and their overwrites) changed; guilds' lists go too (a channel's guild is
    /// not known here, and such writes are rare).
    pub(crate) fn drop_channels(&self, ids: &[i64]) {
        self.invalidate(|i| {
            for id in ids {
                i.channels.remove(id);
                i.overwrites.remove(id);
            }
            i.guild_channels.clear();
            i.guild_overwrites.clear();
        });
    }

    /// Overwrites somewhere changed (a role's went with it): drop them all.
    pub(crate) fn drop_all_overwrites(&self) {
        self.invalidate(|i| {
            i.overwrites.clear();
            i.guild_overwrites.clear();
        });
    }

    /// Many rows changed (a guild or a category went): start over.
    pub(crate) fn clear(&self) {
        self.invalidate(|i| {
            i.guilds.clear();
            i.channels.clear();
            i.overwrites.clear();
            i.guild_channels.clear();
            i.guild_overwrites.clear();
            i.memberships.clear();
            i.users.clear();
            i.tokens.clear();
            i.last_message.clear();
            i.member_counts.clear();
            i.emojis.clear();
            i.threadless.clear();
        });
    }
}
