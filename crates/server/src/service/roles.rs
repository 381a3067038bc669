//! Roles: list, create, modify, delete, reorder — with Discord's hierarchy: nobody manages a
//! role at or above their own highest role, nor grants permissions they do not hold.

use crate::app::AppState;
use crate::bus::{Audience, Effect, Event};
use crate::error::{ApiError, FieldErrors, Unknown};
use crate::extract::nullable;
use crate::service::audit::{self, Entry};
use crate::service::perms::GuildCtx;
use crate::service::views;
use coterie_model::guild::Role;
use coterie_model::moderation::action;
use coterie_model::validate::{self, FieldError};
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{RoleRow, UserRow};
use serde::Deserialize;
use serde_json::json;

/// Roles one guild may hold.
const MAX_ROLES: usize = 250;

/// Body of role create and modify.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RoleBody {
    name: Option<String>,
    permissions: Option<Permissions>,
    color: Option<u32>,
    colors: Option<Colors>,
    hoist: Option<bool>,
    mentionable: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    unicode_emoji: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    icon: Option<Option<String>>,
}

/// The `colors` object; only the primary colour is stored.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Colors {
    primary_color: Option<u32>,
}

fn publish(
    app: &AppState,
    guild_id: i64,
    name: &'static str,
    d: &serde_json::Value,
) -> impl Future<Output = ()> {
    let ev = Event::new(name, d, Audience::Guild(guild_id), Intents::GUILDS)
        .with_effect(Effect::InvalidateGuild(guild_id));
    let bus = app.bus.clone();
    async move { bus.publish(ev).await }
}

fn apply(
    ctx: &GuildCtx,
    b: &RoleBody,
    r: &mut RoleRow,
    errs: &mut FieldErrors,
) -> Result<(), ApiError> {
    if let Some(n) = &b.name
        && let Some(n) = errs.check("name", validate::text(n, 1, 100))
    {
        r.name = n;
    }
    if let Some(p) = b.permissions {
        let caller = ctx.base();
        // Only bits being added must be held by the caller; keeping existing ones is fine.
        let added = Permissions(p.0 & !(r.permissions as u64));
        if !caller.contains(added) {
            return Err(ApiError::MissingPermissions);
        }
        r.permissions = p.0 as i64;
    }
    let color = b.colors.as_ref().and_then(|c| c.primary_color).or(b.color);
    if let Some(c) = color {
        if c > 0xFF_FFFF {
            errs.add(
                "color",
                FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 16777215."),
            );
        } else {
            r.color = i64::from(c);
        }
    }
    if let Some(h) = b.hoist {
        r.hoist = h;
    }
    if let Some(m) = b.mentionable {
        r.mentionable = m;
    }
    if let Some(e) = &b.unicode_emoji {
        r.unicode_emoji = e
            .clone()
            .filter(|e| !e.is_empty() && e.chars().count() <= 8);
    }
    if let Some(i) = &b.icon {
        r.icon = i
            .clone()
            .filter(|i| i.len() == 32 && i.bytes().all(|c| c.is_ascii_hexdigit()));
    }
    Ok(())
}

/// `GET /guilds/{id}/roles`.
pub async fn list(app: &AppState, user: &UserRow, guild_id: i64) -> Result<Vec<Role>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    Ok(ctx.roles.iter().map(views::role).collect())
}

/// `GET /guilds/{id}/roles/{role}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    role_id: i64,
) -> Result<Role, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.roles
        .iter()
        .find(|r| r.id == role_id)
        .map(views::role)
        .ok_or(ApiError::Unknown(Unknown::Role))
}

/// `POST /guilds/{id}/roles`: MANAGE_ROLES; the new role sits just above @everyone.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: RoleBody,
) -> Result<Role, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_ROLES)?;
    if ctx.roles.len() >= MAX_ROLES {
        return Err(ApiError::BadRequest(
            30005,
            "Maximum number of guild roles reached (250)",
        ));
    }
    let mut r = RoleRow {
        id: app.ids.next_i64(),
        guild_id,
        name: "new role".into(),
        color: 0,
        hoist: false,
        position: 1,
        permissions: ctx
            .roles
            .iter()
            .find(|r| r.id == guild_id)
            .map_or(0, |e| e.permissions),
        managed: false,
        mentionable: false,
        icon: None,
        unicode_emoji: None,
        flags: 0,
        bot_id: None,
    };
    let mut errs = FieldErrors::new();
    // New roles start with @everyone's bits; explicit permissions replace them.
    if b.permissions.is_some() {
        r.permissions = 0;
    }
    apply(&ctx, &b, &mut r, &mut errs)?;
    errs.into_result()?;
    // The store moves every other role up one to make room at position 1.
    app.store.create_role(&r).await?;
    let view = views::role(&r);
    audit::record(
        app,
        guild_id,
        Entry::new(action::ROLE_CREATE, Some(user.id), Some(r.id))
            .changes(audit::created(&audit::json(&view))),
    )
    .await;
    publish(
        app,
        guild_id,
        "GUILD_ROLE_CREATE",
        &json!({"guild_id": guild_id.to_string(), "role": view}),
    )
    .await;
    for x in app.store.roles(guild_id).await? {
        if x.id != guild_id && x.id != r.id {
            publish(
                app,
                guild_id,
                "GUILD_ROLE_UPDATE",
                &json!({"guild_id": guild_id.to_string(), "role": views::role(&x)}),
            )
            .await;
        }
    }
    Ok(view)
}

