//! Guilds: create, read, modify, delete, list and leave.

use crate::app::AppState;
use crate::bus::{Audience, Effect, Event};
use crate::error::{ApiError, FieldErrors, field_error};
use crate::extract::nullable;
use crate::service::audit::{self, Entry};
use crate::service::perms::GuildCtx;
use crate::service::{members, views};
use coterie_model::guild::Guild;
use coterie_model::moderation::action;
use coterie_model::user::PartialGuild;
use coterie_model::validate::{self, FieldError};
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{GuildPatch, NewGuild, UserRow};
use serde::Deserialize;
use serde_json::json;

/// Guilds one account may belong to.
const MAX_GUILDS_PER_USER: usize = 200;

/// `POST /guilds`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateGuild {
    /// 2–100 characters.
    pub name: String,
    /// Image data (`data:image/png;base64,…`).
    #[serde(default)]
    pub icon: Option<String>,
}

/// `PATCH /guilds/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ModifyGuild {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    verification_level: Option<i64>,
    default_message_notifications: Option<i64>,
    explicit_content_filter: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    afk_channel_id: Option<Option<Snowflake>>,
    afk_timeout: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    system_channel_id: Option<Option<Snowflake>>,
    system_channel_flags: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    rules_channel_id: Option<Option<Snowflake>>,
    #[serde(default, deserialize_with = "nullable")]
    public_updates_channel_id: Option<Option<Snowflake>>,
    preferred_locale: Option<String>,
    owner_id: Option<Snowflake>,
    /// Image data, or null to remove the icon.
    #[serde(default, deserialize_with = "nullable")]
    icon: Option<Option<String>>,
}

/// Creates a guild owned by `user` with Discord's default layout.
pub async fn create(app: &AppState, user: &UserRow, req: CreateGuild) -> Result<Guild, ApiError> {
    let name =
        validate::text(&req.name, 2, 100).map_err(|e| field_error("name", e.code, e.message))?;
    if app.store.user_guilds(user.id).await?.len() >= MAX_GUILDS_PER_USER {
        return Err(ApiError::BadRequest(
            30001,
            "Maximum number of guilds reached (200)",
        ));
    }
    let id = app.ids.next_i64();
    let icon = match req.icon.as_deref().filter(|i| !i.is_empty()) {
        Some(uri) => Some(
            crate::service::media::store_image(app, "icons", id, uri)
                .await
                .map_err(|e| field_error("icon", e.code, e.message))?,
        ),
        None => None,
    };
    let mut g = app
        .store
        .create_guild(NewGuild {
            id,
            name,
            owner_id: user.id,
            everyone_permissions: Permissions::DEFAULT_EVERYONE.0 as i64,
            category_id: app.ids.next_i64(),
            text_channel_id: app.ids.next_i64(),
            voice_category_id: app.ids.next_i64(),
            voice_channel_id: app.ids.next_i64(),
            now: app.now(),
        })
        .await?;
    if icon.is_some() {
        g = app
            .store
            .update_guild(
                g.id,
                GuildPatch {
                    icon: Some(icon),
                    ..Default::default()
                },
            )
            .await?;
    }
    tracing::info!(guild.id = g.id, user.id = user.id, "guild created");
    announce_join(app, g.id, user.id).await?;
    let roles = app.store.roles(g.id).await?;
    Ok(views::guild(&g, &roles, vec![]))
}

/// Sends GUILD_CREATE to a user who just joined (or created) a guild and subscribes their sessions.
pub async fn announce_join(app: &AppState, guild_id: i64, user_id: i64) -> Result<(), ApiError> {
    if let Some(gc) =
        crate::gateway::ready::guild_create(app, guild_id, user_id, false, true, 250).await?
    {
        let ev = Event::new("GUILD_CREATE", &gc, Audience::Users(vec![user_id]), 0)
            .in_guild(Some(guild_id))
            .with_effect(Effect::JoinGuild {
                guild: guild_id,
                user: user_id,
            });
        app.bus.publish(ev).await;
    }
    Ok(())
}

/// `GET /guilds/{id}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    with_counts: bool,
) -> Result<Guild, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let emojis = crate::service::emojis::list_view(app, guild_id).await?;
    let mut g = views::guild(&ctx.guild, &ctx.roles, emojis);
    if with_counts {
        g.approximate_member_count = Some(app.store.member_count(guild_id).await? as u64);
        g.approximate_presence_count = Some(online_count(app, guild_id).await?);
    }
    Ok(g)
}

