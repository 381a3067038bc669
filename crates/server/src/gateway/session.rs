//! A gateway session: identity, intents, its guilds, and the replay buffer that doubles as the
//! outgoing queue. Frames are assigned sequence numbers when queued; the connection task writes
//! every frame past what it has sent; heartbeats acknowledge frames so they can be dropped.

use crate::bus::{Event, StreamPos};
use coterie_model::Intents;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::Notify;

/// Frames written but not yet sent beyond which the connection is closed as too slow (the
/// session stays resumable).
pub const MAX_UNSENT: u64 = 1024;
/// Frames kept for RESUME; unsent frames beyond this end the session.
pub const MAX_BUFFER: usize = 2048;

/// One queued dispatch.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Sequence number.
    pub seq: u64,
    /// The event.
    pub event: Arc<Event>,
    /// Send the content-stripped payload.
    pub stripped: bool,
    /// Kept for RESUME once sent. Session set-up frames (READY, its GUILD_CREATEs, RESUMED) are
    /// not: a client that missed them must identify again anyway.
    pub replay: bool,
}

impl Frame {
    /// Bytes [`Frame::render_into`] appends, give or take the sequence number's digits.
    #[must_use]
    pub fn size_hint(&self) -> usize {
        let d = match (&self.event.stripped, self.stripped) {
            (Some(s), true) => s.len(),
            _ => self.event.payload.len(),
        };
        d + self.event.name.len() + 50
    }

    /// Appends the frame's JSON text to `out`, as one WebSocket text message (see [`ws_text`]).
    pub fn render_into(&self, out: &mut Vec<u8>) {
        let d: &str = match (&self.event.stripped, self.stripped) {
            (Some(s), true) => s,
            _ => &self.event.payload,
        };
        let seq = self.seq.to_string();
        let parts: [&str; 7] = [
            "{\"op\":0,\"s\":",
            &seq,
            ",\"t\":\"",
            self.event.name,
            "\",\"d\":",
            d,
            "}",
        ];
        ws_header(out, parts.iter().map(|p| p.len()).sum());
        for p in parts {
            out.extend_from_slice(p.as_bytes());
        }
    }
}

