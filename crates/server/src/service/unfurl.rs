//! Link previews: links in new messages unfold into embeds (Open Graph and Twitter card metadata,
//! the page title) sent as MESSAGE_UPDATE once fetched.
//!
//! Fetching a URL a member typed is a request forgery risk, so: only http and https; every
//! address a name resolves to must be public (no loopback, private, link-local, unique-local,
//! shared, multicast or unspecified ranges, which covers cloud metadata endpoints) unless an
//! administrator allow-lists it; IP literals and every redirect hop are checked the same way;
//! at most 3 redirects, 5 seconds and 512 KiB per page, 5 links per message.

use crate::app::AppState;
use crate::bus::Event;
use crate::service::messages::message_event;
use crate::service::perms::ChannelCtx;
use crate::service::views;
use coterie_store::MessagePatch;
use regex::Regex;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Links unfolded per message.
const MAX_LINKS: usize = 5;
/// Bytes of a page read.
const MAX_BYTES: usize = 512 * 1024;
/// Time per page, redirects included.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Networks fetching may reach although they are not public (administrators' allow list).
#[derive(Debug, Clone, Default)]
pub struct AllowList(Vec<(IpAddr, u8)>);

impl AllowList {
    /// Parses `10.0.0.0/8,127.0.0.1,::1/128`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut v = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (ip, bits) = match part.split_once('/') {
                Some((ip, bits)) => (ip, Some(bits)),
                None => (part, None),
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| format!("{part:?} is not an address or network"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or(format!("{part:?}: bad prefix length"))?,
                None => max,
            };
            v.push((ip, bits));
        }
        Ok(Self(v))
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if *bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(*bits))
                };
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if *bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(*bits))
                };
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// Whether an address is on the public internet.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_unspecified()
                || a.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// The fetcher: one HTTP client whose resolver refuses non-public addresses.
#[derive(Debug, Clone)]
pub struct Unfurler {
    client: reqwest::Client,
    allow: Arc<AllowList>,
}

#[derive(Debug)]
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()) || allow.contains(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(
                    format!("{host} resolves only to addresses that may not be fetched").into(),
                );
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Makes ring the process's TLS crypto provider (HTTP clients in this process, tests included,
/// need one chosen); harmless when one is already installed.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Unfurler {
    /// A fetcher that may also reach `allow`.
    pub fn new(allow: AllowList) -> anyhow::Result<Self> {
        install_crypto();
        let allow = Arc::new(allow);
        let hop_allow = allow.clone();
        // TLS: rustls with ring (already used for mail) and the Mozilla roots, no platform verifier.
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .user_agent("Mozilla/5.0 (compatible; CoterieBot/1.0; link previews)")
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow: allow.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |a| {
                if a.previous().len() >= 3 {
                    a.error("too many redirects")
                } else if !url_allowed(a.url(), &hop_allow) {
                    a.error("redirect to an address that may not be fetched")
                } else {
                    a.follow()
                }
            }))
            .build()?;
        Ok(Self { client, allow })
    }

    /// Fetches a page and turns its metadata into an embed (None: nothing worth showing, or
    /// not allowed).
    pub async fn preview(&self, url: &str) -> Option<Value> {
        let parsed = reqwest::Url::parse(url).ok()?;
        if !url_allowed(&parsed, &self.allow) {
            return None;
        }
        let mut resp = self.client.get(parsed).send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let html_like = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/xhtml"));
        if !html_like {
            return None;
        }
        let final_url = resp.url().to_string();
        let mut body: Vec<u8> = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            let room = MAX_BYTES - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_BYTES {
                break;
            }
        }
        embed_from_html(&String::from_utf8_lossy(&body), url, &final_url)
    }
}

