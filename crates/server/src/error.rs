//! The one error type of the HTTP API, rendered in Discord's shape
//! `{"code": <int>, "message": "…", "errors"?: {…}}` with `Content-Type: application/json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use coterie_model::validate::FieldError;
use serde_json::{Map, Value, json};

/// Which kind of resource was not found (Discord's 10xxx codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// 10003.
    Channel,
    /// 10004.
    Guild,
    /// 10006 (also expired or used-up invites).
    Invite,
    /// 10007.
    Member,
    /// 10008.
    Message,
    /// 10011.
    Role,
    /// 10013.
    User,
    /// 10014.
    Emoji,
    /// 10026.
    Ban,
    /// 10012 (expired or unknown email token).
    Token,
    /// 10002.
    Application,
    /// 10015.
    Webhook,
    /// 10062 (also expired tokens).
    Interaction,
    /// 10063.
    Command,
    /// 10070.
    ScheduledEvent,
    /// 10065.
    VoiceState,
    /// 10067.
    StageInstance,
    /// An AutoMod rule (Discord documents no code of its own: 10000).
    AutoModRule,
    /// A report (Coterie: 10000).
    Report,
}

impl Unknown {
    fn code_and_message(self) -> (u32, &'static str) {
        match self {
            Self::Channel => (10003, "Unknown Channel"),
            Self::AutoModRule => (10000, "Unknown Auto Moderation Rule"),
            Self::Report => (10000, "Unknown Report"),
            Self::Guild => (10004, "Unknown Guild"),
            Self::Invite => (10006, "Unknown Invite"),
            Self::Member => (10007, "Unknown Member"),
            Self::Message => (10008, "Unknown Message"),
            Self::Role => (10011, "Unknown Role"),
            Self::Token => (10012, "Unknown Token"),
            Self::User => (10013, "Unknown User"),
            Self::Emoji => (10014, "Unknown Emoji"),
            Self::Ban => (10026, "Unknown Ban"),
            Self::Application => (10002, "Unknown Application"),
            Self::Webhook => (10015, "Unknown Webhook"),
            Self::Interaction => (10062, "Unknown interaction"),
            Self::Command => (10063, "Unknown application command"),
            Self::ScheduledEvent => (10070, "Unknown Guild Scheduled Event"),
            Self::VoiceState => (10065, "Unknown Voice State"),
            Self::StageInstance => (10067, "Unknown Stage Instance"),
        }
    }
}

/// Per-field errors of a 50035 response, keyed by the path into the request body.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(Vec<String>, FieldError)>);

impl FieldErrors {
    /// No errors yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error at a dotted path (`"message_reference.message_id"`, `"embeds.0.title"`).
    pub fn add(&mut self, path: &str, e: FieldError) {
        self.0
            .push((path.split('.').map(str::to_owned).collect(), e));
    }

    /// Records the error of a validation result, returning its value if it passed.
    pub fn check<T>(&mut self, path: &str, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(path, e);
                None
            }
        }
    }

    /// Moves another set's errors under `prefix` (a nested object of the body).
    pub fn nest(&mut self, prefix: &str, inner: Self) {
        for (mut path, e) in inner.0 {
            path.insert(0, prefix.to_owned());
            self.0.push((path, e));
        }
    }

    /// Whether nothing was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(InvalidForm)` if anything was recorded.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidForm(self))
        }
    }

    fn to_json(&self) -> Value {
        fn insert(node: &mut Map<String, Value>, path: &[String], e: &FieldError) {
            match path.split_first() {
                Some((key, rest)) => {
                    let child = node
                        .entry(key.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(m) = child {
                        insert(m, rest, e);
                    }
                }
                None => {
                    let list = node
                        .entry("_errors")
                        .or_insert_with(|| Value::Array(vec![]));
                    if let Value::Array(a) = list {
                        a.push(json!({"code": e.code, "message": e.message}));
                    }
                }
            }
        }
        let mut root = Map::new();
        for (path, e) in &self.0 {
            insert(&mut root, path, e);
        }
        Value::Object(root)
    }
}

