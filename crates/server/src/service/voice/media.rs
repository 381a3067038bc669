//! The media task: owns the voice UDP socket and the forwarding unit, and talks to each
//! participant's signalling connection through a bounded queue. One task for all rooms (see
//! docs/decisions.md); str0m is Sans-IO, so everything here is feeding it and carrying out its
//! outputs.

use coterie_voice::str0m::net::Protocol;
use coterie_voice::{Config as SfuConfig, Out, PeerId, Rights, Sfu, Track, TrackKind};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, oneshot};

/// Signalling a participant's connection should send.
#[derive(Debug)]
pub enum Signal {
    /// The server's offer (tracks were added or removed).
    Offer {
        /// SDP.
        sdp: String,
        /// Forwarded tracks in the connection after this offer.
        tracks: Vec<Track>,
    },
    /// Someone in the room started or stopped speaking.
    Speaking {
        /// User.
        user: u64,
        /// Speaking.
        speaking: bool,
    },
    /// The media path is up.
    Connected,
}

/// Commands from signalling and moderation.
#[derive(Debug)]
pub enum Cmd {
    /// A participant's signalling connection identified.
    Join {
        /// Their connection.
        peer: PeerId,
        /// User.
        user: u64,
        /// Channel.
        room: u64,
        /// What is forwarded.
        rights: Rights,
        /// Where their signalling goes.
        signals: mpsc::Sender<Signal>,
    },
    /// The client's offer; the answer (or why not) comes back.
    Offer {
        /// Connection.
        peer: PeerId,
        /// SDP.
        sdp: String,
        /// mid → what it carries.
        labels: HashMap<String, TrackKind>,
        /// The answer.
        reply: oneshot::Sender<Result<String, String>>,
    },
    /// The client's answer to the server's offer.
    Answer {
        /// Connection.
        peer: PeerId,
        /// SDP.
        sdp: String,
        /// Whether it applied.
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// A trickled ICE candidate.
    Candidate {
        /// Connection.
        peer: PeerId,
        /// `candidate:…`.
        line: String,
    },
    /// Rights changed (mute, deafen, permissions).
    Rights {
        /// Connection.
        peer: PeerId,
        /// New rights.
        rights: Rights,
    },
    /// The participant left or was removed.
    Leave {
        /// Connection.
        peer: PeerId,
    },
    /// Counters, for benchmarks and metrics.
    Stats {
        /// Where to.
        reply: oneshot::Sender<(usize, coterie_voice::Stats)>,
    },
}

/// The handle services use. Control commands (join, rights, leave) travel on their own unbounded
/// queue, drained before anything else, so a mute or a kick is never lost to a full queue and a
/// participant always exists before their first offer is looked at; signalling is bounded.
#[derive(Debug, Clone)]
pub struct Media {
    tx: mpsc::Sender<Cmd>,
    control: mpsc::UnboundedSender<Cmd>,
    /// The address advertised to clients.
    pub advertised: SocketAddr,
}

/// Commands queued at most; a full queue refuses new signalling rather than growing.
const QUEUE: usize = 4096;
/// Signals queued per participant; a client that does not read them is dropped.
pub const SIGNAL_QUEUE: usize = 64;

/// The IP browsers should use: configured, else the socket's, else this machine's outbound one.
fn advertised_ip(bound: IpAddr, public: Option<IpAddr>) -> IpAddr {
    if let Some(ip) = public {
        return ip;
    }
    if !bound.is_unspecified() {
        return bound;
    }
    // Connecting a UDP socket sends nothing; it only asks the kernel for the route's source IP.
    StdUdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip())
}

/// Ephemeral port numbers tried at most to find one free for both UDP and TCP.
const BIND_ATTEMPTS: usize = 32;

