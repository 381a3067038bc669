#![expect(clippy::unwrap_used, reason = "test harness fails loudly")]

//! Whole rooms in memory on virtual time: str0m plays each browser (full ICE, offerer), the
//! SFU answers, datagrams move between them without sockets. Asserts who hears whom.

use coterie_voice::str0m::change::{SdpAnswer, SdpOffer};
use coterie_voice::str0m::format::Codec;
use coterie_voice::str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use coterie_voice::str0m::net::{Protocol, Receive};
use coterie_voice::str0m::{Candidate, Event, Input, Output, Rtc};
use coterie_voice::{Config, Out, PeerId, Rights, Sfu, TrackKind};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const SERVER: &str = "127.0.0.1:50000";

/// Counts heap bytes live on behalf of the SFU: allocations and frees made while the harness is
/// inside an SFU call (or dropping something the SFU handed out). Test-only instrumentation.
mod heap {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::sync::atomic::{AtomicI64, Ordering};

    pub struct Counting;
    pub static SFU_LIVE: AtomicI64 = AtomicI64::new(0);
    thread_local! {
        static IN_SFU: Cell<bool> = const { Cell::new(false) };
    }

    fn count(delta: i64) {
        if IN_SFU.with(Cell::get) {
            SFU_LIVE.fetch_add(delta, Ordering::Relaxed);
        }
    }

    #[expect(
        unsafe_code,
        reason = "a counting allocator must implement GlobalAlloc"
    )]
    // SAFETY: every call is forwarded unchanged to the system allocator.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            count(l.size() as i64);
            // SAFETY: same layout contract as the caller's.
            unsafe { System.alloc(l) }
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            count(-(l.size() as i64));
            // SAFETY: `p` came from `alloc` with this layout.
            unsafe { System.dealloc(p, l) }
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            count(new as i64 - l.size() as i64);
            // SAFETY: `p` came from `alloc` with layout `l`.
            unsafe { System.realloc(p, l, new) }
        }
    }

    /// Runs `f` with its allocations attributed to the SFU.
    pub fn sfu<R>(f: impl FnOnce() -> R) -> R {
        IN_SFU.with(|c| c.set(true));
        let r = f();
        IN_SFU.with(|c| c.set(false));
        r
    }
}

#[global_allocator]
static ALLOC: heap::Counting = heap::Counting;

struct Client {
    id: PeerId,
    user: u64,
    addr: SocketAddr,
    rtc: Rtc,
    mid: Option<Mid>,
    /// mid → sending user, from the server's offers.
    owners: HashMap<String, u64>,
    /// user → frames received from them.
    heard: HashMap<u64, u64>,
    /// user → (level, voice activity) of the last frame.
    levels: HashMap<u64, Option<i8>>,
    connected: bool,
    talking: bool,
    first_audio: Option<Instant>,
    timeout: Instant,
}

struct World {
    now: Instant,
    start: Instant,
    sfu: Sfu,
    clients: Vec<Client>,
    speaking: Vec<(u64, bool)>,
    closed: Vec<PeerId>,
    next_frame: Instant,
    media_time: u64,
    /// Real time spent inside the SFU (its CPU cost; clients are not counted).
    sfu_busy: Duration,
}

impl World {
    fn new() -> Self {
        let now = Instant::now();
        let config = Config {
            candidates: vec![SERVER.parse().unwrap()],
            ..Config::default()
        };
        Self {
            now,
            start: now,
            sfu: Sfu::new(config),
            clients: vec![],
            speaking: vec![],
            closed: vec![],
            next_frame: now,
            media_time: 0,
            sfu_busy: Duration::ZERO,
        }
    }

    fn client_mut(&mut self, user: u64) -> &mut Client {
        self.clients.iter_mut().find(|c| c.user == user).unwrap()
    }

