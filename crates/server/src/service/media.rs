//! Files: where their bytes live (object storage), how they are checked on the way in
//! (`inspect`), signed URLs, and the sweeper that deletes the objects of unattached uploads and
//! deleted messages. Avatars, icons and emoji images go through [`images`].

use crate::app::AppState;
use crate::config::Config;
use crate::error::ApiError;
use bytes::Bytes;
use coterie_model::message::{ATTACHMENT_IS_SPOILER, Attachment};
use coterie_store::AttachmentRow;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, OnceCell, Semaphore};

pub mod images;
pub mod inspect;
pub mod sign;
pub mod upload;

pub use upload::{IncomingFile, WithFiles};

/// Uploads that are never attached to a message are swept after this long.
const UNATTACHED_TTL_MS: i64 = 3_600_000;
/// The sweeper runs at least this often.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Most files on one message (Discord's limit).
pub const MAX_FILES: usize = 10;
/// Memory that uploads being received may hold at once, in KiB.
const UPLOAD_BUDGET_KIB: usize = 512 * 1024;

/// Object storage and the limits around it.
pub struct Media {
    /// Where the bytes live.
    pub objects: Arc<dyn ObjectStore>,
    secret: OnceCell<[u8; 32]>,
    /// Bounds concurrent image decoding (CPU and memory heavy).
    pub decode_permits: Semaphore,
    /// Bounds the bytes of uploads held in memory, in KiB.
    pub budget: Arc<Semaphore>,
    sweep: Notify,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Media")
            .field("objects", &self.objects.to_string())
            .finish_non_exhaustive()
    }
}

/// Opens the configured object store.
fn open_objects(url: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    if url == "memory://" || url.starts_with("memory://") {
        return Ok(Arc::new(object_store::memory::InMemory::new()));
    }
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::create_dir_all(path)
            .map_err(|e| anyhow::anyhow!("storage directory {path}: {e}"))?;
        return Ok(Arc::new(
            object_store::local::LocalFileSystem::new_with_prefix(path)?,
        ));
    }
    if let Some(_bucket) = url.strip_prefix("s3://") {
        #[cfg(feature = "s3")]
        {
            return Ok(Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(_bucket)
                    .build()?,
            ));
        }
        #[cfg(not(feature = "s3"))]
        anyhow::bail!("storage {url}: this build has no S3 support (build with --features s3)");
    }
    anyhow::bail!("storage: unsupported URL {url:?}")
}

impl Media {
    /// Media over the configured store.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Ok(Self {
            objects: open_objects(&config.storage)?,
            secret: OnceCell::new(),
            decode_permits: Semaphore::new(workers),
            budget: Arc::new(Semaphore::new(UPLOAD_BUDGET_KIB)),
            sweep: Notify::new(),
        })
    }

    /// Asks the sweeper to run now (after deletions).
    pub fn sweep_soon(&self) {
        self.sweep.notify_one();
    }
}

/// The instance's URL-signing key, created once and shared by every node through the database.
async fn secret(app: &AppState) -> Result<[u8; 32], ApiError> {
    app.media
        .secret
        .get_or_try_init(|| async {
            const KEY: &str = "media_signing_key";
            if app.store.setting(KEY).await?.is_none() {
                let fresh = crate::service::auth::new_token().0;
                app.store.insert_setting_if_absent(KEY, &fresh).await?;
            }
            let v = app.store.setting(KEY).await?.unwrap_or_default();
            Ok::<_, ApiError>(sign::derive_key(&v))
        })
        .await
        .copied()
}

/// Storage key of an attachment (and of its thumbnail).
#[must_use]
pub fn attachment_key(channel_id: i64, id: i64, thumb: bool) -> ObjectPath {
    let suffix = if thumb { "-thumb" } else { "" };
    ObjectPath::from(format!("attachments/{channel_id}/{id}{suffix}"))
}

/// Storage key of an avatar or icon image (`kind` is `avatars` or `icons`).
#[must_use]
pub fn images_key(kind: &str, owner: i64, hash: &str) -> ObjectPath {
    ObjectPath::from(format!("{kind}/{owner}/{hash}"))
}

/// Storage key of an emoji image.
#[must_use]
pub fn emoji_key(id: i64) -> ObjectPath {
    ObjectPath::from(format!("emojis/{id}"))
}

