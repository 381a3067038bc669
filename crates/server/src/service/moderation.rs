//! Community safety settings: rules screening (members accept the rules before talking),
//! verification levels, raid protection (joins faster than a set rate pause invites and alert
//! moderators) and the invite pause itself. The settings live as one JSON object on the guild.

use crate::app::AppState;
use crate::error::{ApiError, FieldErrors, field_error};
use crate::service::audit::{self, Entry};
use crate::service::perms::GuildCtx;
use coterie_model::guild::Member;
use coterie_model::moderation::{GuildRules, action};
use coterie_model::validate::FieldError;
use coterie_model::{Permissions, Timestamp};
use coterie_store::{GuildPatch, GuildRow, MemberPatch, MemberRow, UserRow};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Raid protection settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RaidSettings {
    /// On (off by default: owners choose a rate that fits their community).
    #[serde(default)]
    pub enabled: bool,
    /// More joins than this …
    #[serde(default = "default_joins")]
    pub joins: u32,
    /// … within this many seconds is a raid.
    #[serde(default = "default_seconds")]
    pub seconds: u32,
    /// Invites stay paused this long.
    #[serde(default = "default_pause")]
    pub pause_minutes: u32,
}

fn default_joins() -> u32 {
    10
}
fn default_seconds() -> u32 {
    60
}
fn default_pause() -> u32 {
    60
}

impl Default for RaidSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            joins: default_joins(),
            seconds: default_seconds(),
            pause_minutes: default_pause(),
        }
    }
}

/// The guild's moderation settings (`guilds.moderation`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Rules screening.
    #[serde(default)]
    pub rules: GuildRules,
    /// Raid protection.
    #[serde(default)]
    pub raid: RaidSettings,
    /// Invites refuse joins until then (ms).
    #[serde(default)]
    pub invites_paused_until: Option<i64>,
    /// When raid protection last fired (ms).
    #[serde(default)]
    pub raid_detected_at: Option<i64>,
    /// When a moderator last resumed invites: joins before it no longer count (ms).
    #[serde(default)]
    pub invites_resumed_at: Option<i64>,
}

impl Settings {
    /// Parses the guild's settings (defaults when unset or unreadable).
    #[must_use]
    pub fn of(g: &GuildRow) -> Self {
        if g.moderation.len() <= 2 {
            return Self::default();
        }
        serde_json::from_str(&g.moderation).unwrap_or_default()
    }

    /// Whether invites are paused at `now`.
    #[must_use]
    pub fn invites_paused(&self, now: i64) -> bool {
        self.invites_paused_until.is_some_and(|t| t > now)
    }
}

async fn save(app: &AppState, guild_id: i64, s: &Settings) -> Result<GuildRow, ApiError> {
    let patch = GuildPatch {
        moderation: Some(serde_json::to_string(s).map_err(ApiError::internal)?),
        ..GuildPatch::default()
    };
    Ok(app.store.update_guild(guild_id, patch).await?)
}

/// Why the caller may only read in this guild right now (rules not accepted, verification
/// level not met), if so. Owners, administrators, bots and — for verification — members with a
/// role are never held back.
pub async fn restriction(
    app: &AppState,
    g: &GuildRow,
    m: &MemberRow,
    has_roles: bool,
) -> Result<Option<&'static str>, ApiError> {
    if m.user_id == g.owner_id {
        return Ok(None);
    }
    if m.pending && Settings::of(g).rules.enabled {
        return Ok(Some(
            "You must accept this community's rules before you can talk here: read them and accept them first.",
        ));
    }
    if g.verification_level == 0 || has_roles {
        return Ok(None);
    }
    let Some(u) = app.store.user(m.user_id).await? else {
        return Ok(None);
    };
    if u.bot {
        return Ok(None);
    }
    let now = app.now();
    let level = g.verification_level;
    Ok(if !u.email_verified {
        Some("This community requires a verified email address before you can talk here.")
    } else if level >= 2 && now - u.created_at < 5 * 60_000 {
        Some(
            "This community requires accounts to be older than 5 minutes before they can talk here.",
        )
    } else if level >= 3 && now - m.joined_at < 10 * 60_000 {
        Some(
            "This community requires members to have been here for 10 minutes before they can talk.",
        )
    } else {
        None
    })
}

/// Body of `PUT /guilds/{id}/rules`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RulesBody {
    enabled: bool,
    #[serde(default)]
    rules: Vec<String>,
}

/// `GET /guilds/{id}/rules`: any member.
pub async fn rules(app: &AppState, user: &UserRow, guild_id: i64) -> Result<GuildRules, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    Ok(Settings::of(&ctx.guild).rules)
}