    /// Joins `user` with `rights`, talking or listening only, and makes the first offer.
    fn join(&mut self, user: u64, rights: Rights, talking: bool) {
        let id = PeerId(user * 10);
        let now = self.now;
        heap::sfu(|| self.sfu.join(now, id, user, 1, rights));
        let addr: SocketAddr = format!("127.0.0.1:{}", 40000 + user).parse().unwrap();
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let mut change = rtc.sdp_api();
        let dir = if talking {
            Direction::SendRecv
        } else {
            Direction::RecvOnly
        };
        let mid = change.add_media(MediaKind::Audio, dir, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        let labels = HashMap::from([(mid.to_string(), TrackKind::Audio)]);
        let (now, sdp) = (self.now, offer.to_sdp_string());
        let answer = heap::sfu(|| self.sfu.offer(now, id, &sdp, &labels)).unwrap();
        rtc.sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
            .unwrap();
        self.clients.push(Client {
            id,
            user,
            addr,
            rtc,
            mid: talking.then_some(mid),
            owners: HashMap::new(),
            heard: HashMap::new(),
            levels: HashMap::new(),
            connected: false,
            talking,
            first_audio: None,
            timeout: self.now,
        });
        self.pump();
    }

    /// Moves everything that is ready, until nothing moves.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            // Client output → SFU.
            for i in 0..self.clients.len() {
                loop {
                    let c = &mut self.clients[i];
                    match c.rtc.poll_output().unwrap() {
                        Output::Timeout(t) => {
                            c.timeout = t;
                            break;
                        }
                        Output::Transmit(t) => {
                            moved = true;
                            let contents = t.contents.to_vec();
                            let t0 = Instant::now();
                            let now = self.now;
                            heap::sfu(|| {
                                self.sfu
                                    .receive(now, t.proto, t.source, t.destination, &contents)
                            });
                            self.sfu_busy += t0.elapsed();
                        }
                        Output::Event(e) => {
                            let c = &mut self.clients[i];
                            match e {
                                Event::Connected => c.connected = true,
                                Event::MediaData(d) => {
                                    let owner = c.owners.get(&d.mid.to_string()).copied();
                                    if let Some(u) = owner {
                                        *c.heard.entry(u).or_default() += 1;
                                        c.levels.insert(u, d.ext_vals.audio_level);
                                        c.first_audio.get_or_insert(self.now);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            // SFU output → clients.
            while let Some(o) = heap::sfu(|| self.sfu.poll()) {
                moved = true;
                match &o {
                    Out::Transmit {
                        source,
                        destination,
                        contents,
                        ..
                    } => {
                        let Some(c) = self.clients.iter_mut().find(|c| c.addr == *destination)
                        else {
                            heap::sfu(move || drop(o));
                            continue;
                        };
                        let input = Input::Receive(
                            self.now,
                            Receive {
                                proto: Protocol::Udp,
                                source: *source,
                                destination: *destination,
                                contents: contents.as_slice().try_into().unwrap(),
                            },
                        );
                        c.rtc.handle_input(input).unwrap();
                    }
                    Out::Offer { peer, sdp, tracks } => {
                        let c = self.clients.iter_mut().find(|c| c.id == *peer).unwrap();
                        c.owners = tracks.iter().map(|t| (t.mid.clone(), t.user)).collect();
                        let answer = c
                            .rtc
                            .sdp_api()
                            .accept_offer(SdpOffer::from_sdp_string(sdp).unwrap())
                            .unwrap();
                        let (now, peer, sdp) = (self.now, *peer, answer.to_sdp_string());
                        heap::sfu(|| self.sfu.answer(now, peer, &sdp)).unwrap();
                    }
                    Out::Speaking { user, speaking, .. } => self.speaking.push((*user, *speaking)),
                    Out::Connected(_) => {}
                    Out::Closed(p) => self.closed.push(*p),
                }
                heap::sfu(move || drop(o));
            }
            if !moved {
                return;
            }
        }
    }

    /// Runs for `d` of virtual time; talkers send a 20 ms Opus frame each 20 ms.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            if self.now >= self.next_frame {
                self.next_frame = self.now + Duration::from_millis(20);
                self.media_time += 960;
                let now = self.now;
                let t = self.media_time;
                for c in &mut self.clients {
                    let (Some(mid), true, true) = (c.mid, c.talking, c.connected) else {
                        continue;
                    };
                    let w = c.rtc.writer(mid).unwrap();
                    let pt = w
                        .payload_params()
                        .find(|p| p.spec().codec == Codec::Opus)
                        .unwrap()
                        .pt();
                    w.audio_level(-20, true)
                        .write(
                            pt,
                            now,
                            MediaTime::new(t, Frequency::FORTY_EIGHT_KHZ),
                            vec![7u8; 80],
                        )
                        .unwrap();
                }
            }
            self.pump();
            let mut next = self.next_frame.min(end);
            for c in &self.clients {
                next = next.min(c.timeout);
            }
            if let Some(t) = self.sfu.poll_timeout() {
                next = next.min(t);
            }
            self.now = next.max(self.now + Duration::from_millis(1));
            let now = self.now;
            for c in &mut self.clients {
                c.rtc.handle_input(Input::Timeout(now)).unwrap();
            }
            let t0 = Instant::now();
            heap::sfu(|| self.sfu.timeout(now));
            self.sfu_busy += t0.elapsed();
            self.pump();
        }
    }

    fn heard(&self, listener: u64, talker: u64) -> u64 {
        self.clients
            .iter()
            .find(|c| c.user == listener)
            .and_then(|c| c.heard.get(&talker).copied())
            .unwrap_or(0)
    }

    fn reset_counts(&mut self) {
        for c in &mut self.clients {
            c.heard.clear();
        }
    }
}

const LISTEN_ONLY: Rights = Rights {
    send_audio: false,
    send_video: false,
    receive_audio: true,
};

#[test]
fn two_talkers_hear_each_other_with_levels() {
    let mut w = World::new();
    w.join(1, Rights::ALL, true);
    w.join(2, Rights::ALL, true);
    w.run(Duration::from_secs(2));
    assert!(w.clients.iter().all(|c| c.connected), "both connected");
    let (a, b) = (w.heard(1, 2), w.heard(2, 1));
    assert!(
        a > 40 && b > 40,
        "each hears the other: {a} / {b} frames in 2 s"
    );
    assert_eq!(w.heard(1, 1), 0, "nobody hears themselves");
    let c = w.clients.iter().find(|c| c.user == 1).unwrap();
    assert_eq!(
        c.levels.get(&2),
        Some(&Some(-20)),
        "the audio level header is forwarded"
    );
    assert!(w.speaking.contains(&(1, true)) && w.speaking.contains(&(2, true)));
    let first = w
        .clients
        .iter()
        .filter_map(|c| c.first_audio)
        .max()
        .unwrap();
    assert!(
        first - w.start < Duration::from_millis(500),
        "join to first audio"
    );
}

#[test]
fn deafened_member_receives_nothing_and_muted_member_reaches_nobody() {
    let mut w = World::new();
    w.join(1, Rights::ALL, true);
    w.join(
        2,
        Rights {
            receive_audio: false,
            ..Rights::ALL
        },
        true,
    );
    w.join(
        3,
        Rights {
            send_audio: false,
            ..Rights::ALL
        },
        true,
    );
    w.run(Duration::from_secs(2));
    assert_eq!(
        w.heard(2, 1) + w.heard(2, 3),
        0,
        "deafened member receives nothing"
    );
    assert!(w.heard(1, 2) > 40, "a deafened member is still heard");
    assert_eq!(
        w.heard(1, 3) + w.heard(2, 3),
        0,
        "a muted member's packets reach nobody"
    );
    assert!(w.heard(3, 1) > 40, "a muted member still hears");
    assert!(w.sfu.stats().dropped > 40);
    assert!(
        !w.speaking.contains(&(3, true)),
        "a muted member is never shown speaking"
    );

    // Server unmute: heard from the next packet on.
    w.sfu.set_rights(PeerId(30), Rights::ALL);
    w.reset_counts();
    w.run(Duration::from_secs(1));
    assert!(w.heard(1, 3) > 20, "unmuted member is heard again");
    // Mute again mid-speech: speaking stops, packets stop.
    w.sfu.set_rights(PeerId(30), LISTEN_ONLY);
    w.pump();
    assert!(w.speaking.ends_with(&[(3, false)]) || w.speaking.contains(&(3, false)));
    w.reset_counts();
    w.run(Duration::from_millis(500));
    assert_eq!(w.heard(1, 3), 0);
}

#[test]
fn member_without_speak_is_never_forwarded_and_leaving_stops_forwarding() {
    let mut w = World::new();
    w.join(1, Rights::ALL, true);
    w.join(2, LISTEN_ONLY, true);
    w.join(3, LISTEN_ONLY, false);
    w.run(Duration::from_secs(2));
    assert_eq!(
        w.heard(1, 2) + w.heard(3, 2),
        0,
        "no SPEAK: never forwarded"
    );
    assert!(w.heard(3, 1) > 40, "a listen-only client hears the talker");

    let departed: Vec<String> = w
        .client_mut(3)
        .owners
        .iter()
        .filter(|(_, u)| **u == 1)
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(departed.len(), 1);
    w.sfu.leave(PeerId(10));
    w.reset_counts();
    w.run(Duration::from_secs(1));
    assert_eq!(w.heard(2, 1) + w.heard(3, 1), 0, "leaving stops forwarding");
    let c = w.client_mut(3);
    assert!(
        !c.owners.values().any(|u| *u == 1),
        "the server's offer no longer lists them"
    );
    let m = c.rtc.media(Mid::from(departed[0].as_str()));
    assert!(
        m.is_none_or(|m| m.stopped() || m.disabled() || m.direction() == Direction::Inactive),
        "the departed member's m-line is stopped"
    );
}

#[test]
fn a_late_joiner_receives_tracks_already_in_the_room() {
    let mut w = World::new();
    w.join(1, Rights::ALL, true);
    w.run(Duration::from_millis(500));
    w.join(2, Rights::ALL, false);
    w.run(Duration::from_secs(1));
    assert!(w.heard(2, 1) > 20, "late joiner hears the earlier talker");
}

#[test]
fn garbage_signalling_and_datagrams_change_nothing() {
    let mut w = World::new();
    w.join(1, Rights::ALL, true);
    w.join(2, Rights::ALL, true);
    assert!(
        w.sfu
            .offer(w.now, PeerId(10), "not sdp", &HashMap::new())
            .is_err()
    );
    assert!(w.sfu.answer(w.now, PeerId(10), "v=0").is_err());
    assert!(
        w.sfu
            .candidate(w.now, PeerId(10), "candidate:nonsense")
            .is_err()
    );
    assert!(
        w.sfu
            .offer(w.now, PeerId(99), "v=0", &HashMap::new())
            .is_err()
    );
    let now = w.now;
    w.sfu.receive(
        now,
        Protocol::Udp,
        "127.0.0.1:9".parse().unwrap(),
        SERVER.parse().unwrap(),
        &[0xff; 40],
    );
    w.sfu.receive(
        now,
        Protocol::Udp,
        "127.0.0.1:40001".parse().unwrap(),
        SERVER.parse().unwrap(),
        &[],
    );
    w.run(Duration::from_secs(2));
    assert!(w.heard(1, 2) > 40 && w.heard(2, 1) > 40);
    assert!(w.closed.is_empty());
}

/// Resident memory of this process in KiB.
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// Benchmark, not a test: `cargo xtask bench` runs it in release mode and records its line.
/// One speaker, N listeners (500 unless COTERIE_VOICE_BENCH_LISTENERS says otherwise), 20 ms
/// Opus frames; the SFU's own time is measured around its calls (clients run on the same thread
/// but are not counted). Memory per participant is an upper bound: the RSS growth includes the
/// simulated clients' own connections.
#[test]
#[ignore = "benchmark: run by cargo xtask bench in release mode"]
fn bench_one_speaker_to_many_listeners() {
    let n: u64 = std::env::var("COTERIE_VOICE_BENCH_LISTENERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let rss0 = rss_kib();
    let mut w = World::new();
    w.join(1, Rights::ALL, true);
    let joined = w.now;
    for u in 2..=n + 1 {
        w.join(u, LISTEN_ONLY, false);
    }
    w.run(Duration::from_secs(2));
    let rss1 = rss_kib();
    let sfu_heap = heap::SFU_LIVE.load(std::sync::atomic::Ordering::Relaxed);
    let connected = w.clients.iter().filter(|c| c.connected).count();
    let first_audio_ms = w
        .clients
        .iter()
        .filter_map(|c| c.first_audio)
        .map(|t| (t - joined).as_secs_f64() * 1000.0)
        .fold(0.0, f64::max);
    let (f0, b0) = (w.sfu.stats().forwarded, w.sfu_busy);
    let secs = 5;
    w.run(Duration::from_secs(secs));
    let forwarded = w.sfu.stats().forwarded - f0;
    let busy = (w.sfu_busy - b0).as_secs_f64();
    let per_core = forwarded as f64 / busy.max(1e-9);
    let core_share = busy / secs as f64;
    println!(
        "VOICE_BENCH {}",
        serde_json_line(&[
            ("listeners", n as f64),
            ("connected", connected as f64),
            ("forwarded_packets_per_s", forwarded as f64 / secs as f64),
            ("forwarded_packets_per_s_per_core", per_core),
            ("sfu_cpu_share_of_one_core", core_share),
            (
                "sfu_cpu_us_per_forwarded_packet",
                busy * 1e6 / forwarded.max(1) as f64
            ),
            (
                "sfu_cpu_pct_per_forwarded_stream",
                core_share * 100.0 / n as f64
            ),
            ("join_to_first_audio_ms_virtual", first_audio_ms),
            (
                "rss_kib_per_participant_upper_bound",
                (rss1.saturating_sub(rss0)) as f64 / (n + 1) as f64
            ),
            (
                "sfu_heap_kib_per_participant",
                sfu_heap as f64 / 1024.0 / (n + 1) as f64
            ),
        ])
    );
    assert_eq!(connected as u64, n + 1, "every client connected");
}

fn serde_json_line(fields: &[(&str, f64)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v:.3}"))
        .collect();
    format!("{{{}}}", body.join(", "))
}