/// Appends a server-to-client WebSocket text message (one final frame, unmasked, RFC 6455 §5.2)
/// holding `text` to `out`.
pub fn ws_text(out: &mut Vec<u8>, text: &str) {
    ws_header(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// The header of a final, unmasked text frame whose payload is `len` bytes.
fn ws_header(out: &mut Vec<u8>, len: usize) {
    out.push(0x81);
    if len < 126 {
        out.push(len as u8);
    } else if let Ok(short) = u16::try_from(len) {
        out.push(126);
        out.extend_from_slice(&short.to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

/// Mutable state, behind one short-held lock.
#[derive(Debug, Default)]
pub struct State {
    /// Last sequence number assigned.
    pub seq: u64,
    /// Frames not yet acknowledged (oldest first).
    pub buffer: VecDeque<Frame>,
    /// Highest sequence written to the current connection.
    pub sent: u64,
    /// Highest sequence the client acknowledged by heartbeat.
    pub acked: u64,
    /// Incremented each time a connection attaches; older connections see the change and stop.
    pub generation: u64,
    /// A connection is attached.
    pub attached: bool,
    /// When the last connection went away.
    pub detached_at: Option<Instant>,
    /// The attached connection's client must heartbeat before this (see `connection::reap`).
    pub heartbeat_by: Option<Instant>,
    /// READY has been queued; before that, events wait in `early`.
    pub ready: bool,
    /// Events that arrived while READY was being built.
    pub early: Vec<Frame>,
    /// Close code the connection must close with at its next wake-up.
    pub kick: Option<u16>,
    /// The session can no longer be resumed.
    pub dead: bool,
    /// Sequence of the newest frame that did not come through the shared event stream (READY,
    /// RESUMED, member chunks): another node cannot rebuild those.
    pub local: u64,
    /// The cross-node resume checkpoint last handed out for saving.
    pub checkpoint: Checkpoint,
}

/// Where another node can rebuild this session from (`gateway::handoff`): frames after `seq` are
/// the events after stream position `pos` that reach the session. Valid once `local <= seq`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Last frame the client has acknowledged.
    pub seq: u64,
    /// Stream position it corresponds to.
    pub pos: StreamPos,
    /// Newest session-local frame sent or queued.
    pub local: u64,
}

/// A session.
#[derive(Debug)]
pub struct Session {
    /// Opaque id for RESUME.
    pub id: String,
    /// The account.
    pub user_id: i64,
    /// Bot account.
    pub bot: bool,
    /// IDENTIFY intents.
    pub intents: Intents,
    /// `[shard_id, num_shards]`.
    pub shard: [u32; 2],
    /// Token hash it identified with (RESUME must present the same account).
    pub token_hash: Vec<u8>,
    /// Guilds whose events it receives.
    pub guilds: Mutex<HashSet<i64>>,
    state: Mutex<State>,
    /// Wakes the connection task.
    pub notify: Notify,
}

impl Session {
    /// A new session (not yet ready).
    #[must_use]
    pub fn new(
        id: String,
        user_id: i64,
        bot: bool,
        intents: Intents,
        shard: [u32; 2],
        token_hash: Vec<u8>,
    ) -> Self {
        Self {
            id,
            user_id,
            bot,
            intents,
            shard,
            token_hash,
            guilds: Mutex::new(HashSet::new()),
            state: Mutex::new(State::default()),
            notify: Notify::new(),
        }
    }

    /// Locks the state (a poisoned lock is recovered: the state stays consistent between pushes).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether this session receives events of `guild` (shard and membership).
    #[must_use]
    pub fn in_shard(&self, guild: Option<i64>) -> bool {
        let [id, n] = self.shard;
        match guild {
            Some(g) if n > 1 => ((g as u64 >> 22) % u64::from(n)) as u32 == id,
            Some(_) => true,
            None => id == 0,
        }
    }

    /// Queues a dispatch; false if the session is dead. (The caller counts deliveries, once per
    /// event rather than per session.)
    pub fn push(&self, event: Arc<Event>, stripped: bool) -> bool {
        let mut st = self.state();
        if st.dead {
            return false;
        }
        if !st.ready {
            st.early.push(Frame {
                seq: 0,
                event,
                stripped,
                replay: true,
            });
            return true;
        }
        enqueue(&mut st, event, stripped, true);
        let unsent = st.seq - st.sent;
        if st.attached && unsent > MAX_UNSENT && st.kick.is_none() {
            st.kick = Some(coterie_model::gateway::close::UNKNOWN_ERROR);
            crate::metrics::SLOW_CONSUMERS.inc();
        }
        drop(st);
        self.notify.notify_one();
        true
    }

    /// Queues READY (and what must follow it), then anything that arrived meanwhile.
    pub fn push_ready(&self, first: Vec<Arc<Event>>) {
        let mut st = self.state();
        for ev in first {
            enqueue(&mut st, ev, false, false);
        }
        st.ready = true;
        let early = std::mem::take(&mut st.early);
        for f in early {
            enqueue(&mut st, f.event, f.stripped, true);
        }
        drop(st);
        self.notify.notify_one();
    }

    /// Queues a frame that is not kept for RESUME once sent (RESUMED).
    pub fn push_once(&self, event: Arc<Event>) {
        let mut st = self.state();
        if st.dead {
            return;
        }
        enqueue(&mut st, event, false, false);
        drop(st);
        self.notify.notify_one();
    }

    /// Records a heartbeat's sequence; acknowledged frames are dropped. Returns a newer
    /// checkpoint when the acknowledged frame is one another node could rebuild from: a frame
    /// that came through the stream, or everything queued so far (then at `position()`, the
    /// stream position the dispatcher has finished routing, read under this session's lock so
    /// no event before it can still be on its way here).
    pub fn ack(&self, seq: u64, position: impl FnOnce() -> StreamPos) -> Option<Checkpoint> {
        let mut st = self.state();
        let seq = seq.min(st.sent);
        if seq > st.acked {
            st.acked = seq;
        }
        let acked = st.acked;
        let at = if st.ready && acked == st.seq && st.early.is_empty() {
            Some(position())
        } else {
            st.buffer
                .iter()
                .find(|f| f.seq == acked)
                .and_then(|f| f.event.pos)
        };
        while st.buffer.front().is_some_and(|f| f.seq <= st.acked) {
            st.buffer.pop_front();
        }
        let pos = at?;
        if acked <= st.checkpoint.seq {
            return None;
        }
        st.checkpoint = Checkpoint {
            seq: acked,
            pos,
            local: st.checkpoint.local.max(st.local),
        };
        Some(st.checkpoint)
    }

    /// Before frames are sent: if they include session-local ones newer than the checkpoint
    /// knows, the checkpoint must say so (another node could not rebuild them) before they leave.
    pub fn note_local(&self, frames: &[Frame]) -> Option<Checkpoint> {
        let newest = frames
            .iter()
            .filter(|f| f.event.pos.is_none())
            .map(|f| f.seq)
            .max()?;
        let mut st = self.state();
        if newest <= st.checkpoint.local {
            return None;
        }
        st.checkpoint.local = newest;
        Some(st.checkpoint)
    }

    /// Completes a session rebuilt on this node: its frames after checkpoint `from`, replayed
    /// from the stream up to `replayed_to`, then whatever the dispatcher queued meanwhile that
    /// the replay did not already cover.
    pub fn push_rebuilt(
        &self,
        from: Checkpoint,
        frames: Vec<(Arc<Event>, bool)>,
        replayed_to: StreamPos,
    ) -> u64 {
        let mut st = self.state();
        st.seq = from.seq;
        st.sent = from.seq;
        st.acked = from.seq;
        st.local = from.local;
        st.checkpoint = from;
        for (ev, stripped) in frames {
            enqueue(&mut st, ev, stripped, true);
        }
        st.ready = true;
        let early = std::mem::take(&mut st.early);
        for f in early {
            if f.event.pos.is_some_and(|p| p <= replayed_to) {
                continue;
            }
            enqueue(&mut st, f.event, f.stripped, true);
        }
        st.seq
    }

    /// Gives the attached connection's client until `grace` from now to heartbeat again.
    pub fn expect_heartbeat(&self, grace: std::time::Duration) {
        self.state().heartbeat_by = Some(Instant::now() + grace);
    }

    /// Asks the connection to close with `code`; `dead` also ends the session.
    pub fn kick(&self, code: u16, dead: bool) {
        let mut st = self.state();
        st.kick = Some(code);
        st.dead |= dead;
        drop(st);
        self.notify.notify_one();
    }

    /// Takes up to `max` frames past what was sent, marking them sent.
    pub fn take_unsent(&self, max: usize) -> (Vec<Frame>, bool) {
        let mut st = self.state();
        // The buffer holds consecutive sequence numbers (frames leave only from the front), so
        // the first unsent frame is found by arithmetic: scanning past the frames kept for RESUME
        // cost a walk over up to MAX_BUFFER entries on every flush.
        let first = st.buffer.front().map_or(0, |f| f.seq);
        let skip = usize::try_from((st.sent + 1).saturating_sub(first))
            .map_or(st.buffer.len(), |n| n.min(st.buffer.len()));
        let frames: Vec<Frame> = st.buffer.range(skip..).take(max).cloned().collect();
        debug_assert!(frames.first().is_none_or(|f| f.seq == st.sent + 1));
        if let Some(last) = frames.last() {
            st.sent = last.seq;
        }
        while st
            .buffer
            .front()
            .is_some_and(|f| !f.replay && f.seq <= st.sent)
        {
            st.buffer.pop_front();
        }
        let more = st.seq > st.sent;
        (frames, more)
    }
}

fn enqueue(st: &mut State, event: Arc<Event>, stripped: bool, replay: bool) {
    st.seq += 1;
    let seq = st.seq;
    if event.pos.is_none() {
        st.local = seq;
    }
    st.buffer.push_back(Frame {
        seq,
        event,
        stripped,
        replay,
    });
    while st.buffer.len() > MAX_BUFFER {
        let front_sent = st.buffer.front().is_some_and(|f| f.seq <= st.sent);
        if front_sent {
            st.buffer.pop_front();
        } else {
            // Too far behind to ever catch up: the session cannot be resumed without loss.
            st.dead = true;
            st.kick = Some(coterie_model::gateway::close::SESSION_TIMED_OUT);
            st.buffer.clear();
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{Audience, Event};

    fn ev() -> Arc<Event> {
        Arc::new(Event::new(
            "TEST",
            &serde_json::json!({"a": 1}),
            Audience::Users(vec![]),
            0,
        ))
    }

    #[test]
    fn frames_render_with_their_sequence_and_name() {
        let f = Frame {
            seq: 7,
            event: ev(),
            stripped: false,
            replay: true,
        };
        let mut out = vec![];
        f.render_into(&mut out);
        let json = r#"{"op":0,"s":7,"t":"TEST","d":{"a":1}}"#;
        assert_eq!(out[..2], [0x81, json.len() as u8]);
        assert_eq!(&out[2..], json.as_bytes());
    }

    #[test]
    fn text_messages_use_the_shortest_length_encoding() {
        for (len, header) in [
            (0, vec![0x81, 0]),
            (125, vec![0x81, 125]),
            (126, vec![0x81, 126, 0, 126]),
            (65_535, vec![0x81, 126, 0xff, 0xff]),
            (65_536, vec![0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
        ] {
            let mut out = vec![];
            ws_text(&mut out, &"x".repeat(len));
            assert_eq!(out[..header.len()], header[..], "length {len}");
            assert_eq!(out.len(), header.len() + len);
        }
    }

    #[test]
    fn events_before_ready_follow_ready_in_order() {
        let s = Session::new("x".into(), 1, false, Intents(0), [0, 1], vec![]);
        s.push(ev(), false);
        let ready = Arc::new(Event::new(
            "READY",
            &serde_json::json!({}),
            Audience::Users(vec![]),
            0,
        ));
        s.push_ready(vec![ready]);
        let (frames, more) = s.take_unsent(10);
        assert!(!more);
        assert_eq!(
            frames
                .iter()
                .map(|f| (f.seq, f.event.name))
                .collect::<Vec<_>>(),
            vec![(1, "READY"), (2, "TEST")]
        );
    }

    #[test]
    fn acknowledged_frames_are_dropped_and_a_hopelessly_slow_session_dies() {
        let s = Session::new("x".into(), 1, false, Intents(0), [0, 1], vec![]);
        s.push_ready(vec![]);
        for _ in 0..10 {
            s.push(ev(), false);
        }
        s.take_unsent(5);
        s.ack(99, || 0);
        assert_eq!(
            s.state().buffer.len(),
            5,
            "only sent frames can be acknowledged"
        );
        for _ in 0..MAX_BUFFER + 1 {
            s.push(ev(), false);
        }
        assert!(s.state().dead);
    }

    fn at(pos: StreamPos) -> Arc<Event> {
        let mut e = Event::new("TEST", &serde_json::json!({}), Audience::Users(vec![]), 0);
        e.pos = Some(pos);
        Arc::new(e)
    }

    #[test]
    fn checkpoints_follow_acknowledged_stream_frames_and_record_local_ones() {
        let s = Session::new("x".into(), 1, false, Intents(0), [0, 1], vec![]);
        s.push_ready(vec![ev()]); // READY: seq 1, local
        let (sent, _) = s.take_unsent(10);
        assert_eq!(s.note_local(&sent).map(|c| c.local), Some(1));
        s.push(at(10), false); // seq 2
        s.push(at(20), false); // seq 3
        s.take_unsent(10);
        // Acknowledging seq 2 (a stream frame) checkpoints at its position.
        assert_eq!(
            s.ack(2, || 99),
            Some(Checkpoint {
                seq: 2,
                pos: 10,
                local: 1
            })
        );
        // Everything acknowledged: the position is where routing has got to.
        assert_eq!(s.ack(3, || 25).map(|c| (c.seq, c.pos)), Some((3, 25)));
        assert_eq!(s.ack(3, || 30), None, "nothing newer");
        // A member chunk (local) must be recorded before it is sent.
        s.push(ev(), false); // seq 4
        let (sent, _) = s.take_unsent(10);
        assert_eq!(s.note_local(&sent).map(|c| (c.seq, c.local)), Some((3, 4)));
    }

    #[test]
    fn a_rebuilt_session_numbers_on_from_its_checkpoint_without_repeats() {
        let s = Session::new("x".into(), 1, false, Intents(0), [0, 1], vec![]);
        // Live events that arrived while the stream was being replayed: one also replayed.
        s.push(at(30), false);
        s.push(at(40), false);
        let from = Checkpoint {
            seq: 7,
            pos: 10,
            local: 2,
        };
        let last = s.push_rebuilt(from, vec![(at(20), false), (at(30), false)], 30);
        assert_eq!(last, 10);
        let st = s.state();
        let got: Vec<(u64, Option<StreamPos>)> =
            st.buffer.iter().map(|f| (f.seq, f.event.pos)).collect();
        assert_eq!(got, vec![(8, Some(20)), (9, Some(30)), (10, Some(40))]);
    }

    #[test]
    fn unsent_frames_start_after_the_last_sent_one_also_after_a_resume() {
        let s = Session::new("x".into(), 1, false, Intents(0), [0, 1], vec![]);
        s.push_ready(vec![]);
        for _ in 0..10 {
            s.push(ev(), false);
        }
        let seqs = |f: Vec<Frame>| f.iter().map(|f| f.seq).collect::<Vec<_>>();
        let (first, more) = s.take_unsent(4);
        assert_eq!((seqs(first), more), (vec![1, 2, 3, 4], true));
        s.ack(2, || 0);
        let (next, _) = s.take_unsent(3);
        assert_eq!(seqs(next), vec![5, 6, 7]);
        // The client resumes from seq 3: frames 4… are sent again.
        crate::gateway::connection::attach(&s, 3);
        let (again, more) = s.take_unsent(100);
        assert_eq!((seqs(again), more), ((4..=10).collect(), false));
        assert!(s.take_unsent(100).0.is_empty());
    }

    #[test]
    fn set_up_frames_are_not_kept_for_resume_once_sent() {
        let s = Session::new("x".into(), 1, false, Intents(0), [0, 1], vec![]);
        s.push_ready(vec![ev(), ev()]);
        s.push(ev(), false);
        s.take_unsent(10);
        let st = s.state();
        assert_eq!(st.buffer.iter().map(|f| f.seq).collect::<Vec<_>>(), vec![3]);
    }
}