/// `PATCH /guilds/{id}/roles/{role}`: MANAGE_ROLES and a higher role than the one edited.
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    role_id: i64,
    b: RoleBody,
) -> Result<Role, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_ROLES)?;
    let mut r = ctx
        .roles
        .iter()
        .find(|r| r.id == role_id)
        .cloned()
        .ok_or(ApiError::Unknown(Unknown::Role))?;
    if r.id != guild_id && !ctx.outranks_role(&r) {
        return Err(ApiError::MissingPermissions);
    }
    let mut errs = FieldErrors::new();
    apply(&ctx, &b, &mut r, &mut errs)?;
    if r.id == guild_id {
        r.name = "@everyone".into();
    }
    errs.into_result()?;
    let before = ctx.roles.iter().find(|x| x.id == role_id).map(views::role);
    app.store.update_role(&r).await?;
    let view = views::role(&r);
    audit::record(
        app,
        guild_id,
        Entry::new(action::ROLE_UPDATE, Some(user.id), Some(role_id))
            .changes(audit::diff(&audit::json(&before), &audit::json(&view))),
    )
    .await;
    publish(
        app,
        guild_id,
        "GUILD_ROLE_UPDATE",
        &json!({"guild_id": guild_id.to_string(), "role": view}),
    )
    .await;
    Ok(view)
}

/// `DELETE /guilds/{id}/roles/{role}`.
pub async fn delete(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    role_id: i64,
) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_ROLES)?;
    let r = ctx
        .roles
        .iter()
        .find(|r| r.id == role_id)
        .ok_or(ApiError::Unknown(Unknown::Role))?;
    if r.id == guild_id {
        return Err(ApiError::BadRequest(
            50028,
            "Invalid Role: @everyone cannot be deleted",
        ));
    }
    if r.managed {
        return Err(ApiError::BadRequest(
            50028,
            "Invalid Role: managed roles cannot be deleted",
        ));
    }
    if !ctx.outranks_role(r) {
        return Err(ApiError::MissingPermissions);
    }
    app.store.delete_role(guild_id, role_id).await?;
    audit::record(
        app,
        guild_id,
        Entry::new(action::ROLE_DELETE, Some(user.id), Some(role_id))
            .changes(audit::deleted(&audit::json(&views::role(r)))),
    )
    .await;
    publish(
        app,
        guild_id,
        "GUILD_ROLE_DELETE",
        &json!({"guild_id": guild_id.to_string(), "role_id": role_id.to_string()}),
    )
    .await;
    Ok(())
}

/// One entry of `PATCH /guilds/{id}/roles`.
#[derive(Debug, Deserialize)]
pub struct RolePosition {
    id: Snowflake,
    #[serde(default)]
    position: Option<i64>,
}

/// `PATCH /guilds/{id}/roles`: moves roles; only roles below the caller, only to below the caller.
pub async fn reorder(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    changes: Vec<RolePosition>,
) -> Result<Vec<Role>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_ROLES)?;
    let top = ctx.top_position_of(&ctx.member);
    let mut errs = FieldErrors::new();
    let mut wanted: Vec<(i64, i64)> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        let Some(r) = ctx.roles.iter().find(|r| r.id == c.id.get()) else {
            errs.add(
                &format!("{i}.id"),
                FieldError::new("ROLE_INVALID", "Unknown role."),
            );
            continue;
        };
        let Some(pos) = c.position else { continue };
        if r.id == guild_id {
            if pos != 0 {
                errs.add(
                    &format!("{i}.position"),
                    FieldError::new("ROLE_INVALID", "@everyone stays at position 0."),
                );
            }
            continue;
        }
        if !ctx.outranks_role(r) || (!ctx.is_owner() && (pos, -r.id) >= top) || pos < 1 {
            return Err(ApiError::MissingPermissions);
        }
        wanted.push((r.id, pos));
    }
    errs.into_result()?;
    // Take the moved roles out of the current order (bottom to top), then put each back at the
    // slot it asked for; positions stay dense (1..n).
    let mut order: Vec<i64> = ctx
        .roles
        .iter()
        .filter(|r| r.id != guild_id)
        .map(|r| r.id)
        .collect();
    order.retain(|id| !wanted.iter().any(|(w, _)| w == id));
    let mut moves = wanted.clone();
    moves.sort_by_key(|(id, p)| (*p, *id));
    for (id, p) in moves {
        let slot = usize::try_from(p - 1).unwrap_or(0).min(order.len());
        order.insert(slot, id);
    }
    let positions: Vec<(i64, i64)> = order
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as i64 + 1))
        .collect();
    app.store.set_role_positions(guild_id, &positions).await?;
    let roles = app.store.roles(guild_id).await?;
    for r in &roles {
        let before = ctx.roles.iter().find(|x| x.id == r.id).map(|x| x.position);
        if before != Some(r.position) {
            publish(
                app,
                guild_id,
                "GUILD_ROLE_UPDATE",
                &json!({"guild_id": guild_id.to_string(), "role": views::role(r)}),
            )
            .await;
        }
    }
    Ok(roles.iter().map(views::role).collect())
}
