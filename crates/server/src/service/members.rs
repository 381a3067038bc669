//! Members: list, search, read, modify (nick, roles, voice mute/deafen, timeouts), role
//! assignment, kick, leave, bans, and removal of temporary members when they go offline.

use crate::app::AppState;
use crate::bus::{Audience, Effect, Event};
use crate::error::{ApiError, FieldErrors, Unknown, field_error};
use crate::extract::nullable;
use crate::service::audit::{self, Entry};
use crate::service::perms::GuildCtx;
use crate::service::views;
use crate::service::voice;
use coterie_model::guild::{Ban, Member};
use coterie_model::moderation::{AuditLogChange, action};
use coterie_model::validate::{self, FieldError};
use coterie_model::{Intents, Permissions, Snowflake, Timestamp};
use coterie_store::{BanRow, MemberPatch, MemberWithRoles, UserRow};
use serde::Deserialize;
use serde_json::json;

/// Longest timeout (28 days).
const MAX_TIMEOUT_MS: i64 = 28 * 24 * 3600 * 1000;

/// Query of `GET /guilds/{id}/members`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
    after: Option<Snowflake>,
}

/// Query of `GET /guilds/{id}/members/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    query: String,
    limit: Option<i64>,
}

/// Body of `PATCH /guilds/{id}/members/{user}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ModifyMember {
    #[serde(default, deserialize_with = "nullable")]
    nick: Option<Option<String>>,
    roles: Option<Vec<Snowflake>>,
    mute: Option<bool>,
    deaf: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    communication_disabled_until: Option<Option<Timestamp>>,
    flags: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    channel_id: Option<Option<Snowflake>>,
}

/// Body of `PUT /guilds/{id}/bans/{user}`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateBan {
    delete_message_seconds: Option<i64>,
    delete_message_days: Option<i64>,
}

/// Query of `GET /guilds/{id}/bans`.
#[derive(Debug, Deserialize)]
pub struct BanQuery {
    limit: Option<i64>,
    before: Option<Snowflake>,
    after: Option<Snowflake>,
}

fn limit(v: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let l = v.unwrap_or(default);
    if l < 1 || l > max {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            format!("Must be between 1 and {max}."),
        ));
    }
    Ok(l)
}

/// The GUILD_MEMBER_ADD/UPDATE payload: the member plus `guild_id`.
fn member_event_json(guild_id: i64, m: &Member) -> serde_json::Value {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    v["guild_id"] = json!(guild_id.to_string());
    v
}

/// `GET /guilds/{id}/members`.
pub async fn list(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    q: ListQuery,
) -> Result<Vec<Member>, ApiError> {
    GuildCtx::load(app, guild_id, user.id).await?;
    let rows = app
        .store
        .members(
            guild_id,
            q.after.map_or(0, Snowflake::get),
            limit(q.limit, 1, 1000)?,
        )
        .await?;
    views::members(app, &rows).await
}

/// `GET /guilds/{id}/members/search`.
pub async fn search(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    q: SearchQuery,
) -> Result<Vec<Member>, ApiError> {
    GuildCtx::load(app, guild_id, user.id).await?;
    let rows = app
        .store
        .search_members(guild_id, q.query.trim(), limit(q.limit, 1, 1000)?)
        .await?;
    views::members(app, &rows).await
}

