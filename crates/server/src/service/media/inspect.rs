//! What an uploaded file is: a safe name, a media type sniffed from its bytes (never the
//! client's word), and for images their size and a thumbnail.

use super::IncomingFile;
use super::images;
use crate::app::AppState;
use bytes::Bytes;
use coterie_model::validate::FieldError;

/// A file that passed the checks.
#[derive(Debug)]
pub struct Checked {
    /// Sanitised name.
    pub filename: String,
    /// Sniffed media type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Bytes,
    /// Width and height of an image.
    pub dims: Option<(u32, u32)>,
    /// A smaller rendition of a large image.
    pub thumbnail: Option<Bytes>,
}

/// Longest kept file name, in bytes.
const MAX_NAME: usize = 200;

/// A file name safe to store and show: no directories, no control or reserved characters, no
/// leading dots, spaces as underscores, at most 200 bytes with the extension kept.
#[must_use]
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    out = out.trim_start_matches('.').to_owned();
    if out.len() > MAX_NAME {
        let ext = out
            .rfind('.')
            .map(|i| out[i..].to_owned())
            .filter(|e| e.len() <= 16)
            .unwrap_or_default();
        let mut stem = String::new();
        for c in out.chars() {
            if stem.len() + c.len_utf8() + ext.len() > MAX_NAME {
                break;
            }
            stem.push(c);
        }
        out = stem + &ext;
    }
    if out.trim_matches(['_', '.']).is_empty() {
        "unknown".into()
    } else {
        out
    }
}

/// The name as a URL path segment (percent-encoded beyond ASCII).
#[must_use]
pub fn url_name(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The media type of some bytes, from their magic numbers; text that is not recognised as
/// anything else is `text/plain`, the rest `application/octet-stream`.
#[must_use]
pub fn sniff(bytes: &[u8]) -> String {
    if let Some(t) = infer::get(bytes) {
        return t.mime_type().to_owned();
    }
    let head = &bytes[..bytes.len().min(8192)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = lower.trim_start();
    if t.starts_with("<svg") || (t.starts_with("<?xml") && t.contains("<svg")) {
        return "image/svg+xml".into();
    }
    if t.starts_with("<!doctype html") || t.starts_with("<html") || t.contains("<script") {
        return "text/html".into();
    }
    match std::str::from_utf8(head) {
        Ok(_) if !head.contains(&0) => "text/plain; charset=utf-8".into(),
        // A multi-byte character cut at the 8 KiB mark is still text.
        Err(e) if e.error_len().is_none() && !head.contains(&0) => {
            "text/plain; charset=utf-8".into()
        }
        _ => "application/octet-stream".into(),
    }
}

/// Whether a stored type may be shown inline by browsers (everything else downloads).
#[must_use]
pub fn inline_safe(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "video/mp4"
            | "video/webm"
            | "video/quicktime"
            | "audio/mpeg"
            | "audio/ogg"
            | "audio/wav"
            | "audio/x-wav"
            | "audio/x-flac"
            | "audio/mp4"
            | "application/pdf"
    ) || content_type.starts_with("text/plain")
}

/// Checks one file. Images are measured and thumbnailed; one that cannot be decoded safely
/// (too large, a decompression bomb, corrupt) is refused.
pub async fn inspect(app: &AppState, f: &IncomingFile, name: &str) -> Result<Checked, FieldError> {
    let filename = sanitize_filename(name);
    let content_type = sniff(&f.bytes);
    let mut checked = Checked {
        filename,
        content_type,
        bytes: f.bytes.clone(),
        dims: None,
        thumbnail: None,
    };
    if images::is_image(&checked.content_type) {
        let bytes = checked.bytes.clone();
        let (dims, thumb) =
            super::decode_blocking(app, move || images::measure_and_thumbnail(&bytes))
                .await
                .map_err(|e| {
                    FieldError::new(e.code, format!("{}: {}", checked.filename, e.message))
                })?;
        checked.dims = Some(dims);
        checked.thumbnail = thumb;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_directories_and_odd_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_filename(".htaccess"), "htaccess");
        assert_eq!(sanitize_filename("my cat.png"), "my_cat.png");
        assert_eq!(sanitize_filename("a\u{0}b\nc.txt"), "a_b_c.txt");
        assert_eq!(sanitize_filename("résumé.pdf"), "résumé.pdf");
        assert_eq!(sanitize_filename(".."), "unknown");
        assert_eq!(sanitize_filename(""), "unknown");
        let long = format!("{}.jpeg", "x".repeat(400));
        let s = sanitize_filename(&long);
        assert!(s.len() <= 200 && s.ends_with(".jpeg"), "{s}");
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "text/html");
        assert_eq!(
            sniff(b"  <svg xmlns='http://www.w3.org/2000/svg'>"),
            "image/svg+xml"
        );
        assert_eq!(
            sniff("hello, wörld".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(sniff(b"\x00\x01\x02\x03"), "application/octet-stream");
        assert!(!inline_safe("text/html"));
        assert!(inline_safe("image/png"));
    }
}
