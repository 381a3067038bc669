//! Request extractors that fail with Discord-shaped errors: the authenticated caller, JSON
//! bodies (size-limited, 50109 for bad JSON, 50035 for bad fields), paths and queries.

use crate::app::AppState;
use crate::error::{ApiError, field_error};
use crate::service::auth;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::{header, request::Parts};
use coterie_store::UserRow;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The account.
    pub user: UserRow,
    /// SHA-256 of the presented token.
    pub token_hash: Vec<u8>,
}

impl Auth {
    /// The caller's id.
    #[must_use]
    pub fn id(&self) -> i64 {
        self.user.id
    }
}

/// The raw token from `Authorization`, without a `Bot `/`Bearer ` prefix.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let t = v
        .strip_prefix("Bot ")
        .or_else(|| v.strip_prefix("Bearer "))
        .unwrap_or(v)
        .trim();
    (!t.is_empty()).then_some(t)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if let Some(a) = parts.extensions.get::<Auth>() {
            return Ok(a.clone());
        }
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let (user, token_hash) = auth::authenticate(app, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let a = Auth { user, token_hash };
        parts.extensions.insert(a.clone());
        Ok(a)
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Auth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if bearer(parts).is_none() {
            return Ok(None);
        }
        <Self as FromRequestParts<AppState>>::from_request_parts(parts, app)
            .await
            .map(Some)
    }
}

/// A JSON body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

/// Parses JSON into `T` with Discord's errors (shared by bodies and gateway payloads).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::InvalidJson);
            }
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            let (path, code) = if path == "." || path.is_empty() {
                // Missing field at the top level: serde names it in the message.
                match msg
                    .strip_prefix("missing field `")
                    .and_then(|m| m.split('`').next())
                {
                    Some(f) => (f.to_owned(), "BASE_TYPE_REQUIRED"),
                    None => ("_root".to_owned(), "DICT_TYPE_CONVERT"),
                }
            } else if msg.starts_with("missing field `") {
                let f = msg
                    .trim_start_matches("missing field `")
                    .split('`')
                    .next()
                    .unwrap_or("");
                (format!("{path}.{f}"), "BASE_TYPE_REQUIRED")
            } else {
                (path, "BASE_TYPE_INVALID")
            };
            let message = if code == "BASE_TYPE_REQUIRED" {
                "This field is required".to_owned()
            } else {
                msg
            };
            Err(field_error(&path, code, message))
        }
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, app: &AppState) -> Result<Self, ApiError> {
        let limit = app.config.max_body_bytes;
        if let Some(len) = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            && len > limit
        {
            return Err(ApiError::PayloadTooLarge);
        }
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let is_json = ct
            .split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        if !is_json {
            if bytes.is_empty() {
                // Discord accepts body-less requests where every field is optional.
                return parse_json(b"{}").map(ApiJson);
            }
            return Err(field_error(
                "_root",
                "CONTENT_TYPE_INVALID",
                "Expected Content-Type application/json.",
            ));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return parse_json(b"{}").map(ApiJson);
        }
        parse_json(&bytes).map(ApiJson)
    }
}

/// Path parameters (ids that are not snowflakes fail with 50035).
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, app).await {
            Ok(Path(v)) => Ok(Self(v)),
            Err(_) => Err(field_error(
                "path",
                "NUMBER_TYPE_COERCE",
                "Value is not snowflake.",
            )),
        }
    }
}

/// Query parameters (bad values fail with 50035).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, app).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(e) => {
                let text = e.body_text();
                let field = text.split('`').nth(1).unwrap_or("query").to_owned();
                Err(field_error(&field, "BASE_TYPE_INVALID", text))
            }
        }
    }
}

/// Query booleans as the libraries send them: `true`/`True`/`1`, `false`/`False`/`0`.
pub fn query_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(serde::de::Error::custom("Must be a boolean")),
    }
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
/// Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// `X-Audit-Log-Reason`, URL-decoded, at most 512 characters.
pub fn audit_reason(headers: &axum::http::HeaderMap) -> Option<String> {
    let raw = headers.get("x-audit-log-reason")?.to_str().ok()?;
    let decoded = percent_decode(raw);
    let t: String = decoded.trim().chars().take(512).collect();
    (!t.is_empty()).then_some(t)
}

/// Decodes `%XX` escapes (invalid sequences are kept as typed).
#[must_use]
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_emoji_and_stray_percent_signs() {
        assert_eq!(percent_decode("%F0%9F%91%8D"), "👍");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("spam%20bot"), "spam bot");
    }
}
