//! Process metrics in Prometheus text format, from plain atomics (no registry, no globals beyond
//! these counters, which are process-wide facts by nature).

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A monotonically increasing counter.
#[derive(Debug)]
pub struct Counter(AtomicU64);

impl Counter {
    const fn new() -> Self {
        Self(AtomicU64::new(0))
    }
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug)]
pub struct Gauge(AtomicI64);

impl Gauge {
    const fn new() -> Self {
        Self(AtomicI64::new(0))
    }
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Subtracts one.
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// HTTP responses by status class.
pub static HTTP_2XX: Counter = Counter::new();
/// 4xx responses.
pub static HTTP_4XX: Counter = Counter::new();
/// 5xx responses.
pub static HTTP_5XX: Counter = Counter::new();
/// 429 responses.
pub static HTTP_429: Counter = Counter::new();
/// Sum of request durations in microseconds.
pub static HTTP_DURATION_US: Counter = Counter::new();
/// Open gateway connections.
pub static GATEWAY_CONNECTIONS: Gauge = Gauge::new();
/// Live gateway sessions (connected or resumable).
pub static GATEWAY_SESSIONS: Gauge = Gauge::new();
/// Events published.
pub static EVENTS_PUBLISHED: Counter = Counter::new();
/// Frames queued to sessions.
pub static EVENTS_DELIVERED: Counter = Counter::new();
/// Connections closed for being too slow.
pub static SLOW_CONSUMERS: Counter = Counter::new();
/// Messages created.
pub static MESSAGES_CREATED: Counter = Counter::new();
/// Uploaded files stored.
pub static FILES_STORED: Counter = Counter::new();

/// Open gateway connections right now.
pub fn gateway_connections() -> i64 {
    GATEWAY_CONNECTIONS.get()
}

/// Renders every metric.
#[must_use]
pub fn render() -> String {
    let mut s = String::new();
    let mut c = |name: &str, help: &str, kind: &str, lines: &[(String, String)]| {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in lines {
            let _ = writeln!(s, "{name}{labels} {v}");
        }
    };
    c(
        "coterie_http_responses_total",
        "HTTP responses by status class.",
        "counter",
        &[
            ("{class=\"2xx\"}".into(), HTTP_2XX.get().to_string()),
            ("{class=\"4xx\"}".into(), HTTP_4XX.get().to_string()),
            ("{class=\"5xx\"}".into(), HTTP_5XX.get().to_string()),
            ("{class=\"429\"}".into(), HTTP_429.get().to_string()),
        ],
    );
    let secs = HTTP_DURATION_US.get() as f64 / 1e6;
    c(
        "coterie_http_request_duration_seconds_sum",
        "Total time spent serving requests.",
        "counter",
        &[(String::new(), format!("{secs:.6}"))],
    );
    c(
        "coterie_gateway_connections",
        "Open gateway WebSocket connections.",
        "gauge",
        &[(String::new(), GATEWAY_CONNECTIONS.get().to_string())],
    );
    c(
        "coterie_gateway_sessions",
        "Gateway sessions, connected or resumable.",
        "gauge",
        &[(String::new(), GATEWAY_SESSIONS.get().to_string())],
    );
    c(
        "coterie_events_published_total",
        "Events published on the bus.",
        "counter",
        &[(String::new(), EVENTS_PUBLISHED.get().to_string())],
    );
    c(
        "coterie_events_delivered_total",
        "Dispatches queued to sessions.",
        "counter",
        &[(String::new(), EVENTS_DELIVERED.get().to_string())],
    );
    c(
        "coterie_gateway_slow_consumers_total",
        "Connections closed for not keeping up.",
        "counter",
        &[(String::new(), SLOW_CONSUMERS.get().to_string())],
    );
    c(
        "coterie_messages_created_total",
        "Messages created.",
        "counter",
        &[(String::new(), MESSAGES_CREATED.get().to_string())],
    );
    c(
        "coterie_files_stored_total",
        "Uploaded files stored.",
        "counter",
        &[(String::new(), FILES_STORED.get().to_string())],
    );
    s
}
