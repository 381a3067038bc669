//! Message search in the shape Discord's client uses: `GET /guilds/{id}/messages/search` and
//! `GET /channels/{id}/messages/search` (DMs, or one channel). Results only ever come from
//! channels the searcher can view and read the history of.

use crate::app::AppState;
use crate::error::{ApiError, FieldErrors};
use crate::extract::percent_decode;
use crate::service::perms::{ChannelCtx, GuildCtx};
use crate::service::views;
use coterie_model::Permissions;
use coterie_model::validate::FieldError;
use coterie_store::{SearchQuery, UserRow};
use serde_json::{Value, json};

/// Largest `offset` (Discord's).
const MAX_OFFSET: i64 = 9975;

/// The query string as Discord sends it: keys may repeat (`author_id=1&author_id=2`).
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses a raw query string.
    #[must_use]
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            raw.unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (
                        percent_decode(&k.replace('+', " ")),
                        percent_decode(&v.replace('+', " ")),
                    )
                })
                .collect(),
        )
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn one(&self, key: &str) -> Option<&str> {
        self.all(key).next()
    }
}

fn ids(p: &Params, key: &str, errs: &mut FieldErrors) -> Vec<i64> {
    p.all(key)
        .filter_map(|v| match v.parse::<i64>() {
            Ok(i) if i > 0 => Some(i),
            _ => {
                errs.add(
                    key,
                    FieldError::new(
                        "NUMBER_TYPE_COERCE",
                        format!("Value \"{v}\" is not snowflake."),
                    ),
                );
                None
            }
        })
        .collect()
}

fn number(
    p: &Params,
    key: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    errs: &mut FieldErrors,
) -> i64 {
    match p.one(key).map(str::parse::<i64>) {
        None => default,
        Some(Ok(v)) if range.contains(&v) => v,
        _ => {
            errs.add(
                key,
                FieldError::new(
                    "NUMBER_TYPE_MAX",
                    format!("Must be between {} and {}.", range.start(), range.end()),
                ),
            );
            default
        }
    }
}

/// Words of `content` (lower-cased, at most 16, each at most 64 characters).
fn terms(content: &str) -> Vec<String> {
    content
        .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
        .take(16)
        .collect()
}

/// Turns the parameters into a query (channels still to be filled in).
fn query(p: &Params, viewer: i64) -> Result<(SearchQuery, Vec<i64>), ApiError> {
    let mut errs = FieldErrors::new();
    let content = p.one("content").unwrap_or("");
    if content.chars().count() > 1024 {
        errs.add(
            "content",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length."),
        );
    }
    let has: Vec<String> = p.all("has").map(str::to_owned).collect();
    for h in &has {
        if ![
            "link", "embed", "file", "image", "video", "sound", "sticker", "poll", "snapshot",
        ]
        .contains(&h.as_str())
        {
            errs.add("has", FieldError::new("BASE_TYPE_CHOICES", format!("\"{h}\" is not one of link, embed, file, image, video, sound, sticker, poll.")));
        }
    }
    let pinned = match p.one("pinned") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            errs.add(
                "pinned",
                FieldError::new("BASE_TYPE_BOOLEAN", "Must be true or false."),
            );
            None
        }
    };
    let relevance = match p.one("sort_by").unwrap_or("timestamp") {
        "timestamp" => false,
        "relevance" => true,
        _ => {
            errs.add(
                "sort_by",
                FieldError::new("BASE_TYPE_CHOICES", "Must be timestamp or relevance."),
            );
            false
        }
    };
    let ascending = match p.one("sort_order").unwrap_or("desc") {
        "desc" => false,
        "asc" => true,
        _ => {
            errs.add(
                "sort_order",
                FieldError::new("BASE_TYPE_CHOICES", "Must be asc or desc."),
            );
            false
        }
    };
    let channels = ids(p, "channel_id", &mut errs);
    let q = SearchQuery {
        viewer,
        terms: terms(content),
        authors: ids(p, "author_id", &mut errs),
        mentions: ids(p, "mentions", &mut errs),
        has,
        pinned,
        min_id: ids(p, "min_id", &mut errs).first().copied(),
        max_id: ids(p, "max_id", &mut errs).first().copied(),
        relevance,
        ascending,
        offset: number(p, "offset", 0, 0..=MAX_OFFSET, &mut errs),
        limit: number(p, "limit", 25, 1..=25, &mut errs),
        ..SearchQuery::default()
    };
    errs.into_result()?;
    Ok((q, channels))
}

async fn run(app: &AppState, user: &UserRow, q: &SearchQuery) -> Result<Value, ApiError> {
    let (rows, total) = app.store.search_messages(q).await?;
    let msgs = views::messages(app, &rows, user.id).await?;
    let hits: Vec<Value> = msgs
        .into_iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            v["hit"] = json!(true);
            json!([v])
        })
        .collect();
    Ok(json!({
        "total_results": total,
        "messages": hits,
        "threads": [],
        "members": [],
        "analytics_id": "",
        "doing_deep_historical_index": false,
    }))
}

fn no_bots(user: &UserRow) -> Result<(), ApiError> {
    if user.bot {
        return Err(ApiError::Forbidden(20001, "Bots cannot use this endpoint"));
    }
    Ok(())
}

/// `GET /guilds/{id}/messages/search`.
pub async fn guild(
    app: &AppState,
    user: &UserRow,
    guild_id: i64,
    p: &Params,
) -> Result<Value, ApiError> {
    no_bots(user)?;
    let ctx = GuildCtx::load(app, guild_id, user.id).await?;
    let (mut q, only) = query(p, user.id)?;
    let channels = crate::service::channels::with_permissions(app, &ctx).await?;
    let need = Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY;
    for (c, _, perms) in channels
        .iter()
        .filter(|(c, _, _)| only.is_empty() || only.contains(&c.id))
    {
        if perms.contains(need) {
            q.channels.push(c.id);
            if perms.contains(Permissions::MANAGE_THREADS) {
                q.manage_threads_in.push(c.id);
            }
        }
    }
    // A thread named in channel_id: search it when its parent is readable.
    for t in only
        .iter()
        .filter(|id| !channels.iter().any(|(c, _, _)| c.id == **id))
    {
        if let Ok(tc) = ChannelCtx::load_thread_by_id(app, *t, user.id).await
            && tc.perms.contains(need)
            && tc.thread.is_some()
        {
            q.channels.push(*t);
        }
    }
    q.guild_id = Some(guild_id);
    run(app, user, &q).await
}

/// `GET /channels/{id}/messages/search`: a DM, a group DM, or one guild channel.
pub async fn channel(
    app: &AppState,
    user: &UserRow,
    channel_id: i64,
    p: &Params,
) -> Result<Value, ApiError> {
    no_bots(user)?;
    let ctx = ChannelCtx::load(app, channel_id, user.id).await?;
    ctx.require(Permissions::READ_MESSAGE_HISTORY)?;
    let (mut q, _) = query(p, user.id)?;
    q.guild_id = ctx.guild_id();
    q.channels = vec![channel_id];
    if ctx.perms.contains(Permissions::MANAGE_THREADS) {
        q.manage_threads_in = vec![channel_id];
    }
    run(app, user, &q).await
}
