//! Message search: full text through SQLite FTS5 or PostgreSQL `tsvector`, behind one query
//! shape. Callers pass the channels the searcher may read; threads of those channels are
//! included (private threads only for their members, unless the searcher manages threads there).

use crate::db::{Arg, placeholders};
use crate::{Count, Engine, MessageRow, Result, Store};

/// What to find.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Guild (None: the DM or group DM channels given in `channels`).
    pub guild_id: Option<i64>,
    /// Channels the searcher may read (and search), already narrowed by `channel_id` filters.
    pub channels: Vec<i64>,
    /// Of those, the ones where the searcher may see every private thread.
    pub manage_threads_in: Vec<i64>,
    /// The searcher (private thread membership).
    pub viewer: i64,
    /// Words that must all appear.
    pub terms: Vec<String>,
    /// Authors (any of).
    pub authors: Vec<i64>,
    /// Mentioned users (any of).
    pub mentions: Vec<i64>,
    /// `has:` filters (all of): link, embed, file, image, video, sound, poll.
    pub has: Vec<String>,
    /// Pinned only / unpinned only.
    pub pinned: Option<bool>,
    /// Ids above / below.
    pub min_id: Option<i64>,
    /// Ids below.
    pub max_id: Option<i64>,
    /// Best match first instead of newest first.
    pub relevance: bool,
    /// Oldest first (timestamp order only).
    pub ascending: bool,
    /// Skip.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// Words for the engine: each kept as a quoted phrase token (no operators from user input).
fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bound values and their placeholders.
#[derive(Default)]
struct Params(Vec<Arg>);

impl Params {
    fn one(&mut self, v: impl Into<Arg>) -> String {
        self.0.push(v.into());
        format!("${}", self.0.len())
    }

    fn list(&mut self, ids: &[i64]) -> String {
        let start = self.0.len() + 1;
        self.0.extend(ids.iter().map(|i| Arg::from(*i)));
        placeholders(start, ids.len())
    }
}

