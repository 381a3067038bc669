//! Guild channels: list, create, read, modify (with category sync), delete, reorder and
//! permission overwrites. DMs are read, renamed and left here too.

use crate::app::AppState;
use crate::bus::{Audience, Effect, Event};
use crate::error::{ApiError, FieldErrors, field_error};
use crate::extract::nullable;
use crate::service::audit::{self, Entry};
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::threads::ThreadBody;
use crate::service::views;
use coterie_model::channel::{self, Channel, ChannelSettings, ForumTag, kind};
use coterie_model::moderation::action;
use coterie_model::permissions::Overwrite;
use coterie_model::validate::{self, FieldError};
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{ChannelPatch, ChannelRow, OverwriteRow, UserRow};
use serde::Deserialize;
use serde_json::json;

/// Channels one guild may hold.
const MAX_CHANNELS: i64 = 500;

/// Body of channel create and modify.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ChannelBody {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<u8>,
    #[serde(default, deserialize_with = "nullable")]
    topic: Option<Option<String>>,
    position: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    parent_id: Option<Option<Snowflake>>,
    nsfw: Option<bool>,
    rate_limit_per_user: Option<i64>,
    bitrate: Option<i64>,
    user_limit: Option<i64>,
    permission_overwrites: Option<Vec<Overwrite>>,
    #[serde(default, deserialize_with = "nullable")]
    icon: Option<Option<String>>,
    flags: Option<u64>,
    /// Forum tags.
    available_tags: Option<Vec<ForumTag>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    default_reaction_emoji: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "nullable")]
    default_sort_order: Option<Option<u8>>,
    default_forum_layout: Option<u8>,
    default_thread_rate_limit_per_user: Option<i64>,
    default_auto_archive_duration: Option<i64>,
    /// Forum: karma needed to post (Coterie extension).
    min_karma_to_post: Option<i64>,
    /// Forum: seconds of membership needed to post (Coterie extension).
    min_member_age_to_post: Option<i64>,
    // Thread fields.
    archived: Option<bool>,
    auto_archive_duration: Option<i64>,
    locked: Option<bool>,
    invitable: Option<bool>,
    applied_tags: Option<Vec<Snowflake>>,
}

impl ChannelBody {
    fn thread_body(self) -> ThreadBody {
        ThreadBody {
            name: self.name,
            archived: self.archived,
            auto_archive_duration: self.auto_archive_duration,
            locked: self.locked,
            invitable: self.invitable,
            rate_limit_per_user: self.rate_limit_per_user,
            flags: self.flags,
            applied_tags: self.applied_tags,
        }
    }
}

/// Forum tags a channel may define.
const MAX_TAGS: usize = 20;

