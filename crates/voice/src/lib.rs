//! Coterie's selective forwarding unit: every participant holds one WebRTC connection (str0m's
//! `Rtc`) to the server; each track a participant sends is forwarded, packet by packet and
//! without decoding, to the others in the same room on an m-line the server adds to their
//! connection. Rights decide what is forwarded: an unheard participant's audio is dropped, a
//! deafened one receives none.
//!
//! Sans-IO like str0m itself: the caller feeds datagrams, signalling and time in and takes
//! [`Out`]puts (datagrams to send, offers for clients, speaking changes) out; nothing here reads
//! a clock or a socket, so tests run whole rooms in memory on virtual time.

mod peer;
pub mod speaking;

use peer::{OutState, Peer, TrackIn, TrackOut};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

pub use str0m;

/// How often speaking state is evaluated (and at most how often it changes).
pub const SPEAKING_WINDOW: Duration = Duration::from_millis(300);
/// At most one keyframe request per source track per this long.
const KEYFRAME_INTERVAL: Duration = Duration::from_secs(1);

/// A participant's connection, chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

/// What the server forwards for a participant. The caller derives it from permissions and voice
/// state (SPEAK, server and self mute, deafen, STREAM, stage audience).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rights {
    /// The participant's audio reaches the room.
    pub send_audio: bool,
    /// The participant's camera and screen reach the room.
    pub send_video: bool,
    /// The participant receives the room's audio (false when deafened).
    pub receive_audio: bool,
}

impl Rights {
    /// Everything allowed.
    pub const ALL: Self = Self {
        send_audio: true,
        send_video: true,
        receive_audio: true,
    };
}

/// What a track carries, as the sending client labels its m-lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackKind {
    /// Microphone.
    Audio,
    /// Camera.
    Camera,
    /// Screen share video.
    Screen,
    /// Screen share (system) audio.
    ScreenAudio,
}

impl TrackKind {
    /// The label used in signalling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Audio => "audio",
            Self::Camera => "camera",
            Self::Screen => "screen",
            Self::ScreenAudio => "screen_audio",
        }
    }

    /// Parses a signalling label.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "audio" => Self::Audio,
            "camera" | "video" => Self::Camera,
            "screen" => Self::Screen,
            "screen_audio" => Self::ScreenAudio,
            _ => return None,
        })
    }

    fn default_for(media: MediaKind) -> Self {
        match media {
            MediaKind::Audio => Self::Audio,
            MediaKind::Video => Self::Camera,
        }
    }

    fn media(self) -> MediaKind {
        match self {
            Self::Audio | Self::ScreenAudio => MediaKind::Audio,
            Self::Camera | Self::Screen => MediaKind::Video,
        }
    }
}

/// A forwarded track as a client sees it: its m-line and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The m-line's id in the client's connection.
    pub mid: String,
    /// The user sending it.
    pub user: u64,
    /// What it carries.
    pub kind: TrackKind,
}

/// Something for the caller to do.
#[derive(Debug)]
pub enum Out {
    /// Send a datagram (over TCP: one RFC 4571 frame on the connection to `destination`).
    Transmit {
        /// UDP or TCP.
        proto: Protocol,
        /// The local address to send from.
        source: SocketAddr,
        /// Where to.
        destination: SocketAddr,
        /// Bytes.
        contents: Vec<u8>,
    },
    /// Send this offer to the participant (tracks were added or removed); they answer.
    Offer {
        /// To whom.
        peer: PeerId,
        /// SDP.
        sdp: String,
        /// Every forwarded track in the connection after this offer.
        tracks: Vec<Track>,
    },
    /// A participant started or stopped speaking.
    Speaking {
        /// Room.
        room: u64,
        /// User.
        user: u64,
        /// Now speaking.
        speaking: bool,
    },
    /// The participant's media path is up (ICE and DTLS done).
    Connected(PeerId),
    /// The participant's connection failed or timed out and was removed.
    Closed(PeerId),
}