/// `GET /guilds/{id}/members/{user}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
) -> Result<Member, ApiError> {
    GuildCtx::load(app, guild_id, user.id).await?;
    let m = app
        .store
        .member(guild_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    let u = app
        .store
        .user(target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    Ok(views::member(&m, Some(&u)))
}

pub(crate) async fn publish_update(
    app: &AppState,
    guild_id: i64,
    m: &MemberWithRoles,
) -> Result<Member, ApiError> {
    let u = app
        .store
        .user(m.member.user_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    let view = views::member(m, Some(&u));
    let ev = Event::new(
        "GUILD_MEMBER_UPDATE",
        &member_event_json(guild_id, &view),
        Audience::Guild(guild_id),
        Intents::GUILD_MEMBERS,
    )
    .about(m.member.user_id)
    .with_effect(Effect::InvalidateGuild(guild_id));
    app.bus.publish(ev).await;
    Ok(view)
}

/// Checks that the caller may add or remove `role` (exists, not managed, below them).
fn check_role_assignable(ctx: &GuildCtx, role: i64) -> Result<(), ApiError> {
    let r = ctx
        .roles
        .iter()
        .find(|r| r.id == role)
        .ok_or(ApiError::Unknown(Unknown::Role))?;
    if r.id == ctx.guild.id || r.managed {
        return Err(ApiError::BadRequest(50028, "Invalid Role"));
    }
    if !ctx.outranks_role(r) {
        return Err(ApiError::MissingPermissions);
    }
    Ok(())
}

/// `PATCH /guilds/{id}/members/{user}` (and `/members/@me` for one's own nickname).
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
    b: ModifyMember,
) -> Result<Member, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let m = app
        .store
        .member(guild_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    let base = ctx.base();
    let is_self = target == user.id;
    let mut errs = FieldErrors::new();
    let mut p = MemberPatch::default();
    if let Some(nick) = &b.nick {
        let allowed = if is_self {
            base.contains(Permissions::CHANGE_NICKNAME)
                || base.contains(Permissions::MANAGE_NICKNAMES)
        } else {
            base.contains(Permissions::MANAGE_NICKNAMES) && ctx.outranks_member(&m)
        };
        if !allowed {
            return Err(ApiError::MissingPermissions);
        }
        let checked = match nick.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => errs.check("nick", validate::text(n, 1, 32)),
            None => None,
        };
        if is_self && let Some(n) = &checked {
            crate::service::automod::screen(
                app,
                user.id,
                crate::service::automod::Subject::Nickname {
                    guild: &ctx,
                    nick: n,
                },
            )
            .await?;
        }
        p.nick = Some(checked);
    }
    if let Some(roles) = &b.roles {
        ctx.require(Permissions::MANAGE_ROLES)?;
        let wanted: Vec<i64> = roles.iter().map(|r| r.get()).collect();
        for r in wanted
            .iter()
            .filter(|r| !m.roles.contains(r))
            .chain(m.roles.iter().filter(|r| !wanted.contains(r)))
        {
            check_role_assignable(&ctx, *r)?;
        }
        let mut dedup = wanted.clone();
        dedup.sort_unstable();
        dedup.dedup();
        p.roles = Some(dedup);
    }
    if let Some(v) = b.mute {
        ctx.require(Permissions::MUTE_MEMBERS)?;
        p.mute = Some(v);
    }
    if let Some(v) = b.deaf {
        ctx.require(Permissions::DEAFEN_MEMBERS)?;
        p.deaf = Some(v);
    }
    if let Some(until) = b.communication_disabled_until {
        ctx.require(Permissions::MODERATE_MEMBERS)?;
        if !ctx.outranks_member(&m) || ctx.base_of(&m).contains(Permissions::ADMINISTRATOR) {
            return Err(ApiError::MissingPermissions);
        }
        p.communication_disabled_until = Some(match until {
            Some(t) if t.0 > app.now() + MAX_TIMEOUT_MS => {
                errs.add(
                    "communication_disabled_until",
                    FieldError::new("BASE_TYPE_BAD_TIME", "Timeouts can last at most 28 days."),
                );
                None
            }
            Some(t) if t.0 > app.now() => Some(t.0),
            _ => None,
        });
    }
    if let Some(f) = b.flags {
        ctx.require(Permissions::MANAGE_GUILD)?;
        p.flags = Some(f & 0b1111_1111);
    }
    if b.channel_id.is_some() {
        ctx.require(Permissions::MOVE_MEMBERS)?;
    }
    errs.into_result()?;
    // Moving (or disconnecting) is checked and done first: a refused move changes nothing.
    if let Some(to) = b.channel_id {
        voice::move_member(app, &ctx, guild_id, target, to.map(Snowflake::get)).await?;
    }
    let updated = app.store.update_member(guild_id, target, p).await?;
    audit_member_change(app, &ctx, user.id, &m, &updated).await;
    let view = publish_update(app, guild_id, &updated).await?;
    voice::member_changed(
        app,
        guild_id,
        target,
        updated.member.mute,
        updated.member.deaf,
    )
    .await;
    Ok(view)
}

/// MEMBER_UPDATE (nick, mute, deaf, timeout) and MEMBER_ROLE_UPDATE (`$add` / `$remove`) entries.
async fn audit_member_change(
    app: &AppState,
    ctx: &GuildCtx,
    actor: i64,
    before: &MemberWithRoles,
    after: &MemberWithRoles,
) {
    let guild_id = ctx.guild.id;
    let target = after.member.user_id;
    let (b, a) = (&before.member, &after.member);
    let ts = |t: Option<i64>| t.map(|t| audit::json(&Timestamp(t)));
    let mut changes = vec![];
    let mut push = |key: &str, o: Option<serde_json::Value>, n: Option<serde_json::Value>| {
        if o != n {
            changes.push(AuditLogChange {
                key: key.into(),
                old_value: o,
                new_value: n,
            });
        }
    };
    push(
        "nick",
        b.nick.as_ref().map(|v| json!(v)),
        a.nick.as_ref().map(|v| json!(v)),
    );
    push("mute", Some(json!(b.mute)), Some(json!(a.mute)));
    push("deaf", Some(json!(b.deaf)), Some(json!(a.deaf)));
    push(
        "communication_disabled_until",
        ts(b.communication_disabled_until),
        ts(a.communication_disabled_until),
    );
    if !changes.is_empty() {
        audit::record(
            app,
            guild_id,
            Entry::new(action::MEMBER_UPDATE, Some(actor), Some(target)).changes(changes),
        )
        .await;
    }
    let role_list = |ids: Vec<i64>| {
        json!(
            ids.iter()
                .map(|id| {
                    let name = ctx
                        .roles
                        .iter()
                        .find(|r| r.id == *id)
                        .map(|r| r.name.clone());
                    json!({"id": id.to_string(), "name": name})
                })
                .collect::<Vec<_>>()
        )
    };
    let added: Vec<i64> = after
        .roles
        .iter()
        .filter(|r| !before.roles.contains(r))
        .copied()
        .collect();
    let removed: Vec<i64> = before
        .roles
        .iter()
        .filter(|r| !after.roles.contains(r))
        .copied()
        .collect();
    let mut rc = vec![];
    if !added.is_empty() {
        rc.push(AuditLogChange {
            key: "$add".into(),
            old_value: None,
            new_value: Some(role_list(added)),
        });
    }
    if !removed.is_empty() {
        rc.push(AuditLogChange {
            key: "$remove".into(),
            old_value: None,
            new_value: Some(role_list(removed)),
        });
    }
    if !rc.is_empty() {
        audit::record(
            app,
            guild_id,
            Entry::new(action::MEMBER_ROLE_UPDATE, Some(actor), Some(target)).changes(rc),
        )
        .await;
    }
}

/// Sets or lifts a member's timeout (AutoMod's TIMEOUT action) and tells everyone.
pub async fn set_timeout(
    app: &AppState,
    guild_id: i64,
    target: i64,
    until: Option<i64>,
) -> Result<(), ApiError> {
    let until = until.map(|u| u.min(app.now() + MAX_TIMEOUT_MS));
    let p = MemberPatch {
        communication_disabled_until: Some(until),
        ..MemberPatch::default()
    };
    let updated = app.store.update_member(guild_id, target, p).await?;
    publish_update(app, guild_id, &updated).await?;
    Ok(())
}

/// `PUT|DELETE /guilds/{id}/members/{user}/roles/{role}`.
pub async fn set_role(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
    role: i64,
    add: bool,
) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_ROLES)?;
    app.store
        .member(guild_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    check_role_assignable(&ctx, role)?;
    let changed = if add {
        app.store.add_member_role(guild_id, target, role).await?
    } else {
        app.store.remove_member_role(guild_id, target, role).await?
    };
    if changed && let Some(m) = app.store.member(guild_id, target).await? {
        let mut before = m.clone();
        if add {
            before.roles.retain(|r| *r != role);
        } else {
            before.roles.push(role);
        }
        audit_member_change(app, &ctx, user.id, &before, &m).await;
        publish_update(app, guild_id, &m).await?;
    }
    Ok(())
}

