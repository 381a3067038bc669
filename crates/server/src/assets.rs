//! Serving the embedded web client: pre-compressed files, long-lived caching for hashed assets,
//! ETags, and the app shell for every other path (client-side routing).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// URL path, e.g. `/assets/index-abc.js`.
    pub path: &'static str,
    /// Content type.
    pub mime: &'static str,
    /// The bytes.
    pub raw: &'static [u8],
    /// The bytes, gzip-compressed at build time.
    pub gz: &'static [u8],
    /// Quoted content hash.
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Security headers for the app shell: no inline script, no framing, no sniffing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn find(path: &str) -> Option<&'static Asset> {
    FILES.iter().find(|f| f.path == path)
}

/// Serves `path` if it is an embedded file, else the app shell (`/index.html`).
pub fn serve(path: &str, req_headers: &HeaderMap) -> Response {
    let (file, shell) = match find(path).filter(|_| path != "/") {
        Some(f) => (f, false),
        None => match find("/index.html") {
            Some(f) => (f, true),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let Asset {
        mime,
        raw,
        gz,
        etag,
        ..
    } = *file;
    if req_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let gzip = req_headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let body: &'static [u8] = if gzip { gz } else { raw };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::ETAG, HeaderValue::from_static(etag));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    let immutable = path.starts_with("/assets/") && !shell;
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    if shell || mime.starts_with("text/html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    resp
}
