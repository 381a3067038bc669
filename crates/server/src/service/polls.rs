//! Poll voting, voters per answer, ending a poll early, and closing polls at their expiry with
//! final results and a POLL_RESULT message.

use crate::app::AppState;
use crate::bus::Event;
use crate::error::{ApiError, Unknown, field_error};
use crate::service::messages::{message_event, post_system, system_row};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_model::message::{self as msg, Message};
use coterie_model::user::User;
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::{MessageRow, PollRow, UserRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// Body of `PUT /channels/{id}/polls/{id}/answers/@me`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PollVote {
    answer_ids: Vec<Value>,
}

/// Query of the voters list.
#[derive(Debug, Deserialize)]
pub struct VotersQuery {
    after: Option<Snowflake>,
    limit: Option<i64>,
}

async fn load(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
) -> Result<(ChannelCtx, PollRow, MessageRow), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let poll = app
        .store
        .polls(&[message_id])
        .await?
        .pop()
        .ok_or(ApiError::BadRequest(520006, "This message has no poll"))?;
    Ok((ctx, poll, row))
}

fn poll_intent(ctx: &ChannelCtx) -> u64 {
    if ctx.guild_id().is_some() {
        Intents::GUILD_MESSAGE_POLLS
    } else {
        Intents::DIRECT_MESSAGE_POLLS
    }
}

/// `PUT /channels/{id}/polls/{id}/answers/@me`: replaces the caller's choices (empty removes
/// them); one answer unless the poll allows several.
pub async fn vote(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    b: PollVote,
) -> Result<(), ApiError> {
    let (ctx, poll, _) = load(app, user, channel_id, message_id).await?;
    if poll.finalized || poll.expires_at <= app.now() {
        return Err(ApiError::BadRequest(520001, "This poll has ended"));
    }
    let answers: Vec<msg::PollAnswer> = serde_json::from_str(&poll.answers).unwrap_or_default();
    let mut ids: Vec<i64> = Vec::new();
    for (i, a) in b.answer_ids.iter().enumerate() {
        let id = a
            .as_i64()
            .or_else(|| a.as_str().and_then(|s| s.parse().ok()))
            .filter(|id| answers.iter().any(|x| i64::from(x.answer_id) == *id));
        match id {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => {
                return Err(field_error(
                    &format!("answer_ids.{i}"),
                    "POLL_ANSWER_INVALID",
                    "Unknown answer.",
                ));
            }
        }
    }
    if ids.len() > 1 && !poll.allow_multiselect {
        return Err(field_error(
            "answer_ids",
            "BASE_TYPE_MAX_LENGTH",
            "This poll allows one answer.",
        ));
    }
    let (added, removed) = app.store.set_poll_votes(message_id, user.id, &ids).await?;
    for (name, list) in [
        ("MESSAGE_POLL_VOTE_ADD", added),
        ("MESSAGE_POLL_VOTE_REMOVE", removed),
    ] {
        for a in list {
            let mut d = json!({"user_id": Snowflake::from_i64(user.id), "channel_id": Snowflake::from_i64(channel_id),
                               "message_id": Snowflake::from_i64(message_id), "answer_id": a});
            if let Some(g) = ctx.guild_id() {
                d["guild_id"] = json!(Snowflake::from_i64(g));
            }
            app.bus
                .publish(Event::new(name, &d, ctx.audience(), poll_intent(&ctx)))
                .await;
        }
    }
    Ok(())
}

/// `GET /channels/{id}/polls/{id}/answers/{answer}`: who chose an answer.
pub async fn voters(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    answer: i64,
    q: VotersQuery,
) -> Result<Value, ApiError> {
    let (_, poll, _) = load(app, user, channel_id, message_id).await?;
    let answers: Vec<msg::PollAnswer> = serde_json::from_str(&poll.answers).unwrap_or_default();
    if !answers.iter().any(|a| i64::from(a.answer_id) == answer) {
        return Err(ApiError::BadRequest(10018, "Unknown poll answer"));
    }
    let limit = q.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    let ids = app
        .store
        .poll_voters(message_id, answer, q.after.map_or(0, Snowflake::get), limit)
        .await?;
    let users: Vec<User> = app
        .store
        .users(&ids)
        .await?
        .iter()
        .map(views::user)
        .collect();
    Ok(json!({"users": users}))
}

