//! Uploaded files and a community's custom emoji. The bytes live in object storage; these rows
//! say what each object is, which message holds it, and when it may be swept.

use crate::db::{Arg, Tx, args, placeholders};
use crate::{Result, Store};
use sqlx::FromRow;

const ATTACHMENT_COLS: &str = "id, channel_id, message_id, uploader_id, filename, description, content_type, \
    size, width, height, has_thumbnail, flags, position, created_at";

/// One uploaded file.
#[derive(Debug, Clone, Default, FromRow)]
pub struct AttachmentRow {
    /// Id (a snowflake; also its storage key with the channel).
    pub id: i64,
    /// Channel it was uploaded to.
    pub channel_id: i64,
    /// The message holding it, once attached.
    pub message_id: Option<i64>,
    /// Who uploaded it.
    pub uploader_id: i64,
    /// Sanitised file name.
    pub filename: String,
    /// Alt text.
    pub description: Option<String>,
    /// Sniffed media type.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Image width.
    pub width: Option<i64>,
    /// Image height.
    pub height: Option<i64>,
    /// Whether a thumbnail object exists.
    pub has_thumbnail: bool,
    /// Discord's attachment flags (IS_SPOILER 1<<3 …).
    pub flags: i64,
    /// Order within the message.
    pub position: i64,
    /// Upload time (unix ms).
    pub created_at: i64,
}

/// A custom emoji.
#[derive(Debug, Clone, FromRow)]
pub struct EmojiRow {
    /// Id.
    pub id: i64,
    /// Community.
    pub guild_id: i64,
    /// Name (2–32 of `[A-Za-z0-9_]`).
    pub name: String,
    /// Who added it.
    pub creator_id: Option<i64>,
    /// A GIF.
    pub animated: bool,
    /// Usable.
    pub available: bool,
    /// Roles allowed to use it, JSON array of id strings (empty: everyone).
    pub roles: String,
    /// Added at (unix ms).
    pub created_at: i64,
}

/// Hands the files of the messages matching `cond` (over `messages`, same arguments) to the
/// sweeper: call in the transaction that deletes those messages, before the delete.
pub(crate) async fn release(tx: &mut Tx, cond: &str, a: Vec<Arg>) -> Result<()> {
    tx.exec(
        format!(
            "update attachments set message_id = null, created_at = 0 where message_id in \
             (select id from messages where {cond})"
        ),
        a,
    )
    .await?;
    Ok(())
}

fn id_args(ids: &[i64]) -> Vec<Arg> {
    ids.iter().map(|i| Arg::from(*i)).collect()
}

