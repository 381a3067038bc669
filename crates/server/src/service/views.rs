//! Turning stored rows into the wire objects of Discord's API. Message views batch-load authors,
//! mentioned users, reactions and replied-to messages.

use crate::app::AppState;
use crate::error::ApiError;
use crate::service::perms::overwrites;
use coterie_model::channel::{Channel, ChannelSettings, ThreadMember, ThreadMetadata, kind};
use coterie_model::guild::{Guild, Member, Role, RoleColors, RoleTags};
use coterie_model::invite::{Invite, InviteChannel, InviteGuild, InviteMetadata};
use coterie_model::message::{
    CountDetails, MentionedUser, Message, MessageReference, Reaction, ReactionEmoji,
};
use coterie_model::message::{Poll, PollAnswer, PollAnswerCount, PollResults};
use coterie_model::user::{CurrentUser, User};
use coterie_model::{Permissions, Snowflake, Timestamp};
use coterie_store::{
    ChannelRow, GuildRow, InviteRow, MemberWithRoles, MessageRow, OverwriteRow, RoleRow,
    ThreadMemberRow, ThreadRow, UserRow,
};
use coterie_store::{PollCountRow, PollRow, extras};
use std::collections::HashMap;

fn sf(v: i64) -> Snowflake {
    Snowflake::from_i64(v)
}

/// Public user object.
#[must_use]
pub fn user(u: &UserRow) -> User {
    User {
        id: sf(u.id),
        username: u.username.clone(),
        discriminator: "0".into(),
        global_name: u.global_name.clone(),
        avatar: u.avatar.clone(),
        bot: u.bot,
        public_flags: 0,
        banner: None,
        accent_color: None,
    }
}

/// The account as its owner sees it.
#[must_use]
pub fn current_user(u: &UserRow) -> CurrentUser {
    CurrentUser {
        user: user(u),
        mfa_enabled: false,
        verified: u.email_verified,
        email: u.email.clone(),
        locale: "en-US".into(),
        flags: u.flags as u64,
        premium_type: 0,
        instance_admin: u.instance_admin,
    }
}

/// A user that no longer exists (messages keep their author id).
#[must_use]
pub fn deleted_user(id: i64) -> User {
    User {
        id: sf(id),
        username: "deleted_user".into(),
        discriminator: "0".into(),
        global_name: Some("Deleted User".into()),
        avatar: None,
        bot: false,
        public_flags: 0,
        banner: None,
        accent_color: None,
    }
}

/// A role.
#[must_use]
pub fn role(r: &RoleRow) -> Role {
    let color = u32::try_from(r.color).unwrap_or(0);
    Role {
        id: sf(r.id),
        name: r.name.clone(),
        color,
        colors: RoleColors {
            primary_color: color,
            secondary_color: None,
            tertiary_color: None,
        },
        hoist: r.hoist,
        icon: r.icon.clone(),
        unicode_emoji: r.unicode_emoji.clone(),
        position: i32::try_from(r.position).unwrap_or(0),
        permissions: Permissions(r.permissions as u64),
        managed: r.managed,
        mentionable: r.mentionable,
        flags: r.flags as u64,
        tags: r.bot_id.map(|b| RoleTags {
            bot_id: Some(sf(b)),
        }),
    }
}

