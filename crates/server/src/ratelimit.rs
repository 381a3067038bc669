//! HTTP rate limits in Discord's style — a global limit per caller and a limit per caller and
//! route bucket (major parameters: channel, guild, webhook) — with the `X-RateLimit-*` headers,
//! plus per-channel slowmode. Fixed windows starting at a bucket's first hit, counted in sharded
//! in-memory maps, or in Redis when nodes share it (`--redis-url`) so every node sees the same
//! counts. If Redis cannot be reached, requests are let through (and the failure logged).

use crate::app::AppState;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

const SHARDS: usize = 16;
const PRUNE_ABOVE: usize = 20_000;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    count: u32,
}

/// Counters for rate limits and slowmode.
#[derive(Debug)]
pub struct Limiter {
    enabled: bool,
    global_per_sec: u32,
    route_per_10s: u32,
    messages_per_5s: u32,
    clock: Arc<dyn Clock>,
    shards: Vec<Mutex<HashMap<u64, Window>>>,
    redis_url: Option<String>,
    shared: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
}

/// The outcome of counting one request against a bucket.
#[derive(Debug, Clone)]
pub struct Decision {
    limit: u32,
    remaining: u32,
    reset_at_ms: i64,
    bucket: String,
    exceeded: Option<(f64, bool)>,
}

fn key(parts: &[&str]) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

impl Limiter {
    /// From the configuration.
    #[must_use]
    pub fn new(c: &Config, clock: Arc<dyn Clock>) -> Self {
        Self {
            enabled: c.rate_limits,
            global_per_sec: c.rate_limit_global,
            route_per_10s: c.rate_limit_route,
            messages_per_5s: c.rate_limit_messages,
            clock,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            redis_url: c.redis_url.clone(),
            shared: tokio::sync::OnceCell::new(),
        }
    }

    /// Counts a hit; returns (count after the hit, window end).
    async fn hit(&self, k: u64, window_ms: i64) -> (u32, i64) {
        if let Some(url) = &self.redis_url {
            match self.shared_hit(url, k, window_ms).await {
                Ok(v) => return v,
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate-limit counter unavailable; not limiting");
                    return (0, self.clock.now_ms() + window_ms);
                }
            }
        }
        self.local_hit(k, window_ms)
    }

    /// One round trip: count, start the window on the first hit, read how long it has left.
    async fn shared_hit(
        &self,
        url: &str,
        k: u64,
        window_ms: i64,
    ) -> redis::RedisResult<(u32, i64)> {
        let conn = self
            .shared
            .get_or_try_init(|| async {
                redis::aio::ConnectionManager::new(redis::Client::open(url)?).await
            })
            .await?;
        let key = format!("coterie:rl:{k:016x}");
        let (count, _, ttl): (i64, i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&key)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(window_ms)
            .arg("NX")
            .cmd("PTTL")
            .arg(&key)
            .query_async(&mut conn.clone())
            .await?;
        let left = if ttl > 0 { ttl } else { window_ms };
        Ok((
            u32::try_from(count).unwrap_or(u32::MAX),
            self.clock.now_ms() + left,
        ))
    }

    fn local_hit(&self, k: u64, window_ms: i64) -> (u32, i64) {
        let now = self.clock.now_ms();
        let shard = &self.shards[(k as usize) % SHARDS];
        let mut m = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if m.len() > PRUNE_ABOVE {
            m.retain(|_, w| now - w.start < 60_000);
        }
        let w = m.entry(k).or_insert(Window {
            start: now,
            count: 0,
        });
        if now - w.start >= window_ms {
            *w = Window {
                start: now,
                count: 0,
            };
        }
        w.count = w.count.saturating_add(1);
        (w.count, w.start + window_ms)
    }

    /// Counts a request by `who` against the global limit and its route bucket.
    #[must_use]
    pub async fn check(
        &self,
        who: &str,
        method: &Method,
        template: &str,
        major: &str,
    ) -> Option<Decision> {
        if !self.enabled {
            return None;
        }
        let now = self.clock.now_ms();
        let (gcount, gend) = self.hit(key(&["global", who]), 1000).await;
        let is_send =
            method == Method::POST && template.ends_with("/channels/{channel_id}/messages");
        let (limit, window) = if is_send {
            (self.messages_per_5s, 5_000)
        } else {
            (self.route_per_10s, 10_000)
        };
        let bucket_id = format!("{:016x}", key(&[method.as_str(), template]));
        if gcount > self.global_per_sec {
            return Some(Decision {
                limit,
                remaining: 0,
                reset_at_ms: gend,
                bucket: bucket_id,
                exceeded: Some(((gend - now) as f64 / 1000.0, true)),
            });
        }
        let (count, end) = self
            .hit(key(&[who, method.as_str(), template, major]), window)
            .await;
        let exceeded = (count > limit).then(|| ((end - now) as f64 / 1000.0, false));
        Some(Decision {
            limit,
            remaining: limit.saturating_sub(count),
            reset_at_ms: end,
            bucket: bucket_id,
            exceeded,
        })
    }

    /// Slowmode: one message (and, separately, one new thread) per `secs` per member per channel
    /// (429, code 20016). `what` names the bucket: `message` or `thread`.
    pub async fn slowmode(
        &self,
        channel: i64,
        user: i64,
        secs: i64,
        what: &str,
    ) -> Result<(), ApiError> {
        let k = key(&["slowmode", what, &channel.to_string(), &user.to_string()]);
        let (count, end) = self.hit(k, secs * 1000).await;
        if count > 1 {
            let retry = (end - self.clock.now_ms()).max(0) as f64 / 1000.0;
            return Err(ApiError::RateLimited {
                retry_after: retry,
                global: false,
                scope: "user",
                code: Some(20016),
            });
        }
        Ok(())
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Who a request counts against: a hash of its token, else its address.
fn caller_key(req: &Request) -> String {
    if let Some(v) = req.headers().get(axum::http::header::AUTHORIZATION) {
        let d = Sha256::digest(v.as_bytes());
        return d.iter().take(8).map(|b| format!("{b:02x}")).collect();
    }
    req.extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "anonymous".to_owned(), |c| c.0.ip().to_string())
}