/// Only http(s), and IP literals must be public or allow-listed (names are checked when resolved).
fn url_allowed(u: &reqwest::Url, allow: &AllowList) -> bool {
    if !matches!(u.scheme(), "http" | "https") {
        return false;
    }
    match u.host() {
        Some(url::Host::Ipv4(a)) => is_public(IpAddr::V4(a)) || allow.contains(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => is_public(IpAddr::V6(a)) || allow.contains(IpAddr::V6(a)),
        Some(url::Host::Domain(d)) => {
            !d.eq_ignore_ascii_case("localhost") || allow.contains(IpAddr::from([127, 0, 0, 1]))
        }
        None => false,
    }
}

/// The links of a message worth unfolding (`<https://…>` is Discord's way to suppress one).
#[must_use]
pub fn links(content: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(re) = RE.get_or_init(|| Regex::new(r"(<)?(https?://[^\s<>]+)").ok()) else {
        return vec![];
    };
    let mut out: Vec<String> = Vec::new();
    for c in re.captures_iter(content) {
        if c.get(1).is_some() {
            continue;
        }
        let u = trim_link(&c[2]);
        if u.len() <= 2048 && !out.contains(&u) {
            out.push(u);
        }
        if out.len() == MAX_LINKS {
            break;
        }
    }
    out
}

/// Drops sentence punctuation after a link; a closing parenthesis stays when it closes one in
/// the link (`…/Rust_(language)`).
fn trim_link(s: &str) -> String {
    let mut u = s.to_owned();
    while let Some(last) = u.chars().last() {
        let unbalanced = last == ')' && u.matches('(').count() < u.matches(')').count();
        if matches!(last, '.' | ',' | '!' | '?' | ';' | ':' | '\'' | '"') || unbalanced {
            u.pop();
        } else {
            break;
        }
    }
    u
}

fn decode(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .trim()
        .to_owned()
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Reads `<meta property|name=… content=…>` and `<title>` into a Discord embed.
#[must_use]
pub fn embed_from_html(html: &str, url: &str, final_url: &str) -> Option<Value> {
    static META: OnceLock<Option<(Regex, Regex, Regex, Regex)>> = OnceLock::new();
    let (tag, key, content, title) = META
        .get_or_init(|| {
            Some((
                Regex::new(r"(?is)<meta\s[^>]*>").ok()?,
                Regex::new(r#"(?is)\b(?:property|name)\s*=\s*["']([^"']+)["']"#).ok()?,
                Regex::new(r#"(?is)\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')"#).ok()?,
                Regex::new(r"(?is)<title[^>]*>(.*?)</title>").ok()?,
            ))
        })
        .as_ref()?;
    let head = &html[..html.len().min(256 * 1024)];
    let mut meta = std::collections::HashMap::new();
    for t in tag.find_iter(head) {
        let t = t.as_str();
        if let (Some(k), Some(c)) = (key.captures(t), content.captures(t)) {
            let v = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
            meta.entry(k[1].to_ascii_lowercase())
                .or_insert_with(|| decode(v));
        }
    }
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| meta.get(*k).filter(|v| !v.is_empty()).cloned())
    };
    let title = get(&["og:title", "twitter:title"]).or_else(|| {
        title
            .captures(head)
            .map(|c| decode(&c[1]))
            .filter(|t| !t.is_empty())
    });
    let description = get(&["og:description", "twitter:description", "description"]);
    let image = get(&[
        "og:image",
        "og:image:url",
        "twitter:image",
        "twitter:image:src",
    ]);
    let site = get(&["og:site_name"]);
    if title.is_none() && description.is_none() && image.is_none() {
        return None;
    }
    let base = reqwest::Url::parse(final_url).ok();
    let image = image.and_then(|i| match &base {
        Some(b) => b.join(&i).ok().map(|u| u.to_string()),
        None => Some(i),
    });
    let mut e = json!({"type": if get(&["og:type"]).as_deref() == Some("article") { "article" } else { "link" }, "url": url});
    if let Some(t) = title {
        e["title"] = json!(clip(&t, 256));
    }
    if let Some(d) = description {
        e["description"] = json!(clip(&d, 350));
    }
    if let Some(s) = site {
        e["provider"] = json!({"name": clip(&s, 256)});
    }
    if let Some(i) = image.filter(|i| i.starts_with("http://") || i.starts_with("https://")) {
        e["thumbnail"] = json!({"url": i});
    }
    Some(e)
}

/// Whether an embed is a link preview Coterie made (not a bot's or webhook's own embed).
#[must_use]
pub fn is_preview(e: &Value) -> bool {
    matches!(
        e.get("type").and_then(Value::as_str),
        Some("link" | "article")
    )
}

/// Unfolds the links of a new or edited message in the background; the result arrives as
/// MESSAGE_UPDATE.
pub fn spawn(
    app: &AppState,
    channel_id: i64,
    message_id: i64,
    author_id: i64,
    content: &str,
    flags: i64,
) {
    let Some(u) = app.unfurler.clone() else {
        return;
    };
    if flags as u64 & coterie_model::message::FLAG_SUPPRESS_EMBEDS != 0 {
        return;
    }
    let urls = links(content);
    if urls.is_empty() {
        return;
    }
    let app = app.clone();
    tokio::spawn(async move {
        let mut embeds = Vec::new();
        for url in urls {
            if let Some(e) = u.preview(&url).await {
                embeds.push(e);
            }
        }
        if embeds.is_empty() {
            return;
        }
        if let Err(e) = attach(&app, channel_id, message_id, author_id, embeds).await {
            tracing::warn!(message.id = message_id, error = %e, "link previews not attached");
        }
    });
}

async fn attach(
    app: &AppState,
    channel_id: i64,
    message_id: i64,
    author_id: i64,
    embeds: Vec<Value>,
) -> Result<(), crate::error::ApiError> {
    let Some(row) = app.store.message(channel_id, message_id).await? else {
        return Ok(());
    };
    if row.flags as u64 & coterie_model::message::FLAG_SUPPRESS_EMBEDS != 0 {
        return Ok(());
    }
    let mut all: Vec<Value> = serde_json::from_str(&row.embeds).unwrap_or_default();
    all.extend(embeds);
    all.truncate(10);
    let patch = MessagePatch {
        embeds: Some(Value::Array(all).to_string()),
        ..MessagePatch::default()
    };
    let updated = app
        .store
        .update_message(channel_id, message_id, patch)
        .await?;
    let ctx = ChannelCtx::load(app, channel_id, author_id).await?;
    let view = views::messages(app, &[updated], author_id).await?.remove(0);
    let ev: Event = message_event("MESSAGE_UPDATE", &ctx, &view, None);
    app.bus.publish(ev).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().expect("ip");
            assert!(!is_public(ip), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
        let a = AllowList::parse("10.0.0.0/8, ::1").expect("parses");
        assert!(a.contains("10.9.9.9".parse().expect("ip")));
        assert!(a.contains("::1".parse().expect("ip")));
        assert!(!a.contains("11.0.0.1".parse().expect("ip")));
        assert!(AllowList::parse("10.0.0.0/33").is_err());
        assert!(AllowList::parse("nonsense").is_err());
    }

    #[test]
    fn links_and_metadata() {
        assert_eq!(
            links("see https://a.example/x, <https://b.example> and http://c.example/(y)."),
            vec!["https://a.example/x", "http://c.example/(y)"]
        );
        let e = embed_from_html(
            "<meta content='A &amp; B' property='og:title'><meta name=\"twitter:image\" content=\"https://img.example/i.png\">",
            "https://a.example/",
            "https://a.example/",
        )
        .expect("embed");
        assert_eq!(e["title"], "A & B");
        assert_eq!(e["thumbnail"]["url"], "https://img.example/i.png");
        assert!(embed_from_html("<p>no metadata</p>", "https://a", "https://a").is_none());
    }
}
