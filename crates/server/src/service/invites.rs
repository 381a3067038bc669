//! Invites: create, look up, accept (joining the guild), delete, list.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown};
use crate::service::audit::{self, Entry};
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::{members, views};
use coterie_model::invite::Invite;
use coterie_model::moderation::action;
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Timestamp};
use coterie_store::{InviteRow, StoreError, UserRow};
use rand::Rng;
use serde::Deserialize;
use serde_json::json;

/// Body of `POST /channels/{id}/invites`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateInvite {
    max_age: Option<i64>,
    max_uses: Option<i64>,
    temporary: Option<bool>,
    unique: Option<bool>,
}

fn new_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

async fn view(app: &AppState, i: &InviteRow, metadata: bool) -> Result<Invite, ApiError> {
    let g = app
        .store
        .guild(i.guild_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Invite))?;
    let ch = app.store.channel(i.channel_id).await?;
    let inviter = match i.inviter_id {
        Some(u) => app.store.user(u).await?,
        None => None,
    };
    Ok(views::invite(
        i,
        &g,
        ch.as_ref(),
        inviter.as_ref(),
        metadata,
    ))
}

fn event_json(i: &Invite, row: &InviteRow) -> serde_json::Value {
    json!({
        "channel_id": row.channel_id.to_string(),
        "guild_id": row.guild_id.to_string(),
        "code": row.code,
        "created_at": Timestamp(row.created_at),
        "expires_at": row.expires_at.map(Timestamp),
        "inviter": i.inviter,
        "max_age": row.max_age,
        "max_uses": row.max_uses,
        "temporary": row.temporary,
        "uses": row.uses,
        "type": 0,
    })
}

/// `POST /channels/{id}/invites`: CREATE_INSTANT_INVITE.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    b: CreateInvite,
) -> Result<Invite, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let Some(guild_id) = ctx.guild_id() else {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    };
    ctx.require(Permissions::CREATE_INSTANT_INVITE)?;
    let mut errs = FieldErrors::new();
    let max_age = b.max_age.unwrap_or(86_400);
    if !(0..=604_800).contains(&max_age) {
        errs.add(
            "max_age",
            FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 604800."),
        );
    }
    let max_uses = b.max_uses.unwrap_or(0);
    if !(0..=100).contains(&max_uses) {
        errs.add(
            "max_uses",
            FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 100."),
        );
    }
    errs.into_result()?;
    let temporary = b.temporary.unwrap_or(false);
    let now = app.now();
    if !b.unique.unwrap_or(false)
        && let Some(existing) = app
            .store
            .find_invite(channel_id, user.id, max_age, max_uses, temporary, now)
            .await?
    {
        return view(app, &existing, true).await;
    }
    let mut row = InviteRow {
        code: String::new(),
        guild_id,
        channel_id,
        inviter_id: Some(user.id),
        max_age,
        max_uses,
        uses: 0,
        temporary,
        created_at: now,
        expires_at: (max_age > 0).then(|| now + max_age * 1000),
    };
    for _ in 0..5 {
        row.code = new_code();
        match app.store.create_invite(&row).await {
            Ok(()) => break,
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let v = view(app, &row, true).await?;
    audit::record(
        app,
        row.guild_id,
        Entry::new(action::INVITE_CREATE, Some(user.id), None)
            .changes(audit::created(&audited(&row))),
    )
    .await;
    let ev = Event::new(
        "INVITE_CREATE",
        &event_json(&v, &row),
        Audience::ChannelPerm {
            guild: guild_id,
            channel: channel_id,
            perm: Permissions::MANAGE_CHANNELS.0,
        },
        Intents::GUILD_INVITES,
    );
    app.bus.publish(ev).await;
    Ok(v)
}

/// `GET /invites/{code}`: anyone may look an invite up.
pub async fn get(app: &AppState, code: &str, with_counts: bool) -> Result<Invite, ApiError> {
    let row = app
        .store
        .invite(code, app.now())
        .await?
        .ok_or(ApiError::Unknown(Unknown::Invite))?;
    let mut v = view(app, &row, false).await?;
    if with_counts {
        v.approximate_member_count = Some(app.store.member_count(row.guild_id).await? as u64);
        let ids = app.store.guild_member_ids(row.guild_id).await?;
        v.approximate_presence_count = Some(
            ids.iter()
                .filter(|u| app.presences.get(**u).is_some())
                .count() as u64,
        );
    }
    Ok(v)
}

/// `POST /invites/{code}`: joins the guild. Expired or used-up invites answer 10006; banned
/// users 40007.
pub async fn accept(app: &AppState, user: &UserRow, code: &str) -> Result<Invite, ApiError> {
    let inv = app
        .store
        .invite(code, app.now())
        .await?
        .ok_or(ApiError::Unknown(Unknown::Invite))?;
    let guild = app
        .store
        .guild(inv.guild_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Invite))?;
    let already = app.store.member_row(inv.guild_id, user.id).await?.is_some();
    let pending = if already {
        false
    } else {
        crate::service::moderation::admit(app, &guild).await?
    };
    let used = app
        .store
        .use_invite(code, user.id, app.now(), pending)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::Unknown(Unknown::Invite),
            StoreError::Conflict {
                constraint: "bans_pkey",
            } => ApiError::Forbidden(40007, "The user is banned from this guild."),
            other => other.into(),
        })?;
    let v = view(app, &used.invite, false).await?;
    if used.joined {
        tracing::info!(
            guild.id = used.invite.guild_id,
            user.id = user.id,
            "member joined by invite"
        );
        members::announce_join(app, used.invite.guild_id, user).await?;
        crate::service::pins::system_join_message(app, used.invite.guild_id, user.id).await?;
    }
    if used.exhausted {
        publish_delete(app, &used.invite).await;
    }
    Ok(v)
}

