//! The node's one subscriber to the bus: applies routing effects, decides per session whether it
//! may receive each event (shard, intents, permissions) and queues it. Events are routed in bus
//! order, so a session sees changes in the order they were committed on this node.

use crate::app::AppState;
use crate::bus::{Audience, Effect, Event};
use crate::gateway::access::GuildAccess;
use crate::gateway::session::Session;
use coterie_model::{Intents, Permissions};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Snapshots kept at most; beyond this the cache is cleared (guilds reload on demand).
const MAX_CACHED_GUILDS: usize = 4096;

/// Runs until the bus closes.
pub async fn run(app: AppState, mut rx: mpsc::Receiver<Arc<Event>>) {
    let mut cache: HashMap<i64, Arc<GuildAccess>> = HashMap::new();
    while let Some(ev) = rx.recv().await {
        let mut before = None;
        match &ev.effect {
            Effect::InvalidateGuild(g) | Effect::LeaveGuild { guild: g, .. } => {
                before = cache.remove(g).map(|old| (*g, old));
            }
            Effect::DropGuild(g) => {
                cache.remove(g);
            }
            Effect::JoinGuild { guild, user } => {
                cache.remove(guild);
                app.sessions.join_guild(*user, *guild);
            }
            Effect::SessionMoved { session, node } => {
                let (app, session, node) = (app.clone(), session.clone(), *node);
                tokio::spawn(async move {
                    crate::gateway::handoff::moved_away(&app, &session, node).await
                });
            }
            Effect::None => {}
        }
        // AutoMod rules changed (on any node): this node's compiled rules for the guild are stale.
        if ev.name.starts_with("AUTO_MODERATION_RULE_")
            && let Some(g) = ev.guild_id
        {
            app.automod.invalidate(g);
        }
        let snapshot = match guild_of(&ev.audience) {
            Some(g) if needs_access(&ev.audience) => access(&app, &mut cache, g).await,
            _ => None,
        };
        route(&app, &ev, snapshot.as_deref());
        if let Some(p) = ev.pos {
            app.sessions.set_position(p);
        }
        if let Some((g, old)) = before
            && let Some(new) = access(&app, &mut cache, g).await
        {
            announce_visibility(&app, g, &old, &new);
        }
        // Roles, overwrites or membership changed: voice rights and CONNECT follow at once.
        if let Effect::InvalidateGuild(g) = &ev.effect
            && !app.voice.guild_states(*g).is_empty()
        {
            let (app, g) = (app.clone(), *g);
            tokio::spawn(async move { crate::service::voice::recheck_guild(&app, g).await });
        }
        match &ev.effect {
            Effect::LeaveGuild { guild, user } => app.sessions.leave_guild(*user, *guild),
            Effect::DropGuild(g) => app.sessions.drop_guild(*g),
            _ => {}
        }
    }
}

pub fn guild_of(a: &Audience) -> Option<i64> {
    match a {
        Audience::Guild(g) | Audience::GuildPerm { guild: g, .. } => Some(*g),
        Audience::Channel { guild, .. }
        | Audience::ChannelPerm { guild, .. }
        | Audience::Thread { guild, .. } => Some(*guild),
        Audience::Users(_) => None,
    }
}

pub fn needs_access(a: &Audience) -> bool {
    !matches!(a, Audience::Guild(_) | Audience::Users(_))
}

/// After a permission change, tells each session about channels it can now see (CHANNEL_CREATE)
/// or no longer see (CHANNEL_DELETE), so clients never keep or miss a channel.
fn announce_visibility(app: &AppState, guild: i64, old: &GuildAccess, new: &GuildAccess) {
    let mut created: HashMap<i64, Arc<Event>> = HashMap::new();
    let mut deleted: HashMap<i64, Arc<Event>> = HashMap::new();
    let channels: Vec<i64> = new.channel_ids().copied().collect();
    app.sessions.for_guild(guild, |s| {
        if !s.intents.has(Intents::GUILDS) {
            return;
        }
        for c in &channels {
            let was = old
                .channel(s.user_id, *c)
                .contains(Permissions::VIEW_CHANNEL);
            let is = new
                .channel(s.user_id, *c)
                .contains(Permissions::VIEW_CHANNEL);
            if was == is {
                continue;
            }
            let Some((row, ows)) = new.rows.get(c) else {
                continue;
            };
            let cache = if is { &mut created } else { &mut deleted };
            let ev = cache
                .entry(*c)
                .or_insert_with(|| {
                    let view = crate::service::views::guild_channel(row, ows);
                    let name = if is {
                        "CHANNEL_CREATE"
                    } else {
                        "CHANNEL_DELETE"
                    };
                    Arc::new(
                        Event::new(name, &view, Audience::Users(vec![]), Intents::GUILDS)
                            .in_guild(Some(guild)),
                    )
                })
                .clone();
            if s.push(ev, false) {
                crate::metrics::EVENTS_DELIVERED.inc();
            }
        }
    });
}

