//! Messages, mentions and pins. History is paged by id (ids are time-ordered), newest first.

use crate::db::{Arg, Tx, args, placeholders};
use crate::{MessageRow, Result, Store, StoreError, extras};

pub(crate) const MESSAGE_COLS: &str = "id, channel_id, guild_id, author_id, type, content, flags, tts, mention_everyone, \
    mention_users, mention_roles, embeds, components, nonce, pinned_at, edited_at, ref_message_id, ref_channel_id, \
    ref_guild_id, webhook_id, application_id, author_override, interaction, extras";
const INSERT_MESSAGE: &str = "insert into messages (id, channel_id, guild_id, author_id, type, content, flags, tts, \
    mention_everyone, mention_users, mention_roles, embeds, components, nonce, pinned_at, edited_at, ref_message_id, \
    ref_channel_id, ref_guild_id, webhook_id, application_id, author_override, interaction, extras)";

/// The smallest message id minted at `unix_ms`.
#[must_use]
pub fn min_id_at(unix_ms: i64) -> i64 {
    coterie_model::Snowflake::from_time(u64::try_from(unix_ms).unwrap_or(0)).get()
}

/// A message to store, with the ids it mentions (for unread mention counts).
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The row.
    pub row: MessageRow,
    /// Mentioned users.
    pub mention_user_ids: Vec<i64>,
    /// Mentioned roles.
    pub mention_role_ids: Vec<i64>,
    /// A poll on the message.
    pub poll: Option<crate::PollRow>,
    /// Uploads (to this channel, not yet attached) the message holds, in order.
    pub attachment_ids: Vec<i64>,
}

/// Which page of history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagePage {
    /// Newest.
    Latest,
    /// Older than the id.
    Before(i64),
    /// Newer than the id (the oldest such messages).
    After(i64),
    /// Around the id, including it.
    Around(i64),
}

/// Message fields to change.
#[derive(Debug, Clone, Default)]
pub struct MessagePatch {
    /// New content (with its mentions).
    pub content: Option<(String, bool, Vec<i64>, Vec<i64>)>,
    /// Embeds JSON.
    pub embeds: Option<String>,
    /// Components JSON.
    pub components: Option<String>,
    /// Flags.
    pub flags: Option<i64>,
    /// Edit time (set when content, embeds or components change).
    pub edited_at: Option<i64>,
}

fn ids_json(ids: &[i64]) -> String {
    let v: Vec<String> = ids.iter().map(i64::to_string).collect();
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".to_owned())
}

/// Columns of a stored message.
const INSERTED_COLS: usize = 24;
/// Rows per multi-row insert (24 parameters each; well under both engines' limits).
const ROWS_PER_INSERT: usize = 128;

fn message_args(m: &NewMessage) -> Vec<Arg> {
    let r = &m.row;
    args![
        r.id,
        r.channel_id,
        r.guild_id,
        r.author_id,
        r.kind,
        &r.content,
        r.flags,
        r.tts,
        r.mention_everyone,
        ids_json(&m.mention_user_ids),
        ids_json(&m.mention_role_ids),
        &r.embeds,
        &r.components,
        r.nonce.clone(),
        r.pinned_at,
        r.edited_at,
        r.ref_message_id,
        r.ref_channel_id,
        r.ref_guild_id,
        r.webhook_id,
        r.application_id,
        r.author_override.clone(),
        r.interaction.clone(),
        r.extras
            | if m.poll.is_some() { extras::POLL } else { 0 }
            | if m.attachment_ids.is_empty() {
                0
            } else {
                extras::FILES
            }
    ]
}