/// An invite's fields as the audit log shows them.
fn audited(i: &InviteRow) -> serde_json::Value {
    json!({
        "code": i.code,
        "channel_id": i.channel_id.to_string(),
        "inviter_id": i.inviter_id.map(|x| x.to_string()),
        "max_uses": i.max_uses,
        "max_age": i.max_age,
        "temporary": i.temporary,
        "uses": i.uses,
    })
}

async fn publish_delete(app: &AppState, row: &InviteRow) {
    let d = json!({"channel_id": row.channel_id.to_string(), "guild_id": row.guild_id.to_string(), "code": row.code});
    let ev = Event::new(
        "INVITE_DELETE",
        &d,
        Audience::ChannelPerm {
            guild: row.guild_id,
            channel: row.channel_id,
            perm: Permissions::MANAGE_CHANNELS.0,
        },
        Intents::GUILD_INVITES,
    );
    app.bus.publish(ev).await;
}

/// `DELETE /invites/{code}`: MANAGE_CHANNELS on its channel or MANAGE_GUILD.
pub async fn delete(app: &AppState, user: &UserRow, code: &str) -> Result<Invite, ApiError> {
    let row = app
        .store
        .invite(code, app.now())
        .await?
        .ok_or(ApiError::Unknown(Unknown::Invite))?;
    let ctx = GuildCtx::load(app, row.guild_id, user.id)
        .await
        .map_err(|_| ApiError::Unknown(Unknown::Invite))?;
    let allowed = ctx.base().contains(Permissions::MANAGE_GUILD)
        || match app.store.channel(row.channel_id).await? {
            Some(ch) => {
                let ows = app.store.overwrites(ch.id).await?;
                ctx.in_channel(&ch, &ows)
                    .contains(Permissions::MANAGE_CHANNELS)
            }
            None => false,
        };
    if !allowed {
        return Err(ApiError::MissingPermissions);
    }
    let v = view(app, &row, true).await?;
    app.store.delete_invite(code).await?;
    audit::record(
        app,
        row.guild_id,
        Entry::new(action::INVITE_DELETE, Some(user.id), None)
            .changes(audit::deleted(&audited(&row))),
    )
    .await;
    publish_delete(app, &row).await;
    Ok(v)
}

/// `GET /channels/{id}/invites`: MANAGE_CHANNELS.
pub async fn list_channel(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
) -> Result<Vec<Invite>, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::MANAGE_CHANNELS)?;
    let mut out = vec![];
    for row in app.store.channel_invites(channel_id, app.now()).await? {
        out.push(view(app, &row, true).await?);
    }
    Ok(out)
}

/// `GET /guilds/{id}/invites`: MANAGE_GUILD.
pub async fn list_guild(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
) -> Result<Vec<Invite>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    let mut out = vec![];
    for row in app.store.guild_invites(guild_id, app.now()).await? {
        out.push(view(app, &row, true).await?);
    }
    Ok(out)
}
