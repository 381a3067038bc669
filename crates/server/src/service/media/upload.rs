//! Receiving files: Discord's `multipart/form-data` bodies (`payload_json` plus `files[n]`)
//! with per-file and per-message size limits enforced while the bytes arrive, and memory for
//! uploads in flight bounded across the node.

use crate::app::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, parse_json};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::{Bytes, BytesMut};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::OwnedSemaphorePermit;

/// A file part of a request, fully received.
#[derive(Debug)]
pub struct IncomingFile {
    /// `n` of `files[n]` (parts without an index count up from 0).
    pub index: usize,
    /// The client's file name (sanitised later).
    pub filename: String,
    /// The bytes.
    pub bytes: Bytes,
    _permit: Option<OwnedSemaphorePermit>,
}

impl IncomingFile {
    /// A file from bytes already in memory (tests, benchmarks, webhooks relaying content).
    #[must_use]
    pub fn new(index: usize, filename: &str, bytes: Bytes) -> Self {
        Self {
            index,
            filename: filename.to_owned(),
            bytes,
            _permit: None,
        }
    }
}

/// An entry of a body's `attachments`: an existing file by id (edits), or a new one by its
/// `files[n]` index with an optional name and alt text.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct AttachmentRef {
    /// Snowflake of an existing file, or the index `n` of `files[n]`.
    #[schema(value_type = String)]
    pub id: Value,
    /// File name to use for a new file.
    pub filename: Option<String>,
    /// Alt text.
    pub description: Option<String>,
}

/// Name and alt text for the new file `files[index]`.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// `n` of `files[n]`.
    pub index: usize,
    /// File name to use.
    pub filename: Option<String>,
    /// Alt text.
    pub description: Option<String>,
}

/// Ids below this are `files[n]` indexes; every snowflake is larger.
const INDEX_LIMIT: u64 = 1 << 22;

impl AttachmentRef {
    fn number(&self) -> Option<u64> {
        match &self.id {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The `files[n]` index this entry names, if it names a new file.
    #[must_use]
    pub fn index(&self) -> Option<usize> {
        self.number()
            .filter(|n| *n < INDEX_LIMIT)
            .and_then(|n| usize::try_from(n).ok())
    }

    /// The existing file this entry names.
    #[must_use]
    pub fn existing(&self) -> Option<i64> {
        self.number()
            .filter(|n| *n >= INDEX_LIMIT)
            .and_then(|n| i64::try_from(n).ok())
    }
}

/// The names and alt texts a body gives its new files.
#[must_use]
pub fn metas(refs: &[AttachmentRef]) -> Vec<FileMeta> {
    refs.iter()
        .filter_map(|r| {
            r.index().map(|index| FileMeta {
                index,
                filename: r.filename.clone(),
                description: r.description.clone(),
            })
        })
        .collect()
}

/// A JSON body, or a multipart body with the JSON in `payload_json` (or as plain form fields)
/// and files in `files[n]`.
#[derive(Debug)]
pub struct WithFiles<T>(pub T, pub Vec<IncomingFile>);

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge
}

fn form_error(msg: &str) -> ApiError {
    crate::error::field_error("_root", "MULTIPART_INVALID", msg.to_owned())
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for WithFiles<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, app: &AppState) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if !ct
            .to_ascii_lowercase()
            .trim_start()
            .starts_with("multipart/form-data")
        {
            let ApiJson(v) = ApiJson::<T>::from_request(req, app).await?;
            return Ok(Self(v, vec![]));
        }
        let per_file = app.config.upload_file_limit;
        let per_message = app.config.upload_message_limit;
        let json_limit = app.config.max_body_bytes as u64;
        // Refused before a byte is read when the client says how much it will send.
        let whole = per_message + json_limit + 64 * 1024;
        if let Some(len) = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            && len > whole
        {
            return Err(too_large());
        }
        let boundary =
            multer::parse_boundary(&ct).map_err(|_| form_error("Missing multipart boundary."))?;
        let stream = req.into_body().into_data_stream();
        let mut form = multer::Multipart::new(stream, boundary);
        let mut payload: Option<Bytes> = None;
        let mut fields = Map::new();
        let mut files = Vec::new();
        let mut total: u64 = 0;
        let mut next_index = 0usize;
        while let Some(mut field) = form
            .next_field()
            .await
            .map_err(|_| form_error("The multipart body is malformed."))?
        {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let is_file = file_name.is_some() || name.starts_with("files[") || name == "file";
            let limit = if is_file { per_file } else { json_limit };
            let mut buf = BytesMut::new();
            let mut permit: Option<OwnedSemaphorePermit> = None;
            while let Some(chunk) = field
                .chunk()
                .await
                .map_err(|_| form_error("The multipart body is malformed."))?
            {
                if buf.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large());
                }
                if is_file {
                    total += chunk.len() as u64;
                    if total > per_message {
                        return Err(too_large());
                    }
                    let kib = u32::try_from(chunk.len().div_ceil(1024)).unwrap_or(u32::MAX);
                    let p = app
                        .media
                        .budget
                        .clone()
                        .acquire_many_owned(kib)
                        .await
                        .map_err(|_| ApiError::Unavailable)?;
                    match permit.as_mut() {
                        Some(held) => held.merge(p),
                        None => permit = Some(p),
                    }
                }
                buf.extend_from_slice(&chunk);
            }
            if is_file {
                if files.len() >= super::MAX_FILES {
                    return Err(crate::error::field_error(
                        "files",
                        "BASE_TYPE_MAX_LENGTH",
                        format!("Must be {} or fewer in length.", super::MAX_FILES),
                    ));
                }
                let index = name
                    .strip_prefix("files[")
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(next_index);
                next_index = index + 1;
                files.push(IncomingFile {
                    index,
                    filename: file_name.unwrap_or_else(|| "unknown".into()),
                    bytes: buf.freeze(),
                    _permit: permit,
                });
            } else if name == "payload_json" {
                payload = Some(buf.freeze());
            } else if !name.is_empty() {
                let text = String::from_utf8_lossy(&buf).into_owned();
                let v = match (name.as_str(), text.as_str()) {
                    ("tts", "true" | "True" | "1") => Value::Bool(true),
                    ("tts", _) => Value::Bool(false),
                    _ => Value::String(text),
                };
                fields.insert(name, v);
            }
        }
        let body = match payload {
            Some(p) => parse_json::<T>(&p)?,
            None => parse_json::<T>(
                serde_json::to_vec(&Value::Object(fields))
                    .unwrap_or_default()
                    .as_slice(),
            )?,
        };
        Ok(Self(body, files))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_entries_tell_new_files_from_existing_ones() {
        let r = |v: Value| AttachmentRef {
            id: v,
            filename: None,
            description: None,
        };
        assert_eq!(r(serde_json::json!(0)).index(), Some(0));
        assert_eq!(r(serde_json::json!("3")).index(), Some(3));
        let sf = r(serde_json::json!("1234567890123456789"));
        assert_eq!(sf.index(), None);
        assert_eq!(sf.existing(), Some(1_234_567_890_123_456_789));
    }
}