/// Settings of channels that hold threads (tags, defaults, karma gates) and the forum flag.
fn apply_settings(app: &AppState, b: &ChannelBody, row: &mut ChannelRow, errs: &mut FieldErrors) {
    let t = u8::try_from(row.kind).unwrap_or(0);
    if !kind::holds_threads(t) {
        return;
    }
    let mut st = ChannelSettings::parse(&row.settings);
    let forum = t == kind::GUILD_FORUM;
    if let Some(m) = b.default_auto_archive_duration {
        if crate::service::threads::ARCHIVE_MINUTES.contains(&m) {
            st.default_auto_archive_duration = u32::try_from(m).ok();
        } else {
            errs.add(
                "default_auto_archive_duration",
                FieldError::new(
                    "BASE_TYPE_CHOICES",
                    "Value must be one of (60, 1440, 4320, 10080).",
                ),
            );
        }
    }
    if let Some(r) = b.default_thread_rate_limit_per_user {
        match u32::try_from(r) {
            Ok(r) if r <= 21600 => st.default_thread_rate_limit_per_user = r,
            _ => errs.add(
                "default_thread_rate_limit_per_user",
                FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 21600."),
            ),
        }
    }
    if forum {
        if let Some(tags) = &b.available_tags {
            if tags.len() > MAX_TAGS {
                errs.add(
                    "available_tags",
                    FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer in length."),
                );
            }
            let mut out = Vec::with_capacity(tags.len());
            for (i, tag) in tags.iter().enumerate() {
                let Some(name) = errs.check(
                    &format!("available_tags.{i}.name"),
                    validate::text(&tag.name, 1, 20),
                ) else {
                    continue;
                };
                // Known ids keep their tag; anything else is a new tag with a new id.
                let id = tag
                    .id
                    .filter(|id| st.available_tags.iter().any(|o| o.id == Some(*id)))
                    .unwrap_or_else(|| app.ids.next());
                out.push(ForumTag {
                    id: Some(id),
                    name,
                    moderated: tag.moderated,
                    emoji_id: tag.emoji_id,
                    emoji_name: tag
                        .emoji_name
                        .clone()
                        .filter(|e| !e.is_empty() && e.chars().count() <= 8),
                });
            }
            st.available_tags = out;
        }
        if let Some(e) = &b.default_reaction_emoji {
            st.default_reaction_emoji = e.clone().filter(|v| v.is_object());
        }
        if let Some(o) = b.default_sort_order {
            match o {
                None | Some(0 | 1) => st.default_sort_order = o,
                Some(_) => errs.add(
                    "default_sort_order",
                    FieldError::new("BASE_TYPE_CHOICES", "Value must be one of {0, 1}."),
                ),
            }
        }
        if let Some(l) = b.default_forum_layout {
            if l <= 2 {
                st.default_forum_layout = l;
            } else {
                errs.add(
                    "default_forum_layout",
                    FieldError::new("BASE_TYPE_CHOICES", "Value must be one of {0, 1, 2}."),
                );
            }
        }
        if let Some(k) = b.min_karma_to_post {
            st.min_karma_to_post = k;
        }
        if let Some(a) = b.min_member_age_to_post {
            if (0..=10 * 365 * 86400).contains(&a) {
                st.min_member_age_to_post = a;
            } else {
                errs.add(
                    "min_member_age_to_post",
                    FieldError::new(
                        "NUMBER_TYPE_MAX",
                        "Must be between 0 and 315360000 seconds.",
                    ),
                );
            }
        }
        if let Some(f) = b.flags {
            row.flags = (f & channel::FLAG_REQUIRE_TAG) as i64;
        }
    }
    row.settings = serde_json::to_string(&st).unwrap_or_else(|_| "{}".to_owned());
}

fn overwrite_rows(channel_id: i64, ows: &[Overwrite]) -> Vec<OverwriteRow> {
    ows.iter()
        .map(|o| OverwriteRow {
            channel_id,
            target_id: o.id.get(),
            kind: i64::from(o.kind),
            allow_bits: o.allow.0 as i64,
            deny_bits: o.deny.0 as i64,
        })
        .collect()
}

fn same_overwrites(a: &[OverwriteRow], b: &[OverwriteRow]) -> bool {
    let key = |v: &[OverwriteRow]| {
        let mut k: Vec<(i64, i64, i64, i64)> = v
            .iter()
            .map(|o| (o.target_id, o.kind, o.allow_bits, o.deny_bits))
            .collect();
        k.sort_unstable();
        k
    };
    key(a) == key(b)
}

/// Validates overwrites: known kinds, targets that exist, and no bits the caller lacks.
async fn check_overwrites(
    app: &AppState,
    ctx: &GuildCtx,
    field: &str,
    ows: &[Overwrite],
    errs: &mut FieldErrors,
) -> Result<(), ApiError> {
    let caller = ctx.base();
    for (i, o) in ows.iter().enumerate() {
        let path = format!("{field}.{i}");
        if o.kind > 1 {
            errs.add(
                &format!("{path}.type"),
                FieldError::new("BASE_TYPE_CHOICES", "Value must be one of {0, 1}."),
            );
            continue;
        }
        let exists = if o.kind == 0 {
            ctx.roles.iter().any(|r| r.id == o.id.get())
        } else {
            app.store.member(ctx.guild.id, o.id.get()).await?.is_some()
        };
        if !exists {
            errs.add(
                &format!("{path}.id"),
                FieldError::new("UNKNOWN_OVERWRITE_TARGET", "Unknown role or member."),
            );
        }
        if !caller.contains(o.allow | o.deny) {
            return Err(ApiError::MissingPermissions);
        }
    }
    if ows.len() > 100 {
        errs.add(
            field,
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."),
        );
    }
    Ok(())
}

