//! The few REST calls the load generator makes, and the community it sets up for a run.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What `setup` made: one community, its text channels and every member's token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Setup {
    /// Community id.
    pub guild: String,
    /// Text channels (the first is the system channel).
    pub channels: Vec<String>,
    /// The owner's token.
    pub owner: String,
    /// Member tokens.
    pub members: Vec<String>,
}

/// A REST client for one server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// A client for `url` (`http://host:port`).
    pub fn new(url: &str, pool: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Self {
            http,
            base: format!("{}/api/v10", url.trim_end_matches('/')),
        })
    }

    /// One call; errors on any non-2xx answer.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self
            .http
            .request(m, format!("{}{path}", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// Posts a message; returns nothing but success.
    pub async fn send(&self, token: &str, channel: &str, content: &str) -> anyhow::Result<()> {
        let res = self
            .http
            .post(format!("{}/channels/{channel}/messages", self.base))
            .header("Authorization", token)
            .json(&json!({ "content": content }))
            .send()
            .await?;
        let status = res.status();
        // Drain the body so the connection is reused.
        let _ = res.bytes().await?;
        if !status.is_success() {
            bail!("send: {status}");
        }
        Ok(())
    }

    /// A GET whose body is read and dropped.
    pub async fn get(&self, token: &str, path: &str) -> anyhow::Result<()> {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Authorization", token)
            .send()
            .await?;
        let status = res.status();
        let _ = res.bytes().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}");
        }
        Ok(())
    }
}

fn str_of(v: &Value, key: &str) -> anyhow::Result<String> {
    v[key]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no {key} in {v}"))
}

async fn register(api: &Api, name: &str) -> anyhow::Result<String> {
    let v = api
        .call(
            "POST",
            "/auth/register",
            None,
            json!({"username": name, "password": "correct horse battery staple"}),
        )
        .await?;
    str_of(&v, "token")
}

/// Makes the community: an owner, `channels` text channels, `members` members joined by invite
/// (`concurrency` registrations at a time).
pub async fn setup(
    api: &Api,
    members: usize,
    channels: usize,
    concurrency: usize,
) -> anyhow::Result<Setup> {
    let owner = register(api, "bench_owner").await?;
    let g = api
        .call("POST", "/guilds", Some(&owner), json!({"name": "Bench"}))
        .await?;
    let guild = str_of(&g, "id")?;
    let mut chans = vec![str_of(&g, "system_channel_id")?];
    for i in 1..channels {
        let c = api
            .call(
                "POST",
                &format!("/guilds/{guild}/channels"),
                Some(&owner),
                json!({"name": format!("bench-{i}"), "type": 0}),
            )
            .await?;
        chans.push(str_of(&c, "id")?);
    }
    let inv = api
        .call(
            "POST",
            &format!("/channels/{}/invites", chans[0]),
            Some(&owner),
            json!({"max_uses": 0, "max_age": 0}),
        )
        .await?;
    let code = str_of(&inv, "code")?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let tokens = tokio::sync::Mutex::new(vec![String::new(); members]);
    let worker = || async {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= members {
                return Ok::<_, anyhow::Error>(());
            }
            let t = register(api, &format!("bench_{i}")).await?;
            api.call("POST", &format!("/invites/{code}"), Some(&t), json!({}))
                .await?;
            tokens.lock().await[i] = t;
        }
    };
    let workers: Vec<_> = (0..concurrency.max(1)).map(|_| worker()).collect();
    for r in futures_util::future::join_all(workers).await {
        r?;
    }
    Ok(Setup {
        guild,
        channels: chans,
        owner,
        members: tokens.into_inner(),
    })
}
