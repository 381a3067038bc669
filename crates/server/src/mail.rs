//! Outgoing email behind a trait: SMTP in production, the log when no SMTP server is configured
//! (so a newcomer can still follow a verification link), memory in tests.

use async_trait::async_trait;
use std::sync::Mutex;

/// One email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Something that delivers mail.
#[async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends; failures are logged by the caller and never reach the user.
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}

/// Writes mail to the log. The recipient address is personal data and is not logged; the body
/// (with its single-use link) is, because that is this mailer's whole purpose.
#[derive(Debug, Default)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        tracing::info!(mail.subject = %mail.subject, "no SMTP configured; mail body follows:\n{}", mail.body);
        Ok(())
    }
}

/// Keeps mail in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryMailer(Mutex<Vec<Mail>>);

impl MemoryMailer {
    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Mail> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        if let Ok(mut v) = self.0.lock() {
            v.push(mail);
        }
        Ok(())
    }
}

/// Sends through an SMTP server (`smtp://user:pass@host:587` uses STARTTLS, `smtps://` TLS).
#[derive(Debug)]
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    /// Builds the transport; fails on a malformed URL or sender address.
    pub fn new(url: &str, from: Option<String>, public_url: Option<&str>) -> anyhow::Result<Self> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?
            .build();
        let host = public_url
            .and_then(|u| u.split("://").nth(1))
            .and_then(|h| h.split(['/', ':']).next())
            .filter(|h| !h.is_empty())
            .unwrap_or("localhost");
        let from = from.unwrap_or_else(|| format!("Coterie <coterie@{host}>"));
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("mail_from {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        use lettre::AsyncTransport;
        let msg = lettre::Message::builder()
            .from(self.from.clone())
            .to(mail
                .to
                .parse()
                .map_err(|e| anyhow::anyhow!("recipient address: {e}"))?)
            .subject(mail.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body)?;
        self.transport.send(msg).await?;
        Ok(())
    }
}
