//! A community's custom emoji: `GET|POST /guilds/{id}/emojis`, `GET|PATCH|DELETE
//! /guilds/{id}/emojis/{emoji}`. Images are at most 256 KiB; static ones are stored as PNG of at
//! most 128 pixels a side, GIFs as sent (checked by decoding their first frame).

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::service::audit::{self, Entry};
use crate::service::media::{self, images};
use crate::service::perms::GuildCtx;
use crate::service::views;
use coterie_model::guild::Emoji;
use coterie_model::moderation::action;
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{EmojiRow, UserRow};
use serde::Deserialize;
use serde_json::json;

/// Static and animated emoji a community may hold, each (Discord's base tier).
pub const MAX_PER_KIND: usize = 50;
/// Largest emoji image.
pub const MAX_EMOJI_BYTES: usize = 256 * 1024;

/// Body of emoji create and modify.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct EmojiBody {
    /// 2–32 letters, digits and underscores.
    pub name: Option<String>,
    /// Image data (create only).
    pub image: Option<String>,
    /// Roles allowed to use it.
    pub roles: Option<Vec<Snowflake>>,
}

fn check_name(name: &str) -> Result<String, FieldError> {
    let n = name.trim();
    let ok = (2..=32).contains(&n.chars().count())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(n.to_owned())
    } else {
        Err(FieldError::new(
            "BASE_TYPE_BAD_LENGTH",
            "Must be 2 to 32 letters, digits or underscores.",
        ))
    }
}

fn view(e: &EmojiRow, creator: Option<&UserRow>) -> Emoji {
    Emoji {
        id: Snowflake::from_i64(e.id),
        name: e.name.clone(),
        roles: serde_json::from_str::<Vec<String>>(&e.roles)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.parse().ok())
            .map(Snowflake::from_i64)
            .collect(),
        user: creator.map(views::user),
        require_colons: true,
        managed: false,
        animated: e.animated,
        available: e.available,
    }
}

/// The emoji list of a guild as everyone sees it (in guild objects).
pub async fn list_view(app: &AppState, guild_id: i64) -> Result<Vec<Emoji>, ApiError> {
    Ok(app
        .store
        .emojis(guild_id)
        .await?
        .iter()
        .map(|e| view(e, None))
        .collect())
}

async fn announce(app: &AppState, guild_id: i64) -> Result<(), ApiError> {
    let emojis = list_view(app, guild_id).await?;
    app.bus
        .publish(Event::new(
            "GUILD_EMOJIS_UPDATE",
            &json!({"guild_id": guild_id.to_string(), "emojis": emojis}),
            Audience::Guild(guild_id),
            Intents::GUILD_EXPRESSIONS,
        ))
        .await;
    Ok(())
}

async fn with_creators(
    app: &AppState,
    ctx: &GuildCtx,
    rows: &[EmojiRow],
) -> Result<Vec<Emoji>, ApiError> {
    let managers = ctx.base().contains(Permissions::MANAGE_GUILD_EXPRESSIONS)
        || ctx.base().contains(Permissions::CREATE_GUILD_EXPRESSIONS);
    let ids: Vec<i64> = rows.iter().filter_map(|e| e.creator_id).collect();
    let users = if managers {
        app.store.users(&ids).await?
    } else {
        vec![]
    };
    Ok(rows
        .iter()
        .map(|e| view(e, users.iter().find(|u| Some(u.id) == e.creator_id)))
        .collect())
}

/// `GET /guilds/{id}/emojis`.
pub async fn list(app: &AppState, user: &UserRow, guild_id: i64) -> Result<Vec<Emoji>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let rows = app.store.emojis(guild_id).await?;
    with_creators(app, &ctx, &rows).await
}

async fn load(app: &AppState, guild_id: i64, id: i64) -> Result<EmojiRow, ApiError> {
    app.store
        .emoji(id)
        .await?
        .filter(|e| e.guild_id == guild_id)
        .ok_or(ApiError::Unknown(Unknown::Emoji))
}

/// `GET /guilds/{id}/emojis/{emoji}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<Emoji, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let e = load(app, guild_id, id).await?;
    Ok(with_creators(app, &ctx, &[e]).await?.remove(0))
}