/// Why signalling was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such participant.
    #[error("unknown participant")]
    UnknownPeer,
    /// The SDP could not be parsed or applied.
    #[error("invalid SDP: {0}")]
    Sdp(String),
    /// An answer arrived with no offer outstanding.
    #[error("no offer is awaiting an answer")]
    NoOffer,
}

/// Settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Addresses advertised to clients as host candidates (the UDP socket's reachable address).
    pub candidates: Vec<SocketAddr>,
    /// Addresses advertised as passive ICE-TCP candidates (for networks that block UDP).
    pub tcp_candidates: Vec<SocketAddr>,
    /// Answer as an ICE-lite agent (clients do the checks).
    pub ice_lite: bool,
    /// How long a connection may stay ICE-disconnected before it is removed.
    pub disconnect_grace: Duration,
    /// Longest time between a join and a working connection.
    pub connect_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            candidates: vec![],
            tcp_candidates: vec![],
            ice_lite: false,
            disconnect_grace: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

/// Work produced while draining one connection, applied once that connection is released.
enum Work {
    TrackAdded(PeerId, Mid, TrackKind),
    TrackRemoved(PeerId, Mid),
    Media(PeerId, Box<MediaData>),
    Keyframe(PeerId, Mid, KeyframeRequestKind),
    Close(PeerId),
}

/// Packet and connection counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Media frames received from participants.
    pub received: u64,
    /// Frames dropped because the sender may not be heard or seen.
    pub dropped: u64,
    /// Frames written to receivers.
    pub forwarded: u64,
}

/// The forwarding unit.
pub struct Sfu {
    config: Config,
    peers: HashMap<PeerId, Peer>,
    rooms: HashMap<u64, Vec<PeerId>>,
    by_addr: HashMap<SocketAddr, PeerId>,
    out: VecDeque<Out>,
    work: VecDeque<Work>,
    next_window: Option<Instant>,
    stats: Stats,
}

impl std::fmt::Debug for Sfu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sfu")
            .field("peers", &self.peers.len())
            .field("rooms", &self.rooms.len())
            .finish_non_exhaustive()
    }
}

impl Sfu {
    /// An empty unit.
    #[must_use]
    pub fn new(config: Config) -> Self {
        Self {
            config,
            peers: HashMap::new(),
            rooms: HashMap::new(),
            by_addr: HashMap::new(),
            out: VecDeque::new(),
            work: VecDeque::new(),
            next_window: None,
            stats: Stats::default(),
        }
    }

    /// Counters since start.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Participants connected now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// No participants.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// Whether the participant exists.
    #[must_use]
    pub fn contains(&self, id: PeerId) -> bool {
        self.peers.contains_key(&id)
    }

    /// Adds a participant to a room. Their first offer (see [`Sfu::offer`]) starts the
    /// connection; the room's tracks are offered to them once it is answered. Replaces a
    /// participant with the same id.
    pub fn join(&mut self, now: Instant, id: PeerId, user: u64, room: u64, rights: Rights) {
        self.leave(id);
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .set_ice_lite(self.config.ice_lite)
            .build(now);
        for addr in &self.config.candidates {
            if let Ok(c) = Candidate::host(*addr, "udp") {
                rtc.add_local_candidate(c);
            }
        }
        for addr in &self.config.tcp_candidates {
            if let Ok(c) = Candidate::builder()
                .tcp()
                .host(*addr)
                .tcptype(TcpType::Passive)
                .build()
            {
                rtc.add_local_candidate(c);
            }
        }
        let mut peer = Peer::new(user, room, rights, rtc, now);
        // Every track already in the room is forwarded to the newcomer.
        for other in self.rooms.get(&room).into_iter().flatten() {
            if let Some(o) = self.peers.get(other) {
                for t in &o.ins {
                    peer.outs.push(TrackOut {
                        from: *other,
                        from_mid: t.mid,
                        user: o.user,
                        kind: t.kind,
                        media: t.media,
                        state: OutState::ToOpen,
                    });
                }
            }
        }
        self.peers.insert(id, peer);
        self.rooms.entry(room).or_default().push(id);
        if self.next_window.is_none() {
            self.next_window = Some(now + SPEAKING_WINDOW);
        }
    }