/// The values of the major parameters (channel, guild, webhook) in the request path.
fn major_params(template: &str, path: &str) -> String {
    template
        .split('/')
        .zip(path.split('/'))
        .filter(|(t, _)| matches!(*t, "{channel_id}" | "{guild_id}" | "{webhook_id}"))
        .map(|(_, v)| v)
        .collect::<Vec<_>>()
        .join("/")
}

/// Middleware applying the limits and adding the headers.
pub async fn layer(
    State(app): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let Some(template) = matched.map(|m| m.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let who = caller_key(&req);
    let major = major_params(&template, req.uri().path());
    let Some(d) = app
        .limiter
        .check(&who, req.method(), &template, &major)
        .await
    else {
        return next.run(req).await;
    };
    if let Some((retry_after, global)) = d.exceeded {
        crate::metrics::HTTP_429.inc();
        let mut resp = ApiError::RateLimited {
            retry_after,
            global,
            scope: if global { "global" } else { "user" },
            code: None,
        }
        .into_response();
        headers(&mut resp, &d, app.limiter.now());
        return resp;
    }
    let mut resp = next.run(req).await;
    headers(&mut resp, &d, app.limiter.now());
    resp
}

fn headers(resp: &mut Response, d: &Decision, now: i64) {
    let h = resp.headers_mut();
    let mut set = |name: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(name, v);
        }
    };
    set("x-ratelimit-limit", d.limit.to_string());
    set("x-ratelimit-remaining", d.remaining.to_string());
    set(
        "x-ratelimit-reset",
        format!("{:.3}", d.reset_at_ms as f64 / 1000.0),
    );
    set(
        "x-ratelimit-reset-after",
        format!("{:.3}", (d.reset_at_ms - now).max(0) as f64 / 1000.0),
    );
    set("x-ratelimit-bucket", d.bucket.clone());
    if d.exceeded.is_none() {
        h.remove("x-ratelimit-scope");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_parameters_come_from_the_matching_path_segments() {
        assert_eq!(
            major_params(
                "/api/v10/channels/{channel_id}/messages/{message_id}",
                "/api/v10/channels/42/messages/7"
            ),
            "42"
        );
        assert_eq!(
            major_params(
                "/api/v10/guilds/{guild_id}/members/{user_id}",
                "/api/v10/guilds/9/members/1"
            ),
            "9"
        );
    }
}
