//! Gateway client sessions: connect from a given loopback source address, IDENTIFY, heartbeat,
//! and time every MESSAGE_CREATE that carries a send timestamp. Frames are scanned, not parsed,
//! so the clients cost the shared CPU as little as possible.

use crate::stats::Hist;
use crate::ws::{Conn, Msg, opcode};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpSocket;
use tokio::sync::{Semaphore, watch};

/// Counters shared by every session of the process.
#[derive(Default)]
pub struct Shared {
    /// Send → receive latency of timestamped messages (µs).
    pub latency: Hist,
    /// IDENTIFY sent → READY received (µs).
    pub ready_time: Hist,
    /// Timestamped MESSAGE_CREATEs received.
    pub deliveries: AtomicU64,
    /// Every dispatch received.
    pub frames: AtomicU64,
    /// Sessions that are identified right now.
    pub ready: AtomicU64,
    /// READYs received in all.
    pub readies: AtomicU64,
    /// Connections that failed before READY.
    pub failed: AtomicU64,
    /// Connections lost after READY.
    pub dropped: AtomicU64,
    /// Unix ms of the latest READY.
    pub last_ready_ms: AtomicU64,
}

/// Microseconds since the Unix epoch (the timestamp senders put in messages).
pub fn unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The loopback source address of client `i` (250 clients per address).
pub fn source(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, (i / 250 % 250 + 1) as u8, (i % 250 + 1) as u8)
}

