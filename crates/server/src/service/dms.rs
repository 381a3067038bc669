//! Direct messages and group DMs.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, Unknown, field_error};
use crate::service::views;
use coterie_model::Snowflake;
use coterie_model::channel::{Channel, kind};
use coterie_store::{ChannelRow, UserRow};
use serde::Deserialize;

/// People in a group DM at most.
const MAX_GROUP_DM: usize = 10;

/// Body of `POST /users/@me/channels`.
#[derive(Debug, Deserialize)]
pub struct OpenDm {
    recipient_id: Option<Snowflake>,
    recipients: Option<Vec<Snowflake>>,
    name: Option<String>,
}

fn row(app: &AppState, t: u8, owner: Option<i64>, name: Option<String>) -> ChannelRow {
    ChannelRow {
        id: app.ids.next_i64(),
        guild_id: None,
        kind: i64::from(t),
        name,
        topic: None,
        position: 0,
        parent_id: None,
        nsfw: false,
        rate_limit_per_user: 0,
        bitrate: None,
        user_limit: None,
        owner_id: owner,
        icon: None,
        last_message_id: None,
        last_pin_at: None,
        flags: 0,
        created_at: app.now(),
        settings: "{}".to_owned(),
    }
}

/// Opens (or returns) a DM, or creates a group DM. Everyone involved must share a community with
/// the caller, so strangers cannot message each other.
pub async fn open(app: &AppState, user: &UserRow, b: OpenDm) -> Result<Channel, ApiError> {
    if let Some(r) = b.recipient_id {
        let other = app
            .store
            .user(r.get())
            .await?
            .ok_or(ApiError::Unknown(Unknown::User))?;
        if other.id != user.id && !app.store.share_guild(user.id, other.id).await? {
            return Err(ApiError::Forbidden(
                50007,
                "Cannot send messages to this user",
            ));
        }
        let (ch, created) = app
            .store
            .open_dm(user.id, other.id, &row(app, kind::DM, None, None))
            .await?;
        let users = if other.id == user.id {
            vec![other.clone()]
        } else {
            vec![user.clone(), other.clone()]
        };
        if created {
            for u in &users {
                let v = views::dm_channel(&ch, &users, u.id);
                app.bus
                    .publish(Event::new(
                        "CHANNEL_CREATE",
                        &v,
                        Audience::Users(vec![u.id]),
                        0,
                    ))
                    .await;
            }
        }
        return Ok(views::dm_channel(&ch, &users, user.id));
    }
    let Some(list) = b.recipients else {
        return Err(field_error(
            "recipient_id",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        ));
    };
    let mut ids: Vec<i64> = list
        .iter()
        .map(|s| s.get())
        .filter(|i| *i != user.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() + 1 > MAX_GROUP_DM {
        return Err(field_error(
            "recipients",
            "BASE_TYPE_BAD_LENGTH",
            "A group DM has 2 to 10 people.",
        ));
    }
    let users = app.store.users(&ids).await?;
    if users.len() != ids.len() {
        return Err(ApiError::Unknown(Unknown::User));
    }
    for u in &users {
        if !app.store.share_guild(user.id, u.id).await? {
            return Err(ApiError::Forbidden(
                50007,
                "Cannot send messages to this user",
            ));
        }
    }
    let name = b
        .name
        .map(|n| n.trim().chars().take(100).collect::<String>())
        .filter(|n| !n.is_empty());
    let ch = row(app, kind::GROUP_DM, Some(user.id), name);
    let mut all = ids.clone();
    all.push(user.id);
    app.store.create_group_dm(&ch, &all).await?;
    let mut everyone = users.clone();
    everyone.push(user.clone());
    for r in &all {
        let v = views::dm_channel(&ch, &everyone, *r);
        app.bus
            .publish(Event::new(
                "CHANNEL_CREATE",
                &v,
                Audience::Users(vec![*r]),
                0,
            ))
            .await;
    }
    Ok(views::dm_channel(&ch, &everyone, user.id))
}

/// `GET /users/@me/channels`.
pub async fn list(app: &AppState, user: &UserRow) -> Result<Vec<Channel>, ApiError> {
    let mut out = vec![];
    for c in app.store.user_dm_channels(user.id).await? {
        let users = app
            .store
            .users(&app.store.dm_recipients(c.id).await?)
            .await?;
        out.push(views::dm_channel(&c, &users, user.id));
    }
    Ok(out)
}

/// Sends a DM from the instance's system account (reminders); opens the DM if needed. No shared
/// community is required: the system account writes to anyone.
pub async fn system_message(
    app: &AppState,
    from: &UserRow,
    to: &UserRow,
    content: &str,
) -> Result<(), ApiError> {
    let (ch, created) = app
        .store
        .open_dm(from.id, to.id, &row(app, kind::DM, None, None))
        .await?;
    let users = vec![from.clone(), to.clone()];
    if created {
        let v = views::dm_channel(&ch, &users, to.id);
        app.bus
            .publish(Event::new(
                "CHANNEL_CREATE",
                &v,
                Audience::Users(vec![to.id]),
                0,
            ))
            .await;
    }
    let ctx = crate::service::perms::ChannelCtx::load(app, ch.id, from.id).await?;
    let draft = crate::service::messages::Draft {
        content: content.to_owned(),
        ..Default::default()
    };
    crate::service::messages::post(
        app,
        &ctx,
        draft,
        crate::service::messages::Posting::member(from, &ctx),
    )
    .await?;
    Ok(())
}
