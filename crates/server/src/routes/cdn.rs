//! `/cdn/…`: files, avatars, community icons and emoji, laid out like Discord's CDN so bot
//! libraries given `…/cdn` as their CDN base find them. Attachments need a valid signature;
//! every response forbids sniffing and scripts, and downloads anything a browser could run.

use crate::app::AppState;
use crate::error::ApiError;
use crate::service::media::{self, inspect, sign::Signed};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coterie_model::Snowflake;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        "This content is no longer available.",
    )
        .into_response()
}

/// One `bytes=` range of a `Range` header, resolved against the size.
enum Wanted {
    All,
    Part(u64, u64),
    Unsatisfiable,
}

fn parse_range(headers: &HeaderMap, size: u64) -> Wanted {
    let Some(v) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Wanted::All;
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Wanted::All;
    };
    // Several ranges are answered with the whole file, which RFC 9110 allows.
    if spec.contains(',') {
        return Wanted::All;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Wanted::All;
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(s), Some(e)) if s <= e => Some((s, e.min(size.saturating_sub(1)))),
        (Some(s), None) if b.is_empty() => Some((s, size.saturating_sub(1))),
        (None, Some(n)) if a.is_empty() && n > 0 => {
            Some((size.saturating_sub(n), size.saturating_sub(1)))
        }
        _ => return Wanted::All,
    };
    match range {
        Some((s, e)) if s < size && s <= e => Wanted::Part(s, e),
        _ => Wanted::Unsatisfiable,
    }
}

/// How a stored object is served.
struct Serve<'a> {
    key: ObjectPath,
    content_type: &'a str,
    filename: Option<&'a str>,
    etag: String,
    cache: String,
}

