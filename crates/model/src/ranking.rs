//! Ranking keys for forum posts and comments (see docs/decisions.md): every key depends only on
//! an item's own vote counts and fixed times, so it changes only when a vote or comment arrives
//! and is stored and indexed like any column. Keys are fixed-point integers so both database
//! engines store and order them identically.

/// Reddit's epoch for the hot formula (2005-12-08T07:46:43Z), in seconds.
const HOT_EPOCH_S: f64 = 1_134_028_003.0;
/// Seconds of age worth one factor of 10 in net score (12.5 hours).
const HOT_DIVISOR_S: f64 = 45_000.0;
/// z for an 80% confidence Wilson lower bound (Reddit's constant).
const WILSON_Z: f64 = 1.281_551_565_545;
/// Fixed-point scale of stored keys.
pub const SCALE: f64 = 1e7;
/// A comment qualifies for the post's "active" key within this long of the post (anti-necro).
pub const ACTIVE_WINDOW_MS: i64 = 48 * 3600 * 1000;

fn fixed(x: f64) -> i64 {
    // Rounded to 7 decimals first, as the formula specifies, then scaled.
    (x * SCALE).round() as i64
}

/// Hot: `sgn(s)·log10(max(|s|,1)) + (t − epoch)/45000`, ×10^7. `created_ms` is Unix ms.
#[must_use]
pub fn hot(up: i64, down: i64, created_ms: i64) -> i64 {
    let s = up - down;
    let order = (s.unsigned_abs().max(1) as f64).log10();
    let sign = s.signum() as f64;
    let t = created_ms as f64 / 1000.0;
    fixed(sign * order + (t - HOT_EPOCH_S) / HOT_DIVISOR_S)
}

/// Lower bound of the Wilson score interval of the upvote share, ×10^7 (0 without votes).
#[must_use]
pub fn best(up: i64, down: i64) -> i64 {
    let n = (up + down) as f64;
    if n <= 0.0 {
        return 0;
    }
    let z = WILSON_Z;
    let p = up as f64 / n;
    let lb = (p + z * z / (2.0 * n) - z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt())
        / (1.0 + z * z / n);
    fixed(lb)
}

/// Controversy: `n^(min/max)` when both sides voted, else 0; ×10^7.
#[must_use]
pub fn controversy(up: i64, down: i64) -> i64 {
    if up <= 0 || down <= 0 {
        return 0;
    }
    let n = (up + down) as f64;
    let (lo, hi) = (up.min(down) as f64, up.max(down) as f64);
    fixed(n.powf(lo / hi))
}

/// The vote delta of a change `old → new` (0 = no vote): `(Δup, Δdown)`.
#[must_use]
pub fn vote_delta(old: i64, new: i64) -> (i64, i64) {
    let up = i64::from(new == 1) - i64::from(old == 1);
    let down = i64::from(new == -1) - i64::from(old == -1);
    (up, down)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_767_225_600_000;

    #[test]
    fn hot_matches_the_reference_vectors() {
        assert_eq!(hot(0, 0, T0), 140_710_577_111);
        assert_eq!(hot(1, 0, T0), 140_710_577_111);
        assert_eq!(hot(10, 0, T0), 140_720_577_111);
        assert_eq!(hot(100, 0, T0), 140_730_577_111);
        assert_eq!(hot(0, 10, T0), 140_700_577_111);
        assert_eq!(hot(1, 0, T0 + 45_000_000), 140_720_577_111);
        assert_eq!(hot(10, 0, T0 - 45_000_000), 140_710_577_111);
    }

    #[test]
    fn a_newer_negative_post_still_outranks_an_older_equal_one() {
        assert!(hot(0, 5, T0 + 1000) > hot(0, 5, T0));
    }

    #[test]
    fn best_matches_the_reference_vectors() {
        let v = |u, d| best(u, d) as f64 / SCALE;
        for (u, d, want) in [
            (0, 0, 0.0),
            (1, 0, 0.378_448),
            (5, 0, 0.752_743),
            (10, 0, 0.858_931),
            (10, 10, 0.362_262),
            (50, 50, 0.436_442),
            (100, 1, 0.967_480),
            (0, 5, 0.0),
        ] {
            assert!((v(u, d) - want).abs() < 1e-6, "{u}/{d}: {}", v(u, d));
        }
        assert!(best(10, 1) > best(1, 0));
    }

    #[test]
    fn controversy_matches_the_reference_vectors() {
        let v = |u, d| controversy(u, d) as f64 / SCALE;
        assert_eq!(controversy(10, 0), 0);
        assert!((v(1, 1) - 2.0).abs() < 1e-6);
        assert!((v(10, 10) - 20.0).abs() < 1e-6);
        assert!((v(100, 50) - 12.247_449).abs() < 1e-6);
        assert_eq!(controversy(100, 50), controversy(50, 100));
        assert!((v(1000, 999) - 1_983.864_387).abs() < 1e-5);
    }

    #[test]
    fn vote_deltas_follow_the_table() {
        assert_eq!(vote_delta(0, 1), (1, 0));
        assert_eq!(vote_delta(0, -1), (0, 1));
        assert_eq!(vote_delta(1, 0), (-1, 0));
        assert_eq!(vote_delta(-1, 0), (0, -1));
        assert_eq!(vote_delta(1, -1), (-1, 1));
        assert_eq!(vote_delta(-1, 1), (1, -1));
        assert_eq!(vote_delta(1, 1), (0, 0));
    }
}