async fn access(
    app: &AppState,
    cache: &mut HashMap<i64, Arc<GuildAccess>>,
    guild: i64,
) -> Option<Arc<GuildAccess>> {
    if let Some(a) = cache.get(&guild) {
        return Some(a.clone());
    }
    match GuildAccess::load(&app.store, guild).await {
        Ok(Some(a)) => {
            if cache.len() >= MAX_CACHED_GUILDS {
                cache.clear();
            }
            let a = Arc::new(a);
            cache.insert(guild, a.clone());
            Some(a)
        }
        Ok(None) => None,
        Err(e) => {
            // Without a snapshot nobody can be shown to be allowed; the event is withheld.
            tracing::error!(
                guild.id = guild,
                error = format!("{e:#}"),
                "loading permission snapshot failed"
            );
            None
        }
    }
}

fn wants(s: &Session, ev: &Event) -> bool {
    let intent_ok = ev.intent == 0
        || s.intents.has(ev.intent)
        || (ev.intent == Intents::GUILD_MEMBERS && ev.subject == Some(s.user_id));
    intent_ok && s.in_shard(ev.guild_id)
}

/// Whether the session gets the content-stripped payload.
pub fn stripped_for(s: &Session, ev: &Event) -> bool {
    ev.stripped.is_some()
        && !s.intents.has(Intents::MESSAGE_CONTENT)
        && !ev.content_exempt.contains(&s.user_id)
}

/// Whether a session subscribed to the event's guild (or named in its user list) may receive
/// it: shard, intents and, where the audience asks, permissions.
fn allowed(s: &Session, ev: &Event, access: Option<&GuildAccess>) -> bool {
    if !wants(s, ev) {
        return false;
    }
    let view = Permissions::VIEW_CHANNEL;
    match &ev.audience {
        Audience::Guild(_) | Audience::Users(_) => true,
        Audience::Channel { channel, .. } => {
            access.is_some_and(|a| a.channel(s.user_id, *channel).contains(view))
        }
        Audience::ChannelPerm { channel, perm, .. } => access.is_some_and(|a| {
            a.channel(s.user_id, *channel)
                .contains(Permissions(*perm) | view)
        }),
        Audience::Thread {
            parent, members, ..
        } => access.is_some_and(|a| {
            let p = a.channel(s.user_id, *parent);
            let member_ok = members
                .as_ref()
                .is_none_or(|m| m.contains(&s.user_id) || p.contains(Permissions::MANAGE_THREADS));
            p.contains(view) && member_ok
        }),
        Audience::GuildPerm { perm, .. } => {
            access.is_some_and(|a| a.base(s.user_id).contains(Permissions(*perm)))
        }
    }
}

/// Whether one session, subscribed to `guilds`, receives the event (rebuilding a session on
/// another node makes the same decisions the dispatcher made).
pub fn reaches(
    s: &Session,
    ev: &Event,
    access: Option<&GuildAccess>,
    guilds: &std::collections::HashSet<i64>,
) -> bool {
    let subscribed = match &ev.audience {
        Audience::Users(users) => users.contains(&s.user_id),
        a => guild_of(a).is_some_and(|g| guilds.contains(&g)),
    };
    subscribed && allowed(s, ev, access)
}

fn route(app: &AppState, ev: &Arc<Event>, access: Option<&GuildAccess>) {
    let mut delivered = 0;
    let mut visit = |s: &Arc<Session>| {
        if allowed(s, ev, access) && s.push(ev.clone(), stripped_for(s, ev)) {
            delivered += 1;
        }
    };
    match &ev.audience {
        Audience::Users(users) => {
            for u in users {
                app.sessions.for_user(*u, &mut visit);
            }
        }
        a => {
            if let Some(g) = guild_of(a) {
                app.sessions.for_guild_wanting(g, ev.intent, visit);
            }
        }
    }
    crate::metrics::EVENTS_DELIVERED.add(delivered);
}

/// Members of a guild who can currently view a channel (used before deleting it, when the
/// dispatcher could no longer work this out).
pub async fn viewers(
    app: &AppState,
    guild: i64,
    channel: i64,
) -> Result<Vec<i64>, crate::error::ApiError> {
    let Some(acc) = GuildAccess::load(&app.store, guild).await? else {
        return Ok(vec![]);
    };
    let ids = app.store.guild_member_ids(guild).await?;
    Ok(ids
        .into_iter()
        .filter(|u| acc.channel(*u, channel).contains(Permissions::VIEW_CHANNEL))
        .collect())
}