/// Common field checks of create and modify; writes accepted values into `row`.
fn apply_fields(b: &ChannelBody, row: &mut ChannelRow, errs: &mut FieldErrors) {
    let t = u8::try_from(row.kind).unwrap_or(0);
    if let Some(n) = &b.name
        && let Some(n) = errs.check(
            "name",
            validate::channel_name(
                n,
                kind::is_textual(t) && !kind::is_voice(t) || t == kind::GUILD_FORUM,
            ),
        )
    {
        row.name = Some(n);
    }
    if let Some(topic) = &b.topic {
        row.topic = match topic {
            Some(s) if !s.trim().is_empty() => errs.check("topic", validate::text(s, 1, 1024)),
            _ => None,
        };
    }
    if let Some(n) = b.nsfw {
        row.nsfw = n;
    }
    if let Some(r) = b.rate_limit_per_user {
        if (0..=21600).contains(&r) {
            row.rate_limit_per_user = r;
        } else {
            errs.add(
                "rate_limit_per_user",
                FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 21600."),
            );
        }
    }
    if kind::is_voice(t) {
        if let Some(br) = b.bitrate {
            if (8000..=384_000).contains(&br) {
                row.bitrate = Some(br);
            } else {
                errs.add(
                    "bitrate",
                    FieldError::new("NUMBER_TYPE_MIN", "Must be between 8000 and 384000."),
                );
            }
        }
        if let Some(ul) = b.user_limit {
            if (0..=99).contains(&ul) {
                row.user_limit = Some(ul);
            } else {
                errs.add(
                    "user_limit",
                    FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 99."),
                );
            }
        }
    }
    if let Some(p) = b.position {
        row.position = p.max(0);
    }
}

fn check_parent(
    channels: &[ChannelRow],
    parent: Option<Snowflake>,
    own_kind: i64,
    errs: &mut FieldErrors,
) -> Option<i64> {
    let p = parent?;
    if own_kind == i64::from(kind::GUILD_CATEGORY) {
        errs.add(
            "parent_id",
            FieldError::new("CHANNEL_PARENT_INVALID", "Categories cannot have a parent."),
        );
        return None;
    }
    match channels.iter().find(|c| c.id == p.get()) {
        Some(c) if c.kind == i64::from(kind::GUILD_CATEGORY) => Some(c.id),
        _ => {
            errs.add(
                "parent_id",
                FieldError::new("CHANNEL_PARENT_INVALID", "Not a category of this guild."),
            );
            None
        }
    }
}

fn channel_event(name: &'static str, view: &Channel, guild: i64, channel: i64) -> Event {
    Event::new(
        name,
        view,
        Audience::Channel { guild, channel },
        Intents::GUILDS,
    )
    .with_effect(Effect::InvalidateGuild(guild))
}

/// `GET /guilds/{id}/channels`: the channels the caller can see.
pub async fn list(app: &AppState, user: &UserRow, guild_id: i64) -> Result<Vec<Channel>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    visible(app, &ctx).await
}

/// The channels of the context's guild that its member can see, with their overwrites.
pub async fn visible(app: &AppState, ctx: &GuildCtx) -> Result<Vec<Channel>, ApiError> {
    Ok(with_permissions(app, ctx)
        .await?
        .into_iter()
        .filter(|(_, _, p)| p.contains(Permissions::VIEW_CHANNEL))
        .map(|(c, ows, _)| views::guild_channel(&c, &ows))
        .collect())
}

/// Every channel of the guild (threads aside) with its overwrites and the caller's permissions there.
pub async fn with_permissions(
    app: &AppState,
    ctx: &GuildCtx,
) -> Result<Vec<(ChannelRow, Vec<OverwriteRow>, Permissions)>, ApiError> {
    let (channels, ows) = tokio::try_join!(
        app.store.guild_channels(ctx.guild.id),
        app.store.guild_overwrites(ctx.guild.id)
    )?;
    Ok(channels
        .into_iter()
        .map(|c| {
            let cows: Vec<_> = ows
                .iter()
                .filter(|o| o.channel_id == c.id)
                .copied()
                .collect();
            let p = ctx.in_channel(&c, &cows);
            (c, cows, p)
        })
        .collect())
}

