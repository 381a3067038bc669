//! `coterie-loadgen`: the load generator `cargo xtask bench` runs against a freshly started
//! server, as separate processes. Every command prints JSON lines on stdout.
//!
//! - `setup`: one community with N members (tokens written to a file);
//! - `sessions`: identified gateway sessions from spread loopback addresses, timing every
//!   timestamped message they receive; reads `report` / `quit` lines on stdin;
//! - `send`: an open-loop sender (fixed schedule; latency counted from the moment each request is
//!   issued, the lag behind the schedule reported apart);
//! - `persist`: closed-loop senders measuring accepted messages per second;
//! - `history`: history pages before random cursors.

mod api;
mod gateway;
mod stats;
mod ws;

use clap::{Parser, Subcommand};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncBufReadExt;

#[derive(Parser)]
#[command(
    name = "coterie-loadgen",
    about = "Load generator for Coterie's benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Register an owner and `members` members in one community with `channels` text channels.
    Setup {
        #[arg(long)]
        url: String,
        #[arg(long)]
        members: usize,
        #[arg(long, default_value_t = 1)]
        channels: usize,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long)]
        out: String,
    },
    /// Identified gateway sessions for members `from..from+count` (tokens reused round-robin).
    Sessions {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long)]
        setup: String,
        #[arg(long, default_value_t = 0)]
        from: usize,
        #[arg(long)]
        count: usize,
        /// GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT by default.
        #[arg(long, default_value_t = 1 | (1 << 9) | (1 << 15))]
        intents: u64,
        /// Handshakes in flight at once.
        #[arg(long, default_value_t = 256)]
        concurrency: usize,
        /// Identify again when a connection drops (reconnect storms).
        #[arg(long)]
        reconnect: bool,
        /// First source address index (keeps processes on distinct addresses).
        #[arg(long, default_value_t = 0)]
        source_offset: usize,
    },
    /// Send `rate` messages per second for `seconds` (open loop), as the owner.
    Send {
        #[arg(long)]
        url: String,
        #[arg(long)]
        setup: String,
        #[arg(long, default_value_t = 0)]
        channel: usize,
        #[arg(long)]
        rate: f64,
        #[arg(long)]
        seconds: f64,
    },
    /// `senders` members each sending as fast as answers come, to random channels.
    Persist {
        #[arg(long)]
        url: String,
        #[arg(long)]
        setup: String,
        #[arg(long, default_value_t = 64)]
        senders: usize,
        #[arg(long)]
        seconds: f64,
    },
    /// `GET /channels/{id}/messages?before=…&limit=50` with cursors spread over [min, max].
    History {
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        /// Comma-separated channel ids.
        #[arg(long)]
        channels: String,
        #[arg(long)]
        min_id: u64,
        #[arg(long)]
        max_id: u64,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long)]
        seconds: f64,
    },
}

fn emit(v: serde_json::Value) {
    println!("{v}");
}

fn read_setup(path: &str) -> anyhow::Result<api::Setup> {
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// A cheap per-task pseudo-random sequence (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    rt.block_on(run(cli.command))
}