/// Removes a membership and tells everyone (kick, leave, temporary expiry).
pub async fn remove(app: &AppState, guild_id: i64, target: &UserRow) -> Result<(), ApiError> {
    if !app.store.remove_member(guild_id, target.id).await? {
        return Err(ApiError::Unknown(Unknown::Member));
    }
    announce_removal(app, guild_id, target).await;
    Ok(())
}

async fn announce_removal(app: &AppState, guild_id: i64, target: &UserRow) {
    voice::disconnect(app, guild_id, target.id).await;
    let d = json!({"guild_id": guild_id.to_string(), "user": views::user(target)});
    app.bus
        .publish(
            Event::new(
                "GUILD_MEMBER_REMOVE",
                &d,
                Audience::Guild(guild_id),
                Intents::GUILD_MEMBERS,
            )
            .with_effect(Effect::InvalidateGuild(guild_id)),
        )
        .await;
    let gone = json!({"id": guild_id.to_string()});
    app.bus
        .publish(
            Event::new(
                "GUILD_DELETE",
                &gone,
                Audience::Users(vec![target.id]),
                Intents::GUILDS,
            )
            .in_guild(Some(guild_id))
            .with_effect(Effect::LeaveGuild {
                guild: guild_id,
                user: target.id,
            }),
        )
        .await;
}

