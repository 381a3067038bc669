//! `TestApp`: a server per test, helpers named after API calls, and a gateway client.
#![expect(
    clippy::expect_used,
    reason = "test harness: a failed setup step should fail the test loudly"
)]

use coterie_server::app::Parts;
use coterie_server::bus::LocalBus;
use coterie_server::clock::FakeClock;
use coterie_server::config::Config;
use coterie_server::mail::MemoryMailer;
use coterie_server::serve::{self, Running};
use coterie_store::{DbConfig, Store};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type R = Result<(), Box<dyn std::error::Error>>;

/// Bounds how long a test waits for something that should happen (never a sleep).
pub const WAIT: Duration = Duration::from_secs(10);

pub struct TestApp {
    pub base: String,
    pub ws_url: String,
    pub http: reqwest::Client,
    pub clock: Arc<FakeClock>,
    pub mailer: Arc<MemoryMailer>,
    running: Option<Running>,
    _dir: tempdir::Dir,
}

/// A registered account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub token: String,
    #[expect(dead_code, reason = "kept for debugging output")]
    pub name: String,
}

/// A guild created through the API.
#[derive(Clone, Debug)]
pub struct Guild {
    pub id: String,
    /// The default #general text channel.
    pub general: String,
}

mod tempdir {
    /// A temporary directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        t % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut Config)) -> Self {
        let db = match (
            std::env::var("COTERIE_TEST_DB").as_deref(),
            std::env::var("TEST_DATABASE_URL"),
        ) {
            (Ok("postgres"), Ok(url)) => Some(DbConfig::Postgres {
                url,
                max_connections: 8,
                schema: Some(format!("api_{}", unique())),
            }),
            _ => None,
        };
        Self::node(tweak, db, None, Arc::new(FakeClock::new())).await
    }

    /// Two nodes sharing one PostgreSQL schema and a Redis event bus, as in a scaled-out
    /// deployment. None unless the PostgreSQL pass runs with `TEST_REDIS_URL` set.
    pub async fn pair() -> Option<(Self, Self)> {
        let (Ok("postgres"), Ok(url), Ok(redis)) = (
            std::env::var("COTERIE_TEST_DB").as_deref(),
            std::env::var("TEST_DATABASE_URL"),
            std::env::var("TEST_REDIS_URL"),
        ) else {
            return None;
        };
        let schema = format!("api_{}", unique());
        let db = DbConfig::Postgres {
            url,
            max_connections: 8,
            schema: Some(schema.clone()),
        };
        let clock = Arc::new(FakeClock::new());
        let channel = format!("coterie:test:{schema}");
        let mut nodes = vec![];
        for node in [1u16, 2] {
            let bus = coterie_server::bus::RedisBus::connect(
                &redis,
                &channel,
                65_536,
                std::time::Duration::from_secs(120),
            )
            .await
            .expect("redis bus");
            nodes.push(
                Self::node(
                    |c| {
                        c.node_id = node;
                        // Shared counters: a member gets 5 messages per 5 s per channel in total.
                        c.redis_url = Some(redis.clone());
                        c.rate_limit_messages = 5;
                    },
                    Some(db.clone()),
                    Some(Arc::new(bus)),
                    clock.clone(),
                )
                .await,
            );
        }
        let b = nodes.pop().expect("node b");
        let a = nodes.pop().expect("node a");
        Some((a, b))
    }

    async fn node(
        tweak: impl FnOnce(&mut Config),
        db: Option<DbConfig>,
        bus: Option<Arc<dyn coterie_server::bus::EventBus>>,
        clock: Arc<FakeClock>,
    ) -> Self {
        let dir = std::env::temp_dir().join(format!("coterie-api-{}", unique()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut config = Config::for_tests().expect("config");
        config.data_dir = dir.clone();
        config.heartbeat_interval_ms = 5_000;
        // Tests send in bursts; the rate-limit tests set their own limits.
        config.rate_limit_messages = 10_000;
        config.rate_limit_route = 10_000;
        config.rate_limit_global = 10_000;
        tweak(&mut config);
        let db = db.unwrap_or_else(|| DbConfig::Sqlite {
            path: dir.join("coterie.db"),
            readers: 4,
        });
        let store = Store::open(&db).await.expect("open store");
        store.migrate(0).await.expect("migrate");
        let mailer = Arc::new(MemoryMailer::default());
        let parts = Parts {
            config,
            store,
            bus: bus.unwrap_or_else(|| Arc::new(LocalBus::new(65_536))),
            clock: clock.clone(),
            mailer: mailer.clone(),
        };
        let running = serve::start(parts).await.expect("start");
        let base = format!("http://{}/api/v10", running.addr);
        let ws_url = format!("ws://{}", running.addr);
        Self {
            base,
            ws_url,
            http: {
                coterie_server::service::unfurl::install_crypto();
                reqwest::Client::new()
            },
            clock,
            mailer,
            running: Some(running),
            _dir: tempdir::Dir(dir),
        }
    }

    pub fn app(&self) -> &coterie_server::app::AppState {
        &self.running.as_ref().expect("running").app
    }

    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("shutdown");
        }
    }

    /// Any request; returns status, headers and parsed JSON (Null for empty bodies).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, headers, v)
    }

    pub async fn get(&self, path: &str, u: &User) -> (StatusCode, Value) {
        let (s, _, v) = self.call(Method::GET, path, Some(&u.token), None).await;
        (s, v)
    }
    pub async fn post(&self, path: &str, u: &User, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self
            .call(Method::POST, path, Some(&u.token), Some(body))
            .await;
        (s, v)
    }
    pub async fn patch(&self, path: &str, u: &User, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self
            .call(Method::PATCH, path, Some(&u.token), Some(body))
            .await;
        (s, v)
    }
    pub async fn put(&self, path: &str, u: &User, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self
            .call(Method::PUT, path, Some(&u.token), Some(body))
            .await;
        (s, v)
    }
    pub async fn delete(&self, path: &str, u: &User) -> (StatusCode, Value) {
        let (s, _, v) = self.call(Method::DELETE, path, Some(&u.token), None).await;
        (s, v)
    }

    /// A `multipart/form-data` request: parts are (field name, file name, bytes).
    pub async fn multipart(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let boundary = "coterie-test-boundary-7d1f";
        let mut body: Vec<u8> = Vec::new();
        for (name, file, data) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match file {
                Some(f) => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, v)
    }

    /// Fetches an absolute URL (files) without a token; returns status, headers and bytes.
    pub async fn fetch(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let mut req = self.http.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let h = resp.headers().clone();
        (status, h, resp.bytes().await.expect("body").to_vec())
    }

    /// Registers an account (password "correct horse battery").
    pub async fn user(&self, name: &str) -> User {
        let (s, _, v) = self
            .call(
                Method::POST,
                "/auth/register",
                None,
                Some(json!({"username": name, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "register {name}: {v}");
        User {
            id: v["user_id"].as_str().expect("id").to_owned(),
            token: v["token"].as_str().expect("token").to_owned(),
            name: name.to_owned(),
        }
    }

    pub async fn guild(&self, owner: &User) -> Guild {
        let (s, g) = self
            .post("/guilds", owner, json!({"name": "Study Group"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let id = g["id"].as_str().expect("id").to_owned();
        Guild {
            general: g["system_channel_id"].as_str().expect("general").to_owned(),
            id,
        }
    }

    /// Creates an invite to the guild's #general and has `who` accept it.
    pub async fn join(&self, g: &Guild, owner: &User, who: &User) {
        let code = self.invite(g, owner).await;
        let (s, v) = self.post(&format!("/invites/{code}"), who, json!({})).await;
        assert_eq!(s, StatusCode::OK, "accept: {v}");
    }

    pub async fn invite(&self, g: &Guild, owner: &User) -> String {
        let (s, v) = self
            .post(
                &format!("/channels/{}/invites", g.general),
                owner,
                json!({"unique": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "invite: {v}");
        v["code"].as_str().expect("code").to_owned()
    }

    pub async fn create_message(&self, channel: &str, u: &User, content: &str) -> Value {
        let (s, v) = self
            .post(
                &format!("/channels/{channel}/messages"),
                u,
                json!({"content": content}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "send: {v}");
        v
    }

    pub async fn create_role(&self, g: &Guild, u: &User, body: Value) -> Value {
        let (s, v) = self.post(&format!("/guilds/{}/roles", g.id), u, body).await;
        assert_eq!(s, StatusCode::OK, "role: {v}");
        v
    }

    /// Connects, receives HELLO, identifies with all intents and waits for READY.
    pub async fn gateway(&self, u: &User) -> Gw {
        self.gateway_with(u, json!({"token": u.token, "intents": 3276799, "properties": {"os": "linux", "browser": "test", "device": "test"}})).await
    }

    pub async fn gateway_with(&self, _u: &User, identify: Value) -> Gw {
        let mut gw = self.connect().await;
        let hello = gw.next_frame().await.expect("hello");
        assert_eq!(hello["op"], 10);
        gw.send(json!({"op": 2, "d": identify})).await;
        let ready = gw.next_event("READY").await;
        gw.session_id = ready["session_id"].as_str().unwrap_or_default().to_owned();
        gw.ready = ready;
        gw
    }

    pub async fn connect(&self) -> Gw {
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("{}/?v=10&encoding=json", self.ws_url))
                .await
                .expect("connect");
        Gw {
            ws,
            seq: 0,
            session_id: String::new(),
            ready: Value::Null,
            seen: vec![],
        }
    }
}

/// A gateway client.
pub struct Gw {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub seq: u64,
    pub session_id: String,
    pub ready: Value,
    /// Every dispatch received so far, as (name, d).
    pub seen: Vec<(String, Value)>,
}

impl Gw {
    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    /// The next frame; None when the server closed (the close code is in `closed`).
    pub async fn next_frame(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for a frame")?;
            match msg {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(&t).expect("json frame");
                    if v["op"] == 0 {
                        if let Some(s) = v["s"].as_u64() {
                            assert!(
                                s > self.seq || self.seq == 0,
                                "sequence went backwards: {s} after {}",
                                self.seq
                            );
                            self.seq = s;
                        }
                        self.seen.push((
                            v["t"].as_str().unwrap_or_default().to_owned(),
                            v["d"].clone(),
                        ));
                    }
                    return Some(v);
                }
                Ok(Message::Close(f)) => {
                    return Some(json!({"closed": f.map(|f| u16::from(f.code)).unwrap_or(0)}));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Waits for the dispatch `name`, skipping others; returns its `d`.
    pub async fn next_event(&mut self, name: &str) -> Value {
        loop {
            let f = self
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("connection ended waiting for {name}"));
            if f.get("closed").is_some() {
                panic!("closed {f} while waiting for {name}");
            }
            if f["op"] == 0 && f["t"] == name {
                return f["d"].clone();
            }
        }
    }

    /// Waits for the close frame; returns its code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match self.next_frame().await {
                Some(f) if f.get("closed").is_some() => {
                    return f["closed"].as_u64().unwrap_or(0) as u16;
                }
                Some(_) => continue,
                None => return 0,
            }
        }
    }

    /// Waits for a MESSAGE_CREATE with this content (skipping system messages and others).
    pub async fn next_message(&mut self, content: &str) -> Value {
        loop {
            let d = self.next_event("MESSAGE_CREATE").await;
            if d["content"] == content {
                return d;
            }
        }
    }

    /// Waits for the MESSAGE_CREATE of the message with this id.
    pub async fn next_message_id(&mut self, id: &Value) -> Value {
        loop {
            let d = self.next_event("MESSAGE_CREATE").await;
            if &d["id"] == id {
                return d;
            }
        }
    }

    /// Ends the session the way a client logging out does (close code 1000).
    pub async fn logout(&mut self) {
        use tokio_tungstenite::tungstenite::protocol::{CloseFrame, frame::coding::CloseCode};
        let _ = self
            .ws
            .close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }

    /// Names of dispatches seen so far.
    pub fn names(&self) -> Vec<&str> {
        self.seen.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// A JSON body's error code.
pub fn code(v: &Value) -> i64 {
    v["code"].as_i64().unwrap_or(-1)
}

/// A bot: its application, owner and token (as `Bot <token>`).
#[derive(Clone, Debug)]
pub struct Bot {
    pub app_id: String,
    pub user: User,
}

impl TestApp {
    /// Creates an application with a bot (privileged intents `flags`) owned by `owner`.
    pub async fn bot(&self, owner: &User, name: &str, flags: i64) -> Bot {
        let (s, a) = self
            .post(
                "/applications",
                owner,
                json!({"name": name, "flags": flags}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let id = a["id"].as_str().expect("id").to_owned();
        let (s, b) = self
            .post(&format!("/applications/{id}/bot"), owner, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let token = format!("Bot {}", b["token"].as_str().expect("token"));
        Bot {
            app_id: id.clone(),
            user: User {
                id,
                token,
                name: name.to_owned(),
            },
        }
    }

    /// Adds the bot to the guild with `permissions`.
    pub async fn add_bot(&self, g: &Guild, owner: &User, bot: &Bot, permissions: u64) {
        let (s, v) = self
            .post(
                &format!("/oauth2/authorize?client_id={}&scope=bot&permissions={permissions}", bot.app_id),
                owner,
                json!({"guild_id": g.id, "permissions": permissions.to_string(), "authorize": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
}