/// `seq` and name of a dispatch frame as the server renders it (`{"op":0,"s":N,"t":"NAME",…`).
fn dispatch(t: &str) -> Option<(u64, &str, &str)> {
    let rest = t.strip_prefix(r#"{"op":0,"s":"#)?;
    let digits = rest.find(',')?;
    let seq = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix(r#","t":""#)?;
    let end = rest.find('"')?;
    Some((seq, &rest[..end], &rest[end..]))
}

/// The send timestamp in a load-generator message (`"content":"lg <unix µs>`).
fn stamp(d: &str) -> Option<u64> {
    let at = d.find(r#""content":"lg "#)? + 14;
    let digits: &str = &d[at..];
    let end = digits.find(|c: char| !c.is_ascii_digit())?;
    digits[..end].parse().ok()
}

/// Reads HELLO: the heartbeat interval in milliseconds.
async fn hello(ws: &mut Conn) -> anyhow::Result<u64> {
    loop {
        if let Some(Msg::Text(t)) = ws.reader.next()? {
            let v: serde_json::Value = serde_json::from_slice(t)?;
            return Ok(v["d"]["heartbeat_interval"].as_u64().unwrap_or(41_250));
        }
        anyhow::ensure!(ws.fill().await?, "no HELLO");
    }
}

/// How one connection ended.
enum Ended {
    Stopped,
    Lost,
}

/// One session, identified again whenever its connection drops if `reconnect` is set.
pub struct Client {
    /// Server address.
    pub addr: SocketAddr,
    /// Source address to bind.
    pub source: Ipv4Addr,
    /// Token.
    pub token: String,
    /// IDENTIFY intents.
    pub intents: u64,
    /// Identify again after a lost connection.
    pub reconnect: bool,
}

impl Client {
    /// Runs until `stop` flips.
    pub async fn run(
        self,
        shared: Arc<Shared>,
        gate: Arc<Semaphore>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            match self.connection(&shared, &gate, &mut stop).await {
                Ok(Ended::Stopped) => return,
                Ok(Ended::Lost) => shared.dropped.fetch_add(1, Ordering::Relaxed),
                Err(_) => shared.failed.fetch_add(1, Ordering::Relaxed),
            };
            if !self.reconnect || *stop.borrow() {
                return;
            }
            // Spread reconnects over 0–250 ms, as real clients do.
            let jitter = (unix_us() ^ u64::from(u32::from(self.source))) % 250;
            tokio::time::sleep(Duration::from_millis(jitter)).await;
        }
    }

    async fn connection(
        &self,
        shared: &Shared,
        gate: &Semaphore,
        stop: &mut watch::Receiver<bool>,
    ) -> anyhow::Result<Ended> {
        let permit = gate.acquire().await?;
        let sock = TcpSocket::new_v4()?;
        sock.bind(SocketAddr::new(self.source.into(), 0))?;
        let stream =
            tokio::time::timeout(Duration::from_secs(30), sock.connect(self.addr)).await??;
        stream.set_nodelay(true)?;
        let mut ws = tokio::time::timeout(
            Duration::from_secs(30),
            Conn::upgrade(stream, self.addr, "/?v=10&encoding=json"),
        )
        .await??;
        let interval = tokio::time::timeout(Duration::from_secs(30), hello(&mut ws)).await??;
        let identify = serde_json::json!({"op": 2, "d": {"token": self.token, "intents": self.intents,
            "properties": {"os": "linux", "browser": "coterie-loadgen", "device": "coterie-loadgen"}}});
        let sent_at = Instant::now();
        ws.send(opcode::TEXT, identify.to_string().as_bytes())
            .await?;
        let mut permit = Some(permit);
        let mut ready = false;
        let mut seq = 0u64;
        let first = Duration::from_millis(interval * (unix_us() % 1000) / 1000);
        let mut beat = tokio::time::interval_at(
            tokio::time::Instant::now() + first,
            Duration::from_millis(interval),
        );
        let stopped = stop.changed();
        tokio::pin!(stopped);
        let ended = 'conn: loop {
            tokio::select! {
                read = ws.fill() => {
                    if !matches!(read, Ok(true)) {
                        break Ended::Lost;
                    }
                    loop {
                        let t = match ws.reader.next() {
                            Ok(Some(Msg::Text(t))) => t,
                            Ok(Some(Msg::Other(opcode::CLOSE, _))) | Err(_) => break 'conn Ended::Lost,
                            Ok(Some(Msg::Other(opcode::PING, p))) => {
                                let p = p.to_vec();
                                if ws.send(opcode::PONG, &p).await.is_err() {
                                    break 'conn Ended::Lost;
                                }
                                continue;
                            }
                            Ok(Some(Msg::Other(..))) => continue,
                            Ok(None) => break,
                        };
                        let Ok(t) = std::str::from_utf8(t) else {
                            break 'conn Ended::Lost;
                        };
                        if let Some((s, name, rest)) = dispatch(t) {
                            seq = s;
                            shared.frames.fetch_add(1, Ordering::Relaxed);
                            match name {
                                "MESSAGE_CREATE" => {
                                    if let Some(ts) = stamp(rest) {
                                        shared.latency.record(unix_us().saturating_sub(ts));
                                        shared.deliveries.fetch_add(1, Ordering::Relaxed);
                                    }
                                }
                                "READY" => {
                                    ready = true;
                                    permit = None;
                                    shared.ready_time.record(sent_at.elapsed().as_micros() as u64);
                                    shared.ready.fetch_add(1, Ordering::Relaxed);
                                    shared.readies.fetch_add(1, Ordering::Relaxed);
                                    shared.last_ready_ms.fetch_max(unix_us() / 1000, Ordering::Relaxed);
                                }
                                _ => {}
                            }
                        } else if t.starts_with(r#"{"op":7"#) || t.starts_with(r#"{"op":9"#) {
                            break 'conn Ended::Lost;
                        }
                    }
                }
                _ = beat.tick() => {
                    if ws.send(opcode::TEXT, format!(r#"{{"op":1,"d":{seq}}}"#).as_bytes()).await.is_err() {
                        break Ended::Lost;
                    }
                }
                _ = &mut stopped => {
                    let _ = ws.send(opcode::CLOSE, &1000u16.to_be_bytes()).await;
                    break Ended::Stopped;
                }
            }
        };
        drop(permit);
        if ready {
            shared.ready.fetch_sub(1, Ordering::Relaxed);
        } else if matches!(ended, Ended::Lost) {
            anyhow::bail!("lost before READY");
        }
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_scanned_without_parsing() {
        let f = r#"{"op":0,"s":42,"t":"MESSAGE_CREATE","d":{"id":"1","content":"lg 1700000000123456","x":1}}"#;
        let (seq, name, rest) = dispatch(f).expect("a dispatch");
        assert_eq!((seq, name), (42, "MESSAGE_CREATE"));
        assert_eq!(stamp(rest), Some(1_700_000_000_123_456));
        assert!(dispatch(r#"{"op":11}"#).is_none());
        assert_eq!(stamp(r#""content":"hello""#), None);
        assert_eq!(source(0), Ipv4Addr::new(127, 0, 1, 1));
        assert_eq!(source(251), Ipv4Addr::new(127, 0, 2, 2));
    }
}