/// `POST /guilds/{id}/channels`: MANAGE_CHANNELS (and the bits of any overwrites).
pub async fn create(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: ChannelBody,
) -> Result<Channel, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_CHANNELS)?;
    let t = b.kind.unwrap_or(kind::GUILD_TEXT);
    let mut errs = FieldErrors::new();
    if !kind::is_creatable_in_guild(t) {
        errs.add(
            "type",
            FieldError::new(
                "BASE_TYPE_CHOICES",
                "Value must be one of {0, 2, 4, 5, 13, 15}.",
            ),
        );
    }
    if b.name.is_none() {
        errs.add(
            "name",
            FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
        );
    }
    errs.into_result()?;
    let channels = app.store.guild_channels(guild_id).await?;
    if channels.len() as i64 >= MAX_CHANNELS {
        return Err(ApiError::BadRequest(
            30013,
            "Maximum number of guild channels reached (500)",
        ));
    }
    let id = app.ids.next_i64();
    let mut row = ChannelRow {
        id,
        guild_id: Some(guild_id),
        kind: i64::from(t),
        name: None,
        topic: None,
        position: 0,
        parent_id: None,
        nsfw: false,
        rate_limit_per_user: 0,
        bitrate: kind::is_voice(t).then_some(64_000),
        user_limit: kind::is_voice(t).then_some(0),
        owner_id: None,
        icon: None,
        last_message_id: None,
        last_pin_at: None,
        flags: 0,
        created_at: app.now(),
        settings: "{}".to_owned(),
    };
    let mut errs = FieldErrors::new();
    apply_fields(&b, &mut row, &mut errs);
    apply_settings(app, &b, &mut row, &mut errs);
    row.parent_id = check_parent(&channels, b.parent_id.flatten(), row.kind, &mut errs);
    if b.position.is_none() {
        row.position = channels
            .iter()
            .filter(|c| c.parent_id == row.parent_id && (c.kind == 4) == (t == 4))
            .map(|c| c.position + 1)
            .max()
            .unwrap_or(0);
    }
    let ows = match &b.permission_overwrites {
        Some(o) => {
            check_overwrites(app, &ctx, "permission_overwrites", o, &mut errs).await?;
            overwrite_rows(id, o)
        }
        // A channel created in a category starts synced with it.
        None => match row.parent_id {
            Some(p) => app
                .store
                .overwrites(p)
                .await?
                .into_iter()
                .map(|o| OverwriteRow {
                    channel_id: id,
                    ..o
                })
                .collect(),
            None => vec![],
        },
    };
    errs.into_result()?;
    app.store.create_channel(&row, &ows).await?;
    let view = views::guild_channel(&row, &ows);
    audit::record(
        app,
        guild_id,
        Entry::new(action::CHANNEL_CREATE, Some(user.id), Some(id))
            .changes(audit::created(&audit::json(&view))),
    )
    .await;
    app.bus
        .publish(channel_event("CHANNEL_CREATE", &view, guild_id, id))
        .await;
    Ok(view)
}

/// `GET /channels/{id}`.
pub async fn get(app: &AppState, user: &UserRow, channel_id: i64) -> Result<Channel, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    view_of(app, &ctx, user.id).await
}

/// The wire object of a loaded channel for `viewer`.
pub async fn view_of(app: &AppState, ctx: &ChannelCtx, viewer: i64) -> Result<Channel, ApiError> {
    if let Some(t) = &ctx.thread {
        let th = coterie_store::ThreadWithChannel {
            channel: ctx.channel.clone(),
            thread: t.row.clone(),
        };
        return crate::service::threads::view(app, &th, t.is_post(), Some(viewer)).await;
    }
    Ok(match ctx.channel.guild_id {
        Some(_) => views::guild_channel(&ctx.channel, &ctx.overwrites),
        None => {
            let users = app.store.users(&ctx.recipients).await?;
            views::dm_channel(&ctx.channel, &users, viewer)
        }
    })
}