/// A guild channel with its overwrites.
#[must_use]
pub fn guild_channel(c: &ChannelRow, ows: &[OverwriteRow]) -> Channel {
    let t = u8::try_from(c.kind).unwrap_or(0);
    let mut ch = Channel {
        id: sf(c.id),
        kind: t,
        guild_id: c.guild_id.map(sf),
        name: Some(c.name.clone()),
        position: Some(i32::try_from(c.position).unwrap_or(0)),
        parent_id: Some(c.parent_id.map(sf)),
        permission_overwrites: Some(overwrites(ows)),
        nsfw: Some(c.nsfw),
        flags: c.flags as u64,
        ..Channel::default()
    };
    if t != kind::GUILD_CATEGORY {
        ch.topic = Some(c.topic.clone());
        ch.last_message_id = Some(c.last_message_id.map(sf));
        ch.rate_limit_per_user = Some(u32::try_from(c.rate_limit_per_user).unwrap_or(0));
        ch.last_pin_timestamp = Some(c.last_pin_at.map(Timestamp));
    }
    if kind::is_voice(t) {
        ch.bitrate = Some(u32::try_from(c.bitrate.unwrap_or(64_000)).unwrap_or(64_000));
        ch.user_limit = Some(u32::try_from(c.user_limit.unwrap_or(0)).unwrap_or(0));
        ch.rtc_region = Some(None);
    }
    if kind::holds_threads(t) {
        let st = ChannelSettings::parse(&c.settings);
        ch.default_auto_archive_duration = Some(st.default_auto_archive_duration.unwrap_or(4320));
        ch.default_thread_rate_limit_per_user = Some(st.default_thread_rate_limit_per_user);
        if t == kind::GUILD_FORUM {
            ch.available_tags = Some(st.available_tags);
            ch.default_reaction_emoji = Some(st.default_reaction_emoji);
            ch.default_sort_order = Some(st.default_sort_order);
            ch.default_forum_layout = Some(st.default_forum_layout);
            ch.min_karma_to_post = Some(st.min_karma_to_post);
            ch.min_member_age_to_post = Some(st.min_member_age_to_post);
        }
    }
    ch
}

/// A thread (or forum post) channel. `me_vote` is the viewer's vote on a forum post.
#[must_use]
pub fn thread_channel(c: &ChannelRow, t: &ThreadRow, post: bool, me_vote: i64) -> Channel {
    let count = |n: i64| Some(u32::try_from(n.max(0)).unwrap_or(u32::MAX));
    let private = t.kind == i64::from(kind::PRIVATE_THREAD);
    Channel {
        id: sf(c.id),
        kind: u8::try_from(c.kind).unwrap_or(kind::PUBLIC_THREAD),
        guild_id: c.guild_id.map(sf),
        name: Some(c.name.clone()),
        parent_id: Some(Some(sf(t.parent_id))),
        owner_id: Some(sf(t.owner_id)),
        last_message_id: Some(c.last_message_id.map(sf)),
        last_pin_timestamp: Some(c.last_pin_at.map(Timestamp)),
        rate_limit_per_user: Some(u32::try_from(c.rate_limit_per_user).unwrap_or(0)),
        message_count: count(t.message_count),
        // Discord stops counting at 50 (and some libraries store it in a byte).
        member_count: count(t.member_count.min(50)),
        total_message_sent: count(t.total_message_sent),
        thread_metadata: Some(ThreadMetadata {
            archived: t.archived,
            auto_archive_duration: u32::try_from(t.auto_archive_duration).unwrap_or(4320),
            archive_timestamp: Timestamp(t.archive_at),
            locked: t.locked,
            invitable: private.then_some(t.invitable),
            create_timestamp: Timestamp(t.created_at),
        }),
        applied_tags: Some(
            serde_json::from_str::<Vec<Snowflake>>(&t.applied_tags).unwrap_or_default(),
        ),
        score: post.then_some(t.score),
        upvotes: post.then_some(t.upvotes),
        downvotes: post.then_some(t.downvotes),
        me_vote: post.then_some(me_vote),
        flags: c.flags as u64,
        ..Channel::default()
    }
}

/// A thread membership.
#[must_use]
pub fn thread_member(m: &ThreadMemberRow) -> ThreadMember {
    ThreadMember {
        id: sf(m.thread_id),
        user_id: sf(m.user_id),
        join_timestamp: Timestamp(m.joined_at),
        flags: m.flags as u64,
        guild_id: None,
    }
}

