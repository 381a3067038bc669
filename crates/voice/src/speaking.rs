//! Who is speaking, from the RFC 6464 audio level each sender puts on its packets (no decoding).
//!
//! Per window, a participant is speaking when at least [`MIN_ACTIVE_SHARE`] of the packets that
//! arrived carried a level at or above [`ACTIVE_DBOV`]. Only changes are reported.

/// A packet at or louder than this (−dBov, 0 loudest, −127 silence) counts as voice.
pub const ACTIVE_DBOV: i8 = -50;
/// Share of a window's packets that must be voiced (percent).
pub const MIN_ACTIVE_SHARE: u32 = 30;

/// One participant's detector.
#[derive(Debug, Default, Clone)]
pub struct Detector {
    packets: u32,
    voiced: u32,
    speaking: bool,
}

impl Detector {
    /// Counts one received audio packet with its level, if it carried one.
    pub fn packet(&mut self, level: Option<i8>, voice_activity: Option<bool>) {
        self.packets += 1;
        let loud = level.is_some_and(|l| l >= ACTIVE_DBOV);
        if loud && voice_activity != Some(false) {
            self.voiced += 1;
        }
    }

    /// Ends the window; returns the new state when it changed.
    pub fn close_window(&mut self) -> Option<bool> {
        let now = self.packets > 0 && self.voiced * 100 >= self.packets * MIN_ACTIVE_SHARE;
        self.packets = 0;
        self.voiced = 0;
        (now != self.speaking).then(|| {
            self.speaking = now;
            now
        })
    }

    /// Whether the last window was speech.
    #[must_use]
    pub fn speaking(&self) -> bool {
        self.speaking
    }

    /// Forgets the current state (muted, left): returns `Some(false)` when it was speaking.
    pub fn silence(&mut self) -> Option<bool> {
        self.packets = 0;
        self.voiced = 0;
        std::mem::take(&mut self.speaking).then_some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_changes_only() {
        let mut d = Detector::default();
        assert_eq!(d.close_window(), None, "silence stays silence");
        for _ in 0..20 {
            d.packet(Some(-20), Some(true));
        }
        assert_eq!(d.close_window(), Some(true));
        for _ in 0..20 {
            d.packet(Some(-25), None);
        }
        assert_eq!(d.close_window(), None, "still speaking: no report");
        for _ in 0..20 {
            d.packet(Some(-127), Some(false));
        }
        assert_eq!(d.close_window(), Some(false));
    }

    #[test]
    fn quiet_or_unlevelled_packets_are_not_speech() {
        let mut d = Detector::default();
        for _ in 0..20 {
            d.packet(None, None);
            d.packet(Some(-90), Some(true));
        }
        assert_eq!(d.close_window(), None);
        for _ in 0..5 {
            d.packet(Some(-10), Some(true));
        }
        assert_eq!(d.close_window(), Some(true));
        assert_eq!(d.silence(), Some(false));
        assert!(!d.speaking());
    }
}