/// `POST /channels/{id}/polls/{id}/expire`: the author ends their poll now.
pub async fn expire(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
) -> Result<Message, ApiError> {
    let (ctx, poll, row) = load(app, user, channel_id, message_id).await?;
    if row.author_id != user.id {
        return Err(ApiError::MissingPermissions);
    }
    if poll.finalized {
        return Err(ApiError::BadRequest(520001, "This poll has ended"));
    }
    finish(app, &ctx, &poll).await?;
    let row = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    Ok(views::messages(app, &[row], user.id).await?.remove(0))
}

/// Finalizes a poll: MESSAGE_UPDATE with the final counts and a POLL_RESULT message.
async fn finish(app: &AppState, ctx: &ChannelCtx, poll: &PollRow) -> Result<(), ApiError> {
    if !app.store.finalize_poll(poll.message_id, app.now()).await? {
        return Ok(());
    }
    let Some(row) = app.store.message(poll.channel_id, poll.message_id).await? else {
        return Ok(());
    };
    let view = views::messages(app, std::slice::from_ref(&row), 0)
        .await?
        .remove(0);
    app.bus
        .publish(message_event("MESSAGE_UPDATE", ctx, &view, None))
        .await;
    let Some(p) = &view.poll else { return Ok(()) };
    let counts = p
        .results
        .as_ref()
        .map(|r| r.answer_counts.clone())
        .unwrap_or_default();
    let total: u64 = counts.iter().map(|c| c.count).sum();
    let victor = counts
        .iter()
        .filter(|c| c.count > 0)
        .max_by_key(|c| (c.count, u32::MAX - c.id));
    let mut fields = vec![
        json!({"name": "poll_question_text", "value": p.question.text.clone().unwrap_or_default(), "inline": false}),
        json!({"name": "total_votes", "value": total.to_string(), "inline": false}),
    ];
    if let Some(v) = victor {
        let text = p
            .answers
            .iter()
            .find(|a| a.answer_id == v.id)
            .and_then(|a| a.poll_media.text.clone())
            .unwrap_or_default();
        fields.push(
            json!({"name": "victor_answer_votes", "value": v.count.to_string(), "inline": false}),
        );
        fields
            .push(json!({"name": "victor_answer_id", "value": v.id.to_string(), "inline": false}));
        fields.push(json!({"name": "victor_answer_text", "value": text, "inline": false}));
    }
    let mut result = system_row(
        app.ids.next_i64(),
        row.channel_id,
        row.guild_id,
        row.author_id,
        msg::POLL_RESULT,
        Some(row.id),
    );
    result.embeds = json!([{"type": "poll_result", "fields": fields}]).to_string();
    post_system(app, ctx, row.author_id, result).await
}

/// Ends polls whose time is up; runs every second.
pub async fn tick(app: &AppState) -> Result<(), ApiError> {
    for poll in app.store.due_polls(app.now(), 100).await? {
        let Some(row) = app.store.message(poll.channel_id, poll.message_id).await? else {
            app.store.finalize_poll(poll.message_id, app.now()).await?;
            continue;
        };
        let ctx = match ChannelCtx::load(app, poll.channel_id, row.author_id).await {
            Ok(c) => c,
            Err(_) => match ChannelCtx::system(app, poll.channel_id, row.author_id).await {
                Ok(c) => c,
                Err(_) => {
                    app.store.finalize_poll(poll.message_id, app.now()).await?;
                    continue;
                }
            },
        };
        finish(app, &ctx, &poll).await?;
    }
    Ok(())
}
