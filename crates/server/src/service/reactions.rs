//! Reactions with unicode emoji and custom emoji (`name:id`).

use crate::app::AppState;
use crate::bus::Event;
use crate::error::{ApiError, Unknown, field_error};
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_model::user::User;
use coterie_model::{Intents, Permissions, Snowflake};
use coterie_store::UserRow;
use serde::Deserialize;
use serde_json::json;

/// Distinct emoji one message may carry.
const MAX_EMOJI_PER_MESSAGE: i64 = 20;

/// Query of the reaction users listing.
#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    after: Option<Snowflake>,
    limit: Option<i64>,
}

/// A custom emoji in a path: `name:id` or `a:name:id`.
fn custom(e: &str) -> Option<(&str, i64)> {
    let e = e.strip_prefix("a:").unwrap_or(e);
    let (name, id) = e.rsplit_once(':')?;
    let ok = (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    Some((name, id.parse().ok().filter(|_| ok)?))
}

/// Validates an emoji from the path and returns its storage key (the emoji itself, or
/// `name:id` for custom emoji).
pub fn emoji_key(raw: &str) -> Result<String, ApiError> {
    let e = raw.trim();
    if e.contains(':') {
        return custom(e)
            .map(|(name, id)| format!("{name}:{id}"))
            .ok_or(ApiError::Unknown(Unknown::Emoji));
    }
    let keycap = e
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '#' || c == '*')
        && e.contains('\u{20E3}');
    let plausible = !e.is_empty()
        && e.len() <= 64
        && !e.chars().any(char::is_whitespace)
        && (keycap || !e.chars().any(|c| c.is_ascii()));
    if !plausible {
        return Err(ApiError::Unknown(Unknown::Emoji));
    }
    Ok(e.to_owned())
}

fn intent(ctx: &ChannelCtx) -> u64 {
    if ctx.guild_id().is_some() {
        Intents::GUILD_MESSAGE_REACTIONS
    } else {
        Intents::DIRECT_MESSAGE_REACTIONS
    }
}

fn base_json(ctx: &ChannelCtx, message_id: i64) -> serde_json::Value {
    let mut d =
        json!({"channel_id": ctx.channel.id.to_string(), "message_id": message_id.to_string()});
    if let Some(g) = ctx.guild_id() {
        d["guild_id"] = json!(g.to_string());
    }
    d
}

/// `PUT …/reactions/{emoji}/@me`: READ_MESSAGE_HISTORY; a new emoji also needs ADD_REACTIONS.
pub async fn add(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    emoji: &str,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    let mut key = emoji_key(emoji)?;
    if let Some((_, id)) = custom(&key) {
        // A custom emoji must exist; one from another community needs USE_EXTERNAL_EMOJIS and
        // membership there.
        let e = app
            .store
            .emoji(id)
            .await?
            .filter(|e| e.available)
            .ok_or(ApiError::Unknown(Unknown::Emoji))?;
        let membership = if ctx.guild_id() == Some(e.guild_id) {
            ctx.guild.as_ref().map(|g| g.member.clone())
        } else {
            ctx.require(Permissions::USE_EXTERNAL_EMOJIS)?;
            app.store.member(e.guild_id, user.id).await?
        };
        let Some(membership) = membership else {
            return Err(ApiError::Unknown(Unknown::Emoji));
        };
        // An emoji limited to roles is usable only by members holding one of them.
        let allowed: Vec<i64> = serde_json::from_str::<Vec<String>>(&e.roles)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        if !allowed.is_empty() && !membership.roles.iter().any(|r| allowed.contains(r)) {
            return Err(ApiError::MissingPermissions);
        }
        key = format!("{}:{}", e.name, e.id);
    }
    let m = app
        .store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let existing = app.store.reaction_counts(&[message_id], user.id).await?;
    let is_new_emoji = !existing.iter().any(|r| r.emoji == key);
    if is_new_emoji {
        ctx.require(Permissions::ADD_REACTIONS)?;
        if existing.len() as i64 >= MAX_EMOJI_PER_MESSAGE {
            return Err(ApiError::BadRequest(
                30010,
                "Maximum number of reactions reached (20)",
            ));
        }
    }
    if app
        .store
        .add_reaction(message_id, &key, user.id, app.now())
        .await?
    {
        let mut d = base_json(&ctx, message_id);
        d["user_id"] = json!(user.id.to_string());
        d["emoji"] = json!(views::reaction_emoji(&key));
        d["burst"] = json!(false);
        d["type"] = json!(0);
        d["message_author_id"] = json!(m.author_id.to_string());
        if let Some(g) = &ctx.guild {
            d["member"] =
                serde_json::to_value(views::member(&g.member, Some(user))).unwrap_or_default();
        }
        app.bus
            .publish(Event::new(
                "MESSAGE_REACTION_ADD",
                &d,
                ctx.audience(),
                intent(&ctx),
            ))
            .await;
    }
    Ok(())
}

