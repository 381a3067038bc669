//! The event bus of a node among several: every event is appended to one Redis stream and each
//! node holds one reader of it, feeding its dispatcher exactly as the local bus does. Redis orders
//! all appends, so every node sees the same sequence (a node's own events included), and the stream
//! keeps the last resume window of events so a gateway session can be resumed on another node
//! (`gateway::handoff`). A reader that loses its connection continues where it stopped.

use super::{Audience, Effect, Event, EventBus};
use super::{StreamPos, format_pos, parse_pos};
use async_trait::async_trait;
use redis::AsyncCommands;
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
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
        pos: None,
    })
}

/// An entry read from the stream, positioned.
fn entry(e: &StreamId) -> Option<Event> {
    let Some(redis::Value::BulkString(bytes)) = e.map.get("e") else {
        return None;
    };
    let mut ev = decode(bytes)?;
    ev.pos = Some(parse_pos(&e.id)?);
    Some(ev)
}

/// Entries replayed for one resume at most; a session further behind identifies again.
const MAX_REPLAY: usize = 100_000;
/// Entries read per round trip.
const READ_BATCH: usize = 512;

/// Appends through a reconnecting connection; reads on its own connection.
pub struct RedisBus {
    conn: redis::aio::ConnectionManager,
    key: String,
    retain: Duration,
    rx: Mutex<Option<mpsc::Receiver<Arc<Event>>>>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl RedisBus {
    /// Connects to `url` and starts reading the stream `key` (all nodes of one instance share it)
    /// from its current end, so nothing appended after this returns is missed. Entries older than
    /// `retain` (the gateway's resume window) are trimmed as new ones arrive.
    pub async fn connect(
        url: &str,
        key: &str,
        capacity: usize,
        retain: Duration,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let mut conn = redis::aio::ConnectionManager::new(client.clone()).await?;
        let last: StreamRangeReply = redis::cmd("XREVRANGE")
            .arg(key)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut conn)
            .await?;
        let from = last
            .ids
            .first()
            .map_or_else(|| "0-0".to_owned(), |e| e.id.clone());
        let (tx, rx) = mpsc::channel(capacity);
        tokio::spawn(read(client, key.to_owned(), from, tx));
        Ok(Self {
            conn,
            key: key.to_owned(),
            retain,
            rx: Mutex::new(Some(rx)),
        })
    }

    fn checkpoint_key(&self, session: &str) -> String {
        format!("{}:session:{session}", self.key)
    }
}

/// Feeds the node's queue from the stream, reconnecting after a lost connection and continuing
/// after the last entry it passed on.
async fn read(client: redis::Client, key: String, mut last: String, tx: mpsc::Sender<Arc<Event>>) {
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(15)));
    let mut conn = None;
    loop {
        if tx.is_closed() {
            return; // the dispatcher stopped: shutting down
        }
        let c = match &mut conn {
            Some(c) => c,
            None => match client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tracing::warn!(error = %e, "connecting to Redis failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let reply: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_BATCH)
            .arg("BLOCK")
            .arg(5000)
            .arg("STREAMS")
            .arg(&key)
            .arg(&last)
            .query_async(c)
            .await;
        match reply {
            Ok(None) => {}
            Ok(Some(r)) => {
                for e in r.keys.into_iter().flat_map(|k| k.ids) {
                    match entry(&e) {
                        Some(ev) => {
                            if tx.send(Arc::new(ev)).await.is_err() {
                                return;
                            }
                        }
                        None => tracing::warn!("ignored a malformed event on the Redis bus"),
                    }
                    last = e.id;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the Redis event stream failed; reconnecting");
                conn = None;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, event: Event) {
        crate::metrics::EVENTS_PUBLISHED.inc();
        let bytes = encode(&event);
        let oldest = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(self.retain)
            .as_millis();
        let mut conn = self.conn.clone();
        for attempt in 0..3 {
            let added: redis::RedisResult<String> = redis::cmd("XADD")
                .arg(&self.key)
                .arg("MINID")
                .arg("~")
                .arg(oldest.to_string())
                .arg("*")
                .arg("e")
                .arg(bytes.as_slice())
                .query_async(&mut conn)
                .await;
            match added {
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

    fn shared(&self) -> bool {
        true
    }

    async fn events_after(&self, after: StreamPos) -> anyhow::Result<Option<Vec<Event>>> {
        let mut conn = self.conn.clone();
        if !conn.exists::<_, bool>(&self.key).await? {
            return Ok(Some(vec![]));
        }
        // Entries up to `max-deleted-entry-id` were trimmed: if any were after `after`, the
        // sequence cannot be rebuilt.
        let info: std::collections::HashMap<String, redis::Value> = redis::cmd("XINFO")
            .arg("STREAM")
            .arg(&self.key)
            .query_async(&mut conn)
            .await?;
        let deleted = info
            .get("max-deleted-entry-id")
            .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
            .and_then(|s| parse_pos(&s))
            .unwrap_or(0);
        if deleted > after {
            return Ok(None);
        }
        let mut out = Vec::new();
        let mut from = format!("({}", format_pos(after));
        loop {
            let page: StreamRangeReply = redis::cmd("XRANGE")
                .arg(&self.key)
                .arg(&from)
                .arg("+")
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            let n = page.ids.len();
            for e in &page.ids {
                if let Some(ev) = entry(e) {
                    out.push(ev);
                }
            }
            match page.ids.last() {
                Some(last) if n == 1000 => from = format!("({}", last.id),
                _ => break,
            }
            if out.len() > MAX_REPLAY {
                return Ok(None);
            }
        }
        Ok(Some(out))
    }

    async fn put_checkpoint(
        &self,
        session: &str,
        value: Option<Vec<u8>>,
        ttl_secs: u64,
    ) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let key = self.checkpoint_key(session);
        match value {
            Some(v) => conn.set_ex::<_, _, ()>(key, v, ttl_secs.max(1)).await?,
            None => conn.del::<_, ()>(key).await?,
        }
        Ok(())
    }

    async fn get_checkpoint(&self, session: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let mut conn = self.conn.clone();
        Ok(conn.get(self.checkpoint_key(session)).await?)
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
        assert_eq!(back.pos, None);
        assert_eq!(back.name, "MESSAGE_CREATE");
        assert_eq!(&*back.payload, &*ev.payload);
        assert_eq!(back.stripped, ev.stripped);
        assert_eq!(back.audience, ev.audience);
        assert_eq!(back.effect, ev.effect);
        assert_eq!(back.content_exempt, vec![5]);
        assert!(decode(br#"{"name":"x; drop","payload":"{}"}"#).is_none());
    }

    #[test]
    fn stream_positions_order_like_their_ids() {
        let a = parse_pos("1700000000000-5").expect("parses");
        let b = parse_pos("1700000000001-0").expect("parses");
        assert!(a < b);
        assert_eq!(format_pos(a), "1700000000000-5");
        assert!(parse_pos("12").is_none() && parse_pos("a-1").is_none());
    }
}