/// `DELETE /guilds/{id}/members/{user}`: KICK_MEMBERS and a higher role.
pub async fn kick(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::KICK_MEMBERS)?;
    let m = app
        .store
        .member(guild_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    if !ctx.outranks_member(&m) {
        return Err(ApiError::MissingPermissions);
    }
    let u = app
        .store
        .user(target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Member))?;
    remove(app, guild_id, &u).await?;
    tracing::info!(
        guild.id = guild_id,
        user.id = target,
        moderator.id = user.id,
        "member kicked"
    );
    audit::record(
        app,
        guild_id,
        Entry::new(action::MEMBER_KICK, Some(user.id), Some(target)),
    )
    .await;
    Ok(())
}

/// `PUT /guilds/{id}/bans/{user}`: BAN_MEMBERS and a higher role (if the target is a member).
pub async fn ban(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
    b: CreateBan,
) -> Result<(), ApiError> {
    let reason = audit::reason();
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::BAN_MEMBERS)?;
    let u = app
        .store
        .user(target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::User))?;
    let member = app.store.member(guild_id, target).await?;
    if target == ctx.guild.owner_id || member.as_ref().is_some_and(|m| !ctx.outranks_member(m)) {
        return Err(ApiError::MissingPermissions);
    }
    let secs = match (b.delete_message_seconds, b.delete_message_days) {
        (Some(s), _) => s,
        (None, Some(d)) => d.saturating_mul(86_400),
        (None, None) => 0,
    };
    if !(0..=604_800).contains(&secs) {
        return Err(field_error(
            "delete_message_seconds",
            "NUMBER_TYPE_MAX",
            "Must be between 0 and 604800.",
        ));
    }
    let since = (secs > 0).then(|| app.now() - secs * 1000);
    let deleted = app
        .store
        .ban(
            &BanRow {
                guild_id,
                user_id: target,
                reason: reason.clone(),
                created_at: app.now(),
            },
            since,
        )
        .await?;
    tracing::info!(
        guild.id = guild_id,
        user.id = target,
        moderator.id = user.id,
        "member banned"
    );
    audit::record(
        app,
        guild_id,
        Entry::new(action::MEMBER_BAN_ADD, Some(user.id), Some(target)),
    )
    .await;
    publish_ban(app, "GUILD_BAN_ADD", guild_id, &u).await;
    if member.is_some() {
        announce_removal(app, guild_id, &u).await;
    }
    crate::service::messages::announce_deleted(app, guild_id, &deleted).await;
    Ok(())
}

