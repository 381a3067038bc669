//! Signed attachment URLs in Discord's form: `ex` (expiry) and `is` (issue time) as hex unix
//! seconds, `hm` an HMAC-SHA256 over the channel, the attachment and both times.

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The signature parameters of a request.
#[derive(Debug, Default, Deserialize)]
pub struct Signed {
    /// Expiry, hex unix seconds.
    pub ex: Option<String>,
    /// Issued, hex unix seconds.
    #[serde(rename = "is")]
    pub issued: Option<String>,
    /// Signature, hex.
    pub hm: Option<String>,
    /// Requested width (media URLs: a thumbnail when small enough).
    pub width: Option<u32>,
    /// Requested height.
    pub height: Option<u32>,
}

/// The signing key from the stored instance secret.
#[must_use]
pub fn derive_key(secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"coterie attachment urls\0");
    h.update(secret.as_bytes());
    h.finalize().into()
}

fn mac(key: &[u8; 32], channel_id: i64, id: i64, ex: u64, is: u64) -> String {
    let Ok(mut m) = HmacSha256::new_from_slice(key) else {
        return String::new();
    };
    m.update(format!("{channel_id}/{id}/{ex:x}/{is:x}").as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The query string for a URL issued now. Issue times are rounded down to the hour (when the
/// lifetime allows) so a file keeps one URL for a while and browsers can cache it.
#[must_use]
pub fn query(key: &[u8; 32], channel_id: i64, id: i64, now_s: i64, ttl_s: u64) -> String {
    let now = u64::try_from(now_s).unwrap_or(0);
    let is = if ttl_s >= 7200 { now - now % 3600 } else { now };
    let ex = is + ttl_s;
    format!(
        "ex={ex:x}&is={is:x}&hm={}",
        mac(key, channel_id, id, ex, is)
    )
}

/// Whether the parameters were issued by this instance for this file and have not expired.
#[must_use]
pub fn verify(key: &[u8; 32], channel_id: i64, id: i64, q: &Signed, now_s: i64) -> bool {
    let (Some(ex), Some(is), Some(hm)) = (&q.ex, &q.issued, &q.hm) else {
        return false;
    };
    let (Ok(ex), Ok(is)) = (u64::from_str_radix(ex, 16), u64::from_str_radix(is, 16)) else {
        return false;
    };
    if i64::try_from(ex).unwrap_or(0) <= now_s {
        return false;
    }
    let want = mac(key, channel_id, id, ex, is);
    subtle::ConstantTimeEq::ct_eq(want.as_bytes(), hm.to_ascii_lowercase().as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Signed {
        let mut s = Signed::default();
        for kv in q.split('&') {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "ex" => s.ex = Some(v.into()),
                "is" => s.issued = Some(v.into()),
                "hm" => s.hm = Some(v.into()),
                _ => {}
            }
        }
        s
    }

    #[test]
    fn signed_urls_verify_until_they_expire_and_only_for_their_file() {
        let key = derive_key("secret");
        let q = parse(&query(&key, 10, 20, 1_000_000, 86_400));
        assert!(verify(&key, 10, 20, &q, 1_000_000));
        assert!(!verify(&key, 10, 21, &q, 1_000_000), "another file");
        assert!(!verify(&key, 11, 20, &q, 1_000_000), "another channel");
        assert!(
            !verify(&derive_key("other"), 10, 20, &q, 1_000_000),
            "another key"
        );
        assert!(!verify(&key, 10, 20, &q, 1_000_000 + 86_400), "expired");
        let mut forged = q;
        forged.ex = Some(format!("{:x}", 9_000_000_000u64));
        assert!(!verify(&key, 10, 20, &forged, 1_000_000), "extended expiry");
    }
}