/// A DM or group DM as seen by `viewer` (recipients exclude the viewer).
#[must_use]
pub fn dm_channel(c: &ChannelRow, recipients: &[UserRow], viewer: i64) -> Channel {
    let t = u8::try_from(c.kind).unwrap_or(kind::DM);
    let mut ch = Channel {
        id: sf(c.id),
        kind: t,
        last_message_id: Some(c.last_message_id.map(sf)),
        last_pin_timestamp: Some(c.last_pin_at.map(Timestamp)),
        recipients: Some(
            recipients
                .iter()
                .filter(|u| u.id != viewer || recipients.len() == 1)
                .map(user)
                .collect(),
        ),
        flags: c.flags as u64,
        ..Channel::default()
    };
    if t == kind::GROUP_DM {
        ch.name = Some(c.name.clone());
        ch.icon = Some(c.icon.clone());
        ch.owner_id = c.owner_id.map(sf);
    }
    ch
}

/// A member (with `user` unless `partial`).
#[must_use]
pub fn member(m: &MemberWithRoles, u: Option<&UserRow>) -> Member {
    Member {
        user: u.map(user),
        nick: m.member.nick.clone(),
        avatar: None,
        banner: None,
        roles: m.roles.iter().map(|r| sf(*r)).collect(),
        joined_at: Timestamp(m.member.joined_at),
        premium_since: None,
        deaf: m.member.deaf,
        mute: m.member.mute,
        flags: m.member.flags as u64,
        pending: m.member.pending,
        communication_disabled_until: m.member.communication_disabled_until.map(Timestamp),
        karma: m.member.karma,
        permissions: None,
    }
}