/// GUILD_BAN_ADD/REMOVE, to those who may ban.
async fn publish_ban(app: &AppState, name: &'static str, guild_id: i64, u: &UserRow) {
    let d = json!({"guild_id": guild_id.to_string(), "user": views::user(u)});
    let audience = Audience::GuildPerm {
        guild: guild_id,
        perm: Permissions::BAN_MEMBERS.0,
    };
    app.bus
        .publish(Event::new(name, &d, audience, Intents::GUILD_MODERATION))
        .await;
}

/// `DELETE /guilds/{id}/bans/{user}`.
pub async fn unban(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
) -> Result<(), ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::BAN_MEMBERS)?;
    if !app.store.unban(guild_id, target).await? {
        return Err(ApiError::Unknown(Unknown::Ban));
    }
    audit::record(
        app,
        guild_id,
        Entry::new(action::MEMBER_BAN_REMOVE, Some(user.id), Some(target)),
    )
    .await;
    if let Some(u) = app.store.user(target).await? {
        publish_ban(app, "GUILD_BAN_REMOVE", guild_id, &u).await;
    }
    Ok(())
}

/// `GET /guilds/{id}/bans`.
pub async fn bans(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    q: BanQuery,
) -> Result<Vec<Ban>, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::BAN_MEMBERS)?;
    let rows = app
        .store
        .bans(
            guild_id,
            q.before.map(Snowflake::get),
            q.after.map(Snowflake::get),
            limit(q.limit, 1000, 1000)?,
        )
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    let users = app.store.users(&ids).await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            users.iter().find(|u| u.id == r.user_id).map(|u| Ban {
                reason: r.reason.clone(),
                user: views::user(u),
            })
        })
        .collect())
}

/// `GET /guilds/{id}/bans/{user}`.
pub async fn get_ban(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    target: i64,
) -> Result<Ban, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::BAN_MEMBERS)?;
    let b = app
        .store
        .ban_of(guild_id, target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Ban))?;
    let u = app
        .store
        .user(target)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Ban))?;
    Ok(Ban {
        reason: b.reason,
        user: views::user(&u),
    })
}

/// Announces a new member (after the store added them).
pub async fn announce_join(app: &AppState, guild_id: i64, user: &UserRow) -> Result<(), ApiError> {
    crate::service::guilds::announce_join(app, guild_id, user.id).await?;
    if let Some(m) = app.store.member(guild_id, user.id).await? {
        let view = views::member(&m, Some(user));
        app.bus
            .publish(
                Event::new(
                    "GUILD_MEMBER_ADD",
                    &member_event_json(guild_id, &view),
                    Audience::Guild(guild_id),
                    Intents::GUILD_MEMBERS,
                )
                .with_effect(Effect::InvalidateGuild(guild_id)),
            )
            .await;
    }
    if let Some((status, activities)) = app.presences.get(user.id) {
        let d =
            crate::service::presence::presence_json(user.id, Some(guild_id), &status, &activities);
        app.bus
            .publish(Event::new(
                "PRESENCE_UPDATE",
                &d,
                Audience::Guild(guild_id),
                Intents::GUILD_PRESENCES,
            ))
            .await;
    }
    Ok(())
}

/// Removes memberships gained through temporary invites once the user has no session left
/// (Discord's `temporary` invites), unless they have been given a role meanwhile.
pub async fn drop_temporary_memberships(app: &AppState, user_id: i64) {
    let Ok(guilds) = app.store.temporary_memberships(user_id).await else {
        return;
    };
    let Ok(Some(u)) = app.store.user(user_id).await else {
        return;
    };
    for g in guilds {
        if remove(app, g, &u).await.is_ok() {
            tracing::info!(
                guild.id = g,
                user.id = user_id,
                "temporary member removed on disconnect"
            );
        }
    }
}