/// `PATCH /channels/{id}`: MANAGE_CHANNELS; overwrites also need MANAGE_ROLES. Editing a
/// category's overwrites updates the children that were synced with it.
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    b: ChannelBody,
) -> Result<Channel, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if ctx.thread.is_some() {
        return crate::service::threads::modify(app, user, &ctx, b.thread_body()).await;
    }
    let Some(g) = &ctx.guild else {
        return modify_group_dm(app, user, ctx, b).await;
    };
    ctx.require(Permissions::MANAGE_CHANNELS)?;
    let mut errs = FieldErrors::new();
    if b.kind.is_some_and(|k| i64::from(k) != ctx.channel.kind) {
        let ok = matches!(
            (ctx.channel.kind as u8, b.kind),
            (kind::GUILD_TEXT, Some(kind::GUILD_ANNOUNCEMENT))
                | (kind::GUILD_ANNOUNCEMENT, Some(kind::GUILD_TEXT))
        );
        if !ok {
            errs.add(
                "type",
                FieldError::new(
                    "BASE_TYPE_CHOICES",
                    "Only text and announcement channels can be converted into each other.",
                ),
            );
        }
    }
    let mut row = ctx.channel.clone();
    if let Some(k) = b.kind {
        row.kind = i64::from(k);
    }
    apply_fields(&b, &mut row, &mut errs);
    apply_settings(app, &b, &mut row, &mut errs);
    let channels = app.store.guild_channels(g.guild.id).await?;
    if let Some(p) = b.parent_id {
        row.parent_id = match p {
            Some(_) => check_parent(&channels, p, row.kind, &mut errs),
            None => None,
        };
    }
    let new_ows = match &b.permission_overwrites {
        Some(o) => {
            if !ctx.perms.contains(Permissions::MANAGE_ROLES)
                && !g.base().contains(Permissions::MANAGE_ROLES)
            {
                return Err(ApiError::MissingPermissions);
            }
            check_overwrites(app, g, "permission_overwrites", o, &mut errs).await?;
            Some(overwrite_rows(channel_id, o))
        }
        None => None,
    };
    errs.into_result()?;
    app.store
        .update_channel(&ChannelPatch {
            row: row.clone(),
            overwrites: new_ows.clone(),
        })
        .await?;
    let ows = new_ows.clone().unwrap_or_else(|| ctx.overwrites.clone());
    let view = views::guild_channel(&row, &ows);
    audit::record(
        app,
        g.guild.id,
        Entry::new(action::CHANNEL_UPDATE, Some(user.id), Some(channel_id)).changes(audit::diff(
            &audit::json(&views::guild_channel(&ctx.channel, &ctx.overwrites)),
            &audit::json(&view),
        )),
    )
    .await;
    app.bus
        .publish(channel_event(
            "CHANNEL_UPDATE",
            &view,
            g.guild.id,
            channel_id,
        ))
        .await;
    if let (Some(new), true) = (&new_ows, row.kind == i64::from(kind::GUILD_CATEGORY)) {
        sync_children(app, g.guild.id, channel_id, &ctx.overwrites, new, &channels).await?;
    }
    Ok(view)
}

async fn sync_children(
    app: &AppState,
    guild_id: i64,
    category: i64,
    old: &[OverwriteRow],
    new: &[OverwriteRow],
    channels: &[ChannelRow],
) -> Result<(), ApiError> {
    for child in channels.iter().filter(|c| c.parent_id == Some(category)) {
        let current = app.store.overwrites(child.id).await?;
        if !same_overwrites(&current, old) {
            continue;
        }
        let rows: Vec<OverwriteRow> = new
            .iter()
            .map(|o| OverwriteRow {
                channel_id: child.id,
                ..*o
            })
            .collect();
        app.store
            .update_channel(&ChannelPatch {
                row: child.clone(),
                overwrites: Some(rows.clone()),
            })
            .await?;
        let view = views::guild_channel(child, &rows);
        app.bus
            .publish(channel_event("CHANNEL_UPDATE", &view, guild_id, child.id))
            .await;
    }
    Ok(())
}

