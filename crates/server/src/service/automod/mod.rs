//! AutoMod: Discord's auto-moderation rules API (`/guilds/{id}/auto-moderation/rules`), with
//! Coterie's classifier triggers and review actions. Rules compile once per guild into a
//! [`RuleSet`] cached on the node; [`screen`] applies them to messages, edits, thread titles and
//! nicknames.

pub mod classifier;
pub mod engine;
pub mod presets;
mod screen;

pub use screen::{Subject, Verdict, after_post, screen};

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, FieldErrors, Unknown};
use crate::service::audit::{self, Entry};
use crate::service::perms::GuildCtx;
use coterie_model::channel::kind as channel_kind;
use coterie_model::moderation::{
    AutoModAction, AutoModRule, TriggerMetadata, action, action_kind, trigger,
};
use coterie_model::validate::FieldError;
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{AutoModRow, StoreError, UserRow};
use engine::TextMatcher;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long another node's rule changes may take to apply here (the cache's lifetime).
const CACHE_TTL_MS: i64 = 10_000;

/// A rule, compiled.
#[derive(Debug)]
pub struct Compiled {
    /// The rule.
    pub rule: AutoModRule,
    /// Its text test (keyword, preset and profile rules).
    pub text: Option<TextMatcher>,
}

/// A guild's enabled rules, compiled.
#[derive(Debug, Default)]
pub struct RuleSet {
    /// Rules.
    pub rules: Vec<Compiled>,
}

/// Per-node AutoMod state: compiled rule sets and the short memories of the spam triggers.
#[derive(Debug, Default)]
pub struct State {
    cache: Mutex<HashMap<i64, (i64, Arc<RuleSet>)>>,
    pub(crate) recent: Mutex<screen::Recent>,
}

impl State {
    /// Drops a guild's compiled rules (they are rebuilt on the next screening).
    pub(crate) fn invalidate(&self, guild_id: i64) {
        if let Ok(mut c) = self.cache.lock() {
            c.remove(&guild_id);
        }
    }
}

/// Rules allowed per trigger type.
fn max_rules(t: u16) -> i64 {
    if t == trigger::KEYWORD { 6 } else { 1 }
}

fn parse(r: &AutoModRow) -> Option<AutoModRule> {
    serde_json::from_str(&r.body).ok()
}

/// A guild's rules as the API shows them.
pub async fn rules_of(app: &AppState, guild_id: i64) -> Result<Vec<AutoModRule>, ApiError> {
    Ok(app
        .store
        .automod_rules(guild_id)
        .await?
        .iter()
        .filter_map(parse)
        .collect())
}

/// The guild's compiled enabled rules (cached).
pub async fn rule_set(app: &AppState, guild_id: i64) -> Result<Arc<RuleSet>, ApiError> {
    let now = app.now();
    if let Ok(c) = app.automod.cache.lock()
        && let Some((at, set)) = c.get(&guild_id)
        && now - at < CACHE_TTL_MS
    {
        return Ok(set.clone());
    }
    let rules = rules_of(app, guild_id).await?;
    let set = Arc::new(RuleSet {
        rules: rules
            .into_iter()
            .filter(|r| r.enabled)
            .map(|rule| {
                let words = presets::words(&rule.trigger_metadata.presets);
                let text = matches!(
                    rule.trigger_type,
                    trigger::KEYWORD | trigger::KEYWORD_PRESET | trigger::MEMBER_PROFILE
                )
                .then(|| TextMatcher::new(&rule.trigger_metadata, &words).ok())
                .flatten();
                Compiled { rule, text }
            })
            .collect(),
    });
    if let Ok(mut c) = app.automod.cache.lock() {
        if c.len() > 10_000 {
            c.clear();
        }
        c.insert(guild_id, (now, set.clone()));
    }
    Ok(set)
}

/// Body of rule create and modify.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RuleBody {
    name: Option<String>,
    event_type: Option<u8>,
    trigger_type: Option<u16>,
    trigger_metadata: Option<TriggerMetadata>,
    actions: Option<Vec<AutoModAction>>,
    enabled: Option<bool>,
    exempt_roles: Option<Vec<Snowflake>>,
    exempt_channels: Option<Vec<Snowflake>>,
}

async fn manager(app: &AppState, user: &UserRow, guild_id: i64) -> Result<GuildCtx, ApiError> {
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    ctx.require(Permissions::MANAGE_GUILD)?;
    Ok(ctx)
}