/// Stores bytes under a key.
pub async fn put(app: &AppState, key: &ObjectPath, bytes: Bytes) -> Result<(), ApiError> {
    app.media
        .objects
        .put(key, PutPayload::from(bytes))
        .await
        .map(|_| ())
        .map_err(ApiError::internal)
}

/// Checks and stores a message's new files in `channel_id` as unattached uploads; returns their
/// rows in order. On any failure nothing stays behind but sweepable rows.
pub async fn store_files(
    app: &AppState,
    channel_id: i64,
    uploader: i64,
    files: Vec<IncomingFile>,
    meta: &[upload::FileMeta],
) -> Result<Vec<AttachmentRow>, ApiError> {
    let mut checked = Vec::with_capacity(files.len());
    let mut errs = crate::error::FieldErrors::new();
    for f in files {
        let m = meta.iter().find(|m| m.index == f.index);
        let name = m.and_then(|m| m.filename.as_deref()).unwrap_or(&f.filename);
        match inspect::inspect(app, &f, name).await {
            Ok(c) => checked.push((f.index, c, m.and_then(|m| m.description.clone()))),
            Err(e) => errs.add(&format!("files.{}", f.index), e),
        }
    }
    errs.into_result()?;
    let mut rows = Vec::with_capacity(checked.len());
    for (pos, (_, c, description)) in checked.into_iter().enumerate() {
        let spoiler = c.filename.starts_with("SPOILER_");
        let row = AttachmentRow {
            id: app.ids.next_i64(),
            channel_id,
            message_id: None,
            uploader_id: uploader,
            filename: c.filename,
            description: description
                .map(|d| d.chars().take(1024).collect::<String>())
                .filter(|d| !d.trim().is_empty()),
            content_type: c.content_type,
            size: c.bytes.len() as i64,
            width: c.dims.map(|d| i64::from(d.0)),
            height: c.dims.map(|d| i64::from(d.1)),
            has_thumbnail: c.thumbnail.is_some(),
            flags: if spoiler {
                ATTACHMENT_IS_SPOILER as i64
            } else {
                0
            },
            position: pos as i64,
            created_at: app.now(),
        };
        app.store.insert_attachment(&row).await?;
        put(app, &attachment_key(channel_id, row.id, false), c.bytes).await?;
        if let Some(t) = c.thumbnail {
            put(app, &attachment_key(channel_id, row.id, true), t).await?;
        }
        crate::metrics::FILES_STORED.inc();
        rows.push(row);
    }
    Ok(rows)
}

/// Largest avatar, icon or emoji image accepted, decoded from its data URI.
pub const MAX_IMAGE_DATA: usize = 10 << 20;

/// Decodes Discord's image data (`data:image/png;base64,…`, also jpeg, gif and webp).
pub fn image_data(uri: &str, max: usize) -> Result<Bytes, coterie_model::validate::FieldError> {
    use base64::Engine;
    use coterie_model::validate::FieldError;
    let bad = || FieldError::new("IMAGE_INVALID", "Invalid image data");
    let rest = uri.trim().strip_prefix("data:").ok_or_else(bad)?;
    let (mime, b64) = rest.split_once(";base64,").ok_or_else(bad)?;
    if !images::is_image(mime) {
        return Err(bad());
    }
    if b64.len() / 4 * 3 > max + 3 {
        return Err(FieldError::new(
            "BINARY_TYPE_MAX_SIZE",
            format!("File cannot be larger than {} kb.", max / 1024),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| bad())?;
    if bytes.len() > max {
        return Err(FieldError::new(
            "BINARY_TYPE_MAX_SIZE",
            format!("File cannot be larger than {} kb.", max / 1024),
        ));
    }
    Ok(Bytes::from(bytes))
}

/// Runs CPU-heavy image work off the async threads, a few at a time.
pub async fn decode_blocking<T: Send + 'static>(
    app: &AppState,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, coterie_model::validate::FieldError> {
    use coterie_model::validate::FieldError;
    let _permit = app
        .media
        .decode_permits
        .acquire()
        .await
        .map_err(|_| FieldError::new("IMAGE_INVALID", "The server is shutting down."))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| FieldError::new("IMAGE_INVALID", "The image could not be read."))?
        .map_err(|e| FieldError::new("IMAGE_INVALID", e))
}

/// Stores an avatar (`avatars`) or icon (`icons`) from image data: made at most 1024 pixels a
/// side and PNG. Returns its hash (32 hex characters, Discord's form).
pub async fn store_image(
    app: &AppState,
    kind: &str,
    owner: i64,
    uri: &str,
) -> Result<String, coterie_model::validate::FieldError> {
    use sha2::{Digest, Sha256};
    let raw = image_data(uri, MAX_IMAGE_DATA)?;
    let png = decode_blocking(app, move || images::normalize(&raw, 1024)).await?;
    let digest = Sha256::digest(&png);
    let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    put(app, &images_key(kind, owner, &hash), png)
        .await
        .map_err(|_| {
            coterie_model::validate::FieldError::new(
                "IMAGE_INVALID",
                "The image could not be stored.",
            )
        })?;
    Ok(hash)
}

/// Deletes an object, best effort (a leftover is only wasted space; it is logged).
pub async fn delete(app: &AppState, key: &ObjectPath) {
    match app.media.objects.delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => tracing::warn!(error = %e, key = %key, "an object could not be deleted"),
    }
}