/// Inserts messages inside a transaction (see [`Store::create_messages`]): the rows with one
/// statement per [`ROWS_PER_INSERT`], the threads among their channels with one query, then each
/// message's mentions, poll, files and thread bookkeeping in order (a reply may answer a message
/// of the same batch), then each channel's `last_message_id` once.
pub(crate) async fn insert_messages(tx: &mut Tx, ms: &[NewMessage]) -> Result<()> {
    if ms.is_empty() {
        return Ok(());
    }
    for chunk in ms.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|k| format!("({})", placeholders(1 + k * INSERTED_COLS, INSERTED_COLS)))
            .collect();
        let sql = format!("{INSERT_MESSAGE} values {}", rows.join(", "));
        let a: Vec<Arg> = chunk.iter().flat_map(message_args).collect();
        tx.exec(sql, a).await?;
    }
    // Channels in ascending order: row locks (PostgreSQL) are always taken in the same order.
    let mut newest: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for m in ms {
        let e = newest.entry(m.row.channel_id).or_insert(m.row.id);
        *e = (*e).max(m.row.id);
    }
    let channels: Vec<i64> = newest.keys().copied().collect();
    let posts = crate::comments::post_infos(tx, &channels).await?;
    for m in ms {
        let r = &m.row;
        insert_mentions(
            tx,
            r.channel_id,
            r.id,
            &m.mention_user_ids,
            &m.mention_role_ids,
        )
        .await?;
        if let Some(p) = &m.poll {
            crate::polls::insert_poll(tx, p).await?;
        }
        for (pos, a) in m.attachment_ids.iter().enumerate() {
            let n = tx
                .exec(
                    "update attachments set message_id = $1, position = $2 where id = $3 and channel_id = $4 \
                     and message_id is null",
                    args![r.id, pos as i64, *a, r.channel_id],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
        if let Some(post) = posts.get(&r.channel_id) {
            crate::comments::on_message_created(tx, r, post).await?;
        }
    }
    // Every channel's newest id in one statement: `case` picks each channel's id (parameters
    // 2k+1 and 2k+2 are channel k and its newest message).
    let cases: String = (0..newest.len())
        .map(|k| format!(" when ${} then ${}", 2 * k + 1, 2 * k + 2))
        .collect();
    let ids: Vec<String> = (0..newest.len())
        .map(|k| format!("${}", 2 * k + 1))
        .collect();
    let sql = format!(
        // Sends commit out of id order under load: the newest id wins, not the last commit.
        "update channels set last_message_id = case id{cases} end where id in ({}) \
         and (last_message_id is null or last_message_id < case id{cases} end)",
        ids.join(", ")
    );
    let a: Vec<Arg> = newest
        .into_iter()
        .flat_map(|(channel, id)| [Arg::from(channel), Arg::from(id)])
        .collect();
    tx.exec(sql, a).await?;
    Ok(())
}

impl Store {
    /// Stores a message, its mentions, and advances the channel's `last_message_id` (and, in
    /// a thread, its counters and auto-archive time; in a forum post, places it in the comment tree).
    pub async fn create_message(&self, m: &NewMessage) -> Result<()> {
        let mut tx = self.db.begin().await?;
        insert_messages(&mut tx, std::slice::from_ref(m)).await?;
        tx.commit().await?;
        self.cache
            .messages_stored(std::iter::once((m.row.channel_id, m.row.id)));
        Ok(())
    }

    /// Stores several messages in one transaction (group commit); all or none.
    pub async fn create_messages(&self, ms: &[NewMessage]) -> Result<()> {
        let mut tx = self.db.begin().await?;
        insert_messages(&mut tx, ms).await?;
        tx.commit().await?;
        self.cache
            .messages_stored(ms.iter().map(|m| (m.row.channel_id, m.row.id)));
        Ok(())
    }

    /// One message of a channel.
    pub async fn message(&self, channel_id: i64, id: i64) -> Result<Option<MessageRow>> {
        let sql = format!("select {MESSAGE_COLS} from messages where id = $1 and channel_id = $2");
        self.db.opt(sql, args![id, channel_id]).await
    }

    /// The newest message of an author in a channel carrying `nonce`, at or after `min_id`
    /// (for `enforce_nonce` deduplication).
    pub async fn message_by_nonce(
        &self,
        channel_id: i64,
        author_id: i64,
        nonce: &str,
        min_id: i64,
    ) -> Result<Option<MessageRow>> {
        let sql = format!(
            "select {MESSAGE_COLS} from messages where channel_id = $1 and id >= $2 and author_id = $3 and nonce = $4 \
             order by id desc limit 1"
        );
        self.db
            .opt(sql, args![channel_id, min_id, author_id, nonce])
            .await
    }

    /// Several messages by id (any channel).
    pub async fn messages_by_ids(&self, ids: &[i64]) -> Result<Vec<MessageRow>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "select {MESSAGE_COLS} from messages where id in ({})",
            placeholders(1, ids.len())
        );
        self.db
            .all(sql, ids.iter().map(|i| Arg::from(*i)).collect())
            .await
    }

    /// A page of history, newest first (Discord's order for every kind of page).
    pub async fn messages(
        &self,
        channel_id: i64,
        page: MessagePage,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        let before = |bound: i64, n: i64| {
            let sql = format!(
                "select {MESSAGE_COLS} from messages where channel_id = $1 and id < $2 order by id desc limit $3"
            );
            (sql, args![channel_id, bound, n])
        };
        Ok(match page {
            MessagePage::Latest => {
                let (s, a) = before(i64::MAX, limit);
                self.db.all(s, a).await?
            }
            MessagePage::Before(id) => {
                let (s, a) = before(id, limit);
                self.db.all(s, a).await?
            }
            MessagePage::After(id) => {
                let sql = format!(
                    "select {MESSAGE_COLS} from messages where channel_id = $1 and id > $2 order by id limit $3"
                );
                let mut v: Vec<MessageRow> = self.db.all(sql, args![channel_id, id, limit]).await?;
                v.reverse();
                v
            }
            MessagePage::Around(id) => {
                let newer_n = (limit + 1) / 2;
                let sql = format!(
                    "select {MESSAGE_COLS} from messages where channel_id = $1 and id >= $2 order by id limit $3"
                );
                let mut v: Vec<MessageRow> =
                    self.db.all(sql, args![channel_id, id, newer_n]).await?;
                v.reverse();
                let (s, a) = before(id, limit - newer_n);
                v.extend(self.db.all::<MessageRow>(s, a).await?);
                v
            }
        })
    }

    /// Applies an edit; returns the new row.
    pub async fn update_message(
        &self,
        channel_id: i64,
        id: i64,
        p: MessagePatch,
    ) -> Result<MessageRow> {
        let mut tx = self.db.begin().await?;
        let key = args![id, channel_id];
        let with = |v: Arg| {
            let mut a = key.clone();
            a.push(v);
            a
        };
        let upd =
            |col: &str| format!("update messages set {col} = $3 where id = $1 and channel_id = $2");
        if let Some((content, everyone, users, roles)) = &p.content {
            tx.exec(upd("content"), with(content.into())).await?;
            tx.exec(upd("mention_everyone"), with((*everyone).into()))
                .await?;
            tx.exec(upd("mention_users"), with(ids_json(users).into()))
                .await?;
            tx.exec(upd("mention_roles"), with(ids_json(roles).into()))
                .await?;
            tx.exec(
                "delete from message_mentions where message_id = $1",
                args![id],
            )
            .await?;
            tx.exec(
                "delete from message_role_mentions where message_id = $1",
                args![id],
            )
            .await?;
            insert_mentions(&mut tx, channel_id, id, users, roles).await?;
        }
        if let Some(v) = &p.embeds {
            tx.exec(upd("embeds"), with(v.into())).await?;
        }
        if let Some(v) = &p.components {
            tx.exec(upd("components"), with(v.into())).await?;
        }
        if let Some(v) = p.flags {
            tx.exec(upd("flags"), with(v.into())).await?;
        }
        if let Some(v) = p.edited_at {
            tx.exec(upd("edited_at"), with(v.into())).await?;
        }
        let sql = format!("select {MESSAGE_COLS} from messages where id = $1 and channel_id = $2");
        let row: Option<MessageRow> = tx.opt(sql, key.clone()).await?;
        tx.commit().await?;
        row.ok_or(StoreError::NotFound)
    }

    /// Deletes one message; returns whether it existed.
    pub async fn delete_message(&self, channel_id: i64, id: i64) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        crate::media::release(
            &mut tx,
            "id = $1 and channel_id = $2",
            args![id, channel_id],
        )
        .await?;
        let n = tx
            .exec(
                "delete from messages where id = $1 and channel_id = $2",
                args![id, channel_id],
            )
            .await?;
        if n > 0 {
            crate::comments::on_messages_deleted(&mut tx, channel_id, &[id]).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Deletes several messages of one channel; returns the ids that existed.
    pub async fn bulk_delete_messages(&self, channel_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = placeholders(2, ids.len());
        let mut a: Vec<Arg> = args![channel_id];
        a.extend(ids.iter().map(|i| Arg::from(*i)));
        let mut tx = self.db.begin().await?;
        let found: Vec<crate::IdRow> = tx
            .all(
                format!(
                    "select id from messages where channel_id = $1 and id in ({list}) order by id"
                ),
                a.clone(),
            )
            .await?;
        crate::media::release(
            &mut tx,
            &format!("channel_id = $1 and id in ({list})"),
            a.clone(),
        )
        .await?;
        tx.exec(
            format!("delete from messages where channel_id = $1 and id in ({list})"),
            a,
        )
        .await?;
        let gone: Vec<i64> = found.iter().map(|r| r.id).collect();
        crate::comments::on_messages_deleted(&mut tx, channel_id, &gone).await?;
        tx.commit().await?;
        Ok(found.into_iter().map(|r| r.id).collect())
    }

    /// Pins or unpins a message; returns false if it was already in that state.
    pub async fn set_pinned(
        &self,
        channel_id: i64,
        id: i64,
        pinned_at: Option<i64>,
    ) -> Result<bool> {
        let mut tx = self.db.begin().await?;
        let n = match pinned_at {
            Some(at) => {
                tx.exec("update messages set pinned_at = $1 where id = $2 and channel_id = $3 and pinned_at is null", args![at, id, channel_id])
                    .await?
            }
            None => {
                tx.exec("update messages set pinned_at = null where id = $1 and channel_id = $2 and pinned_at is not null", args![id, channel_id])
                    .await?
            }
        };
        if n > 0 {
            let last: Option<crate::Count> = tx
                .opt(
                    "select pinned_at as n from messages where channel_id = $1 and pinned_at is not null order by pinned_at desc limit 1",
                    args![channel_id],
                )
                .await?;
            tx.exec(
                "update channels set last_pin_at = $1 where id = $2",
                args![last.map(|c| c.n), channel_id],
            )
            .await?;
        }
        let done = tx.commit().await;
        self.cache.drop_channels(&[channel_id]);
        done?;
        Ok(n > 0)
    }

    /// Pinned messages, most recently pinned first.
    pub async fn pins(
        &self,
        channel_id: i64,
        before_pinned_at: Option<i64>,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        let sql = format!(
            "select {MESSAGE_COLS} from messages where channel_id = $1 and pinned_at is not null and pinned_at < $2 \
             order by pinned_at desc limit $3"
        );
        self.db
            .all(
                sql,
                args![channel_id, before_pinned_at.unwrap_or(i64::MAX), limit],
            )
            .await
    }

    /// Number of pinned messages.
    pub async fn pin_count(&self, channel_id: i64) -> Result<i64> {
        let c: Option<crate::Count> =
            self.db.opt("select count(*) as n from messages where channel_id = $1 and pinned_at is not null", args![channel_id]).await?;
        Ok(c.map_or(0, |c| c.n))
    }
}

async fn insert_mentions(
    tx: &mut crate::db::Tx,
    channel_id: i64,
    id: i64,
    users: &[i64],
    roles: &[i64],
) -> Result<()> {
    for u in users {
        tx.exec(
            "insert into message_mentions (user_id, channel_id, message_id) values ($1, $2, $3) on conflict do nothing",
            args![*u, channel_id, id],
        )
        .await?;
    }
    for r in roles {
        tx.exec(
            "insert into message_role_mentions (role_id, channel_id, message_id) values ($1, $2, $3) on conflict do nothing",
            args![*r, channel_id, id],
        )
        .await?;
    }
    Ok(())
}