async fn modify_group_dm(
    app: &AppState,
    user: &UserRow,
    ctx: ChannelCtx,
    b: ChannelBody,
) -> Result<Channel, ApiError> {
    if ctx.channel.kind != i64::from(kind::GROUP_DM) {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    }
    let mut row = ctx.channel.clone();
    if let Some(n) = &b.name {
        row.name = if n.trim().is_empty() {
            None
        } else {
            Some(validate::text(n, 1, 100).map_err(|e| field_error("name", e.code, e.message))?)
        };
    }
    if let Some(icon) = &b.icon {
        // Only image hashes are accepted; uploads arrive with media (issue #7).
        row.icon = icon
            .clone()
            .filter(|h| h.len() == 32 && h.bytes().all(|c| c.is_ascii_hexdigit()));
    }
    app.store
        .update_channel(&ChannelPatch {
            row: row.clone(),
            overwrites: None,
        })
        .await?;
    let users = app.store.users(&ctx.recipients).await?;
    let view = views::dm_channel(&row, &users, user.id);
    for r in &ctx.recipients {
        let v = views::dm_channel(&row, &users, *r);
        app.bus
            .publish(Event::new(
                "CHANNEL_UPDATE",
                &v,
                Audience::Users(vec![*r]),
                0,
            ))
            .await;
    }
    Ok(view)
}

/// `DELETE /channels/{id}`: deletes a guild channel (MANAGE_CHANNELS), closes a DM, leaves a group DM.
pub async fn delete(app: &AppState, user: &UserRow, channel_id: i64) -> Result<Channel, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if ctx.thread.is_some() {
        return crate::service::threads::delete(app, &ctx).await;
    }
    let view = view_of(app, &ctx, user.id).await?;
    match &ctx.guild {
        Some(g) => {
            ctx.require(Permissions::MANAGE_CHANNELS)?;
            // The audience must be computed while the channel still exists.
            let ev = Event::new("CHANNEL_DELETE", &view, ctx.audience(), Intents::GUILDS);
            let viewers = crate::gateway::dispatcher::viewers(app, g.guild.id, channel_id).await?;
            app.store.delete_channel(channel_id).await?;
            audit::record(
                app,
                g.guild.id,
                Entry::new(action::CHANNEL_DELETE, Some(user.id), Some(channel_id))
                    .changes(audit::deleted(&audit::json(&view))),
            )
            .await;
            let ev = Event {
                audience: Audience::Users(viewers),
                ..ev
            }
            .in_guild(Some(g.guild.id))
            .with_effect(Effect::InvalidateGuild(g.guild.id));
            app.bus.publish(ev).await;
            crate::service::voice::channel_deleted(app, g.guild.id, channel_id).await;
        }
        None if ctx.channel.kind == i64::from(kind::GROUP_DM) => {
            app.store.remove_dm_recipient(channel_id, user.id).await?;
            app.bus
                .publish(Event::new(
                    "CHANNEL_DELETE",
                    &view,
                    Audience::Users(vec![user.id]),
                    0,
                ))
                .await;
            let d = json!({"channel_id": channel_id.to_string(), "user": views::user(user)});
            let rest: Vec<i64> = ctx
                .recipients
                .iter()
                .copied()
                .filter(|r| *r != user.id)
                .collect();
            app.bus
                .publish(Event::new(
                    "CHANNEL_RECIPIENT_REMOVE",
                    &d,
                    Audience::Users(rest),
                    0,
                ))
                .await;
        }
        None => {}
    }
    Ok(view)
}

/// One entry of `PATCH /guilds/{id}/channels`.
#[derive(Debug, Deserialize)]
pub struct PositionChange {
    id: Snowflake,
    #[serde(default, deserialize_with = "nullable")]
    position: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    parent_id: Option<Option<Snowflake>>,
    #[serde(default)]
    lock_permissions: Option<bool>,
}

