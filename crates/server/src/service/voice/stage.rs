//! Stage instances: a live stage (topic, privacy) on a stage channel, Discord's
//! `/stage-instances` API. A stage is opened by a stage moderator (MANAGE_CHANNELS, MUTE_MEMBERS
//! and MOVE_MEMBERS in the channel), shown to the community (STAGE_INSTANCE_* dispatches,
//! `stage_instances` in GUILD_CREATE), and ends when closed or when the last member leaves.
//! Held in memory beside the voice states (a stage lives only while people are on it).

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, Unknown, field_error};
use crate::service::audit::{self, Entry};
use crate::service::perms::ChannelCtx;
use coterie_model::channel::kind;
use coterie_model::moderation::action;
use coterie_model::{Intents, Permissions, Snowflake};
use serde::Deserialize;
use serde_json::{Value, json};

/// A live stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Id.
    pub id: i64,
    /// Guild.
    pub guild_id: i64,
    /// The stage channel.
    pub channel_id: i64,
    /// What it is about.
    pub topic: String,
    /// 2 = community only (1, public, is deprecated by Discord and accepted as 2).
    pub privacy_level: u8,
    /// The scheduled event it belongs to.
    pub scheduled_event: Option<i64>,
}

impl Stage {
    /// The API shape.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "guild_id": self.guild_id.to_string(),
            "channel_id": self.channel_id.to_string(),
            "topic": self.topic,
            "privacy_level": self.privacy_level,
            "discoverable_disabled": true,
            "guild_scheduled_event_id": self.scheduled_event.map(|e| e.to_string()),
        })
    }
}

/// `POST /stage-instances`.
#[derive(Debug, Deserialize)]
pub struct CreateStage {
    /// The stage channel.
    pub channel_id: Snowflake,
    /// 1–120 characters.
    pub topic: String,
    /// 1 or 2.
    pub privacy_level: Option<u8>,
    /// Ignored (no push notifications).
    #[serde(default)]
    pub send_start_notification: bool,
    /// The scheduled event it belongs to.
    pub guild_scheduled_event_id: Option<Snowflake>,
}

/// `PATCH /stage-instances/{channel}`.
#[derive(Debug, Deserialize)]
pub struct ModifyStage {
    /// 1–120 characters.
    pub topic: Option<String>,
    /// 1 or 2.
    pub privacy_level: Option<u8>,
}

fn check_topic(t: &str) -> Result<String, ApiError> {
    let t = t.trim();
    let n = t.chars().count();
    if !(1..=120).contains(&n) {
        return Err(field_error(
            "topic",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 120 in length.",
        ));
    }
    Ok(t.to_owned())
}

fn check_privacy(p: Option<u8>) -> Result<u8, ApiError> {
    match p {
        None | Some(1 | 2) => Ok(2),
        Some(_) => Err(field_error(
            "privacy_level",
            "BASE_TYPE_CHOICES",
            "Value must be one of {1, 2}.",
        )),
    }
}

/// Loads the channel as `user` sees it and requires a stage channel they moderate.
async fn moderated_stage(app: &AppState, channel: i64, user: i64) -> Result<ChannelCtx, ApiError> {
    let ctx = ChannelCtx::load(app, channel, user).await?;
    if ctx.channel.kind != i64::from(kind::GUILD_STAGE_VOICE) {
        return Err(ApiError::BadRequest(
            50024,
            "Cannot execute action on this channel type",
        ));
    }
    ctx.require(
        Permissions::MANAGE_CHANNELS | Permissions::MUTE_MEMBERS | Permissions::MOVE_MEMBERS,
    )?;
    Ok(ctx)
}

async fn announce(app: &AppState, name: &'static str, s: &Stage) {
    app.bus
        .publish(
            Event::new(
                name,
                &s.to_json(),
                Audience::Guild(s.guild_id),
                Intents::GUILDS,
            )
            .in_guild(Some(s.guild_id)),
        )
        .await;
}

/// Opens a stage.
pub async fn create(app: &AppState, user: i64, b: CreateStage) -> Result<Value, ApiError> {
    let channel = b.channel_id.get();
    let ctx = moderated_stage(app, channel, user).await?;
    let topic = check_topic(&b.topic)?;
    let privacy_level = check_privacy(b.privacy_level)?;
    let guild_id = ctx.guild_id().ok_or(ApiError::Unknown(Unknown::Channel))?;
    let stage = Stage {
        id: app.ids.next_i64(),
        guild_id,
        channel_id: channel,
        topic,
        privacy_level,
        scheduled_event: b.guild_scheduled_event_id.map(Snowflake::get),
    };
    if !app.voice.open_stage(stage.clone()) {
        return Err(ApiError::BadRequest(150_006, "Stage already open"));
    }
    audit::record(
        app,
        guild_id,
        Entry::new(action::STAGE_INSTANCE_CREATE, Some(user), Some(stage.id)).changes(audit::diff(
            &json!({}),
            &json!({"topic": stage.topic, "privacy_level": stage.privacy_level}),
        )),
    )
    .await;
    announce(app, "STAGE_INSTANCE_CREATE", &stage).await;
    Ok(stage.to_json())
}

/// The live stage of a channel (any member who can see the channel).
pub async fn get(app: &AppState, user: i64, channel: i64) -> Result<Value, ApiError> {
    ChannelCtx::load(app, channel, user).await?;
    app.voice
        .stage(channel)
        .map(|s| s.to_json())
        .ok_or(ApiError::Unknown(Unknown::StageInstance))
}

/// Changes a live stage's topic or privacy.
pub async fn modify(
    app: &AppState,
    user: i64,
    channel: i64,
    b: ModifyStage,
) -> Result<Value, ApiError> {
    moderated_stage(app, channel, user).await?;
    let before = app
        .voice
        .stage(channel)
        .ok_or(ApiError::Unknown(Unknown::StageInstance))?;
    let mut after = before.clone();
    if let Some(t) = &b.topic {
        after.topic = check_topic(t)?;
    }
    if b.privacy_level.is_some() {
        after.privacy_level = check_privacy(b.privacy_level)?;
    }
    if after != before {
        app.voice.replace_stage(after.clone());
        audit::record(
            app,
            after.guild_id,
            Entry::new(action::STAGE_INSTANCE_UPDATE, Some(user), Some(after.id)).changes(
                audit::diff(
                    &json!({"topic": before.topic}),
                    &json!({"topic": after.topic}),
                ),
            ),
        )
        .await;
        announce(app, "STAGE_INSTANCE_UPDATE", &after).await;
    }
    Ok(after.to_json())
}

/// Closes a stage.
pub async fn delete(app: &AppState, user: i64, channel: i64) -> Result<(), ApiError> {
    moderated_stage(app, channel, user).await?;
    let s = app
        .voice
        .close_stage(channel)
        .ok_or(ApiError::Unknown(Unknown::StageInstance))?;
    audit::record(
        app,
        s.guild_id,
        Entry::new(action::STAGE_INSTANCE_DELETE, Some(user), Some(s.id)),
    )
    .await;
    announce(app, "STAGE_INSTANCE_DELETE", &s).await;
    Ok(())
}

/// The stage ends by itself when its last member leaves (or its channel is deleted).
pub async fn end_if_empty(app: &AppState, guild: i64, channel: i64) {
    let empty = !app
        .voice
        .guild_states(guild)
        .iter()
        .any(|s| s.channel_id == channel);
    if empty && let Some(s) = app.voice.close_stage(channel) {
        announce(app, "STAGE_INSTANCE_DELETE", &s).await;
    }
}
