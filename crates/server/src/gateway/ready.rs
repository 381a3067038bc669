//! Building READY and the per-guild GUILD_CREATE a session receives after it.

use crate::app::AppState;
use crate::error::ApiError;
use crate::service::perms::GuildCtx;
use crate::service::presence::presence_json;
use crate::service::views;
use coterie_model::gateway::{
    ReadState, ReadStateEntry, Ready, ReadyApplication, UnavailableGuild,
};
use coterie_model::guild::GatewayGuild;
use coterie_model::{Permissions, Snowflake, Timestamp};
use coterie_store::UserRow;
use std::collections::HashMap;

/// Member lists are sent whole up to this many members (Discord's `large_threshold` maximum).
pub const MAX_LARGE_THRESHOLD: u32 = 250;

/// What a session's READY covers: the communities in its shard and the user's DM channels.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Community ids.
    pub guilds: &'a [i64],
    /// DM and group DM channel ids.
    pub dms: &'a [i64],
}

/// READY for a session.
pub async fn ready(
    app: &AppState,
    user: &UserRow,
    scope: Scope<'_>,
    session_id: &str,
    shard: [u32; 2],
    resume_url: String,
) -> Result<Ready, ApiError> {
    let guild_ids = scope.guilds;
    let dms = app.store.channels(scope.dms).await?;
    let mut private_channels = Vec::with_capacity(dms.len());
    for c in &dms {
        let rec = app
            .store
            .users(&app.store.dm_recipients(c.id).await?)
            .await?;
        private_channels.push(views::dm_channel(c, &rec, user.id));
    }
    let read_state = if user.bot {
        ReadState {
            entries: vec![],
            partial: false,
            version: 0,
        }
    } else {
        read_states(app, user.id).await?
    };
    let app_flags = if user.bot {
        app.store
            .application(user.id)
            .await?
            .map_or(0, |a| a.flags as u64)
    } else {
        0
    };
    Ok(Ready {
        v: 10,
        user: views::current_user(user),
        guilds: guild_ids
            .iter()
            .map(|g| UnavailableGuild {
                id: Snowflake::from_i64(*g),
                unavailable: true,
            })
            .collect(),
        session_id: session_id.to_owned(),
        resume_gateway_url: resume_url,
        shard,
        application: ReadyApplication {
            id: Snowflake::from_i64(user.id),
            flags: app_flags,
        },
        private_channels,
        read_state,
        relationships: vec![],
        users: vec![],
    })
}

/// Read states for every channel the user can see that has an ack or unread messages.
async fn read_states(app: &AppState, user_id: i64) -> Result<ReadState, ApiError> {
    // Never acknowledged and nothing to read: no entry, so no channel row or permission check.
    let rows: Vec<_> = app
        .store
        .read_states(user_id)
        .await?
        .into_iter()
        .filter(|r| r.last_message_id.is_some() || r.unread > 0)
        .collect();
    let channel_ids: Vec<i64> = rows.iter().map(|r| r.channel_id).collect();
    let channels: HashMap<i64, coterie_store::ChannelRow> = app
        .store
        .channels(&channel_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // One permission context and one overwrite read per community, not per channel.
    let mut ctxs: HashMap<i64, Option<(GuildCtx, Vec<coterie_store::OverwriteRow>)>> =
        HashMap::new();
    let mut entries = Vec::new();
    for r in rows {
        let Some(ch) = channels.get(&r.channel_id) else {
            continue;
        };
        if let Some(gid) = ch.guild_id {
            if let std::collections::hash_map::Entry::Vacant(e) = ctxs.entry(gid) {
                e.insert(match GuildCtx::load(app, gid, user_id).await {
                    Ok(c) => Some((c, app.store.guild_overwrites(gid).await?)),
                    Err(_) => None,
                });
            }
            let Some(Some((ctx, guild_ows))) = ctxs.get(&gid) else {
                continue;
            };
            let ows: Vec<_> = guild_ows
                .iter()
                .filter(|o| o.channel_id == ch.id)
                .copied()
                .collect();
            if !ctx.in_channel(ch, &ows).contains(Permissions::VIEW_CHANNEL) {
                continue;
            }
        }
        entries.push(ReadStateEntry {
            id: Snowflake::from_i64(ch.id),
            last_message_id: r.last_message_id.map(Snowflake::from_i64),
            mention_count: r.mentions.max(0) as u64,
            unread_count: r.unread.max(0) as u64,
            last_pin_timestamp: ch.last_pin_at.map(Timestamp),
        });
    }
    Ok(ReadState {
        entries,
        partial: false,
        version: 1,
    })
}

/// Active threads (newest first) GUILD_CREATE carries; the rest come from the active listing.
const GUILD_CREATE_THREADS: i64 = 200;

/// GUILD_CREATE for one user: channels they can see, the member list when the guild is small (or
/// just themselves), and presences when they may see them.
pub async fn guild_create(
    app: &AppState,
    guild_id: i64,
    user_id: i64,
    bot: bool,
    presences: bool,
    large_threshold: u32,
) -> Result<Option<GatewayGuild>, ApiError> {
    let ctx = match GuildCtx::load(app, guild_id, user_id).await {
        Ok(c) => c,
        Err(ApiError::Unknown(_) | ApiError::MissingAccess) => return Ok(None),
        Err(e) => return Err(e),
    };
    let member_count = app.store.member_count(guild_id).await?;
    let visible = crate::service::channels::visible(app, &ctx).await?;
    let forums: Vec<Snowflake> = visible
        .iter()
        .filter(|c| c.kind == coterie_model::channel::kind::GUILD_FORUM)
        .map(|c| c.id)
        .collect();
    let active = app
        .store
        .active_threads(guild_id, GUILD_CREATE_THREADS)
        .await?;
    let threads = crate::service::threads::visible_to(app, &ctx, active)
        .await?
        .iter()
        .map(|t| {
            let post = forums.contains(&Snowflake::from_i64(t.thread.parent_id));
            views::thread_channel(&t.channel, &t.thread, post, 0)
        })
        .collect();
    let threshold = large_threshold.clamp(50, MAX_LARGE_THRESHOLD);
    let large = member_count > i64::from(threshold);
    let send_all = !large && (!bot || presences);
    let member_rows = if send_all {
        app.store.members(guild_id, 0, i64::from(threshold)).await?
    } else {
        vec![ctx.member.clone()]
    };
    let members = views::members(app, &member_rows).await?;
    let presence_list = if presences || !bot {
        let ids: Vec<i64> = member_rows.iter().map(|m| m.member.user_id).collect();
        let known = app.presences.lookup(&ids).await;
        ids.iter()
            .filter_map(|id| known.get(id).map(|(s, a)| presence_json(*id, None, s, a)))
            .collect()
    } else {
        vec![]
    };
    Ok(Some(GatewayGuild {
        guild: views::guild(
            &ctx.guild,
            &ctx.roles,
            crate::service::emojis::list_view(app, guild_id).await?,
        ),
        joined_at: Timestamp(ctx.member.member.joined_at),
        large,
        unavailable: false,
        member_count: member_count as u64,
        voice_states: app
            .voice
            .guild_states(guild_id)
            .iter()
            .map(|s| s.to_json(None, false))
            .collect(),
        members,
        channels: visible,
        threads,
        presences: presence_list,
        stage_instances: app
            .voice
            .guild_stages(guild_id)
            .iter()
            .map(crate::service::voice::stage::Stage::to_json)
            .collect(),
        guild_scheduled_events: vec![],
        soundboard_sounds: vec![],
    }))
}
