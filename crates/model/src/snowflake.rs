//! Discord-style 64-bit snowflake ids: 42 bits of milliseconds since the Discord epoch, 10 bits of
//! node id and a 12-bit per-node sequence. Serialised as JSON strings (JavaScript loses precision
//! above 2^53 and twilight rejects numbers).

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;
use std::str::FromStr;

/// Milliseconds of 2015-01-01T00:00:00Z, the epoch Discord ids count from.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// A snowflake id. Never zero when minted by [`SnowflakeGenerator`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Snowflake(pub u64);

impl Snowflake {
    /// Unix milliseconds at which this id was minted.
    #[must_use]
    pub fn created_ms(self) -> u64 {
        (self.0 >> 22) + DISCORD_EPOCH_MS
    }

    /// The smallest id that could be minted at `unix_ms`, for time-based pagination bounds.
    #[must_use]
    pub fn from_time(unix_ms: u64) -> Self {
        Self(unix_ms.saturating_sub(DISCORD_EPOCH_MS) << 22)
    }

    /// The id as the signed integer databases store.
    #[must_use]
    pub fn get(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// Builds an id from a stored signed integer.
    #[must_use]
    pub fn from_i64(v: i64) -> Self {
        Self(u64::try_from(v).unwrap_or(0))
    }
}

impl fmt::Debug for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Snowflake {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v: u64 = s.parse()?;
        // Stored as i64: refuse values that do not fit rather than wrapping.
        if i64::try_from(v).is_err() {
            return "x".parse::<u64>().map(Self);
        }
        Ok(Self(v))
    }
}

impl Serialize for Snowflake {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Snowflake {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Snowflake;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a snowflake as a string or integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Snowflake, E> {
                v.parse().map_err(|_| E::custom("Value is not snowflake."))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Snowflake, E> {
                i64::try_from(v)
                    .map(|_| Snowflake(v))
                    .map_err(|_| E::custom("Value is not snowflake."))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Snowflake, E> {
                u64::try_from(v)
                    .map(Snowflake)
                    .map_err(|_| E::custom("Value is not snowflake."))
            }
        }
        d.deserialize_any(V)
    }
}

/// Mints unique, increasing snowflakes for one node. Pure: the caller supplies the clock reading.
#[derive(Debug)]
pub struct SnowflakeGenerator {
    node: u64,
    last_ms: u64,
    seq: u64,
}

impl SnowflakeGenerator {
    /// `node` is masked to 10 bits; two nodes sharing a database must use different values.
    #[must_use]
    pub fn new(node: u16) -> Self {
        Self {
            node: u64::from(node) & 0x3ff,
            last_ms: 0,
            seq: 0,
        }
    }

    /// Next id for the clock reading `now_ms` (unix ms). Never repeats and never decreases: when the
    /// sequence wraps within a millisecond, or the clock steps backwards, the id's time advances
    /// logically past the last one used.
    pub fn next(&mut self, now_ms: u64) -> Snowflake {
        let ms = now_ms.saturating_sub(DISCORD_EPOCH_MS);
        if ms > self.last_ms {
            self.last_ms = ms;
            self.seq = 0;
        } else {
            self.seq += 1;
            if self.seq > 0xfff {
                self.last_ms += 1;
                self.seq = 0;
            }
        }
        Snowflake((self.last_ms << 22) | (self.node << 12) | self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_id_encodes_its_creation_time() {
        let mut g = SnowflakeGenerator::new(3);
        let id = g.next(1_700_000_000_123);
        assert_eq!(id.created_ms(), 1_700_000_000_123);
        assert_eq!((id.0 >> 12) & 0x3ff, 3);
    }

    #[test]
    fn snowflakes_serialise_as_strings_and_parse_from_both_forms() {
        let id = Snowflake(175_928_847_299_117_063);
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"175928847299117063\""
        );
        let a: Snowflake = serde_json::from_str("\"175928847299117063\"").unwrap();
        let b: Snowflake = serde_json::from_str("175928847299117063").unwrap();
        assert_eq!(a, id);
        assert_eq!(b, id);
        assert!(serde_json::from_str::<Snowflake>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Snowflake>("\"18446744073709551615\"").is_err());
    }

    proptest! {
        #[test]
        fn generated_ids_strictly_increase_even_when_the_clock_stalls_or_steps_back(
            steps in proptest::collection::vec(-3i64..3, 1..6000)
        ) {
            let mut g = SnowflakeGenerator::new(1);
            let mut now: i64 = 1_700_000_000_000;
            let mut last = Snowflake(0);
            for s in steps {
                now += s;
                let id = g.next(u64::try_from(now).unwrap());
                prop_assert!(id > last);
                last = id;
            }
        }
    }
}
