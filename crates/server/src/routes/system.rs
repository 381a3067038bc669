//! Health, metrics, the web app shell and the JSON 404 for unknown API paths.

use crate::app::AppState;
use crate::error::{ApiError, json_response};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Known path, wrong method.
pub async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(State(app): State<AppState>) -> Response {
    if *app.shutdown.borrow() {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "shutting down"}),
        );
    }
    match app.store.ping().await {
        Ok(()) => json_response(StatusCode::OK, &json!({"status": "ok"})),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "health check failed");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"status": "database unavailable"}),
            )
        }
    }
}

/// `GET /metrics` (Prometheus text format).
pub async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

/// The web app's shell.
pub async fn web_index() -> Response {
    crate::assets::serve("/", &axum::http::HeaderMap::new())
}

/// Anything unmatched: JSON 404 under `/api`, the gateway for bare-slash upgrades (`//`), else
/// the web app shell (client-side routing).
pub async fn fallback(State(app): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/api/") || path == "/api" {
        return json_response(
            StatusCode::NOT_FOUND,
            &json!({"code": 0, "message": "404: Not Found"}),
        );
    }
    if path.chars().all(|c| c == '/') && crate::routes::gateway::is_upgrade(req.headers()) {
        let (parts, _) = req.into_parts();
        return crate::routes::gateway::upgrade(app, parts).await;
    }
    crate::assets::serve(&path, req.headers())
}
