//! One participant's WebRTC connection and the tracks it sends and receives.

use crate::speaking::Detector;
use crate::{PeerId, Rights, TrackKind};
use std::collections::HashMap;
use std::time::Instant;
use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{MediaKind, Mid};

/// A track the participant sends to the server.
#[derive(Debug)]
pub(crate) struct TrackIn {
    pub mid: Mid,
    pub kind: TrackKind,
    pub media: MediaKind,
    pub last_keyframe_request: Option<Instant>,
}

/// Where an outgoing m-line is in its negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutState {
    /// To be offered.
    ToOpen,
    /// Offered, answer pending.
    Negotiating(Mid),
    /// Negotiated: media is written to it.
    Open(Mid),
    /// Its source went away; to be stopped in the next offer.
    ToStop(Mid),
    /// Stop offered, answer pending.
    NegotiatingStop(Mid),
}

/// Another participant's track, forwarded to this one.
#[derive(Debug)]
pub(crate) struct TrackOut {
    pub from: PeerId,
    pub from_mid: Mid,
    pub user: u64,
    pub kind: TrackKind,
    pub media: MediaKind,
    pub state: OutState,
}

impl TrackOut {
    pub fn mid(&self) -> Option<Mid> {
        match self.state {
            OutState::ToOpen => None,
            OutState::Negotiating(m)
            | OutState::Open(m)
            | OutState::ToStop(m)
            | OutState::NegotiatingStop(m) => Some(m),
        }
    }

    /// Still carrying (or about to carry) media.
    pub fn live(&self) -> bool {
        matches!(
            self.state,
            OutState::ToOpen | OutState::Negotiating(_) | OutState::Open(_)
        )
    }
}

/// One participant.
pub(crate) struct Peer {
    pub user: u64,
    pub room: u64,
    pub rights: Rights,
    pub rtc: Rtc,
    pub ins: Vec<TrackIn>,
    pub outs: Vec<TrackOut>,
    /// The server's offer awaiting the client's answer.
    pub pending: Option<SdpPendingOffer>,
    /// The client's first offer was accepted (the server may now offer).
    pub negotiated: bool,
    pub connected: bool,
    /// What the client said each of its m-lines carries.
    pub labels: HashMap<String, TrackKind>,
    /// When the connection next needs time.
    pub timeout: Instant,
    pub disconnected_since: Option<Instant>,
    pub detector: Detector,
    pub joined_at: Instant,
}

impl Peer {
    pub fn new(user: u64, room: u64, rights: Rights, rtc: Rtc, now: Instant) -> Self {
        Self {
            user,
            room,
            rights,
            rtc,
            ins: vec![],
            outs: vec![],
            pending: None,
            negotiated: false,
            connected: false,
            labels: HashMap::new(),
            timeout: now,
            disconnected_since: None,
            detector: Detector::default(),
            joined_at: now,
        }
    }

    /// Whether the server accepts this kind of media from the participant now.
    pub fn may_send(&self, kind: TrackKind) -> bool {
        match kind {
            TrackKind::Audio => self.rights.send_audio,
            TrackKind::Camera | TrackKind::Screen => self.rights.send_video,
            TrackKind::ScreenAudio => self.rights.send_video && self.rights.send_audio,
        }
    }

    /// Whether the participant receives this kind of media now.
    pub fn may_receive(&self, kind: TrackKind) -> bool {
        match kind {
            TrackKind::Audio | TrackKind::ScreenAudio => self.rights.receive_audio,
            TrackKind::Camera | TrackKind::Screen => true,
        }
    }
}
