//! The TCP stream under a WebSocket, shared by the connection's task and the gateway dispatcher.
//!
//! The task reads through it (the WebSocket library parses client frames, answers pings, closes);
//! the dispatcher writes a session's dispatch straight into it when nothing is queued before it, so
//! an event reaches an idle session with one `write` and no task wake-up (decision 86). Whatever a
//! socket does not take at once waits in a backlog, in order; only the connection task drains it,
//! awaiting writability, and nothing is written directly while a backlog is left. Every write —
//! dispatches, heartbeat ACKs, the library's pongs and closes — goes through [`Socket::write`], so
//! frames never interleave.

use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A backlog this large means the client stopped reading: the connection is closed (its session
/// stays resumable).
pub const MAX_BACKLOG: usize = 4 << 20;

/// A connection's TCP stream and its write backlog.
#[derive(Debug)]
pub struct Socket {
    tcp: TcpStream,
    backlog: Mutex<Vec<u8>>,
}

impl Socket {
    /// Wraps an accepted stream.
    #[must_use]
    pub fn new(tcp: TcpStream) -> Self {
        Self {
            tcp,
            backlog: Mutex::new(Vec::new()),
        }
    }

    fn backlog(&self) -> MutexGuard<'_, Vec<u8>> {
        self.backlog.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether earlier bytes still wait to be written.
    #[must_use]
    pub fn has_backlog(&self) -> bool {
        !self.backlog().is_empty()
    }

    /// Writes `bytes` as far as the socket takes them without waiting, after any backlog, and
    /// keeps the rest; returns whether a backlog is left for [`Socket::poll_drain`]. Fails when
    /// the socket failed or the backlog outgrew [`MAX_BACKLOG`].
    pub fn write(&self, bytes: &[u8]) -> io::Result<bool> {
        let mut backlog = self.backlog();
        let mut rest = bytes;
        if backlog.is_empty() {
            while !rest.is_empty() {
                match self.tcp.try_write(rest) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => rest = &rest[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        if backlog.len() + rest.len() > MAX_BACKLOG {
            return Err(io::Error::other("the client is not reading"));
        }
        backlog.extend_from_slice(rest);
        Ok(!backlog.is_empty())
    }

    /// Writes the backlog out, waiting for the socket to take it.
    pub fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            {
                let mut backlog = self.backlog();
                while !backlog.is_empty() {
                    match self.tcp.try_write(&backlog) {
                        Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                        Ok(n) => {
                            backlog.drain(..n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                if backlog.is_empty() {
                    // Keep a small allocation at most: idle connections hold no buffer.
                    if backlog.capacity() > 4096 {
                        *backlog = Vec::new();
                    }
                    return Poll::Ready(Ok(()));
                }
            }
            ready!(self.tcp.poll_write_ready(cx))?;
        }
    }

    /// Waits until the backlog is written.
    pub async fn drain(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_drain(cx)).await
    }
}

/// The WebSocket library's view of a [`Socket`]: reads come from the stream (after any bytes
/// read before the upgrade), writes go through [`Socket::write`].
#[derive(Debug)]
pub struct Io {
    sock: Arc<Socket>,
    /// Bytes the HTTP server had read past the upgrade request.
    early: Bytes,
}

impl Io {
    /// The library's side of `sock`; `early` is what was read before the upgrade completed.
    #[must_use]
    pub fn new(sock: Arc<Socket>, early: Bytes) -> Self {
        Self { sock, early }
    }
}

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.early.is_empty() {
            let n = self.early.len().min(buf.remaining());
            buf.put_slice(&self.early.split_to(n));
            return Poll::Ready(Ok(()));
        }
        loop {
            ready!(self.sock.tcp.poll_read_ready(cx))?;
            match self.sock.tcp.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.sock.write(buf).map(|_| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.sock.poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The stream closes when the connection's last reference goes.
        self.sock.poll_drain(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn pair() -> (Socket, TcpStream) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (server, _) = l.accept().await.unwrap();
        (Socket::new(server), client)
    }

    #[tokio::test]
    async fn what_the_socket_does_not_take_waits_in_order_and_drains() {
        let (sock, mut client) = pair().await;
        // Write until the kernel's buffers are full and a tail waits in the backlog.
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        let mut chunks = 0;
        while chunks < 64 {
            chunks += 1;
            if sock.write(&chunk).unwrap() {
                break;
            }
        }
        assert!(sock.has_backlog(), "{chunks} MiB written without a backlog");
        let reader = tokio::spawn(async move {
            let mut got = vec![0u8; chunks << 20];
            client.read_exact(&mut got).await.unwrap();
            got
        });
        sock.drain().await.unwrap();
        assert!(!sock.has_backlog());
        let got = reader.await.unwrap();
        assert!(got.chunks(1 << 20).all(|c| c == chunk.as_slice()));
    }

    #[tokio::test]
    async fn a_client_that_stops_reading_is_refused_past_the_limit() {
        let (sock, _client) = pair().await;
        let chunk = vec![7u8; 1 << 20];
        let refused = (0..64).any(|_| sock.write(&chunk).is_err());
        assert!(refused);
    }
}