impl Store {
    /// Records an upload before its bytes are stored (so a crash leaves a sweepable row).
    pub async fn insert_attachment(&self, a: &AttachmentRow) -> Result<()> {
        self.db
            .exec(
                format!(
                    "insert into attachments ({ATTACHMENT_COLS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                ),
                args![
                    a.id,
                    a.channel_id,
                    a.message_id,
                    a.uploader_id,
                    &a.filename,
                    a.description.clone(),
                    &a.content_type,
                    a.size,
                    a.width,
                    a.height,
                    a.has_thumbnail,
                    a.flags,
                    a.position,
                    a.created_at
                ],
            )
            .await?;
        Ok(())
    }

    /// The files of these messages, in message order.
    pub async fn attachments_of(&self, message_ids: &[i64]) -> Result<Vec<AttachmentRow>> {
        if message_ids.is_empty() {
            return Ok(vec![]);
        }
        self.db
            .all(
                format!(
                    "select {ATTACHMENT_COLS} from attachments where message_id in ({}) order by message_id, position",
                    placeholders(1, message_ids.len())
                ),
                id_args(message_ids),
            )
            .await
    }

    /// A file that may be served: uploaded to `channel_id` and held by a message that still exists.
    pub async fn servable_attachment(
        &self,
        channel_id: i64,
        id: i64,
    ) -> Result<Option<AttachmentRow>> {
        self.db
            .opt(
                format!(
                    "select {} from attachments a join messages m on m.id = a.message_id \
                     where a.id = $1 and a.channel_id = $2",
                    ATTACHMENT_COLS
                        .split(", ")
                        .map(|c| format!("a.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                args![id, channel_id],
            )
            .await
    }

    /// Sets a message's files to exactly `keep`, in that order (each must already be the
    /// message's, or an unattached upload to the same channel); the files it no longer holds go
    /// to the sweeper. Returns how many of `keep` it now holds.
    pub async fn set_message_attachments(
        &self,
        channel_id: i64,
        message_id: i64,
        keep: &[i64],
    ) -> Result<usize> {
        let mut tx = self.db.begin().await?;
        let mut a: Vec<Arg> = args![message_id];
        a.extend(id_args(keep));
        let not_kept = if keep.is_empty() {
            String::new()
        } else {
            format!(" and id not in ({})", placeholders(2, keep.len()))
        };
        tx.exec(
            format!(
                "update attachments set message_id = null, created_at = 0 where message_id = $1{not_kept}"
            ),
            a,
        )
        .await?;
        let mut held = 0;
        for (pos, id) in keep.iter().enumerate() {
            held += tx
                .exec(
                    "update attachments set message_id = $1, position = $2 where id = $3 and channel_id = $4 \
                     and (message_id is null or message_id = $1)",
                    args![message_id, pos as i64, *id, channel_id],
                )
                .await?;
        }
        if held > 0 {
            tx.exec(
                "update messages set extras = extras | $2 where id = $1",
                args![message_id, crate::extras::FILES],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(usize::try_from(held).unwrap_or(0))
    }

    /// Hands every file a user uploaded to the sweeper (account deletion).
    pub async fn release_attachments_by(&self, uploader_id: i64) -> Result<()> {
        self.db
            .exec(
                "update attachments set message_id = null, created_at = 0 where uploader_id = $1",
                args![uploader_id],
            )
            .await?;
        Ok(())
    }

    /// Up to `limit` files to sweep: uploads never attached before `unattached_before`, and the
    /// files of deleted messages (released with `created_at` 0). Rows are returned, not deleted:
    /// delete the objects, then [`Store::delete_attachment_rows`].
    pub async fn sweepable_attachments(
        &self,
        unattached_before: i64,
        limit: i64,
    ) -> Result<Vec<AttachmentRow>> {
        self.db
            .all(
                format!(
                    "select {ATTACHMENT_COLS} from attachments where message_id is null and created_at < $1 \
                     order by created_at limit $2"
                ),
                args![unattached_before, limit],
            )
            .await
    }

    /// Deletes attachment rows by id.
    pub async fn delete_attachment_rows(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.db
            .exec(
                format!(
                    "delete from attachments where id in ({})",
                    placeholders(1, ids.len())
                ),
                id_args(ids),
            )
            .await?;
        Ok(())
    }

    /// A community's emoji, oldest first.
    pub async fn emojis(&self, guild_id: i64) -> Result<Vec<EmojiRow>> {
        if let Some(rows) = self.cache.emojis(guild_id) {
            return Ok(rows);
        }
        let ticket = self.cache.ticket();
        let rows: Vec<EmojiRow> = self
            .db
            .all(
                "select id, guild_id, name, creator_id, animated, available, roles, created_at from emojis \
                 where guild_id = $1 order by id",
                args![guild_id],
            )
            .await?;
        if let Some(t) = ticket {
            self.cache.fill_emojis(t, guild_id, &rows);
        }
        Ok(rows)
    }

    /// One emoji by id, in any community.
    pub async fn emoji(&self, id: i64) -> Result<Option<EmojiRow>> {
        self.db
            .opt(
                "select id, guild_id, name, creator_id, animated, available, roles, created_at from emojis where id = $1",
                args![id],
            )
            .await
    }

    /// Adds an emoji.
    pub async fn create_emoji(&self, e: &EmojiRow) -> Result<()> {
        let done = self
            .db
            .exec(
                "insert into emojis (id, guild_id, name, creator_id, animated, available, roles, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
                args![
                    e.id,
                    e.guild_id,
                    &e.name,
                    e.creator_id,
                    e.animated,
                    e.available,
                    &e.roles,
                    e.created_at
                ],
            )
            .await;
        self.cache.drop_emojis(Some(e.guild_id));
        done?;
        Ok(())
    }

    /// Renames an emoji or changes its roles.
    pub async fn update_emoji(&self, id: i64, name: &str, roles: &str) -> Result<()> {
        let done = self
            .db
            .exec(
                "update emojis set name = $1, roles = $2 where id = $3",
                args![name, roles, id],
            )
            .await;
        self.cache.drop_emojis(None);
        done?;
        Ok(())
    }

    /// Removes an emoji; returns whether it existed.
    pub async fn delete_emoji(&self, guild_id: i64, id: i64) -> Result<bool> {
        let done = self
            .db
            .exec(
                "delete from emojis where id = $1 and guild_id = $2",
                args![id, guild_id],
            )
            .await;
        self.cache.drop_emojis(Some(guild_id));
        Ok(done? > 0)
    }
}