/// `PUT /guilds/{id}/rules`: MANAGE_GUILD. Turning screening off lets pending members talk.
pub async fn set_rules(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: RulesBody,
) -> Result<GuildRules, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    let mut errs = FieldErrors::new();
    if b.rules.len() > 20 {
        errs.add(
            "rules",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer in length."),
        );
    }
    let rules: Vec<String> = b.rules.iter().map(|r| r.trim().to_owned()).collect();
    for (i, r) in rules.iter().enumerate() {
        let n = r.chars().count();
        if n == 0 || n > 300 {
            errs.add(
                &format!("rules.{i}"),
                FieldError::new(
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 300 in length.",
                ),
            );
        }
    }
    if b.enabled && rules.is_empty() {
        errs.add(
            "rules",
            FieldError::new("BASE_TYPE_MIN_LENGTH", "Screening needs at least one rule."),
        );
    }
    errs.into_result()?;
    let mut s = Settings::of(&ctx.guild);
    let before = serde_json::to_value(&s.rules).unwrap_or_default();
    s.rules = GuildRules {
        enabled: b.enabled,
        rules,
    };
    save(app, guild_id, &s).await?;
    if !s.rules.enabled {
        app.store.clear_pending(guild_id).await?;
    }
    audit::record(
        app,
        guild_id,
        Entry::new(action::RULES_UPDATE, Some(user.id), Some(guild_id)).changes(audit::diff(
            &before,
            &serde_json::to_value(&s.rules).unwrap_or_default(),
        )),
    )
    .await;
    Ok(s.rules)
}

/// `POST /guilds/{id}/rules/accept`: the caller accepts the rules and may talk.
pub async fn accept_rules(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
) -> Result<Member, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    if !ctx.member.member.pending {
        return crate::service::members::get(app, user, guild_id, user.id).await;
    }
    let updated = app
        .store
        .update_member(
            guild_id,
            user.id,
            MemberPatch {
                pending: Some(false),
                ..MemberPatch::default()
            },
        )
        .await?;
    crate::service::members::publish_update(app, guild_id, &updated).await
}

/// `GET /guilds/{id}/raid-protection`: MANAGE_GUILD; with the current pause.
pub async fn raid(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
) -> Result<serde_json::Value, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    Ok(raid_view(&Settings::of(&ctx.guild), app.now()))
}

fn raid_view(s: &Settings, now: i64) -> serde_json::Value {
    let mut v = serde_json::to_value(&s.raid).unwrap_or_default();
    v["invites_paused_until"] = json!(s.invites_paused_until.filter(|t| *t > now).map(Timestamp));
    v["raid_detected_at"] = json!(s.raid_detected_at.map(Timestamp));
    v
}

/// Body of `PUT /guilds/{id}/raid-protection`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RaidBody {
    enabled: Option<bool>,
    joins: Option<u32>,
    seconds: Option<u32>,
    pause_minutes: Option<u32>,
    /// Pause invites now for `pause_minutes` (true) or resume them (false).
    invites_paused: Option<bool>,
}

/// `PUT /guilds/{id}/raid-protection`: MANAGE_GUILD.
pub async fn set_raid(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: RaidBody,
) -> Result<serde_json::Value, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    let mut s = Settings::of(&ctx.guild);
    let mut errs = FieldErrors::new();
    let mut range = |field: &str, v: Option<u32>, max: u32, slot: &mut u32| {
        if let Some(v) = v {
            if (1..=max).contains(&v) {
                *slot = v;
            } else {
                errs.add(
                    field,
                    FieldError::new("NUMBER_TYPE_MAX", format!("Must be between 1 and {max}.")),
                );
            }
        }
    };
    range("joins", b.joins, 10_000, &mut s.raid.joins);
    range("seconds", b.seconds, 86_400, &mut s.raid.seconds);
    range(
        "pause_minutes",
        b.pause_minutes,
        10_080,
        &mut s.raid.pause_minutes,
    );
    errs.into_result()?;
    if let Some(e) = b.enabled {
        s.raid.enabled = e;
    }
    let now = app.now();
    let was_paused = s.invites_paused(now);
    match b.invites_paused {
        Some(true) => s.invites_paused_until = Some(now + i64::from(s.raid.pause_minutes) * 60_000),
        Some(false) => {
            s.invites_paused_until = None;
            s.invites_resumed_at = Some(now);
        }
        None => {}
    }
    save(app, guild_id, &s).await?;
    if b.invites_paused.is_some() && was_paused != s.invites_paused(now) {
        audit::record(
            app,
            guild_id,
            Entry::new(action::INVITES_PAUSED, Some(user.id), Some(guild_id))
                .options(json!({"paused": s.invites_paused(now).to_string()})),
        )
        .await;
    }
    Ok(raid_view(&s, now))
}

