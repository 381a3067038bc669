//! Settings, from (highest precedence first) command-line flags, `COTERIE_*` environment
//! variables, an optional TOML file, then built-in defaults.

use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `coterie serve` options. Every option is optional here so the TOML file can fill gaps.
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeArgs {
    /// TOML file with any of these settings (keys in snake_case).
    #[arg(long, env = "COTERIE_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Address to listen on. [default: 127.0.0.1:8080]
    #[arg(long, env = "COTERIE_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Directory for the SQLite database and uploads. [default: ./coterie-data]
    #[arg(long, env = "COTERIE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Use PostgreSQL instead of SQLite (`postgres://user@host/db`).
    #[arg(long, env = "COTERIE_DATABASE_URL")]
    pub database_url: Option<String>,

    /// SQLite reader connections (reads run in parallel beside the one writer). Each maps the
    /// database file, so its pages count once per reader in the process's RSS. 1–64. [default: 4]
    #[arg(long, env = "COTERIE_SQLITE_READERS")]
    pub sqlite_readers: Option<u32>,

    /// Redis for running several nodes (`redis://127.0.0.1:6379`): the event bus goes through it.
    /// Without it the node is alone (in-process bus).
    #[arg(long, env = "COTERIE_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Public base URL (e.g. https://chat.example.com), used in gateway URLs and email links.
    /// [default: http://<listen>]
    #[arg(long, env = "COTERIE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Who may register: open, invite (an invite to any community is required) or closed.
    /// When given, it is stored as the instance's mode at start. [default: the stored mode, else open]
    #[arg(long, env = "COTERIE_REGISTRATION")]
    pub registration: Option<String>,

    /// HTTP rate limits: on or off (off is for load tests). [default: on]
    #[arg(long, env = "COTERIE_RATE_LIMITS")]
    pub rate_limits: Option<String>,

    /// Requests per second per user across all routes. [default: 50]
    #[arg(long, env = "COTERIE_RATE_LIMIT_GLOBAL")]
    pub rate_limit_global: Option<u32>,

    /// Requests per 10 seconds per user and route bucket. [default: 60]
    #[arg(long, env = "COTERIE_RATE_LIMIT_ROUTE")]
    pub rate_limit_route: Option<u32>,

    /// Messages per 5 seconds per user and channel. [default: 10]
    #[arg(long, env = "COTERIE_RATE_LIMIT_MESSAGES")]
    pub rate_limit_messages: Option<u32>,

    /// Log format: text or json. [default: text]
    #[arg(long, env = "COTERIE_LOG_FORMAT")]
    pub log_format: Option<String>,

    /// SMTP server for email (smtp://user:pass@host:587 or smtps://…); without it mail is logged.
    #[arg(long, env = "COTERIE_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender address for email. [default: coterie@<public host>]
    #[arg(long, env = "COTERIE_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Node id (0–1023) minted into snowflakes; unique per node sharing a database. [default: 0 on
    /// SQLite; on PostgreSQL a free id is leased from the database]
    #[arg(long, env = "COTERIE_NODE_ID")]
    pub node_id: Option<u16>,

    /// Link previews: fetch links in new messages and add their title, description and image.
    /// [default: on]
    #[arg(long, env = "COTERIE_UNFURL")]
    pub unfurl: Option<String>,

    /// Networks link previews may reach although they are not public (comma-separated addresses
    /// or CIDRs, e.g. 10.1.0.0/16). Loopback, private and link-local ranges are refused otherwise.
    #[arg(long, env = "COTERIE_UNFURL_ALLOW")]
    pub unfurl_allow: Option<String>,

    /// Where uploaded files live: a directory (file:///path), memory:// (lost at exit, for
    /// tests), or s3://bucket (builds with the `s3` feature; AWS_* variables configure it).
    /// [default: file://<data_dir>/files]
    #[arg(long, env = "COTERIE_STORAGE")]
    pub storage: Option<String>,

    /// Largest uploaded file in bytes. [default: 26214400]
    #[arg(long, env = "COTERIE_UPLOAD_FILE_LIMIT")]
    pub upload_file_limit: Option<u64>,

    /// Largest total of a message's files in bytes. [default: 26214400]
    #[arg(long, env = "COTERIE_UPLOAD_MESSAGE_LIMIT")]
    pub upload_message_limit: Option<u64>,

    /// Seconds a signed attachment URL stays valid. [default: 86400]
    #[arg(long, env = "COTERIE_ATTACHMENT_URL_TTL")]
    pub attachment_url_ttl: Option<u64>,

    /// Largest accepted JSON request body in bytes. [default: 262144]
    #[arg(long, env = "COTERIE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,

    /// Gateway heartbeat interval in milliseconds. [default: 41250]
    #[arg(long, env = "COTERIE_HEARTBEAT_INTERVAL_MS")]
    pub heartbeat_interval_ms: Option<u64>,

    /// Seconds a disconnected gateway session can still be resumed. [default: 120]
    #[arg(long, env = "COTERIE_RESUME_WINDOW_SECS")]
    pub resume_window_secs: Option<u64>,

    /// Argon2id memory cost in KiB (OWASP minimum 19456). [default: 19456]
    #[arg(long, env = "COTERIE_ARGON2_MEMORY_KIB")]
    pub argon2_memory_kib: Option<u32>,

    /// Voice and video media: on or off. [default: on]
    #[arg(long, env = "COTERIE_VOICE")]
    pub voice: Option<String>,

    /// The one UDP address all voice and video media is received on. [default: the listen
    /// address's IP, port 50000]
    #[arg(long, env = "COTERIE_VOICE_UDP")]
    pub voice_udp: Option<SocketAddr>,

    /// The IP address browsers reach the voice UDP port at (the public IP behind NAT with the
    /// port forwarded). [default: the voice UDP IP, or this machine's outbound IP when that is
    /// 0.0.0.0]
    #[arg(long, env = "COTERIE_VOICE_PUBLIC_IP")]
    pub voice_public_ip: Option<std::net::IpAddr>,

    /// ICE-TCP fallback on the voice port number (TCP), for members whose networks block UDP:
    /// on or off. [default: on]
    #[arg(long, env = "COTERIE_VOICE_TCP")]
    pub voice_tcp: Option<String>,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// PostgreSQL URL, if not SQLite.
    pub database_url: Option<String>,
    /// Redis URL (several nodes).
    pub redis_url: Option<String>,
    /// Public base URL without a trailing slash; None = derive from requests.
    pub public_url: Option<String>,
    /// Registration mode to store at start.
    pub registration: Option<RegistrationMode>,
    /// Rate limits enabled.
    pub rate_limits: bool,
    /// Global requests per second.
    pub rate_limit_global: u32,
    /// Per-route requests per 10 s.
    pub rate_limit_route: u32,
    /// Messages per 5 s per channel.
    pub rate_limit_messages: u32,
    /// JSON logs.
    pub log_json: bool,
    /// SMTP URL.
    pub smtp_url: Option<String>,
    /// Sender.
    pub mail_from: Option<String>,
    /// SQLite reader connections.
    pub sqlite_readers: u32,
    /// Node id.
    pub node_id: u16,
    /// Whether the node id was given; on PostgreSQL without it, the node leases one.
    pub node_id_given: bool,
    /// Link previews on.
    pub unfurl: bool,
    /// Non-public networks link previews may reach.
    pub unfurl_allow: String,
    /// Object storage URL.
    pub storage: String,
    /// Largest file.
    pub upload_file_limit: u64,
    /// Largest total per message.
    pub upload_message_limit: u64,
    /// Signed URL lifetime in seconds.
    pub attachment_url_ttl: u64,
    /// Body limit.
    pub max_body_bytes: usize,
    /// Heartbeat interval.
    pub heartbeat_interval_ms: u64,
    /// Resume window.
    pub resume_window_secs: u64,
    /// Argon2 memory.
    pub argon2_memory_kib: u32,
    /// Voice media on.
    pub voice: bool,
    /// Voice UDP address.
    pub voice_udp: SocketAddr,
    /// Advertised voice IP.
    pub voice_public_ip: Option<std::net::IpAddr>,
    /// ICE-TCP fallback.
    pub voice_tcp: bool,
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationMode {
    /// Anyone.
    Open,
    /// Only with an invite to some community.
    Invite,
    /// Nobody (the administrator creates accounts with `coterie admin`).
    Closed,
}

impl RegistrationMode {
    /// Parses `open`, `invite` (or `invite-only`) and `closed`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Self::Open),
            "invite" | "invite-only" | "invite_only" => Some(Self::Invite),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }

    /// The stored form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Invite => "invite",
            Self::Closed => "closed",
        }
    }
}