fn role_list(ctx: &GuildCtx, roles: Option<&[Snowflake]>, errs: &mut FieldErrors) -> String {
    let list: Vec<String> = roles
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            let known = ctx.roles.iter().any(|x| x.id == r.get());
            if !known {
                errs.add("roles", FieldError::new("ROLE_INVALID", "Unknown role."));
            }
            known
        })
        .map(ToString::to_string)
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// `POST /guilds/{id}/emojis` (CREATE_GUILD_EXPRESSIONS or MANAGE_GUILD_EXPRESSIONS).
pub async fn create(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: EmojiBody,
) -> Result<Emoji, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    if !ctx.base().contains(Permissions::CREATE_GUILD_EXPRESSIONS) {
        ctx.require(Permissions::MANAGE_GUILD_EXPRESSIONS)?;
    }
    let mut errs = FieldErrors::new();
    let name = match &b.name {
        Some(n) => errs.check("name", check_name(n)),
        None => {
            errs.add(
                "name",
                FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
            );
            None
        }
    };
    let raw = match &b.image {
        Some(i) => errs.check("image", media::image_data(i, MAX_EMOJI_BYTES)),
        None => {
            errs.add(
                "image",
                FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
            );
            None
        }
    };
    let roles = role_list(&ctx, b.roles.as_deref(), &mut errs);
    errs.into_result()?;
    let (Some(name), Some(raw)) = (name, raw) else {
        return Err(field_error(
            "image",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    let animated = media::inspect::sniff(&raw) == "image/gif";
    let existing = app.store.emojis(guild_id).await?;
    if existing.iter().filter(|e| e.animated == animated).count() >= MAX_PER_KIND {
        return Err(ApiError::BadRequest(
            30008,
            "Maximum number of emojis reached (50)",
        ));
    }
    let stored = if animated {
        let check = raw.clone();
        media::decode_blocking(app, move || images::dimensions(&check).map(|_| ()))
            .await
            .map_err(|e| field_error("image", e.code, e.message))?;
        raw
    } else {
        media::decode_blocking(app, move || images::normalize(&raw, 128))
            .await
            .map_err(|e| field_error("image", e.code, e.message))?
    };
    let row = EmojiRow {
        id: app.ids.next_i64(),
        guild_id,
        name,
        creator_id: Some(user.id),
        animated,
        available: true,
        roles,
        created_at: app.now(),
    };
    media::put(app, &media::emoji_key(row.id), stored).await?;
    app.store.create_emoji(&row).await?;
    audit::record(
        app,
        guild_id,
        Entry::new(action::EMOJI_CREATE, Some(user.id), Some(row.id))
            .changes(audit::diff(&json!({}), &json!({"name": row.name}))),
    )
    .await;
    announce(app, guild_id).await?;
    Ok(view(&row, Some(user)))
}

/// Creators may change their own emoji with CREATE_GUILD_EXPRESSIONS; anyone's needs MANAGE.
fn may_change(ctx: &GuildCtx, e: &EmojiRow, user: &UserRow) -> Result<(), ApiError> {
    if e.creator_id == Some(user.id) && ctx.base().contains(Permissions::CREATE_GUILD_EXPRESSIONS) {
        return Ok(());
    }
    ctx.require(Permissions::MANAGE_GUILD_EXPRESSIONS)
}

/// `PATCH /guilds/{id}/emojis/{emoji}`: name and roles.
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    b: EmojiBody,
) -> Result<Emoji, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let e = load(app, guild_id, id).await?;
    may_change(&ctx, &e, user)?;
    let mut errs = FieldErrors::new();
    let name = match &b.name {
        Some(n) => errs.check("name", check_name(n)),
        None => Some(e.name.clone()),
    };
    let roles = match &b.roles {
        Some(r) => role_list(&ctx, Some(r), &mut errs),
        None => e.roles.clone(),
    };
    errs.into_result()?;
    let name = name.unwrap_or_else(|| e.name.clone());
    app.store.update_emoji(id, &name, &roles).await?;
    let updated = EmojiRow {
        name,
        roles,
        ..e.clone()
    };
    audit::record(
        app,
        guild_id,
        Entry::new(action::EMOJI_UPDATE, Some(user.id), Some(id)).changes(audit::diff(
            &json!({"name": e.name}),
            &json!({"name": updated.name}),
        )),
    )
    .await;
    announce(app, guild_id).await?;
    Ok(view(&updated, None))
}

/// `DELETE /guilds/{id}/emojis/{emoji}`.
pub async fn delete(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let e = load(app, guild_id, id).await?;
    may_change(&ctx, &e, user)?;
    if app.store.delete_emoji(guild_id, id).await? {
        media::delete(app, &media::emoji_key(id)).await;
        audit::record(
            app,
            guild_id,
            Entry::new(action::EMOJI_DELETE, Some(user.id), Some(id))
                .changes(audit::diff(&json!({"name": e.name}), &json!({}))),
        )
        .await;
        announce(app, guild_id).await?;
    }
    Ok(())
}