/// Deletes a replaced avatar or icon.
pub async fn drop_image(app: &AppState, kind: &str, owner: i64, hash: Option<&str>) {
    if let Some(h) = hash {
        delete(app, &images_key(kind, owner, h)).await;
    }
}

/// Gives uploads that did not make it into a message back to the sweeper at once.
pub async fn abandon(app: &AppState, rows: &[AttachmentRow]) {
    if let Err(e) = delete_files(app, rows).await {
        tracing::warn!(error = %e, "abandoned uploads stay for the sweeper");
    }
}

/// Deletes the objects of files (already gone is fine), then their rows.
async fn delete_files(app: &AppState, rows: &[AttachmentRow]) -> Result<(), ApiError> {
    for r in rows {
        for thumb in [false, true] {
            match app
                .media
                .objects
                .delete(&attachment_key(r.channel_id, r.id, thumb))
                .await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(ApiError::internal(e)),
            }
        }
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    app.store.delete_attachment_rows(&ids).await?;
    Ok(())
}

/// The wire objects of a message's files, with fresh signed URLs.
pub async fn views(
    app: &AppState,
    rows: &[AttachmentRow],
) -> Result<Vec<(i64, Attachment)>, ApiError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let key = secret(app).await?;
    let base = app.base_url(None);
    let now_s = app.now() / 1000;
    Ok(rows
        .iter()
        .map(|r| {
            let q = sign::query(
                &key,
                r.channel_id,
                r.id,
                now_s,
                app.config.attachment_url_ttl,
            );
            let path = format!(
                "/attachments/{}/{}/{}",
                r.channel_id,
                r.id,
                inspect::url_name(&r.filename)
            );
            let a = Attachment {
                id: coterie_model::Snowflake::from_i64(r.id),
                filename: r.filename.clone(),
                description: r.description.clone(),
                content_type: Some(r.content_type.clone()),
                size: r.size as u64,
                url: format!("{base}/cdn{path}?{q}"),
                proxy_url: format!("{base}/cdn/media{path}?{q}"),
                height: r.height.and_then(|h| u32::try_from(h).ok()),
                width: r.width.and_then(|w| u32::try_from(w).ok()),
                flags: r.flags as u64,
            };
            (r.message_id.unwrap_or(0), a)
        })
        .collect())
}

/// Checks a signed URL's parameters; the key is loaded on first use.
pub async fn verify(
    app: &AppState,
    channel_id: i64,
    id: i64,
    q: &sign::Signed,
) -> Result<bool, ApiError> {
    let key = secret(app).await?;
    Ok(sign::verify(&key, channel_id, id, q, app.now() / 1000))
}

/// Deletes the objects of swept rows, then the rows; returns how many files went.
pub async fn sweep_once(app: &AppState) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let rows = app
            .store
            .sweepable_attachments(app.now() - UNATTACHED_TTL_MS, 500)
            .await?;
        if rows.is_empty() {
            return Ok(total);
        }
        delete_files(app, &rows).await?;
        total += rows.len();
    }
}

/// Background task: sweeps every minute, and at once when asked.
pub async fn run_sweeper(app: AppState) {
    let mut stop = app.shutdown.subscribe();
    loop {
        tokio::select! {
            () = tokio::time::sleep(SWEEP_EVERY) => {}
            () = app.media.sweep.notified() => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        match sweep_once(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(files = n, "swept files"),
            Err(e) => tracing::warn!(error = %e, "sweeping files failed; retrying later"),
        }
    }
}