fn on_off(s: &str, what: &str) -> anyhow::Result<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => anyhow::bail!("{what}: expected on or off, got {other:?}"),
    }
}

impl ServeArgs {
    /// Merges flags/env (already in `self`) over the TOML file, then applies defaults.
    pub fn resolve(self) -> anyhow::Result<Config> {
        let file: ServeArgs = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("reading config file {}: {e}", path.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?
            }
            None => ServeArgs::default(),
        };
        macro_rules! pick {
            ($f:ident) => {
                self.$f.clone().or(file.$f.clone())
            };
        }
        let listen = pick!(listen).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let registration = match pick!(registration) {
            Some(s) => Some(RegistrationMode::parse(&s).ok_or_else(|| {
                anyhow::anyhow!("registration: expected open, invite or closed, got {s:?}")
            })?),
            None => None,
        };
        let log_json = match pick!(log_format).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => anyhow::bail!("log_format: expected text or json, got {other:?}"),
        };
        let node_id_given = pick!(node_id).is_some();
        let node_id = pick!(node_id).unwrap_or(0);
        if node_id > 1023 {
            anyhow::bail!("node_id: must be 0–1023, got {node_id}");
        }
        let sqlite_readers = pick!(sqlite_readers).unwrap_or(4);
        if !(1..=64).contains(&sqlite_readers) {
            anyhow::bail!("sqlite_readers: must be 1–64, got {sqlite_readers}");
        }
        let public_url = pick!(public_url).map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            anyhow::bail!("public_url: must start with http:// or https://, got {u:?}");
        }
        let data_dir = pick!(data_dir).unwrap_or_else(|| PathBuf::from("coterie-data"));
        let storage = match pick!(storage).filter(|s| !s.is_empty()) {
            Some(s) => {
                if !["file://", "memory://", "s3://"]
                    .iter()
                    .any(|p| s.starts_with(p))
                {
                    anyhow::bail!(
                        "storage: expected file:///path, memory:// or s3://bucket, got {s:?}"
                    );
                }
                s
            }
            None => format!("file://{}", data_dir.join("files").display()),
        };
        Ok(Config {
            listen,
            storage,
            upload_file_limit: pick!(upload_file_limit).unwrap_or(25 << 20).max(1),
            upload_message_limit: pick!(upload_message_limit).unwrap_or(25 << 20).max(1),
            attachment_url_ttl: pick!(attachment_url_ttl).unwrap_or(86_400).max(60),
            data_dir,
            database_url: pick!(database_url).filter(|s| !s.is_empty()),
            redis_url: pick!(redis_url).filter(|s| !s.is_empty()),
            public_url,
            registration,
            rate_limits: match pick!(rate_limits) {
                Some(s) => on_off(&s, "rate_limits")?,
                None => true,
            },
            rate_limit_global: pick!(rate_limit_global).unwrap_or(50).max(1),
            rate_limit_route: pick!(rate_limit_route).unwrap_or(60).max(1),
            rate_limit_messages: pick!(rate_limit_messages).unwrap_or(10).max(1),
            log_json,
            smtp_url: pick!(smtp_url).filter(|s| !s.is_empty()),
            mail_from: pick!(mail_from),
            sqlite_readers,
            node_id,
            node_id_given,
            unfurl: match pick!(unfurl) {
                Some(s) => on_off(&s, "unfurl")?,
                None => true,
            },
            unfurl_allow: {
                let a = pick!(unfurl_allow).unwrap_or_default();
                crate::service::unfurl::AllowList::parse(&a)
                    .map_err(|e| anyhow::anyhow!("unfurl_allow: {e}"))?;
                a
            },
            max_body_bytes: pick!(max_body_bytes).unwrap_or(256 * 1024).max(1024),
            heartbeat_interval_ms: pick!(heartbeat_interval_ms).unwrap_or(41_250).max(100),
            resume_window_secs: pick!(resume_window_secs).unwrap_or(120),
            argon2_memory_kib: pick!(argon2_memory_kib).unwrap_or(19_456).max(8),
            voice: match pick!(voice) {
                Some(s) => on_off(&s, "voice")?,
                None => true,
            },
            voice_udp: pick!(voice_udp).unwrap_or_else(|| SocketAddr::new(listen.ip(), 50_000)),
            voice_public_ip: pick!(voice_public_ip),
            voice_tcp: match pick!(voice_tcp) {
                Some(s) => on_off(&s, "voice_tcp")?,
                None => true,
            },
        })
    }
}

impl Config {
    /// Defaults for tests and embedding (no file, no environment).
    pub fn for_tests() -> anyhow::Result<Self> {
        let mut c = ServeArgs::default().resolve()?;
        c.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        c.argon2_memory_kib = 64;
        c.storage = "memory://".into();
        c.voice_udp = SocketAddr::from(([127, 0, 0, 1], 0));
        Ok(c)
    }
}