impl Store {
    /// One page of matching messages and how many match in all.
    pub async fn search_messages(&self, q: &SearchQuery) -> Result<(Vec<MessageRow>, i64)> {
        if q.channels.is_empty() {
            return Ok((vec![], 0));
        }
        let pg = self.engine() == Engine::Postgres;
        let mut p = Params::default();
        let mut from = "messages m".to_owned();
        let mut conds: Vec<String> = Vec::new();
        let mut rank = String::new();
        if !q.terms.is_empty() {
            if pg {
                // A literal, not a parameter: how common the words are decides the plan (a rare
                // word wants the GIN index, a common one the id order), and PostgreSQL's generic
                // plans for prepared statements cannot see that. Only word characters and
                // quotes (doubled) get through.
                let words: String = q
                    .terms
                    .join(" ")
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '_' || *c == ' ' || *c == '\'')
                    .collect();
                let t = format!("'{}'", words.replace('\'', "''"));
                conds.push(format!("m.tsv @@ plainto_tsquery('simple', {t})"));
                rank = format!("ts_rank(m.tsv, plainto_tsquery('simple', {t}))");
            } else {
                let t = p.one(fts5_query(&q.terms));
                from = "messages_fts join messages m on m.id = messages_fts.rowid".to_owned();
                conds.push(format!("messages_fts match {t}"));
                rank = "messages_fts.rank".to_owned();
            }
        }
        if let Some(g) = q.guild_id {
            let g = p.one(g);
            conds.push(format!("m.guild_id = {g}"));
        }
        // Thread messages ride on their parents; most channels have no threads, and then the
        // per-row thread check is skipped.
        let any_thread: Option<Count> = self
            .db
            .opt(
                format!(
                    "select count(*) as n from (select 1 from threads where parent_id in ({}) limit 1) x",
                    placeholders(1, q.channels.len())
                ),
                q.channels.iter().map(|c| Arg::from(*c)).collect(),
            )
            .await?;
        let chans = p.list(&q.channels);
        if any_thread.map_or(0, |c| c.n) == 0 {
            conds.push(format!("m.channel_id in ({chans})"));
        } else {
            let viewer = p.one(q.viewer);
            let manage = if q.manage_threads_in.is_empty() {
                "1 = 0".to_owned()
            } else {
                format!("t.parent_id in ({})", p.list(&q.manage_threads_in))
            };
            conds.push(format!(
            "(m.channel_id in ({chans}) or exists (select 1 from threads t where t.channel_id = m.channel_id \
             and t.parent_id in ({chans}) and (t.type <> 12 or {manage} or exists (select 1 from thread_members tm \
             where tm.thread_id = t.channel_id and tm.user_id = {viewer}))))"
        ));
        }
        if !q.authors.is_empty() {
            conds.push(format!("m.author_id in ({})", p.list(&q.authors)));
        }
        for u in &q.mentions {
            let u = p.one(*u);
            conds.push(format!(
                "exists (select 1 from message_mentions mm where mm.message_id = m.id and mm.user_id = {u})"
            ));
        }
        for h in &q.has {
            conds.push(match h.as_str() {
                "link" => "(m.content like '%http://%' or m.content like '%https://%')".to_owned(),
                "embed" => "m.embeds <> '[]'".to_owned(),
                "poll" => "exists (select 1 from polls p where p.message_id = m.id)".to_owned(),
                "file" => "exists (select 1 from attachments a where a.message_id = m.id)".to_owned(),
                "image" | "video" | "sound" => {
                    let prefix = match h.as_str() {
                        "image" => "image/",
                        "video" => "video/",
                        _ => "audio/",
                    };
                    format!(
                        "exists (select 1 from attachments a where a.message_id = m.id and a.content_type like '{prefix}%')"
                    )
                }
                _ => "1 = 0".to_owned(),
            });
        }
        match q.pinned {
            Some(true) => conds.push("m.pinned_at is not null".to_owned()),
            Some(false) => conds.push("m.pinned_at is null".to_owned()),
            None => {}
        }
        if let Some(v) = q.min_id {
            let v = p.one(v);
            conds.push(format!("m.id > {v}"));
        }
        if let Some(v) = q.max_id {
            let v = p.one(v);
            conds.push(format!("m.id < {v}"));
        }
        let where_ = conds.join(" and ");
        let order = if q.relevance && !rank.is_empty() {
            // FTS5's rank is better when lower; ts_rank when higher.
            if pg {
                format!("{rank} desc, m.id desc")
            } else {
                format!("{rank}, m.id desc")
            }
        } else {
            // With words on SQLite, ordering by the FTS table's rowid (= the message id) lets FTS5
            // walk its index in that order and stop at the page, instead of sorting every match.
            let key = if !pg && !q.terms.is_empty() {
                "messages_fts.rowid"
            } else {
                "m.id"
            };
            format!("{key} {}", if q.ascending { "asc" } else { "desc" })
        };
        let cols = crate::messages::MESSAGE_COLS
            .split(", ")
            .map(|c| format!("m.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let limit = q.limit.clamp(1, 100);
        let offset = q.offset.max(0);
        // Counting stops at 10,000: beyond that the number only says "many".
        let count_sql = format!(
            "select count(*) as n from (select 1 from {from} where {where_} limit 10000) x"
        );
        let plain = format!(
            "select {cols} from {from} where {where_} order by {order} limit {limit} offset {offset}"
        );
        if pg && !q.terms.is_empty() {
            // PostgreSQL guesses how common a word is badly (rare words are not in its statistics)
            // and may walk the whole id index. Count first (a GIN bitmap scan); when the words are
            // selective, fetch every hit through the index and sort those; when they are common,
            // walking ids newest first finds a page quickly.
            let n = self
                .db
                .opt::<Count>(count_sql, p.0.clone())
                .await?
                .map_or(0, |c| c.n);
            let page_sql = if n < 10_000 {
                let (score, by) = if q.relevance {
                    (rank.as_str(), "h.r desc, h.id desc")
                } else if q.ascending {
                    ("0", "h.id asc")
                } else {
                    ("0", "h.id desc")
                };
                format!(
                    "with hits as materialized (select m.id, {score} as r from {from} where {where_}), \
                     page as (select h.id, h.r from hits h order by {by} limit {limit} offset {offset}) \
                     select {cols} from page h join messages m on m.id = h.id order by {by}"
                )
            } else {
                plain
            };
            let rows = self.db.all::<MessageRow>(page_sql, p.0).await?;
            return Ok((rows, n));
        }
        let (rows, n) = tokio::try_join!(
            self.db.all::<MessageRow>(plain, p.0.clone()),
            self.db.opt::<Count>(count_sql, p.0)
        )?;
        Ok((rows, n.map_or(0, |c| c.n)))
    }
}