async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Setup {
            url,
            members,
            channels,
            concurrency,
            out,
        } => {
            let t = Instant::now();
            let api = api::Api::new(&url, concurrency)?;
            let s = api::setup(&api, members, channels, concurrency).await?;
            std::fs::write(&out, serde_json::to_vec(&s)?)?;
            emit(
                json!({"event": "setup", "members": members, "seconds": t.elapsed().as_secs_f64()}),
            );
        }
        Command::Sessions {
            addr,
            setup,
            from,
            count,
            intents,
            concurrency,
            reconnect,
            source_offset,
        } => {
            sessions(
                addr,
                &read_setup(&setup)?,
                from,
                count,
                intents,
                concurrency,
                reconnect,
                source_offset,
            )
            .await?;
        }
        Command::Send {
            url,
            setup,
            channel,
            rate,
            seconds,
        } => {
            let s = read_setup(&setup)?;
            let api = api::Api::new(&url, 256)?;
            let channel = s.channels.get(channel).cloned().unwrap_or_default();
            send(api, s.owner, channel, rate, seconds).await;
        }
        Command::Persist {
            url,
            setup,
            senders,
            seconds,
        } => {
            let s = read_setup(&setup)?;
            persist(api::Api::new(&url, senders)?, s, senders, seconds).await;
        }
        Command::History {
            url,
            token,
            channels,
            min_id,
            max_id,
            clients,
            seconds,
        } => {
            let api = api::Api::new(&url, clients)?;
            let channels: Vec<String> = channels.split(',').map(str::to_owned).collect();
            history(api, token, channels, min_id, max_id, clients, seconds).await;
        }
    }
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one command's flags")]
async fn sessions(
    addr: SocketAddr,
    setup: &api::Setup,
    from: usize,
    count: usize,
    intents: u64,
    concurrency: usize,
    reconnect: bool,
    source_offset: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(!setup.members.is_empty(), "the setup has no members");
    let shared = Arc::new(gateway::Shared::default());
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let c = gateway::Client {
            addr,
            source: gateway::source(source_offset + i),
            token: setup.members[(from + i) % setup.members.len()].clone(),
            intents,
            reconnect,
        };
        tasks.push(tokio::spawn(c.run(
            shared.clone(),
            gate.clone(),
            stop.clone(),
        )));
    }
    // Ready when every session identified or gave up.
    loop {
        let done = shared.readies.load(Ordering::Relaxed) + shared.failed.load(Ordering::Relaxed);
        if done >= count as u64 || start.elapsed() > Duration::from_secs(300) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    emit(
        json!({"event": "ready", "sessions": shared.ready.load(Ordering::Relaxed),
        "failed": shared.failed.load(Ordering::Relaxed), "seconds": start.elapsed().as_secs_f64(),
        "ready_us": shared.ready_time.summary()}),
    );
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut window = Instant::now();
    let mut base = (0u64, 0u64);
    while let Ok(Some(line)) = lines.next_line().await {
        match line.trim() {
            "report" => {
                let (d, f) = (
                    shared.deliveries.load(Ordering::Relaxed),
                    shared.frames.load(Ordering::Relaxed),
                );
                emit(
                    json!({"event": "report", "seconds": window.elapsed().as_secs_f64(),
                    "deliveries": d - base.0, "frames": f - base.1,
                    "latency_us": shared.latency.summary(), "ready": shared.ready.load(Ordering::Relaxed),
                    "readies": shared.readies.load(Ordering::Relaxed), "failed": shared.failed.load(Ordering::Relaxed),
                    "dropped": shared.dropped.load(Ordering::Relaxed),
                    "last_ready_ms": shared.last_ready_ms.load(Ordering::Relaxed),
                    "ready_us": shared.ready_time.summary()}),
                );
                base = (d, f);
                window = Instant::now();
            }
            "reset" => {
                shared.latency.reset();
                shared.ready_time.reset();
                base = (
                    shared.deliveries.load(Ordering::Relaxed),
                    shared.frames.load(Ordering::Relaxed),
                );
                window = Instant::now();
            }
            "quit" => break,
            _ => {}
        }
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    Ok(())
}

async fn send(api: api::Api, token: String, channel: String, rate: f64, seconds: f64) {
    let total = (rate * seconds).round() as u64;
    let http = Arc::new(stats::Hist::default());
    let late = stats::Hist::default();
    let errors = Arc::new(AtomicU64::new(0));
    let start = tokio::time::Instant::now();
    let t0 = gateway::unix_us();
    let mut inflight = Vec::new();
    for i in 0..total {
        let offset = Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(start + offset).await;
        // Latency counts from the moment the request is issued: the timer wheel wakes this loop up
        // to a millisecond after the scheduled instant, which is the generator's delay, not the
        // server's (reported apart as `late_us`). The schedule stays fixed (open loop).
        let sent = gateway::unix_us();
        late.record(sent.saturating_sub(t0 + offset.as_micros() as u64));
        let (api, token, channel, http, errors) = (
            api.clone(),
            token.clone(),
            channel.clone(),
            http.clone(),
            errors.clone(),
        );
        inflight.push(tokio::spawn(async move {
            let r = api.send(&token, &channel, &format!("lg {sent}")).await;
            http.record(gateway::unix_us().saturating_sub(sent));
            if r.is_err() {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in inflight {
        let _ = t.await;
    }
    emit(
        json!({"event": "sent", "messages": total, "errors": errors.load(Ordering::Relaxed),
        "seconds": start.elapsed().as_secs_f64(), "http_us": http.summary(), "late_us": late.summary()}),
    );
}

async fn persist(api: api::Api, setup: api::Setup, senders: usize, seconds: f64) {
    let hist = Arc::new(stats::Hist::default());
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let setup = Arc::new(setup);
    let start = Instant::now();
    let tasks: Vec<_> = (0..senders)
        .map(|w| {
            let (api, setup, hist, ok, errors) = (
                api.clone(),
                setup.clone(),
                hist.clone(),
                ok.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                let token = setup.members[w % setup.members.len()].clone();
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
                while Instant::now() < until {
                    let channel =
                        &setup.channels[(rng.next() % setup.channels.len() as u64) as usize];
                    let t = Instant::now();
                    match api
                        .send(
                            &token,
                            channel,
                            &format!("persist {w} {}", rng.next() % 1_000_000),
                        )
                        .await
                    {
                        Ok(()) => {
                            hist.record(t.elapsed().as_micros() as u64);
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    emit(
        json!({"event": "persisted", "messages": n, "per_second": n as f64 / secs,
        "errors": errors.load(Ordering::Relaxed), "seconds": secs, "latency_us": hist.summary()}),
    );
}

async fn history(
    api: api::Api,
    token: String,
    channels: Vec<String>,
    min: u64,
    max: u64,
    clients: usize,
    seconds: f64,
) {
    let hist = Arc::new(stats::Hist::default());
    let errors = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let channels = Arc::new(channels);
    let tasks: Vec<_> = (0..clients)
        .map(|w| {
            let (api, token, channels, hist, errors) = (
                api.clone(),
                token.clone(),
                channels.clone(),
                hist.clone(),
                errors.clone(),
            );
            tokio::spawn(async move {
                let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (w as u64 + 1));
                while Instant::now() < until {
                    let c = &channels[(rng.next() % channels.len() as u64) as usize];
                    let before = min + rng.next() % (max - min).max(1);
                    let t = Instant::now();
                    if api
                        .get(
                            &token,
                            &format!("/channels/{c}/messages?limit=50&before={before}"),
                        )
                        .await
                        .is_ok()
                    {
                        hist.record(t.elapsed().as_micros() as u64);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    emit(
        json!({"event": "history", "errors": errors.load(Ordering::Relaxed), "latency_us": hist.summary()}),
    );
}