async fn online_count(app: &AppState, guild_id: i64) -> Result<u64, ApiError> {
    let ids = app.store.guild_member_ids(guild_id).await?;
    Ok(ids
        .iter()
        .filter(|u| app.presences.get(**u).is_some())
        .count() as u64)
}

fn range(errs: &mut FieldErrors, field: &str, v: Option<i64>, lo: i64, hi: i64) -> Option<i64> {
    let v = v?;
    if v < lo || v > hi {
        errs.add(
            field,
            FieldError::new("NUMBER_TYPE_MAX", format!("Must be between {lo} and {hi}.")),
        );
        return None;
    }
    Some(v)
}

/// `PATCH /guilds/{id}`: MANAGE_GUILD; transferring ownership needs the owner.
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    req: ModifyGuild,
) -> Result<Guild, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    let mut errs = FieldErrors::new();
    let mut p = GuildPatch::default();
    if let Some(n) = &req.name {
        p.name = errs.check("name", validate::text(n, 2, 100));
    }
    if let Some(d) = &req.description {
        p.description = match d {
            Some(d) if !d.trim().is_empty() => errs
                .check("description", validate::text(d, 1, 1000))
                .map(Some),
            _ => Some(None),
        };
    }
    p.verification_level = range(
        &mut errs,
        "verification_level",
        req.verification_level,
        0,
        4,
    );
    p.default_message_notifications = range(
        &mut errs,
        "default_message_notifications",
        req.default_message_notifications,
        0,
        1,
    );
    p.explicit_content_filter = range(
        &mut errs,
        "explicit_content_filter",
        req.explicit_content_filter,
        0,
        2,
    );
    p.system_channel_flags = range(
        &mut errs,
        "system_channel_flags",
        req.system_channel_flags,
        0,
        63,
    );
    if let Some(t) = req.afk_timeout {
        if [60, 300, 900, 1800, 3600].contains(&t) {
            p.afk_timeout = Some(t);
        } else {
            errs.add(
                "afk_timeout",
                FieldError::new(
                    "BASE_TYPE_CHOICES",
                    "Value must be one of {60, 300, 900, 1800, 3600}.",
                ),
            );
        }
    }
    if let Some(l) = &req.preferred_locale {
        p.preferred_locale = errs.check("preferred_locale", validate::text(l, 2, 10));
    }
    let channels = app.store.guild_channels(guild_id).await?;
    let channel_field = |errs: &mut FieldErrors,
                         field: &str,
                         v: Option<Option<Snowflake>>,
                         want_voice: bool|
     -> Option<Option<i64>> {
        match v? {
            None => Some(None),
            Some(id) => {
                let ok = channels.iter().any(|c| {
                    c.id == id.get()
                        && coterie_model::channel::kind::is_voice(c.kind as u8) == want_voice
                        && c.kind != 4
                });
                if ok {
                    Some(Some(id.get()))
                } else {
                    errs.add(
                        field,
                        FieldError::new(
                            "CHANNEL_INVALID",
                            "Unknown channel or wrong channel type.",
                        ),
                    );
                    None
                }
            }
        }
    };
    p.afk_channel_id = channel_field(&mut errs, "afk_channel_id", req.afk_channel_id, true);
    p.system_channel_id =
        channel_field(&mut errs, "system_channel_id", req.system_channel_id, false);
    p.rules_channel_id = channel_field(&mut errs, "rules_channel_id", req.rules_channel_id, false);
    p.public_updates_channel_id = channel_field(
        &mut errs,
        "public_updates_channel_id",
        req.public_updates_channel_id,
        false,
    );
    if let Some(o) = req.owner_id {
        if !ctx.is_owner() {
            return Err(ApiError::MissingPermissions);
        }
        if app.store.member(guild_id, o.get()).await?.is_none() {
            errs.add(
                "owner_id",
                FieldError::new(
                    "GUILD_OWNER_INVALID",
                    "The new owner must be a member of the guild.",
                ),
            );
        } else {
            p.owner_id = Some(o.get());
        }
    }
    errs.into_result()?;
    if let Some(icon) = &req.icon {
        p.icon = Some(match icon {
            Some(uri) => Some(
                crate::service::media::store_image(app, "icons", guild_id, uri)
                    .await
                    .map_err(|e| field_error("icon", e.code, e.message))?,
            ),
            None => None,
        });
    }
    let emojis = crate::service::emojis::list_view(app, guild_id).await?;
    let before = audit::json(&views::guild(&ctx.guild, &ctx.roles, emojis.clone()));
    let g = app.store.update_guild(guild_id, p).await?;
    if g.icon != ctx.guild.icon {
        crate::service::media::drop_image(app, "icons", guild_id, ctx.guild.icon.as_deref()).await;
    }
    let roles = app.store.roles(guild_id).await?;
    let view = views::guild(&g, &roles, emojis);
    audit::record(
        app,
        guild_id,
        Entry::new(action::GUILD_UPDATE, Some(user.id), Some(guild_id))
            .changes(audit::diff(&before, &audit::json(&view))),
    )
    .await;
    app.bus
        .publish(
            Event::new(
                "GUILD_UPDATE",
                &view,
                Audience::Guild(guild_id),
                Intents::GUILDS,
            )
            .with_effect(Effect::InvalidateGuild(guild_id)),
        )
        .await;
    Ok(view)
}