/// Binds the media UDP socket and, with `tcp`, an ICE-TCP listener on the same port number.
/// With port 0 the kernel's UDP choice may be taken for TCP (by an outgoing connection, say):
/// then another port is tried. A fixed port whose TCP side is taken runs UDP only (logged).
fn bind_sockets(
    bind: SocketAddr,
    tcp: bool,
) -> std::io::Result<(StdUdpSocket, Option<std::net::TcpListener>)> {
    let attempts = if tcp && bind.port() == 0 {
        BIND_ATTEMPTS
    } else {
        1
    };
    for attempt in 1..=attempts {
        let udp = StdUdpSocket::bind(bind)?;
        udp.set_nonblocking(true)?;
        if !tcp {
            return Ok((udp, None));
        }
        let local = udp.local_addr()?;
        match std::net::TcpListener::bind(local).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
            Ok(l) => return Ok((udp, Some(l))),
            Err(e) if attempt == attempts => {
                tracing::warn!(error = %e, addr = %local, "voice ICE-TCP is off: the TCP port could not be bound");
                return Ok((udp, None));
            }
            Err(_) => {}
        }
    }
    Err(std::io::Error::other("no port free for voice"))
}

impl Media {
    /// Binds the UDP socket (and, with `tcp`, an ICE-TCP listener on the same port) and starts
    /// the media task (needs a Tokio runtime).
    ///
    /// # Errors
    /// The UDP socket cannot be bound (a TCP listener that cannot be bound is only logged).
    pub fn start(bind: SocketAddr, public: Option<IpAddr>, tcp: bool) -> std::io::Result<Self> {
        let (std_socket, listener) = bind_sockets(bind, tcp)?;
        let local = std_socket.local_addr()?;
        let advertised = SocketAddr::new(advertised_ip(local.ip(), public), local.port());
        let socket = UdpSocket::from_std(std_socket)?;
        let listener = match listener.map(TcpListener::from_std).transpose() {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, addr = %local, "voice ICE-TCP is off: the TCP listener could not be registered");
                None
            }
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let (control, control_rx) = mpsc::unbounded_channel();
        let sfu = Engine::new(SfuConfig {
            candidates: vec![advertised],
            tcp_candidates: listener.iter().map(|_| advertised).collect(),
            ..SfuConfig::default()
        });
        let (frames_tx, frames) = mpsc::channel(TCP_FRAMES_QUEUE);
        let (conns_tx, conns) = mpsc::unbounded_channel();
        if let Some(l) = listener {
            tokio::spawn(accept_tcp(l, frames_tx, conns_tx));
        }
        let io = Io {
            socket,
            local: advertised,
            frames,
            conns,
            tcp: HashMap::new(),
        };
        tokio::spawn(run(io, sfu, rx, control_rx));
        Ok(Self {
            tx,
            control,
            advertised,
        })
    }

    fn is_control(cmd: &Cmd) -> bool {
        matches!(
            cmd,
            Cmd::Join { .. } | Cmd::Rights { .. } | Cmd::Leave { .. }
        )
    }

    /// Queues a command; false when the media task is gone (or, for signalling, overloaded).
    pub fn send(&self, cmd: Cmd) -> bool {
        if Self::is_control(&cmd) {
            return self.control.send(cmd).is_ok();
        }
        self.tx.try_send(cmd).is_ok()
    }

    /// Queues a command, waiting for room.
    pub async fn send_wait(&self, cmd: Cmd) -> bool {
        if Self::is_control(&cmd) {
            return self.control.send(cmd).is_ok();
        }
        self.tx.send(cmd).await.is_ok()
    }
}

struct Participant {
    room: u64,
    signals: mpsc::Sender<Signal>,
}

/// Frames from ICE-TCP connections queued at most (beyond, they are dropped like UDP packets).
const TCP_FRAMES_QUEUE: usize = 4096;
/// Frames queued per ICE-TCP connection for writing.
const TCP_WRITE_QUEUE: usize = 512;
/// ICE-TCP connections at most.
const MAX_TCP_CONNECTIONS: usize = 4096;

/// An ICE-TCP connection opened or closed.
enum Conn {
    Open(SocketAddr, mpsc::Sender<Vec<u8>>),
    Closed(SocketAddr),
}

/// The task's network side: the UDP socket and the ICE-TCP connections.
struct Io {
    socket: UdpSocket,
    /// The advertised address (the destination of everything received).
    local: SocketAddr,
    frames: mpsc::Receiver<(SocketAddr, Vec<u8>)>,
    conns: mpsc::UnboundedReceiver<Conn>,
    tcp: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
}