/// One field error, as a 50035 response.
#[must_use]
pub fn field_error(path: &str, code: &'static str, message: impl Into<String>) -> ApiError {
    let mut f = FieldErrors::new();
    f.add(path, FieldError::new(code, message));
    ApiError::InvalidForm(f)
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401, code 40001: no token, or an unknown or revoked one.
    #[error("unauthorized")]
    Unauthorized,
    /// 401, code 50027: a webhook token that does not match.
    #[error("invalid webhook token")]
    InvalidWebhookToken,
    /// 403, code 50001: the resource exists but the caller cannot see it.
    #[error("missing access")]
    MissingAccess,
    /// 403, code 50013: the caller sees it but lacks a permission for this action.
    #[error("missing permissions")]
    MissingPermissions,
    /// 403 with a specific Discord code (e.g. 40007 banned, 20016 handled as 429).
    #[error("forbidden: {1}")]
    Forbidden(u32, &'static str),
    /// 404 with a 10xxx code.
    #[error("unknown {0:?}")]
    Unknown(Unknown),
    /// 400, code 50035, with per-field errors.
    #[error("invalid form body")]
    InvalidForm(FieldErrors),
    /// 400, code 50109: the body is not JSON.
    #[error("invalid json")]
    InvalidJson,
    /// 400 with a specific code (50006 empty message, 50034 too old, 30003 max pins …).
    #[error("bad request: {1}")]
    BadRequest(u32, &'static str),
    /// 400, code 200000: AutoMod blocked the content; `custom_message` is the rule's notice.
    #[error("blocked by automatic moderation")]
    AutoModBlocked {
        /// The rule's message for the member.
        custom_message: Option<String>,
        /// The rule.
        rule_id: i64,
    },
    /// 405, code 0.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413, code 40005: the body is larger than allowed.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 429: rate limited (route, global, or slowmode with code 20016).
    #[error("rate limited")]
    RateLimited {
        /// Seconds to wait.
        retry_after: f64,
        /// Global limit.
        global: bool,
        /// `user`, `global` or `shared`.
        scope: &'static str,
        /// 20016 for slowmode.
        code: Option<u32>,
    },
    /// 503, code 0: shutting down or overloaded.
    #[error("unavailable")]
    Unavailable,
    /// 500, code 0: a bug or a backend failure; the cause is logged once here.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<coterie_store::StoreError> for ApiError {
    fn from(e: coterie_store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl ApiError {
    /// Wraps any internal failure.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    fn parts(&self) -> (StatusCode, u32, String) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, 40001, "401: Unauthorized".into()),
            Self::InvalidWebhookToken => (
                StatusCode::UNAUTHORIZED,
                50027,
                "Invalid Webhook Token".into(),
            ),
            Self::MissingAccess => (StatusCode::FORBIDDEN, 50001, "Missing Access".into()),
            Self::MissingPermissions => {
                (StatusCode::FORBIDDEN, 50013, "Missing Permissions".into())
            }
            Self::Forbidden(c, m) => (StatusCode::FORBIDDEN, *c, (*m).into()),
            Self::Unknown(u) => {
                let (c, m) = u.code_and_message();
                (StatusCode::NOT_FOUND, c, m.into())
            }
            Self::InvalidForm(_) => (StatusCode::BAD_REQUEST, 50035, "Invalid Form Body".into()),
            Self::InvalidJson => (
                StatusCode::BAD_REQUEST,
                50109,
                "The request body contains invalid JSON.".into(),
            ),
            Self::BadRequest(c, m) => (StatusCode::BAD_REQUEST, *c, (*m).into()),
            Self::AutoModBlocked { .. } => (
                StatusCode::BAD_REQUEST,
                200_000,
                "Message was blocked by automatic moderation".into(),
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                0,
                "405: Method Not Allowed".into(),
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                40005,
                "Request entity too large".into(),
            ),
            Self::RateLimited { code, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                code.unwrap_or(0),
                if code.is_some() {
                    "You are sending messages too quickly.".into()
                } else {
                    "You are being rate limited.".into()
                },
            ),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                0,
                "Service unavailable, try again shortly.".into(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                0,
                "500: Internal Server Error".into(),
            ),
        }
    }
}

/// A JSON response with exactly `Content-Type: application/json` (discord.py compares it with `==`).
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let (status, code, message) = self.parts();
        let mut body = json!({"code": code, "message": message});
        match &self {
            Self::InvalidForm(f) => {
                body["errors"] = f.to_json();
            }
            Self::RateLimited {
                retry_after,
                global,
                ..
            } => {
                body["retry_after"] = json!(retry_after);
                body["global"] = json!(global);
            }
            Self::AutoModBlocked {
                custom_message,
                rule_id,
            } => {
                body["custom_message"] = json!(custom_message);
                body["rule_id"] = json!(rule_id.to_string());
            }
            _ => {}
        }
        let mut resp = json_response(status, &body);
        if let Self::RateLimited {
            retry_after,
            global,
            scope,
            ..
        } = &self
        {
            let h = resp.headers_mut();
            let ra = format!("{:.3}", retry_after.max(0.0));
            if let Ok(v) = HeaderValue::from_str(&format!("{}", retry_after.ceil().max(0.0) as u64))
            {
                h.insert(header::RETRY_AFTER, v);
            }
            if let Ok(v) = HeaderValue::from_str(&ra) {
                h.insert("x-ratelimit-reset-after", v);
            }
            h.insert("x-ratelimit-scope", HeaderValue::from_static(scope));
            if *global {
                h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
            }
            // discord.py treats a 429 without `Via` as a Cloudflare ban.
            h.insert(header::VIA, HeaderValue::from_static("1.1 coterie"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_nest_by_path() {
        let mut f = FieldErrors::new();
        f.add(
            "embeds.0.title",
            FieldError::new("BASE_TYPE_MAX_LENGTH", "too long"),
        );
        f.add("content", FieldError::new("BASE_TYPE_REQUIRED", "required"));
        let v = f.to_json();
        assert_eq!(
            v["embeds"]["0"]["title"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
        assert_eq!(v["content"]["_errors"][0]["message"], "required");
    }
}
