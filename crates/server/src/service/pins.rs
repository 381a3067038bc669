//! Pins, typing, read acknowledgements and system messages.

use crate::app::AppState;
use crate::bus::{Audience, Event};
use crate::error::{ApiError, Unknown, field_error};
use crate::service::messages::{message_event, post_system, system_row};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_model::message::{Message, kind};
use coterie_model::{Intents, Permissions, Timestamp};
use coterie_store::UserRow;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Pins per channel.
const MAX_PINS: i64 = 250;

/// Query of the paged pins listing.
#[derive(Debug, Deserialize)]
pub struct PinsQuery {
    before: Option<Timestamp>,
    limit: Option<i64>,
}

/// One entry of the paged pins listing.
#[derive(Debug, Serialize)]
pub struct PinItem {
    pinned_at: Timestamp,
    message: Message,
}

/// The paged pins listing.
#[derive(Debug, Serialize)]
pub struct PinPage {
    items: Vec<PinItem>,
    has_more: bool,
}

fn pins_event(ctx: &ChannelCtx, last_pin_at: Option<i64>) -> Event {
    let mut d = json!({"channel_id": ctx.channel.id.to_string(), "last_pin_timestamp": last_pin_at.map(Timestamp)});
    if let Some(g) = ctx.guild_id() {
        d["guild_id"] = json!(g.to_string());
    }
    let i = if ctx.guild_id().is_some() {
        Intents::GUILDS
    } else {
        Intents::DIRECT_MESSAGES
    };
    Event::new("CHANNEL_PINS_UPDATE", &d, ctx.audience(), i)
}

/// Pins or unpins a message: PIN_MESSAGES (or MANAGE_MESSAGES) and READ_MESSAGE_HISTORY.
pub async fn set_pinned(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    pin: bool,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    if !(ctx.perms.contains(Permissions::PIN_MESSAGES)
        || ctx.perms.contains(Permissions::MANAGE_MESSAGES))
    {
        return Err(ApiError::MissingPermissions);
    }
    app.store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if pin && app.store.pin_count(channel_id).await? >= MAX_PINS {
        return Err(ApiError::BadRequest(
            30003,
            "Maximum number of pins reached (250)",
        ));
    }
    let now = app.now();
    if !app
        .store
        .set_pinned(channel_id, message_id, pin.then_some(now))
        .await?
    {
        return Ok(());
    }
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if let Some(g) = ctx.guild_id() {
        crate::service::audit::record(
            app,
            g,
            crate::service::audit::Entry::new(
                if pin {
                    coterie_model::moderation::action::MESSAGE_PIN
                } else {
                    coterie_model::moderation::action::MESSAGE_UNPIN
                },
                Some(user.id),
                Some(row.author_id),
            )
            .options(serde_json::json!({"channel_id": channel_id.to_string(), "message_id": message_id.to_string()})),
        )
        .await;
    }
    let view = views::messages(app, &[row], user.id).await?.remove(0);
    app.bus
        .publish(message_event("MESSAGE_UPDATE", &ctx, &view, None))
        .await;
    if pin {
        let sys = system_row(
            app.ids.next_i64(),
            channel_id,
            ctx.guild_id(),
            user.id,
            kind::CHANNEL_PINNED_MESSAGE,
            Some(message_id),
        );
        post_system(app, &ctx, user.id, sys).await?;
    }
    let last = app
        .store
        .channel(channel_id)
        .await?
        .and_then(|c| c.last_pin_at);
    app.bus.publish(pins_event(&ctx, last)).await;
    Ok(())
}

/// `GET /channels/{id}/pins` (the older flat list, newest pin first).
pub async fn pins(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
) -> Result<Vec<Message>, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(vec![]);
    }
    let rows = app.store.pins(channel_id, None, MAX_PINS).await?;
    views::messages(app, &rows, user.id).await
}

/// `GET /channels/{id}/messages/pins` (paged by pin time).
pub async fn pins_page(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    q: PinsQuery,
) -> Result<PinPage, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=50).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 50.",
        ));
    }
    if !ctx.perms.contains(Permissions::READ_MESSAGE_HISTORY) {
        return Ok(PinPage {
            items: vec![],
            has_more: false,
        });
    }
    let mut rows = app
        .store
        .pins(channel_id, q.before.map(|t| t.0), limit + 1)
        .await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let msgs = views::messages(app, &rows, user.id).await?;
    let items = rows
        .iter()
        .zip(msgs)
        .map(|(r, m)| PinItem {
            pinned_at: Timestamp(r.pinned_at.unwrap_or(0)),
            message: m,
        })
        .collect();
    Ok(PinPage { items, has_more })
}

/// `POST /channels/{id}/typing`.
pub async fn typing(app: &AppState, user: &UserRow, channel_id: i64) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::SEND_MESSAGES)?;
    let mut d = json!({
        "channel_id": channel_id.to_string(),
        "user_id": user.id.to_string(),
        "timestamp": app.now() / 1000,
    });
    let i = match &ctx.guild {
        Some(g) => {
            d["guild_id"] = json!(g.guild.id.to_string());
            d["member"] =
                serde_json::to_value(views::member(&g.member, Some(user))).unwrap_or_default();
            Intents::GUILD_MESSAGE_TYPING
        }
        None => Intents::DIRECT_MESSAGE_TYPING,
    };
    app.bus
        .publish(Event::new("TYPING_START", &d, ctx.audience(), i))
        .await;
    Ok(())
}

/// `POST /channels/{id}/messages/{id}/ack`: marks the channel read up to the message; the
/// user's other sessions learn of it through MESSAGE_ACK.
pub async fn ack(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
) -> Result<(), ApiError> {
    ChannelCtx::load(app, channel_id, user.id).await?;
    app.store.ack(user.id, channel_id, message_id).await?;
    let d = json!({"channel_id": channel_id.to_string(), "message_id": message_id.to_string(), "version": app.now()});
    app.bus
        .publish(Event::new(
            "MESSAGE_ACK",
            &d,
            Audience::Users(vec![user.id]),
            0,
        ))
        .await;
    Ok(())
}

/// Posts the "X joined" system message in the guild's system channel, unless switched off.
pub async fn system_join_message(
    app: &AppState,
    guild_id: i64,
    user_id: i64,
) -> Result<(), ApiError> {
    let Some(g) = app.store.guild(guild_id).await? else {
        return Ok(());
    };
    let Some(channel_id) = g.system_channel_id else {
        return Ok(());
    };
    if g.system_channel_flags & 1 != 0 {
        return Ok(());
    }
    let Ok(ctx) = ChannelCtx::load(app, channel_id, user_id).await else {
        return Ok(());
    };
    let row = system_row(
        app.ids.next_i64(),
        channel_id,
        Some(guild_id),
        user_id,
        kind::USER_JOIN,
        None,
    );
    post_system(app, &ctx, user_id, row).await?;
    Ok(())
}