    /// Removes a participant: their connection closes and their tracks stop for everyone.
    pub fn leave(&mut self, id: PeerId) {
        let Some(mut peer) = self.peers.remove(&id) else {
            return;
        };
        peer.rtc.disconnect();
        self.by_addr.retain(|_, p| *p != id);
        if let Some(members) = self.rooms.get_mut(&peer.room) {
            members.retain(|p| *p != id);
            if members.is_empty() {
                self.rooms.remove(&peer.room);
            }
        }
        if peer.detector.silence().is_some() {
            self.out.push_back(Out::Speaking {
                room: peer.room,
                user: peer.user,
                speaking: false,
            });
        }
        let others: Vec<PeerId> = self.room_of(peer.room);
        for o in others {
            if let Some(p) = self.peers.get_mut(&o) {
                stop_outs_from(p, id, None);
            }
            self.negotiate(o);
        }
        if self.peers.is_empty() {
            self.next_window = None;
        }
    }

    /// Changes what is forwarded for a participant.
    pub fn set_rights(&mut self, id: PeerId, rights: Rights) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        p.rights = rights;
        if !rights.send_audio && p.detector.silence().is_some() {
            self.out.push_back(Out::Speaking {
                room: p.room,
                user: p.user,
                speaking: false,
            });
        }
    }

    /// Applies a participant's offer and returns the answer. `labels` maps the offer's mids to
    /// what they carry (unlabelled audio is the microphone, unlabelled video the camera). If the
    /// server's own offer was outstanding, it is withdrawn and made again after this one.
    ///
    /// # Errors
    /// Unknown participant or unusable SDP (the connection is unchanged).
    pub fn offer(
        &mut self,
        now: Instant,
        id: PeerId,
        sdp: &str,
        labels: &HashMap<String, TrackKind>,
    ) -> Result<String, Error> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| Error::Sdp(e.to_string()))?;
        let p = self.peers.get_mut(&id).ok_or(Error::UnknownPeer)?;
        p.labels.extend(labels.iter().map(|(k, v)| (k.clone(), *v)));
        let answer = p
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| Error::Sdp(e.to_string()))?;
        p.negotiated = true;
        // Our own offer (if any) is void now: re-offer its changes afterwards.
        if p.pending.take().is_some() {
            for t in &mut p.outs {
                t.state = match t.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    s => s,
                };
            }
        }
        let sdp = answer.to_sdp_string();
        self.drain(id, now);
        self.run_work(now);
        self.negotiate(id);
        self.run_work(now);
        Ok(sdp)
    }

    /// Applies a participant's answer to the server's offer.
    ///
    /// # Errors
    /// Unknown participant, no outstanding offer, or unusable SDP (the offer is then withdrawn
    /// and made again).
    pub fn answer(&mut self, now: Instant, id: PeerId, sdp: &str) -> Result<(), Error> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| Error::Sdp(e.to_string()))?;
        let p = self.peers.get_mut(&id).ok_or(Error::UnknownPeer)?;
        let pending = p.pending.take().ok_or(Error::NoOffer)?;
        if let Err(e) = p.rtc.sdp_api().accept_answer(pending, answer) {
            for t in &mut p.outs {
                t.state = match t.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    s => s,
                };
            }
            return Err(Error::Sdp(e.to_string()));
        }
        let mut opened = vec![];
        for t in &mut p.outs {
            if let OutState::Negotiating(m) = t.state {
                t.state = OutState::Open(m);
                if t.media == MediaKind::Video {
                    opened.push((t.from, t.from_mid));
                }
            }
        }
        p.outs
            .retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        // A new viewer needs a keyframe to start decoding.
        for (from, mid) in opened {
            self.work
                .push_back(Work::Keyframe(from, mid, KeyframeRequestKind::Pli));
        }
        self.drain(id, now);
        self.run_work(now);
        self.negotiate(id);
        self.run_work(now);
        Ok(())
    }

    /// Adds a trickled ICE candidate from the participant (`candidate:…` line).
    ///
    /// # Errors
    /// Unknown participant or unparsable candidate.
    pub fn candidate(&mut self, now: Instant, id: PeerId, line: &str) -> Result<(), Error> {
        let line = line.trim().trim_start_matches("a=");
        let c = Candidate::from_sdp_string(line).map_err(|e| Error::Sdp(e.to_string()))?;
        let p = self.peers.get_mut(&id).ok_or(Error::UnknownPeer)?;
        p.rtc.add_remote_candidate(c);
        self.drain(id, now);
        self.run_work(now);
        Ok(())
    }

    /// A datagram arrived on the media socket (or one RFC 4571 frame on an ICE-TCP connection).
    pub fn receive(
        &mut self,
        now: Instant,
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        bytes: &[u8],
    ) {
        let Ok(contents) = bytes.try_into() else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto,
                source,
                destination,
                contents,
            },
        );
        let known = self
            .by_addr
            .get(&source)
            .copied()
            .filter(|id| self.peers.get(id).is_some_and(|p| p.rtc.accepts(&input)));
        let id = match known {
            Some(id) => id,
            None => {
                let Some(id) = self
                    .peers
                    .iter()
                    .find(|(_, p)| p.rtc.accepts(&input))
                    .map(|(id, _)| *id)
                else {
                    return;
                };
                self.by_addr.insert(source, id);
                id
            }
        };
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        if p.rtc.handle_input(input).is_err() {
            self.work.push_back(Work::Close(id));
        } else {
            self.drain(id, now);
        }
        self.run_work(now);
    }

    /// When [`Sfu::timeout`] should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.peers
            .values()
            .map(|p| p.timeout)
            .chain(self.next_window)
            .min()
    }

    /// Advances time: connection timers, disconnect grace, speaking windows.
    pub fn timeout(&mut self, now: Instant) {
        let due: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.timeout <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(p) = self.peers.get_mut(&id) {
                if p.rtc.handle_input(Input::Timeout(now)).is_err() {
                    self.work.push_back(Work::Close(id));
                    continue;
                }
                self.drain(id, now);
            }
        }
        let grace = self.config.disconnect_grace;
        let connect = self.config.connect_timeout;
        let stale: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| {
                p.disconnected_since.is_some_and(|t| now >= t + grace)
                    || (!p.connected && now >= p.joined_at + connect)
            })
            .map(|(id, _)| *id)
            .collect();
        self.work.extend(stale.into_iter().map(Work::Close));
        if self.next_window.is_some_and(|t| now >= t) {
            self.next_window = Some(now + SPEAKING_WINDOW);
            for p in self.peers.values_mut() {
                if let Some(speaking) = p.detector.close_window() {
                    self.out.push_back(Out::Speaking {
                        room: p.room,
                        user: p.user,
                        speaking,
                    });
                }
            }
        }
        self.run_work(now);
    }

    /// The next output, if any.
    pub fn poll(&mut self) -> Option<Out> {
        self.out.pop_front()
    }

    fn room_of(&self, room: u64) -> Vec<PeerId> {
        self.rooms.get(&room).cloned().unwrap_or_default()
    }

    /// Drains a connection's output until it asks for time (str0m's invariant after every
    /// change), turning its events into work.
    fn drain(&mut self, id: PeerId, now: Instant) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        loop {
            if !p.rtc.is_alive() {
                self.work.push_back(Work::Close(id));
                return;
            }
            match p.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    p.timeout = t;
                    return;
                }
                Ok(Output::Transmit(t)) => self.out.push_back(Out::Transmit {
                    proto: t.proto,
                    source: t.source,
                    destination: t.destination,
                    contents: t.contents.into(),
                }),
                Ok(Output::Event(e)) => match e {
                    Event::Connected => {
                        p.connected = true;
                        self.out.push_back(Out::Connected(id));
                    }
                    Event::IceConnectionStateChange(s) => {
                        p.disconnected_since = match s {
                            IceConnectionState::Disconnected => Some(now),
                            _ => None,
                        };
                    }
                    Event::MediaAdded(m) if m.direction.is_receiving() => {
                        let kind = p
                            .labels
                            .get(&m.mid.to_string())
                            .copied()
                            .filter(|k| k.media() == m.kind)
                            .unwrap_or_else(|| TrackKind::default_for(m.kind));
                        self.work.push_back(Work::TrackAdded(id, m.mid, kind));
                    }
                    Event::MediaChanged(m) => {
                        let had = p.ins.iter().any(|t| t.mid == m.mid);
                        if had && !m.direction.is_receiving() {
                            self.work.push_back(Work::TrackRemoved(id, m.mid));
                        } else if !had
                            && m.direction.is_receiving()
                            && !p.outs.iter().any(|t| t.mid() == Some(m.mid))
                            && let Some(media) = p.rtc.media(m.mid).map(str0m::media::Media::kind)
                        {
                            let kind = p
                                .labels
                                .get(&m.mid.to_string())
                                .copied()
                                .unwrap_or_else(|| TrackKind::default_for(media));
                            self.work.push_back(Work::TrackAdded(id, m.mid, kind));
                        }
                    }
                    Event::MediaData(d) => self.work.push_back(Work::Media(id, Box::new(d))),
                    Event::KeyframeRequest(r) => {
                        if let Some(t) = p.outs.iter().find(|t| t.state == OutState::Open(r.mid)) {
                            self.work
                                .push_back(Work::Keyframe(t.from, t.from_mid, r.kind));
                        }
                    }
                    _ => {}
                },
                Err(_) => {
                    self.work.push_back(Work::Close(id));
                    return;
                }
            }
        }
    }

    fn run_work(&mut self, now: Instant) {
        while let Some(w) = self.work.pop_front() {
            match w {
                Work::TrackAdded(from, mid, kind) => self.track_added(from, mid, kind),
                Work::TrackRemoved(from, mid) => {
                    if let Some(p) = self.peers.get_mut(&from) {
                        p.ins.retain(|t| t.mid != mid);
                        let room = p.room;
                        for o in self.room_of(room) {
                            if let Some(op) = self.peers.get_mut(&o) {
                                stop_outs_from(op, from, Some(mid));
                            }
                            self.negotiate(o);
                        }
                    }
                }
                Work::Media(from, d) => self.forward(now, from, &d),
                Work::Keyframe(to, mid, kind) => {
                    if let Some(p) = self.peers.get_mut(&to) {
                        let recent = p.ins.iter_mut().find(|t| t.mid == mid).is_none_or(|t| {
                            let recent = t
                                .last_keyframe_request
                                .is_some_and(|l| now < l + KEYFRAME_INTERVAL);
                            if !recent {
                                t.last_keyframe_request = Some(now);
                            }
                            recent
                        });
                        if !recent && let Some(mut w) = p.rtc.writer(mid) {
                            let _ = w.request_keyframe(None, kind);
                            self.drain(to, now);
                        }
                    }
                }
                Work::Close(id) => {
                    if self.peers.contains_key(&id) {
                        self.leave(id);
                        self.out.push_back(Out::Closed(id));
                    }
                }
            }
        }
    }

    fn track_added(&mut self, from: PeerId, mid: Mid, kind: TrackKind) {
        let Some(p) = self.peers.get_mut(&from) else {
            return;
        };
        if p.ins.iter().any(|t| t.mid == mid) {
            return;
        }
        p.ins.push(TrackIn {
            mid,
            kind,
            media: kind.media(),
            last_keyframe_request: None,
        });
        let (room, user) = (p.room, p.user);
        for o in self.room_of(room) {
            if o == from {
                continue;
            }
            if let Some(op) = self.peers.get_mut(&o) {
                op.outs.push(TrackOut {
                    from,
                    from_mid: mid,
                    user,
                    kind,
                    media: kind.media(),
                    state: OutState::ToOpen,
                });
            }
            self.negotiate(o);
        }
    }

    /// Offers a participant the m-lines to add or stop, unless an offer is outstanding or they
    /// have not made their first offer yet.
    fn negotiate(&mut self, id: PeerId) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        if !p.negotiated || p.pending.is_some() {
            return;
        }
        let mut change = p.rtc.sdp_api();
        for t in &mut p.outs {
            match t.state {
                OutState::ToOpen => {
                    let mid = change.add_media(
                        t.media,
                        str0m::media::Direction::SendOnly,
                        Some(t.user.to_string()),
                        Some(format!("{}-{}", t.kind.as_str(), t.user)),
                        None,
                    );
                    t.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    t.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !change.has_changes() {
            return;
        }
        let Some((offer, pending)) = change.apply() else {
            return;
        };
        p.pending = Some(pending);
        let tracks = p
            .outs
            .iter()
            .filter(|t| t.live())
            .filter_map(|t| {
                Some(Track {
                    mid: t.mid()?.to_string(),
                    user: t.user,
                    kind: t.kind,
                })
            })
            .collect();
        self.out.push_back(Out::Offer {
            peer: id,
            sdp: offer.to_sdp_string(),
            tracks,
        });
    }

    fn forward(&mut self, now: Instant, from: PeerId, d: &MediaData) {
        let Some(p) = self.peers.get_mut(&from) else {
            return;
        };
        self.stats.received += 1;
        let Some(kind) = p.ins.iter().find(|t| t.mid == d.mid).map(|t| t.kind) else {
            return;
        };
        if !p.may_send(kind) {
            self.stats.dropped += 1;
            return;
        }
        if kind == TrackKind::Audio {
            p.detector
                .packet(d.ext_vals.audio_level, d.ext_vals.voice_activity);
        }
        let room = p.room;
        for o in self.room_of(room) {
            if o == from {
                continue;
            }
            let Some(op) = self.peers.get_mut(&o) else {
                continue;
            };
            if !op.connected || !op.may_receive(kind) {
                continue;
            }
            let Some(mid) = op
                .outs
                .iter()
                .find(|t| t.from == from && t.from_mid == d.mid)
                .and_then(|t| match t.state {
                    OutState::Open(m) => Some(m),
                    _ => None,
                })
            else {
                continue;
            };
            let Some(writer) = op.rtc.writer(mid) else {
                continue;
            };
            let Some(pt) = writer.match_params(d.params) else {
                continue;
            };
            let writer = match d.ext_vals.audio_level {
                Some(level) => writer.audio_level(
                    level,
                    d.ext_vals
                        .voice_activity
                        .unwrap_or(level >= speaking::ACTIVE_DBOV),
                ),
                None => writer,
            };
            if writer
                .write(pt, d.network_time, d.time, d.data.clone())
                .is_ok()
            {
                self.stats.forwarded += 1;
            }
            self.drain(o, now);
        }
    }
}

/// Marks the outgoing tracks fed by `from` (one m-line, or all) for stopping.
fn stop_outs_from(p: &mut Peer, from: PeerId, mid: Option<Mid>) {
    p.outs.retain_mut(|t| {
        if t.from != from || mid.is_some_and(|m| m != t.from_mid) {
            return true;
        }
        match t.state {
            OutState::ToOpen => false,
            OutState::Negotiating(m) | OutState::Open(m) => {
                t.state = OutState::ToStop(m);
                true
            }
            _ => true,
        }
    });
}