/// `PATCH /guilds/{id}/channels`: MANAGE_CHANNELS.
pub async fn reorder(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    changes: Vec<PositionChange>,
) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_CHANNELS)?;
    let channels = app.store.guild_channels(guild_id).await?;
    let mut errs = FieldErrors::new();
    let mut plan = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let Some(existing) = channels.iter().find(|ch| ch.id == c.id.get()) else {
            errs.add(
                &format!("{i}.id"),
                FieldError::new("CHANNEL_INVALID", "Unknown channel."),
            );
            continue;
        };
        let pos = c.position.flatten().unwrap_or(existing.position).max(0);
        let parent = c.parent_id.map(|p| {
            if p.is_some() {
                check_parent(&channels, p, existing.kind, &mut errs)
            } else {
                None
            }
        });
        plan.push((
            existing.id,
            pos,
            parent,
            c.lock_permissions.unwrap_or(false),
        ));
    }
    errs.into_result()?;
    let positions: Vec<(i64, i64, Option<Option<i64>>)> = plan
        .iter()
        .map(|(id, pos, parent, _)| (*id, *pos, *parent))
        .collect();
    app.store
        .set_channel_positions(guild_id, &positions)
        .await?;
    for (id, _, parent, lock) in &plan {
        if *lock && let Some(Some(p)) = parent {
            let rows: Vec<OverwriteRow> = app
                .store
                .overwrites(*p)
                .await?
                .into_iter()
                .map(|o| OverwriteRow {
                    channel_id: *id,
                    ..o
                })
                .collect();
            if let Some(row) = app.store.channel(*id).await? {
                app.store
                    .update_channel(&ChannelPatch {
                        row,
                        overwrites: Some(rows),
                    })
                    .await?;
            }
        }
        if let Some(row) = app.store.channel(*id).await? {
            let ows = app.store.overwrites(*id).await?;
            app.bus
                .publish(channel_event(
                    "CHANNEL_UPDATE",
                    &views::guild_channel(&row, &ows),
                    guild_id,
                    *id,
                ))
                .await;
        }
    }
    Ok(())
}

/// `PUT /channels/{id}/permissions/{target}`.
#[derive(Debug, Deserialize)]
pub struct PutOverwrite {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    allow: Option<Permissions>,
    #[serde(default)]
    deny: Option<Permissions>,
}

/// Sets one overwrite: MANAGE_ROLES in the channel, only with bits the caller holds.
pub async fn put_overwrite(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    target: i64,
    b: PutOverwrite,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let Some(g) = &ctx.guild else {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    if !ctx.perms.contains(Permissions::MANAGE_ROLES) {
        return Err(ApiError::MissingPermissions);
    }
    let ow = Overwrite {
        id: Snowflake::from_i64(target),
        kind: b.kind,
        allow: b.allow.unwrap_or_default(),
        deny: b.deny.unwrap_or_default(),
    };
    let mut errs = FieldErrors::new();
    check_overwrites(
        app,
        g,
        "permission_overwrites",
        std::slice::from_ref(&ow),
        &mut errs,
    )
    .await?;
    errs.into_result()?;
    let existed = ctx
        .overwrites
        .iter()
        .find(|o| o.target_id == target)
        .cloned();
    app.store
        .put_overwrite(&overwrite_rows(channel_id, std::slice::from_ref(&ow))[0])
        .await?;
    let kind_name = if ow.kind == 0 { "0" } else { "1" };
    let after = audit::json(&ow);
    let (act, changes) = match existed {
        Some(o) => (
            action::CHANNEL_OVERWRITE_UPDATE,
            audit::diff(
                &audit::json(&crate::service::perms::overwrites(&[o])[0]),
                &after,
            ),
        ),
        None => (action::CHANNEL_OVERWRITE_CREATE, audit::created(&after)),
    };
    audit::record(
        app,
        g.guild.id,
        Entry::new(act, Some(user.id), Some(channel_id))
            .changes(changes)
            .options(serde_json::json!({"id": target.to_string(), "type": kind_name})),
    )
    .await;
    publish_update(app, g.guild.id, channel_id).await
}

/// Deletes one overwrite: MANAGE_ROLES in the channel.
pub async fn delete_overwrite(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    target: i64,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let Some(g) = &ctx.guild else {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    if !ctx.perms.contains(Permissions::MANAGE_ROLES) {
        return Err(ApiError::MissingPermissions);
    }
    if app.store.delete_overwrite(channel_id, target).await? {
        audit::record(
            app,
            g.guild.id,
            Entry::new(
                action::CHANNEL_OVERWRITE_DELETE,
                Some(user.id),
                Some(channel_id),
            )
            .options(serde_json::json!({"id": target.to_string()})),
        )
        .await;
        publish_update(app, g.guild.id, channel_id).await?;
    }
    Ok(())
}

async fn publish_update(app: &AppState, guild_id: i64, channel_id: i64) -> Result<(), ApiError> {
    if let Some(row) = app.store.channel(channel_id).await? {
        let ows = app.store.overwrites(channel_id).await?;
        app.bus
            .publish(channel_event(
                "CHANNEL_UPDATE",
                &views::guild_channel(&row, &ows),
                guild_id,
                channel_id,
            ))
            .await;
    }
    Ok(())
}
