//! Gateway discovery (`GET /gateway`, `GET /gateway/bot`) and the WebSocket upgrade, served on
//! `/`, `//` and `/gateway` so every library's URL form works.

use crate::app::AppState;
use crate::extract::Auth;
use crate::gateway::connection::{self, Params};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The gateway URL for clients of this request: `ws://` or `wss://` on the public host, no
/// trailing slash.
pub fn gateway_url(app: &AppState, headers: &HeaderMap) -> String {
    let base = app.base_url(headers.get(header::HOST).and_then(|v| v.to_str().ok()));
    match base.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}"),
        None => format!("ws://{}", base.trim_start_matches("http://")),
    }
}

/// `GET /gateway`.
pub async fn get_gateway(State(app): State<AppState>, headers: HeaderMap) -> Json<Value> {
    Json(json!({"url": gateway_url(&app, &headers)}))
}

/// `GET /gateway/bot`.
pub async fn get_gateway_bot(
    State(app): State<AppState>,
    _a: Auth,
    headers: HeaderMap,
) -> Json<Value> {
    Json(json!({
        "url": gateway_url(&app, &headers),
        "shards": 1,
        "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 86_400_000, "max_concurrency": 1},
    }))
}

/// Whether the request asks for a WebSocket.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn query_param<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// The `Sec-WebSocket-Key` of a valid WebSocket upgrade request (RFC 6455 §4.2.1), or the
/// response refusing it.
fn handshake_key(parts: &Parts) -> Result<&[u8], (axum::http::StatusCode, &'static str)> {
    use axum::http::{Method, StatusCode};
    let has_token = |name: header::HeaderName, token: &str| {
        parts.headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if parts.method != Method::GET {
        return Err((StatusCode::METHOD_NOT_ALLOWED, "WebSocket upgrades use GET"));
    }
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err((
            StatusCode::BAD_REQUEST,
            "Connection: upgrade and Upgrade: websocket are required",
        ));
    }
    if parts
        .headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(|v| v.as_bytes())
        != Some(b"13")
    {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket version 13 is required",
        ));
    }
    parts
        .headers
        .get(header::SEC_WEBSOCKET_KEY)
        .map(axum::http::HeaderValue::as_bytes)
        .ok_or((StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is required"))
}

/// The upgraded connection a WebSocket handler serves.
pub type Socket =
    tokio_tungstenite::WebSocketStream<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// Accepts a WebSocket upgrade (RFC 6455 checks; refusals name the supported version) and runs
/// `serve` on the connection. Done here rather than with axum's extractor so connections can
/// write its own dispatch frames (see `connection`).
pub fn accept_websocket<F, Fut>(
    mut parts: Parts,
    config: tokio_tungstenite::tungstenite::protocol::WebSocketConfig,
    serve: F,
) -> Response
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    use tokio_tungstenite::tungstenite::protocol::Role;
    let accept = match handshake_key(&parts) {
        Ok(key) => tokio_tungstenite::tungstenite::handshake::derive_accept_key(key),
        Err(refused) => return ([(header::SEC_WEBSOCKET_VERSION, "13")], refused).into_response(),
    };
    let Some(on_upgrade) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
        return (
            axum::http::StatusCode::UPGRADE_REQUIRED,
            "This connection cannot be upgraded",
        )
            .into_response();
    };
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            hyper_util::rt::TokioIo::new(upgraded),
            Role::Server,
            Some(config),
        )
        .await;
        serve(ws).await;
    });
    (
        axum::http::StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::CONNECTION, "upgrade".to_owned()),
            (header::UPGRADE, "websocket".to_owned()),
            (header::SEC_WEBSOCKET_ACCEPT, accept),
        ],
    )
        .into_response()
}

/// Upgrades the connection to a gateway session.
pub async fn upgrade(app: AppState, parts: Parts) -> Response {
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    let q = parts.uri.query();
    let params = Params {
        version_ok: query_param(q, "v").is_none_or(|v| v == "10" || v == "9"),
        encoding_ok: query_param(q, "encoding").is_none_or(|e| e == "json"),
        resume_url: gateway_url(&app, &parts.headers),
    };
    // Client frames are small (heartbeats, IDENTIFY): the read buffer starts at 512 bytes and
    // grows only for a longer message.
    let config = WebSocketConfig::default()
        .read_buffer_size(512)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024));
    accept_websocket(parts, config, move |ws| connection::serve(app, ws, params))
}

/// `GET /gateway` with an upgrade, or the web app at `/`.
pub async fn root(State(app): State<AppState>, req: Request) -> Response {
    let (parts, _body) = req.into_parts();
    if is_upgrade(&parts.headers) {
        return upgrade(app, parts).await;
    }
    crate::assets::serve("/", &parts.headers)
}