fn list_limit(errs: &mut FieldErrors, path: &str, v: &[String], max: usize, each: usize) {
    if v.len() > max {
        errs.add(
            path,
            FieldError::new(
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {max} or fewer in length."),
            ),
        );
    }
    for (i, s) in v.iter().enumerate() {
        let n = s.chars().count();
        if n == 0 || n > each {
            errs.add(
                &format!("{path}.{i}"),
                FieldError::new(
                    "BASE_TYPE_BAD_LENGTH",
                    format!("Must be between 1 and {each} in length."),
                ),
            );
        }
    }
}

/// Checks a rule against Discord's limits; errors name the offending field.
async fn validate(app: &AppState, ctx: &GuildCtx, r: &AutoModRule) -> Result<(), ApiError> {
    let mut errs = FieldErrors::new();
    let n = r.name.trim().chars().count();
    if n == 0 || n > 100 {
        errs.add(
            "name",
            FieldError::new(
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ),
        );
    }
    let t = r.trigger_type;
    let known = [
        trigger::KEYWORD,
        trigger::SPAM,
        trigger::KEYWORD_PRESET,
        trigger::MENTION_SPAM,
        trigger::MEMBER_PROFILE,
        trigger::TOXICITY,
        trigger::SPAM_CLASSIFIER,
    ];
    if !known.contains(&t) {
        errs.add(
            "trigger_type",
            FieldError::new(
                "BASE_TYPE_CHOICES",
                "Value must be one of {1, 3, 4, 5, 6, 1000, 1001}.",
            ),
        );
    }
    let want_event = if t == trigger::MEMBER_PROFILE { 2 } else { 1 };
    if r.event_type != want_event {
        errs.add(
            "event_type",
            FieldError::new(
                "AUTO_MODERATION_INVALID_EVENT_TYPE",
                format!("This trigger type needs event type {want_event}."),
            ),
        );
    }
    let m = &r.trigger_metadata;
    list_limit(
        &mut errs,
        "trigger_metadata.keyword_filter",
        &m.keyword_filter,
        1000,
        60,
    );
    list_limit(
        &mut errs,
        "trigger_metadata.regex_patterns",
        &m.regex_patterns,
        10,
        260,
    );
    let allow_max = if t == trigger::KEYWORD_PRESET {
        1000
    } else {
        100
    };
    list_limit(
        &mut errs,
        "trigger_metadata.allow_list",
        &m.allow_list,
        allow_max,
        60,
    );
    if m.regex_patterns.iter().all(|p| p.chars().count() <= 260) {
        for (i, p) in m.regex_patterns.iter().enumerate() {
            if let Err(msg) = engine::compile_regex(p) {
                errs.add(
                    &format!("trigger_metadata.regex_patterns.{i}"),
                    FieldError::new("AUTO_MODERATION_INVALID_REGEX", msg),
                );
            }
        }
    }
    if t == trigger::KEYWORD_PRESET
        && (m.presets.is_empty() || m.presets.iter().any(|p| !(1..=3).contains(p)))
    {
        errs.add(
            "trigger_metadata.presets",
            FieldError::new(
                "BASE_TYPE_CHOICES",
                "Presets are 1 (profanity), 2 (sexual content) and 3 (slurs).",
            ),
        );
    }
    if t == trigger::MENTION_SPAM && !m.mention_total_limit.is_some_and(|l| (1..=50).contains(&l)) {
        errs.add(
            "trigger_metadata.mention_total_limit",
            FieldError::new("NUMBER_TYPE_MAX", "Must be between 1 and 50."),
        );
    }
    if matches!(t, trigger::TOXICITY | trigger::SPAM_CLASSIFIER)
        && m.threshold.is_some_and(|x| !(0.0..=1.0).contains(&x))
    {
        errs.add(
            "trigger_metadata.threshold",
            FieldError::new("NUMBER_TYPE_MAX", "Must be between 0 and 1."),
        );
    }
    if r.actions.is_empty() || r.actions.len() > 5 {
        errs.add(
            "actions",
            FieldError::new("BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."),
        );
    }
    for (i, a) in r.actions.iter().enumerate() {
        let path = format!("actions.{i}");
        let allowed = match a.kind {
            action_kind::BLOCK_MESSAGE | action_kind::SEND_ALERT_MESSAGE => {
                t != trigger::MEMBER_PROFILE || a.kind == action_kind::SEND_ALERT_MESSAGE
            }
            action_kind::TIMEOUT => matches!(
                t,
                trigger::KEYWORD
                    | trigger::MENTION_SPAM
                    | trigger::MEMBER_PROFILE
                    | trigger::TOXICITY
            ),
            action_kind::BLOCK_MEMBER_INTERACTION => t == trigger::MEMBER_PROFILE,
            action_kind::HOLD_FOR_REVIEW | action_kind::REPORT => t != trigger::MEMBER_PROFILE,
            _ => false,
        };
        if !allowed {
            errs.add(
                &format!("{path}.type"),
                FieldError::new(
                    "AUTO_MODERATION_INVALID_ACTION",
                    "This action type is not available for this trigger type.",
                ),
            );
        }
        if a.kind == action_kind::BLOCK_MESSAGE
            && a.metadata
                .custom_message
                .as_ref()
                .is_some_and(|c| c.chars().count() > 150)
        {
            errs.add(
                &format!("{path}.metadata.custom_message"),
                FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length."),
            );
        }
        if a.kind == action_kind::TIMEOUT
            && !a
                .metadata
                .duration_seconds
                .is_some_and(|d| (1..=2_419_200).contains(&d))
        {
            errs.add(
                &format!("{path}.metadata.duration_seconds"),
                FieldError::new("NUMBER_TYPE_MAX", "Must be between 1 and 2419200."),
            );
        }
        if a.kind == action_kind::SEND_ALERT_MESSAGE {
            let ok = match a.metadata.channel_id {
                Some(c) => app.store.channel(c.get()).await?.is_some_and(|ch| {
                    ch.guild_id == Some(ctx.guild.id)
                        && channel_kind::is_textual(u8::try_from(ch.kind).unwrap_or(0))
                }),
                None => false,
            };
            if !ok {
                errs.add(
                    &format!("{path}.metadata.channel_id"),
                    FieldError::new(
                        "CHANNEL_TYPE_INVALID",
                        "Must be a text channel of this server.",
                    ),
                );
            }
        }
    }
    if r.exempt_roles.len() > 20 {
        errs.add(
            "exempt_roles",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer in length."),
        );
    }
    if r.exempt_channels.len() > 50 {
        errs.add(
            "exempt_channels",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 50 or fewer in length."),
        );
    }
    errs.into_result()
}

