//! The event bus of a node among several: every event is published to one Redis channel and each
//! node holds one subscription to it, feeding its dispatcher exactly as the local bus does. Redis
//! orders all publishes, so every node sees the same sequence (a node's own events included).

use super::{Audience, Effect, Event, EventBus};
use async_trait::async_trait;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// An event as it travels between nodes.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    name: &'a str,
    #[serde(borrow)]
    payload: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    stripped: Option<std::borrow::Cow<'a, str>>,
    content_exempt: Vec<i64>,
    audience: Audience,
    intent: u64,
    effect: Effect,
    guild_id: Option<i64>,
    subject: Option<i64>,
}

/// Dispatch names are `&'static str`; names arriving from Redis are interned (a bounded set of
/// upper-case names, so a stranger on the channel cannot grow it without limit).
fn intern(name: &str) -> Option<&'static str> {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if name.is_empty()
        || name.len() > 64
        || !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        return None;
    }
    let mut set = NAMES.get_or_init(Default::default).lock().ok()?;
    if let Some(n) = set.get(name) {
        return Some(n);
    }
    if set.len() >= 512 {
        return None;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    set.insert(leaked);
    Some(leaked)
}

fn encode(e: &Event) -> Vec<u8> {
    serde_json::to_vec(&Wire {
        name: e.name,
        payload: std::borrow::Cow::Borrowed(&e.payload),
        stripped: e.stripped.as_deref().map(std::borrow::Cow::Borrowed),
        content_exempt: e.content_exempt.clone(),
        audience: e.audience.clone(),
        intent: e.intent,
        effect: e.effect.clone(),
        guild_id: e.guild_id,
        subject: e.subject,
    })
    .unwrap_or_default()
}

fn decode(bytes: &[u8]) -> Option<Event> {
    let w: Wire<'_> = serde_json::from_slice(bytes).ok()?;
    Some(Event {
        name: intern(w.name)?,
        payload: w.payload.into_owned().into_boxed_str(),
        stripped: w.stripped.map(|s| s.into_owned().into_boxed_str()),
        content_exempt: w.content_exempt,
        audience: w.audience,
        intent: w.intent,
        effect: w.effect,
        guild_id: w.guild_id,
        subject: w.subject,
    })
}

/// Publishes through a reconnecting connection; subscribes on its own connection.
pub struct RedisBus {
    publisher: redis::aio::ConnectionManager,
    channel: String,
    rx: Mutex<Option<mpsc::Receiver<Arc<Event>>>>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl RedisBus {
    /// Connects to `url` and subscribes to `channel` (all nodes of one instance share it).
    /// Returns once the subscription is active, so nothing published afterwards is missed.
    pub async fn connect(url: &str, channel: &str, capacity: usize) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let publisher = redis::aio::ConnectionManager::new(client.clone()).await?;
        let (tx, rx) = mpsc::channel(capacity);
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        tokio::spawn(listen(client, channel.to_owned(), pubsub, tx));
        Ok(Self {
            publisher,
            channel: channel.to_owned(),
            rx: Mutex::new(Some(rx)),
        })
    }
}

/// Feeds the node's queue from the subscription, resubscribing after a lost connection.
async fn listen(
    client: redis::Client,
    channel: String,
    first: redis::aio::PubSub,
    tx: mpsc::Sender<Arc<Event>>,
) {
    use futures_util::StreamExt;
    let mut next = Some(first);
    loop {
        let pubsub = match next.take() {
            Some(p) => p,
            None => match client.get_async_pubsub().await {
                Ok(mut p) => match p.subscribe(&channel).await {
                    Ok(()) => {
                        tracing::warn!(
                            "event bus resubscribed to Redis; events published meanwhile were missed"
                        );
                        p
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "subscribing to Redis failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "connecting to Redis failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let mut messages = pubsub.into_on_message();
        while let Some(msg) = messages.next().await {
            match decode(msg.get_payload_bytes()) {
                Some(ev) => {
                    if tx.send(Arc::new(ev)).await.is_err() {
                        return; // the dispatcher stopped: shutting down
                    }
                }
                None => tracing::warn!("ignored a malformed event on the Redis bus"),
            }
        }
        if tx.is_closed() {
            return;
        }
        tracing::warn!("lost the Redis subscription; reconnecting");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, event: Event) {
        crate::metrics::EVENTS_PUBLISHED.inc();
        let bytes = encode(&event);
        let mut conn = self.publisher.clone();
        for attempt in 0..3 {
            match conn
                .publish::<_, _, i64>(&self.channel, bytes.as_slice())
                .await
            {
                Ok(_) => return,
                Err(e) if attempt < 2 => {
                    tracing::warn!(error = %e, "publishing to Redis failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, event = event.name, "an event was not delivered (Redis unavailable)")
                }
            }
        }
    }

    fn subscribe(&self) -> Option<mpsc::Receiver<Arc<Event>>> {
        self.rx.lock().ok().and_then(|mut r| r.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_wire() {
        let ev = Event::new(
            "MESSAGE_CREATE",
            &serde_json::json!({"content": "hi"}),
            Audience::Channel {
                guild: 1,
                channel: 2,
            },
            1 << 9,
        )
        .with_effect(Effect::InvalidateGuild(1))
        .with_stripped(&serde_json::json!({"content": ""}), vec![5]);
        let back = decode(&encode(&ev)).expect("decodes");
        assert_eq!(back.name, "MESSAGE_CREATE");
        assert_eq!(&*back.payload, &*ev.payload);
        assert_eq!(back.stripped, ev.stripped);
        assert_eq!(back.audience, ev.audience);
        assert_eq!(back.effect, ev.effect);
        assert_eq!(back.content_exempt, vec![5]);
        assert!(decode(br#"{"name":"x; drop","payload":"{}"}"#).is_none());
    }
}
