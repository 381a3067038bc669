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
        if let Some((g, old)) = before
            && let Some(new) = access(&app, &mut cache, g).await
        {
            announce_visibility(&app, g, &old, &new);
        }
        match &ev.effect {
            Effect::LeaveGuild { guild, user } => app.sessions.leave_guild(*user, *guild),
            Effect::DropGuild(g) => app.sessions.drop_guild(*g),
            _ => {}
        }
    }
}

fn guild_of(a: &Audience) -> Option<i64> {
    match a {
        Audience::Guild(g) | Audience::GuildPerm { guild: g, .. } => Some(*g),
        Audience::Channel { guild, .. }
        | Audience::ChannelPerm { guild, .. }
        | Audience::Thread { guild, .. } => Some(*guild),
        Audience::Users(_) => None,
    }
}

fn needs_access(a: &Audience) -> bool {
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
            s.push(ev, false);
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

fn deliver(s: &Arc<Session>, ev: &Arc<Event>) {
    let stripped = ev.stripped.is_some()
        && !s.intents.has(Intents::MESSAGE_CONTENT)
        && !ev.content_exempt.contains(&s.user_id);
    s.push(ev.clone(), stripped);
}

fn route(app: &AppState, ev: &Arc<Event>, access: Option<&GuildAccess>) {
    match &ev.audience {
        Audience::Guild(g) => app.sessions.for_guild(*g, |s| {
            if wants(s, ev) {
                deliver(s, ev);
            }
        }),
        Audience::Channel { guild, channel } => {
            let Some(acc) = access else { return };
            app.sessions.for_guild(*guild, |s| {
                if wants(s, ev)
                    && acc
                        .channel(s.user_id, *channel)
                        .contains(Permissions::VIEW_CHANNEL)
                {
                    deliver(s, ev);
                }
            });
        }
        Audience::ChannelPerm {
            guild,
            channel,
            perm,
        } => {
            let Some(acc) = access else { return };
            let need = Permissions(*perm) | Permissions::VIEW_CHANNEL;
            app.sessions.for_guild(*guild, |s| {
                if wants(s, ev) && acc.channel(s.user_id, *channel).contains(need) {
                    deliver(s, ev);
                }
            });
        }
        Audience::Thread {
            guild,
            parent,
            members,
        } => {
            let Some(acc) = access else { return };
            app.sessions.for_guild(*guild, |s| {
                if !wants(s, ev) {
                    return;
                }
                let p = acc.channel(s.user_id, *parent);
                let member_ok = members.as_ref().is_none_or(|m| {
                    m.contains(&s.user_id) || p.contains(Permissions::MANAGE_THREADS)
                });
                if p.contains(Permissions::VIEW_CHANNEL) && member_ok {
                    deliver(s, ev);
                }
            });
        }
        Audience::GuildPerm { guild, perm } => {
            let Some(acc) = access else { return };
            app.sessions.for_guild(*guild, |s| {
                if wants(s, ev) && acc.base(s.user_id).contains(Permissions(*perm)) {
                    deliver(s, ev);
                }
            });
        }
        Audience::Users(users) => {
            for u in users {
                app.sessions.for_user(*u, |s| {
                    if wants(s, ev) {
                        deliver(s, ev);
                    }
                });
            }
        }
    }
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