/// `DELETE /guilds/{id}`: owner only.
pub async fn delete(app: &AppState, user: &UserRow, guild_id: i64) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    if !ctx.is_owner() {
        return Err(ApiError::MissingPermissions);
    }
    let emojis = app.store.emojis(guild_id).await?;
    app.store.delete_guild(guild_id).await?;
    // Files of its messages go with the sweeper; its images go now.
    app.media.sweep_soon();
    crate::service::media::drop_image(app, "icons", guild_id, ctx.guild.icon.as_deref()).await;
    for e in emojis {
        crate::service::media::delete(app, &crate::service::media::emoji_key(e.id)).await;
    }
    tracing::info!(guild.id = guild_id, "guild deleted");
    let d = json!({"id": guild_id.to_string()});
    app.bus
        .publish(
            Event::new(
                "GUILD_DELETE",
                &d,
                Audience::Guild(guild_id),
                Intents::GUILDS,
            )
            .with_effect(Effect::DropGuild(guild_id)),
        )
        .await;
    Ok(())
}

/// Query of `GET /users/@me/guilds`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    before: Option<Snowflake>,
    after: Option<Snowflake>,
    limit: Option<u32>,
    #[serde(default, deserialize_with = "crate::extract::query_bool")]
    with_counts: Option<bool>,
}

/// `GET /users/@me/guilds`.
pub async fn list_for_user(
    app: &AppState,
    user: &UserRow,
    q: ListQuery,
) -> Result<Vec<PartialGuild>, ApiError> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=200).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 200.",
        ));
    }
    let mut guilds = app.store.user_guilds(user.id).await?;
    if let Some(a) = q.after {
        guilds.retain(|g| g.id > a.get());
    }
    if let Some(b) = q.before {
        guilds.retain(|g| g.id < b.get());
        let skip = guilds.len().saturating_sub(limit as usize);
        guilds.drain(..skip);
    }
    guilds.truncate(limit as usize);
    let mut out = Vec::with_capacity(guilds.len());
    for g in guilds {
        let ctx = GuildCtx::load(app, g.id, user.id).await?;
        let counts = q.with_counts.unwrap_or(false);
        out.push(PartialGuild {
            id: Snowflake::from_i64(g.id),
            name: g.name.clone(),
            icon: g.icon.clone(),
            banner: None,
            owner: ctx.is_owner(),
            permissions: ctx.base(),
            features: vec![],
            approximate_member_count: if counts {
                Some(app.store.member_count(g.id).await? as u64)
            } else {
                None
            },
            approximate_presence_count: if counts {
                Some(online_count(app, g.id).await?)
            } else {
                None
            },
        });
    }
    Ok(out)
}

/// `DELETE /users/@me/guilds/{id}`: leave (the owner must transfer or delete instead).
pub async fn leave(app: &AppState, user: &UserRow, guild_id: i64) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    if ctx.is_owner() {
        return Err(ApiError::BadRequest(
            50055,
            "Invalid Guild: the owner cannot leave; transfer ownership or delete the guild",
        ));
    }
    members::remove(app, guild_id, user).await
}