/// Accepts ICE-TCP connections (RFC 6544, passive) and splits each into RFC 4571 frames.
async fn accept_tcp(
    listener: TcpListener,
    frames: mpsc::Sender<(SocketAddr, Vec<u8>)>,
    conns: mpsc::UnboundedSender<Conn>,
) {
    let open = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    loop {
        let Ok((stream, addr)) = listener.accept().await else {
            continue;
        };
        if open.load(std::sync::atomic::Ordering::Relaxed) >= MAX_TCP_CONNECTIONS {
            continue;
        }
        let _ = stream.set_nodelay(true);
        open.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (frames, conns, open) = (frames.clone(), conns.clone(), open.clone());
        tokio::spawn(async move {
            let (mut r, mut w) = stream.into_split();
            let (tx, mut rx) = mpsc::channel::<Vec<u8>>(TCP_WRITE_QUEUE);
            let _ = conns.send(Conn::Open(addr, tx));
            let writer = tokio::spawn(async move {
                while let Some(b) = rx.recv().await {
                    if w.write_all(&b).await.is_err() {
                        return;
                    }
                }
            });
            while let Ok(len) = r.read_u16().await {
                let mut b = vec![0u8; usize::from(len)];
                if r.read_exact(&mut b).await.is_err() {
                    break;
                }
                // A full queue drops the frame, as a congested UDP path would.
                let _ = frames.try_send((addr, b));
            }
            writer.abort();
            let _ = conns.send(Conn::Closed(addr));
            open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        });
    }
}

/// The forwarding unit behind a panic guard: str0m may panic on a broken internal invariant;
/// then every call on this node is reset (participants are dropped and leave voice, clients can
/// rejoin) instead of voice staying dead until a restart.
struct Engine {
    sfu: Sfu,
    config: SfuConfig,
}

impl Engine {
    fn new(config: SfuConfig) -> Self {
        Self {
            sfu: Sfu::new(config.clone()),
            config,
        }
    }

    fn guarded(
        &mut self,
        peers: &mut HashMap<PeerId, Participant>,
        f: impl FnOnce(&mut Sfu, &mut HashMap<PeerId, Participant>),
    ) {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut self.sfu, peers)));
        if ok.is_err() {
            tracing::error!(
                participants = peers.len(),
                "the voice engine panicked: every call on this node was reset"
            );
            self.sfu = Sfu::new(self.config.clone());
            peers.clear();
        }
    }
}

async fn run(
    mut io: Io,
    mut engine: Engine,
    mut rx: mpsc::Receiver<Cmd>,
    mut control: mpsc::UnboundedReceiver<Cmd>,
) {
    let mut peers: HashMap<PeerId, Participant> = HashMap::new();
    let mut buf = vec![0u8; 2048];
    let local = io.local;
    loop {
        flush(&mut io, &mut engine, &mut peers).await;
        let wake = engine
            .sfu
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        // Control first (a mute must not wait behind media), then signalling (bounded and rate
        // limited per client), then datagrams; timers are checked after every wake-up below, so
        // a busy socket cannot starve them.
        tokio::select! {
            biased;
            cmd = control.recv() => {
                let Some(cmd) = cmd else { return };
                engine.guarded(&mut peers, |sfu, peers| handle(sfu, peers, cmd));
            }
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return };
                engine.guarded(&mut peers, |sfu, peers| handle(sfu, peers, cmd));
            }
            // Without an ICE-TCP listener these two channels are closed: a `None` must disable
            // the branch (it is ready at once and, listed first, would starve the UDP socket).
            Some(c) = io.conns.recv() => match c {
                Conn::Open(addr, tx) => { io.tcp.insert(addr, tx); }
                Conn::Closed(addr) => { io.tcp.remove(&addr); }
            },
            r = io.socket.recv_from(&mut buf) => match r {
                Ok((n, source)) => {
                    let bytes = buf.get(..n).unwrap_or_default();
                    engine.guarded(&mut peers, |sfu, _| sfu.receive(Instant::now(), Protocol::Udp, source, local, bytes));
                }
                // ICMP errors (a client went away) surface here on some systems: ignore.
                Err(e) => tracing::debug!(error = %e, "voice socket receive"),
            },
            Some((source, bytes)) = io.frames.recv() => {
                engine.guarded(&mut peers, |sfu, _| sfu.receive(Instant::now(), Protocol::Tcp, source, local, &bytes));
            }
            () = tokio::time::sleep_until(wake.into()) => {}
        }
        let now = Instant::now();
        if engine.sfu.poll_timeout().is_some_and(|t| t <= now) {
            engine.guarded(&mut peers, |sfu, _| sfu.timeout(now));
        }
    }
}