/// Removes the caller's reaction, or (with MANAGE_MESSAGES) someone else's.
pub async fn remove(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    emoji: &str,
    target: Option<i64>,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    let target = target.unwrap_or(user.id);
    if target != user.id {
        if ctx.guild.is_none() {
            return Err(ApiError::BadRequest(
                50003,
                "Cannot execute action on a DM channel",
            ));
        }
        ctx.require(Permissions::MANAGE_MESSAGES)?;
    }
    let key = emoji_key(emoji)?;
    app.store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    if app.store.remove_reaction(message_id, &key, target).await? {
        let mut d = base_json(&ctx, message_id);
        d["user_id"] = json!(target.to_string());
        d["emoji"] = json!(views::reaction_emoji(&key));
        d["burst"] = json!(false);
        d["type"] = json!(0);
        app.bus
            .publish(Event::new(
                "MESSAGE_REACTION_REMOVE",
                &d,
                ctx.audience(),
                intent(&ctx),
            ))
            .await;
    }
    Ok(())
}

/// Removes all reactions, or all of one emoji: MANAGE_MESSAGES.
pub async fn clear(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    emoji: Option<&str>,
) -> Result<(), ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    if ctx.guild.is_none() {
        return Err(ApiError::BadRequest(
            50003,
            "Cannot execute action on a DM channel",
        ));
    }
    ctx.require(Permissions::MANAGE_MESSAGES)?;
    app.store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let key = emoji.map(emoji_key).transpose()?;
    if app
        .store
        .clear_reactions(message_id, key.as_deref())
        .await?
        > 0
    {
        let mut d = base_json(&ctx, message_id);
        let name = match &key {
            Some(k) => {
                d["emoji"] = json!(views::reaction_emoji(k));
                "MESSAGE_REACTION_REMOVE_EMOJI"
            }
            None => "MESSAGE_REACTION_REMOVE_ALL",
        };
        app.bus
            .publish(Event::new(name, &d, ctx.audience(), intent(&ctx)))
            .await;
    }
    Ok(())
}

/// `GET …/reactions/{emoji}`: users who reacted, by id.
pub async fn users(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    message_id: i64,
    emoji: &str,
    q: UsersQuery,
) -> Result<Vec<User>, ApiError> {
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    let key = emoji_key(emoji)?;
    let limit = q.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(field_error(
            "limit",
            "NUMBER_TYPE_MAX",
            "Must be between 1 and 100.",
        ));
    }
    app.store
        .message(channel_id, message_id)
        .await?
        .ok_or(ApiError::Unknown(Unknown::Message))?;
    let rows = app
        .store
        .reaction_users(message_id, &key, q.after.map_or(0, Snowflake::get), limit)
        .await?;
    Ok(rows.iter().map(views::user).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_keys_accept_unicode_and_keycaps_and_refuse_words() {
        assert!(emoji_key("👍").is_ok());
        assert!(emoji_key("👍🏽").is_ok());
        assert!(emoji_key("1\u{FE0F}\u{20E3}").is_ok());
        assert!(emoji_key("thumbsup").is_err());
        assert_eq!(
            emoji_key("party_cat:123").ok().as_deref(),
            Some("party_cat:123")
        );
        assert_eq!(emoji_key("a:dance:42").ok().as_deref(), Some("dance:42"));
        assert!(emoji_key("bad name:123").is_err());
        assert!(emoji_key("name:abc").is_err());
        assert!(emoji_key("").is_err());
    }
}