/// Members with their users, loaded in one query.
pub async fn members(app: &AppState, ms: &[MemberWithRoles]) -> Result<Vec<Member>, ApiError> {
    let ids: Vec<i64> = ms.iter().map(|m| m.member.user_id).collect();
    let users: HashMap<i64, UserRow> = app
        .store
        .users(&ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(ms
        .iter()
        .filter_map(|m| users.get(&m.member.user_id).map(|u| member(m, Some(u))))
        .collect())
}

/// The REST guild object.
#[must_use]
pub fn guild(g: &GuildRow, roles: &[RoleRow], emojis: Vec<coterie_model::guild::Emoji>) -> Guild {
    Guild {
        id: sf(g.id),
        name: g.name.clone(),
        icon: g.icon.clone(),
        splash: None,
        discovery_splash: None,
        banner: None,
        description: g.description.clone(),
        owner_id: sf(g.owner_id),
        afk_channel_id: g.afk_channel_id.map(sf),
        afk_timeout: u32::try_from(g.afk_timeout).unwrap_or(300),
        verification_level: u8::try_from(g.verification_level).unwrap_or(0),
        default_message_notifications: u8::try_from(g.default_message_notifications).unwrap_or(0),
        explicit_content_filter: u8::try_from(g.explicit_content_filter).unwrap_or(0),
        mfa_level: 0,
        nsfw_level: 0,
        premium_tier: 0,
        premium_subscription_count: 0,
        premium_progress_bar_enabled: false,
        preferred_locale: g.preferred_locale.clone(),
        features: vec![],
        emojis,
        stickers: vec![],
        application_id: None,
        system_channel_id: g.system_channel_id.map(sf),
        system_channel_flags: g.system_channel_flags as u64,
        rules_channel_id: g.rules_channel_id.map(sf),
        public_updates_channel_id: g.public_updates_channel_id.map(sf),
        safety_alerts_channel_id: None,
        vanity_url_code: None,
        roles: roles.iter().map(role).collect(),
        approximate_member_count: None,
        approximate_presence_count: None,
    }
}

/// An invite; `metadata` for those who manage invites.
#[must_use]
pub fn invite(
    i: &InviteRow,
    g: &GuildRow,
    ch: Option<&ChannelRow>,
    inviter: Option<&UserRow>,
    metadata: bool,
) -> Invite {
    Invite {
        kind: 0,
        code: i.code.clone(),
        guild_id: Some(sf(g.id)),
        guild: Some(InviteGuild {
            id: sf(g.id),
            name: g.name.clone(),
            splash: None,
            banner: None,
            description: g.description.clone(),
            icon: g.icon.clone(),
            features: vec![],
            verification_level: u8::try_from(g.verification_level).unwrap_or(0),
            vanity_url_code: None,
            nsfw_level: 0,
            premium_subscription_count: 0,
        }),
        channel: ch.map(|c| InviteChannel {
            id: sf(c.id),
            name: c.name.clone(),
            kind: u8::try_from(c.kind).unwrap_or(0),
        }),
        inviter: inviter.map(user),
        expires_at: i.expires_at.map(Timestamp),
        approximate_member_count: None,
        approximate_presence_count: None,
        metadata: metadata.then(|| InviteMetadata {
            uses: u32::try_from(i.uses).unwrap_or(0),
            max_uses: u32::try_from(i.max_uses).unwrap_or(0),
            max_age: u32::try_from(i.max_age).unwrap_or(0),
            temporary: i.temporary,
            created_at: Timestamp(i.created_at),
        }),
    }
}

fn parse_ids(json: &str) -> Vec<i64> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// The emoji object of a stored reaction key (`👍` or `name:id`).
#[must_use]
pub fn reaction_emoji(key: &str) -> ReactionEmoji {
    match key.rsplit_once(':') {
        Some((name, id)) if id.parse::<i64>().is_ok() => ReactionEmoji {
            id: id.parse().ok().map(Snowflake::from_i64),
            name: Some(name.to_owned()),
        },
        _ => ReactionEmoji {
            id: None,
            name: Some(key.to_owned()),
        },
    }
}

/// Message objects for `rows` as `viewer` sees them (reactions' `me`), with authors, mentions,
/// reactions and replied-to messages loaded in a few batched queries.
pub async fn messages(
    app: &AppState,
    rows: &[MessageRow],
    viewer: i64,
) -> Result<Vec<Message>, ApiError> {
    let ref_ids: Vec<i64> = rows.iter().filter_map(|r| r.ref_message_id).collect();
    let referenced = app.store.messages_by_ids(&ref_ids).await?;
    let mut user_ids: Vec<i64> = Vec::new();
    for r in rows.iter().chain(referenced.iter()) {
        user_ids.push(r.author_id);
        user_ids.extend(parse_ids(&r.mention_users));
    }
    user_ids.sort_unstable();
    user_ids.dedup();
    let users: HashMap<i64, UserRow> = app
        .store
        .users(&user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let referenced: HashMap<i64, Message> = referenced
        .iter()
        .map(|r| (r.id, message(r, &users, vec![])))
        .collect();
    let mut out: Vec<Message> = rows
        .iter()
        .map(|r| {
            let mut m = message(r, &users, vec![]);
            if let Some(rid) = r.ref_message_id
                && r.kind == i64::from(coterie_model::message::kind::REPLY)
            {
                m.referenced_message = Some(referenced.get(&rid).cloned().map(Box::new));
            }
            m
        })
        .collect();
    // Reactions are read at the same time as polls, votes and files, and only when some
    // message on the page has them.
    let has = rows.iter().fold(0, |a, r| a | r.extras);
    let (counts, ()) = tokio::try_join!(
        async {
            Ok(when(has, extras::REACTIONS, || {
                app.store.reaction_counts(&ids, viewer)
            })
            .await?)
        },
        enrich(app, &mut out, viewer, has)
    )?;
    for rc in counts {
        if let Some(m) = out.iter_mut().find(|m| m.id.get() == rc.message_id) {
            m.reactions.push(Reaction {
                count: rc.n as u64,
                count_details: CountDetails {
                    burst: 0,
                    normal: rc.n as u64,
                },
                me: rc.me > 0,
                me_burst: false,
                emoji: reaction_emoji(&rc.emoji),
                burst_colors: vec![],
            });
        }
    }
    Ok(out)
}

/// One message object from a row and the users it names (no reply resolution).
#[must_use]
pub fn message(r: &MessageRow, users: &HashMap<i64, UserRow>, reactions: Vec<Reaction>) -> Message {
    let mut author = users
        .get(&r.author_id)
        .map_or_else(|| deleted_user(r.author_id), user);
    if let Some(o) = r
        .author_override
        .as_deref()
        .and_then(|o| serde_json::from_str::<serde_json::Value>(o).ok())
    {
        // Webhook messages show the name and avatar they were sent with.
        if let Some(n) = o["username"].as_str() {
            author.username = n.to_owned();
            author.global_name = None;
        }
        author.avatar = o["avatar"].as_str().map(str::to_owned);
        author.discriminator = "0000".into();
        author.bot = true;
    }
    let mentions = parse_ids(&r.mention_users)
        .into_iter()
        .filter_map(|id| {
            users.get(&id).map(|u| MentionedUser {
                user: user(u),
                member: None,
            })
        })
        .collect();
    Message {
        id: sf(r.id),
        channel_id: sf(r.channel_id),
        guild_id: r.guild_id.map(sf),
        author,
        member: None,
        content: r.content.clone(),
        timestamp: Timestamp(sf(r.id).created_ms() as i64),
        edited_timestamp: r.edited_at.map(Timestamp),
        tts: r.tts,
        mention_everyone: r.mention_everyone,
        mentions,
        mention_roles: parse_ids(&r.mention_roles).into_iter().map(sf).collect(),
        attachments: vec![],
        embeds: serde_json::from_str(&r.embeds).unwrap_or_default(),
        reactions,
        nonce: r
            .nonce
            .as_deref()
            .and_then(|n| serde_json::from_str(n).ok()),
        pinned: r.pinned_at.is_some(),
        webhook_id: r.webhook_id.map(sf),
        application_id: r.application_id.map(sf),
        interaction_metadata: r.interaction.as_deref().and_then(|i| serde_json::from_str(i).ok()),
        interaction: r.interaction.as_deref().and_then(|i| serde_json::from_str::<serde_json::Value>(i).ok()).map(|m| {
            serde_json::json!({"id": m["id"], "type": m["type"], "name": m["name"], "user": m["user"]})
        }),
        kind: u8::try_from(r.kind).unwrap_or(0),
        flags: r.flags as u64,
        components: serde_json::from_str(&r.components).unwrap_or_default(),
        message_reference: r.ref_message_id.map(|id| MessageReference {
            kind: 0,
            message_id: Some(sf(id)),
            channel_id: r.ref_channel_id.map(sf),
            guild_id: r.ref_guild_id.map(sf),
            fail_if_not_exists: None,
        }),
        referenced_message: None,
        poll: None,
        score: None,
        upvotes: None,
        downvotes: None,
        me_vote: None,
    }
}

/// A poll object with its live counts for one viewer.
#[must_use]
pub fn poll(p: &PollRow, counts: &[PollCountRow]) -> Poll {
    let answers: Vec<PollAnswer> = serde_json::from_str(&p.answers).unwrap_or_default();
    Poll {
        question: serde_json::from_str(&p.question).unwrap_or_default(),
        expiry: Some(Timestamp(p.expires_at)),
        allow_multiselect: p.allow_multiselect,
        layout_type: u8::try_from(p.layout_type).unwrap_or(1),
        results: Some(PollResults {
            is_finalized: p.finalized,
            answer_counts: answers
                .iter()
                .map(|a| {
                    let c = counts.iter().find(|c| {
                        c.message_id == p.message_id && c.answer_id == i64::from(a.answer_id)
                    });
                    PollAnswerCount {
                        id: a.answer_id,
                        count: c.map_or(0, |c| c.n as u64),
                        me_voted: c.is_some_and(|c| c.me > 0),
                    }
                })
                .collect(),
        }),
        answers,
    }
}

/// Runs a page's lookup only when one of its messages has the `bit` ([`extras`]) it is for.
async fn when<T, E, F: std::future::Future<Output = Result<Vec<T>, E>>>(
    has: i64,
    bit: i64,
    lookup: impl FnOnce() -> F,
) -> Result<Vec<T>, E> {
    if has & bit == 0 {
        return Ok(vec![]);
    }
    lookup().await
}

/// Adds polls, files and vote counters to messages; `has` is their rows' [`extras`] bits.
async fn enrich(
    app: &AppState,
    msgs: &mut [Message],
    viewer: i64,
    has: i64,
) -> Result<(), ApiError> {
    let ids: Vec<i64> = msgs.iter().map(|m| m.id.get()).collect();
    let mut channels: Vec<i64> = msgs.iter().map(|m| m.channel_id.get()).collect();
    channels.sort_unstable();
    channels.dedup();
    let counters = async {
        // Votes exist only in threads (forum posts and their comments); channel rows are cached.
        for c in channels {
            let thread = app
                .store
                .channel(c)
                .await?
                .is_none_or(|ch| kind::is_thread(u8::try_from(ch.kind).unwrap_or(0)));
            if thread {
                return app.store.message_vote_counters(&ids).await;
            }
        }
        Ok(vec![])
    };
    let (polls, counters, files) = tokio::try_join!(
        when(has, extras::POLL, || app.store.polls(&ids)),
        counters,
        when(has, extras::FILES, || app.store.attachments_of(&ids))
    )?;
    for (mid, a) in crate::service::media::views(app, &files).await? {
        if let Some(m) = msgs.iter_mut().find(|m| m.id.get() == mid) {
            m.attachments.push(a);
        }
    }
    if !polls.is_empty() {
        let pids: Vec<i64> = polls.iter().map(|p| p.message_id).collect();
        let counts = app.store.poll_counts(&pids, viewer).await?;
        for p in &polls {
            if let Some(m) = msgs.iter_mut().find(|m| m.id.get() == p.message_id) {
                m.poll = Some(poll(p, &counts));
            }
        }
    }
    if !counters.is_empty() {
        let cids: Vec<i64> = counters.iter().map(|c| c.0).collect();
        let (mine_c, mine_p) = tokio::try_join!(
            app.store.votes_of(viewer, &cids, true),
            app.store.votes_of(viewer, &cids, false)
        )?;
        for (id, up, down) in counters {
            if let Some(m) = msgs.iter_mut().find(|m| m.id.get() == id) {
                let me = mine_c
                    .iter()
                    .chain(mine_p.iter())
                    .find(|v| v.0 == id)
                    .map_or(0, |v| v.1);
                m.score = Some(up - down);
                m.upvotes = Some(up);
                m.downvotes = Some(down);
                m.me_vote = Some(me);
            }
        }
    }
    Ok(())
}

/// The message object of a message just stored, from what the poster already holds: it has no
/// reactions or votes yet, its poll has no answers and its files are the ones just attached, so
/// only the users it names besides its author are read (one query, or none).
pub async fn fresh_message(
    app: &AppState,
    r: &MessageRow,
    author: &UserRow,
    reference: Option<&MessageRow>,
    poll_row: Option<&PollRow>,
    files: &[coterie_store::AttachmentRow],
) -> Result<Message, ApiError> {
    let mut ids = parse_ids(&r.mention_users);
    if let Some(rf) = reference {
        ids.push(rf.author_id);
        ids.extend(parse_ids(&rf.mention_users));
    }
    ids.retain(|i| *i != author.id);
    ids.sort_unstable();
    ids.dedup();
    let mut users: HashMap<i64, UserRow> = if ids.is_empty() {
        HashMap::new()
    } else {
        app.store
            .users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect()
    };
    users.insert(author.id, author.clone());
    let mut m = message(r, &users, vec![]);
    if let Some(rf) = reference
        && r.kind == i64::from(coterie_model::message::kind::REPLY)
    {
        m.referenced_message = Some(Some(Box::new(message(rf, &users, vec![]))));
    }
    let files: Vec<coterie_store::AttachmentRow> = files
        .iter()
        .map(|f| coterie_store::AttachmentRow {
            message_id: Some(r.id),
            ..f.clone()
        })
        .collect();
    m.attachments = crate::service::media::views(app, &files)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    m.poll = poll_row.map(|p| poll(p, &[]));
    Ok(m)
}

/// A message object for a row that is not stored (ephemeral responses): authors and mentions
/// are loaded, there are no reactions.
pub async fn messages_unsaved(app: &AppState, r: &MessageRow) -> Result<Message, ApiError> {
    let mut ids = parse_ids(&r.mention_users);
    ids.push(r.author_id);
    let users: HashMap<i64, UserRow> = app
        .store
        .users(&ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(message(r, &users, vec![]))
}