fn handle(sfu: &mut Sfu, peers: &mut HashMap<PeerId, Participant>, cmd: Cmd) {
    let now = Instant::now();
    match cmd {
        Cmd::Join {
            peer,
            user,
            room,
            rights,
            signals,
        } => {
            sfu.join(now, peer, user, room, rights);
            peers.insert(peer, Participant { room, signals });
        }
        Cmd::Offer {
            peer,
            sdp,
            labels,
            reply,
        } => {
            let r = sfu
                .offer(now, peer, &sdp, &labels)
                .map_err(|e| e.to_string());
            let _ = reply.send(r);
        }
        Cmd::Answer { peer, sdp, reply } => {
            let _ = reply.send(sfu.answer(now, peer, &sdp).map_err(|e| e.to_string()));
        }
        Cmd::Candidate { peer, line } => {
            // A candidate the engine cannot use changes nothing; the client keeps trying others.
            let _ = sfu.candidate(now, peer, &line);
        }
        Cmd::Rights { peer, rights } => sfu.set_rights(peer, rights),
        Cmd::Leave { peer } => {
            sfu.leave(peer);
            peers.remove(&peer);
        }
        Cmd::Stats { reply } => {
            let _ = reply.send((sfu.len(), sfu.stats()));
        }
    }
}

/// Carries out the unit's outputs: datagrams, offers, speaking changes, closed connections.
async fn flush(io: &mut Io, engine: &mut Engine, peers: &mut HashMap<PeerId, Participant>) {
    let mut unread = vec![];
    while let Some(o) = engine.sfu.poll() {
        match o {
            Out::Transmit {
                proto: Protocol::Udp,
                destination,
                contents,
                ..
            } => {
                if let Err(e) = io.socket.send_to(&contents, destination).await {
                    tracing::debug!(error = %e, "voice socket send");
                }
            }
            Out::Transmit {
                destination,
                contents,
                ..
            } => {
                // RFC 4571: each packet prefixed with its 16-bit length.
                if let (Some(tx), Ok(len)) =
                    (io.tcp.get(&destination), u16::try_from(contents.len()))
                {
                    let mut framed = Vec::with_capacity(contents.len() + 2);
                    framed.extend_from_slice(&len.to_be_bytes());
                    framed.extend_from_slice(&contents);
                    let _ = tx.try_send(framed);
                }
            }
            Out::Offer { peer, sdp, tracks } => {
                if let Some(p) = peers.get(&peer)
                    && p.signals.try_send(Signal::Offer { sdp, tracks }).is_err()
                {
                    // A client that does not read its signalling cannot follow renegotiation.
                    unread.push(peer);
                }
            }
            Out::Speaking {
                room,
                user,
                speaking,
            } => {
                for p in peers.values().filter(|p| p.room == room) {
                    let _ = p.signals.try_send(Signal::Speaking { user, speaking });
                }
            }
            Out::Connected(peer) => {
                if let Some(p) = peers.get(&peer) {
                    let _ = p.signals.try_send(Signal::Connected);
                }
            }
            Out::Closed(peer) => {
                // Dropping the sender ends the signalling connection.
                peers.remove(&peer);
            }
        }
    }
    for peer in unread {
        engine.guarded(peers, |sfu, peers| {
            sfu.leave(peer);
            peers.remove(&peer);
        });
    }
}