async fn serve_object(app: &AppState, s: Serve<'_>, headers: &HeaderMap) -> Response {
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == s.etag))
    {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, s.etag), (header::CACHE_CONTROL, s.cache)],
        )
            .into_response();
    }
    let store = &app.media.objects;
    // Only a range request needs the size before reading; otherwise one read does.
    let size = if headers.contains_key(header::RANGE) {
        match store.head(&s.key).await {
            Ok(m) => m.size,
            Err(object_store::Error::NotFound { .. }) => return not_found(),
            Err(e) => return ApiError::internal(e).into_response_logged(),
        }
    } else {
        0
    };
    let (status, range) = match parse_range(headers, size) {
        Wanted::All => (StatusCode::OK, None),
        Wanted::Part(a, b) => (StatusCode::PARTIAL_CONTENT, Some((a, b))),
        Wanted::Unsatisfiable => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{size}"))],
            )
                .into_response();
        }
    };
    let opts = GetOptions {
        range: range.map(|(a, b)| GetRange::Bounded(a..b + 1)),
        ..Default::default()
    };
    let got = match store.get_opts(&s.key, opts).await {
        Ok(g) => g,
        Err(object_store::Error::NotFound { .. }) => return not_found(),
        Err(e) => return ApiError::internal(e).into_response_logged(),
    };
    let len = got.range.end - got.range.start;
    let mut resp = Response::new(Body::from_stream(got.into_stream()));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    let ct = HeaderValue::from_str(s.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, ct);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    if let Ok(v) = HeaderValue::from_str(&s.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&s.cache) {
        h.insert(header::CACHE_CONTROL, v);
    }
    if let Some((a, b)) = range
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{size}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    let disposition = if inspect::inline_safe(s.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let name = s.filename.unwrap_or("file");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format!(
        "{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        inspect::url_name(name)
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

trait Logged {
    fn into_response_logged(self) -> Response;
}

impl Logged for ApiError {
    fn into_response_logged(self) -> Response {
        tracing::error!(error = %self, source = ?std::error::Error::source(&self), "serving a file failed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}

async fn attachment_inner(
    app: &AppState,
    (channel, id, name): (Snowflake, Snowflake, String),
    q: &Signed,
    headers: &HeaderMap,
    thumbnails: bool,
) -> Response {
    let (c, a) = (channel.get(), id.get());
    match media::verify(app, c, a, q).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(e) => return e.into_response_logged(),
    }
    let row = match app.store.servable_attachment(c, a).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return ApiError::from(e).into_response_logged(),
    };
    if row.filename != name {
        return not_found();
    }
    let expires =
        q.ex.as_deref()
            .and_then(|e| i64::from_str_radix(e, 16).ok())
            .unwrap_or(0);
    let max_age = (expires - app.now() / 1000).max(0);
    let cache = format!("private, max-age={max_age}, immutable");
    let small = |v: Option<u32>| v.is_some_and(|v| v <= media::images::THUMB);
    let want_thumb = thumbnails
        && row.has_thumbnail
        && (small(q.width) || small(q.height))
        && q.width.is_none_or(|w| w <= media::images::THUMB)
        && q.height.is_none_or(|h| h <= media::images::THUMB);
    if want_thumb {
        let key = media::attachment_key(c, a, true);
        let Some(ct) = sniff_object(app, &key).await else {
            return not_found();
        };
        return serve_object(
            app,
            Serve {
                key,
                content_type: &ct,
                filename: Some(&row.filename),
                etag: format!("\"{a}-t\""),
                cache,
            },
            headers,
        )
        .await;
    }
    serve_object(
        app,
        Serve {
            key: media::attachment_key(c, a, false),
            content_type: &row.content_type,
            filename: Some(&row.filename),
            etag: format!("\"{a}\""),
            cache,
        },
        headers,
    )
    .await
}

/// `GET /cdn/attachments/{channel}/{attachment}/{filename}?ex&is&hm`.
pub async fn attachment(
    State(app): State<AppState>,
    Path(p): Path<(Snowflake, Snowflake, String)>,
    Query(q): Query<Signed>,
    headers: HeaderMap,
) -> Response {
    attachment_inner(&app, p, &q, &headers, false).await
}

/// `GET /cdn/media/attachments/{channel}/{attachment}/{filename}?ex&is&hm[&width&height]`:
/// the same file, or its thumbnail when the requested size fits one.
pub async fn media_attachment(
    State(app): State<AppState>,
    Path(p): Path<(Snowflake, Snowflake, String)>,
    Query(q): Query<Signed>,
    headers: HeaderMap,
) -> Response {
    attachment_inner(&app, p, &q, &headers, true).await
}

/// The media type of a stored image, from its first bytes.
async fn sniff_object(app: &AppState, key: &ObjectPath) -> Option<String> {
    let meta = app.media.objects.head(key).await.ok()?;
    let head = app
        .media
        .objects
        .get_range(key, 0..meta.size.min(64))
        .await
        .ok()?;
    Some(inspect::sniff(&head))
}

/// Splits `hash.ext` (any of Discord's extensions; the stored format is served).
fn hash_of(file: &str) -> Option<&str> {
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, "png"));
    let ok_ext = matches!(ext, "png" | "jpg" | "jpeg" | "webp" | "gif");
    let ok_stem = !stem.is_empty()
        && stem.len() <= 40
        && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (ok_ext && ok_stem).then_some(stem)
}

async fn public_image(
    app: &AppState,
    key: ObjectPath,
    etag: String,
    headers: &HeaderMap,
) -> Response {
    let Some(ct) = sniff_object(app, &key).await else {
        return not_found();
    };
    serve_object(
        app,
        Serve {
            key,
            content_type: &ct,
            filename: None,
            etag,
            cache: "public, max-age=31536000, immutable".into(),
        },
        headers,
    )
    .await
}

/// `GET /cdn/avatars/{user}/{hash}.{ext}`.
pub async fn avatar(
    State(app): State<AppState>,
    Path((user, file)): Path<(Snowflake, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(hash) = hash_of(&file) else {
        return not_found();
    };
    let key = media::images_key("avatars", user.get(), hash);
    public_image(&app, key, format!("\"{hash}\""), &headers).await
}

/// `GET /cdn/icons/{guild}/{hash}.{ext}`.
pub async fn icon(
    State(app): State<AppState>,
    Path((guild, file)): Path<(Snowflake, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(hash) = hash_of(&file) else {
        return not_found();
    };
    let key = media::images_key("icons", guild.get(), hash);
    public_image(&app, key, format!("\"{hash}\""), &headers).await
}

/// `GET /cdn/emojis/{id}.{ext}`.
pub async fn emoji(
    State(app): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(id) = hash_of(&file).and_then(|s| s.parse::<i64>().ok()) else {
        return not_found();
    };
    public_image(&app, media::emoji_key(id), format!("\"{id}\""), &headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn ranges_resolve_like_rfc_9110() {
        assert!(matches!(
            parse_range(&h("bytes=0-9"), 100),
            Wanted::Part(0, 9)
        ));
        assert!(matches!(
            parse_range(&h("bytes=90-"), 100),
            Wanted::Part(90, 99)
        ));
        assert!(matches!(
            parse_range(&h("bytes=-10"), 100),
            Wanted::Part(90, 99)
        ));
        assert!(matches!(
            parse_range(&h("bytes=50-500"), 100),
            Wanted::Part(50, 99)
        ));
        assert!(matches!(
            parse_range(&h("bytes=100-"), 100),
            Wanted::Unsatisfiable
        ));
        assert!(matches!(parse_range(&h("bytes=0-1,5-6"), 100), Wanted::All));
        assert!(matches!(parse_range(&h("items=0-1"), 100), Wanted::All));
        assert!(matches!(parse_range(&HeaderMap::new(), 100), Wanted::All));
    }

    #[test]
    fn image_file_names_are_hash_and_extension() {
        assert_eq!(hash_of("a_0123abcd.gif"), Some("a_0123abcd"));
        assert_eq!(hash_of("0123.png"), Some("0123"));
        assert_eq!(hash_of("../x.png"), None);
        assert_eq!(hash_of("x.svg"), None);
    }
}