async fn publish(app: &AppState, name: &'static str, r: &AutoModRule) {
    app.automod.invalidate(r.guild_id.get());
    app.bus
        .publish(Event::new(
            name,
            r,
            Audience::GuildPerm {
                guild: r.guild_id.get(),
                perm: Permissions::MANAGE_GUILD.0,
            },
            Intents::AUTO_MODERATION_CONFIGURATION,
        ))
        .await;
}

fn to_json(r: &AutoModRule) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or_default()
}

/// `GET /guilds/{id}/auto-moderation/rules`.
pub async fn list(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
) -> Result<Vec<AutoModRule>, ApiError> {
    manager(app, user, guild_id).await?;
    rules_of(app, guild_id).await
}

async fn find(app: &AppState, guild_id: i64, id: i64) -> Result<AutoModRule, ApiError> {
    rules_of(app, guild_id)
        .await?
        .into_iter()
        .find(|r| r.id.get() == id)
        .ok_or(ApiError::Unknown(Unknown::AutoModRule))
}

/// `GET /guilds/{id}/auto-moderation/rules/{rule}`.
pub async fn get(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<AutoModRule, ApiError> {
    manager(app, user, guild_id).await?;
    find(app, guild_id, id).await
}

fn dedup(v: Vec<Snowflake>) -> Vec<Snowflake> {
    let mut v = v;
    v.sort_unstable();
    v.dedup();
    v
}

/// `POST /guilds/{id}/auto-moderation/rules`.
pub async fn create(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    b: RuleBody,
) -> Result<AutoModRule, ApiError> {
    let ctx = manager(app, user, guild_id).await?;
    let mut errs = FieldErrors::new();
    for (field, missing) in [
        ("name", b.name.is_none()),
        ("event_type", b.event_type.is_none()),
        ("trigger_type", b.trigger_type.is_none()),
        ("actions", b.actions.is_none()),
    ] {
        if missing {
            errs.add(
                field,
                FieldError::new("BASE_TYPE_REQUIRED", "This field is required"),
            );
        }
    }
    errs.into_result()?;
    let rule = AutoModRule {
        id: Snowflake::from_i64(app.ids.next_i64()),
        guild_id: Snowflake::from_i64(guild_id),
        name: b.name.unwrap_or_default().trim().to_owned(),
        creator_id: Snowflake::from_i64(user.id),
        event_type: b.event_type.unwrap_or(1),
        trigger_type: b.trigger_type.unwrap_or(0),
        trigger_metadata: b.trigger_metadata.unwrap_or_default(),
        actions: b.actions.unwrap_or_default(),
        enabled: b.enabled.unwrap_or(false),
        exempt_roles: dedup(b.exempt_roles.unwrap_or_default()),
        exempt_channels: dedup(b.exempt_channels.unwrap_or_default()),
    };
    validate(app, &ctx, &rule).await?;
    let row = AutoModRow {
        id: rule.id.get(),
        guild_id,
        trigger_type: i64::from(rule.trigger_type),
        body: serde_json::to_string(&rule).map_err(ApiError::internal)?,
    };
    match app
        .store
        .insert_automod_rule(&row, max_rules(rule.trigger_type))
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            return Err(ApiError::BadRequest(
                30035,
                "Maximum number of rules of this trigger type reached",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        app,
        guild_id,
        Entry::new(
            action::AUTO_MODERATION_RULE_CREATE,
            Some(user.id),
            Some(rule.id.get()),
        )
        .changes(audit::created(&to_json(&rule))),
    )
    .await;
    publish(app, "AUTO_MODERATION_RULE_CREATE", &rule).await;
    Ok(rule)
}

/// `PATCH /guilds/{id}/auto-moderation/rules/{rule}` (the trigger type cannot change).
pub async fn modify(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
    b: RuleBody,
) -> Result<AutoModRule, ApiError> {
    let ctx = manager(app, user, guild_id).await?;
    let before = find(app, guild_id, id).await?;
    let mut r = before.clone();
    if let Some(t) = b.trigger_type
        && t != r.trigger_type
    {
        return Err(crate::error::field_error(
            "trigger_type",
            "AUTO_MODERATION_TRIGGER_TYPE_IMMUTABLE",
            "The trigger type of a rule cannot change.",
        ));
    }
    if let Some(v) = b.name {
        r.name = v.trim().to_owned();
    }
    if let Some(v) = b.event_type {
        r.event_type = v;
    }
    if let Some(v) = b.trigger_metadata {
        r.trigger_metadata = v;
    }
    if let Some(v) = b.actions {
        r.actions = v;
    }
    if let Some(v) = b.enabled {
        r.enabled = v;
    }
    if let Some(v) = b.exempt_roles {
        r.exempt_roles = dedup(v);
    }
    if let Some(v) = b.exempt_channels {
        r.exempt_channels = dedup(v);
    }
    validate(app, &ctx, &r).await?;
    let body = serde_json::to_string(&r).map_err(ApiError::internal)?;
    if !app.store.update_automod_rule(guild_id, id, &body).await? {
        return Err(ApiError::Unknown(Unknown::AutoModRule));
    }
    audit::record(
        app,
        guild_id,
        Entry::new(action::AUTO_MODERATION_RULE_UPDATE, Some(user.id), Some(id))
            .changes(audit::diff(&to_json(&before), &to_json(&r))),
    )
    .await;
    publish(app, "AUTO_MODERATION_RULE_UPDATE", &r).await;
    Ok(r)
}

/// `DELETE /guilds/{id}/auto-moderation/rules/{rule}`.
pub async fn delete(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    id: i64,
) -> Result<(), ApiError> {
    manager(app, user, guild_id).await?;
    let r = find(app, guild_id, id).await?;
    if !app.store.delete_automod_rule(guild_id, id).await? {
        return Err(ApiError::Unknown(Unknown::AutoModRule));
    }
    audit::record(
        app,
        guild_id,
        Entry::new(action::AUTO_MODERATION_RULE_DELETE, Some(user.id), Some(id))
            .changes(audit::deleted(&to_json(&r))),
    )
    .await;
    publish(app, "AUTO_MODERATION_RULE_DELETE", &r).await;
    Ok(())
}
