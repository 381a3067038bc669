//! A lock-free log-linear histogram (16 sub-buckets per power of two, ≤ 6 % error) for latencies
//! in microseconds, and the summary the benchmarks print.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

const SUB: usize = 16;
const BUCKETS: usize = 64 * SUB;

/// Latency histogram shared by many tasks.
pub struct Hist {
    buckets: Vec<AtomicU64>,
    max: AtomicU64,
}

/// Percentiles in microseconds.
#[derive(Debug, Serialize, Default, Clone, Copy)]
pub struct Summary {
    /// Samples.
    pub n: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest sample.
    pub max: u64,
}

fn index(v: u64) -> usize {
    if v < SUB as u64 {
        return v as usize;
    }
    let bits = 63 - v.leading_zeros() as usize; // ≥ 4
    let shift = bits - 4;
    let sub = ((v >> shift) as usize) & (SUB - 1);
    ((bits - 3) * SUB + sub).min(BUCKETS - 1)
}

fn value(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let bits = i / SUB + 3;
    let sub = (i % SUB) as u64;
    let shift = bits - 4;
    // Middle of the bucket.
    ((SUB as u64 | sub) << shift) + ((1u64 << shift) >> 1)
}

impl Default for Hist {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicU64::new(0),
        }
    }
}

impl Hist {
    /// Records one sample.
    pub fn record(&self, us: u64) {
        self.buckets[index(us)].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(us, Ordering::Relaxed);
    }

    /// Forgets every sample.
    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Ordering::Relaxed);
        }
        self.max.store(0, Ordering::Relaxed);
    }

    /// Percentiles so far.
    pub fn summary(&self) -> Summary {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let n: u64 = counts.iter().sum();
        let at = |q: f64| {
            let rank = ((n as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (i, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return value(i);
                }
            }
            0
        };
        let max = self.max.load(Ordering::Relaxed);
        if n == 0 {
            return Summary::default();
        }
        Summary {
            n,
            p50: at(0.5).min(max),
            p90: at(0.9).min(max),
            p99: at(0.99).min(max),
            p999: at(0.999).min(max),
            max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_the_bucket_error() {
        let h = Hist::default();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        let s = h.summary();
        assert_eq!(s.n, 10_000);
        for (got, want) in [(s.p50, 5_000.0), (s.p90, 9_000.0), (s.p99, 9_900.0)] {
            assert!((got as f64 - want).abs() / want < 0.07, "{got} vs {want}");
        }
        assert_eq!(s.max, 10_000);
    }
}