/// Refuses a join while invites are paused, or when it would exceed the raid-protection rate
/// (which pauses invites); otherwise says whether the newcomer starts pending.
pub async fn admit(app: &AppState, g: &GuildRow) -> Result<bool, ApiError> {
    let s = Settings::of(g);
    let now = app.now();
    let paused = ApiError::Forbidden(
        40069,
        "Invites to this community are paused for now. Try again later.",
    );
    if s.invites_paused(now) {
        return Err(paused);
    }
    if s.raid.enabled {
        let since = (now - i64::from(s.raid.seconds) * 1000).max(s.invites_resumed_at.unwrap_or(0));
        let joins = app.store.joins_since(g.id, since).await?;
        if joins >= i64::from(s.raid.joins) {
            let why = format!(
                "more than {} joins in {} seconds",
                s.raid.joins, s.raid.seconds
            );
            raid_detected(app, g.id, &why).await;
            return Err(paused);
        }
    }
    Ok(s.rules.enabled)
}

/// Pauses invites, records it, and alerts moderators in the community's updates or system channel.
pub async fn raid_detected(app: &AppState, guild_id: i64, why: &str) {
    let run = async {
        let Some(g) = app.store.guild(guild_id).await? else {
            return Ok::<(), ApiError>(());
        };
        let mut s = Settings::of(&g);
        let now = app.now();
        let minutes = s.raid.pause_minutes.max(1);
        s.invites_paused_until = Some(now + i64::from(minutes) * 60_000);
        s.raid_detected_at = Some(now);
        save(app, guild_id, &s).await?;
        audit::record_with_reason(
            app,
            guild_id,
            Entry::new(action::INVITES_PAUSED, None, Some(guild_id))
                .options(json!({"paused": "true", "cause": why})),
            Some(format!("Raid protection: {why}")),
        )
        .await;
        tracing::warn!(
            guild.id = guild_id,
            cause = why,
            "raid protection paused invites"
        );
        if let Some(ch) = g.public_updates_channel_id.or(g.system_channel_id) {
            let sys = crate::service::events::system_user(app).await?;
            let ctx = crate::service::perms::ChannelCtx::system(app, ch, sys.id).await?;
            let mut row = crate::service::messages::system_row(
                app.ids.next_i64(),
                ch,
                Some(guild_id),
                sys.id,
                coterie_model::message::kind::DEFAULT,
                None,
            );
            row.content = format!(
                "🛡️ Raid protection paused invites for {minutes} minutes ({why}). Moderators can resume them in Server settings → Safety."
            );
            crate::service::messages::post_system(app, &ctx, sys.id, row).await?;
        }
        Ok(())
    };
    if let Err(e) = run.await {
        tracing::error!(guild.id = guild_id, error = %e, "raid protection failed to act");
    }
}

/// Body of `POST /admin/users/{id}/suspension`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SuspendBody {
    reason: Option<String>,
}

/// `PUT /admin/users/{id}/suspension`: instance administrators suspend an account everywhere;
/// its tokens stop working and its gateway sessions close.
pub async fn suspend(
    app: &AppState,
    admin: &UserRow,
    target: i64,
    b: SuspendBody,
) -> Result<(), ApiError> {
    if !admin.instance_admin {
        return Err(ApiError::MissingPermissions);
    }
    if target == admin.id {
        return Err(field_error(
            "user_id",
            "SUSPEND_SELF",
            "You cannot suspend your own account.",
        ));
    }
    app.store
        .user(target)
        .await?
        .ok_or(ApiError::Unknown(crate::error::Unknown::User))?;
    let reason: Option<String> = b.reason.map(|r| r.chars().take(512).collect());
    app.store
        .suspend_user(target, admin.id, reason.as_deref(), app.now())
        .await?;
    crate::gateway::registry::invalidate_user_sessions(app, target);
    tracing::info!(user.id = target, admin.id = admin.id, "account suspended");
    Ok(())
}

/// `DELETE /admin/users/{id}/suspension`.
pub async fn unsuspend(app: &AppState, admin: &UserRow, target: i64) -> Result<(), ApiError> {
    if !admin.instance_admin {
        return Err(ApiError::MissingPermissions);
    }
    if !app.store.unsuspend_user(target).await? {
        return Err(ApiError::Unknown(crate::error::Unknown::User));
    }
    tracing::info!(
        user.id = target,
        admin.id = admin.id,
        "account suspension lifted"
    );
    Ok(())
}
