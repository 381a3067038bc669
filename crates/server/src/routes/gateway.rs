//! Gateway discovery (`GET /gateway`, `GET /gateway/bot`) and the WebSocket upgrade, served on
//! `/`, `//` and `/gateway` so every library's URL form works.

use crate::app::AppState;
use crate::extract::Auth;
use crate::gateway::connection::{self, Params};
use axum::Json;
use axum::extract::{FromRequestParts, Request, State, WebSocketUpgrade};
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

/// Upgrades the connection to a gateway session.
pub async fn upgrade(app: AppState, mut parts: Parts) -> Response {
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &app).await {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let q = parts.uri.query();
    let params = Params {
        version_ok: query_param(q, "v").is_none_or(|v| v == "10" || v == "9"),
        encoding_ok: query_param(q, "encoding").is_none_or(|e| e == "json"),
        resume_url: gateway_url(&app, &parts.headers),
    };
    ws.read_buffer_size(4096)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| connection::serve(app, socket, params))
}

/// `GET /gateway` with an upgrade, or the web app at `/`.
pub async fn root(State(app): State<AppState>, req: Request) -> Response {
    let (parts, _body) = req.into_parts();
    if is_upgrade(&parts.headers) {
        return upgrade(app, parts).await;
    }
    crate::assets::serve("/", &parts.headers)
}
