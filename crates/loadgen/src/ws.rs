//! The load generator's own WebSocket client (RFC 6455): upgrade request, masked client frames,
//! and a frame parser over one growing read buffer. The generator shares the cores with the
//! server it measures, so every microsecond it spends per received frame is taken from the
//! server: a general-purpose library zeroes and splits a buffer per message and allocates each
//! payload, which cost more CPU than the frame's own socket read.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest frame accepted (READY of a big account stays far below this).
const MAX_FRAME: usize = 64 << 20;
/// Read buffer capacity kept free before each read.
const READ_CHUNK: usize = 8 << 10;

/// Opcodes the client acts on.
pub mod opcode {
    /// A text message (or the last fragment of one).
    pub const TEXT: u8 = 1;
    /// Close.
    pub const CLOSE: u8 = 8;
    /// Ping.
    pub const PING: u8 = 9;
    /// Pong.
    pub const PONG: u8 = 10;
}

/// One connection: the socket and its reader.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// What was read but not yet handed out.
    pub reader: Reader,
    mask_seed: u32,
}

/// Frames read from the server, parsed in place.
#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
    /// Where the unparsed bytes start in `buf`.
    start: usize,
    /// Opcode and payload of a fragmented message being assembled.
    partial: Vec<u8>,
    /// `partial` was handed out whole and is cleared on the next call.
    assembled: bool,
}

/// A complete message: opcode and payload (text payloads are returned as bytes).
pub enum Msg<'a> {
    /// A text message.
    Text(&'a [u8]),
    /// A control frame or another data opcode: opcode and payload.
    Other(u8, &'a [u8]),
}

impl Conn {
    /// Sends the upgrade request and reads the 101 response.
    pub async fn upgrade(
        mut stream: TcpStream,
        addr: SocketAddr,
        path: &str,
    ) -> anyhow::Result<Self> {
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: Y290ZXJpZS1sb2FkZ2VuIQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await?;
        let mut buf = Vec::with_capacity(READ_CHUNK);
        let end = loop {
            if stream.read_buf(&mut buf).await? == 0 {
                anyhow::bail!("connection closed during the upgrade");
            }
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            anyhow::ensure!(buf.len() < 16 << 10, "upgrade response too long");
        };
        anyhow::ensure!(
            buf.starts_with(b"HTTP/1.1 101"),
            "upgrade refused: {}",
            String::from_utf8_lossy(&buf[..end.min(64)])
        );
        Ok(Self {
            stream,
            reader: Reader {
                buf,
                start: end,
                ..Reader::default()
            },
            mask_seed: (crate::gateway::unix_us() as u32) | 1,
        })
    }

    /// Reads more bytes from the socket; false when the peer closed it.
    pub async fn fill(&mut self) -> std::io::Result<bool> {
        let r = &mut self.reader;
        if r.start > 0 {
            r.buf.drain(..r.start);
            r.start = 0;
        }
        r.buf.reserve(READ_CHUNK);
        Ok(self.stream.read_buf(&mut r.buf).await? > 0)
    }

    /// Sends one masked frame.
    pub async fn send(&mut self, op: u8, payload: &[u8]) -> std::io::Result<()> {
        self.mask_seed ^= self.mask_seed << 13;
        self.mask_seed ^= self.mask_seed >> 17;
        self.mask_seed ^= self.mask_seed << 5;
        let out = masked(op, payload, self.mask_seed.to_be_bytes());
        self.stream.write_all(&out).await
    }
}

impl Reader {
    /// The next complete message in what was read, if any. Fragments are assembled; an
    /// oversized or masked server frame is an error.
    pub fn next(&mut self) -> anyhow::Result<Option<Msg<'_>>> {
        if std::mem::take(&mut self.assembled) {
            self.partial.clear();
        }
        loop {
            let Some((fin, op, at, len)) = header(&self.buf[self.start..])? else {
                return Ok(None);
            };
            let from = self.start + at;
            self.start = from + len;
            if op >= 8 {
                return Ok(Some(Msg::Other(op, &self.buf[from..from + len])));
            }
            if fin && op != 0 && self.partial.is_empty() {
                return Ok(Some(data(op, &self.buf[from..from + len])));
            }
            anyhow::ensure!(
                (op == 0) != self.partial.is_empty(),
                "fragment out of order"
            );
            anyhow::ensure!(self.partial.len() + len <= MAX_FRAME, "message too large");
            if op != 0 {
                self.partial.push(op);
            }
            self.partial.extend_from_slice(&self.buf[from..from + len]);
            if fin {
                self.assembled = true;
                return Ok(Some(data(self.partial[0], &self.partial[1..])));
            }
        }
    }
}

fn data(op: u8, payload: &[u8]) -> Msg<'_> {
    if op == opcode::TEXT {
        Msg::Text(payload)
    } else {
        Msg::Other(op, payload)
    }
}

/// A frame header at the start of `b`: FIN, opcode, header length and payload length, or None
/// until the whole frame has been read.
fn header(b: &[u8]) -> anyhow::Result<Option<(bool, u8, usize, usize)>> {
    if b.len() < 2 {
        return Ok(None);
    }
    anyhow::ensure!(b[1] & 0x80 == 0, "the server masked a frame");
    let (at, len) = match b[1] & 0x7f {
        126 if b.len() >= 4 => (4, usize::from(u16::from_be_bytes([b[2], b[3]]))),
        127 if b.len() >= 10 => {
            let n = u64::from_be_bytes(b[2..10].try_into().unwrap_or_default());
            (10, usize::try_from(n).unwrap_or(usize::MAX))
        }
        126 | 127 => return Ok(None),
        n => (2, usize::from(n)),
    };
    anyhow::ensure!(len <= MAX_FRAME, "frame too large");
    if b.len() < at + len {
        return Ok(None);
    }
    Ok(Some((b[0] & 0x80 != 0, b[0] & 0x0f, at, len)))
}

/// A final client frame: masked as RFC 6455 §5.3 requires.
fn masked(op: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | op);
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=65_535 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::from(fin) << 7 | op];
        match payload.len() {
            n @ 0..=125 => out.push(n as u8),
            n @ 126..=65_535 => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn headers_need_the_whole_frame_and_read_every_length_encoding() {
        for len in [0, 125, 126, 65_535, 65_536] {
            let f = frame(true, 1, &vec![b'x'; len]);
            let (fin, op, at, got) = header(&f).unwrap().unwrap();
            assert_eq!((fin, op, at + got), (true, 1, f.len()), "length {len}");
            assert!(header(&f[..f.len() - 1]).unwrap().is_none() || len == 0);
        }
        assert!(header(&[0x81, 0x85, 1, 2, 3, 4, 0]).is_err(), "masked");
    }

    #[test]
    fn frames_split_across_reads_and_fragments_come_out_whole() {
        let mut bytes = frame(true, 1, b"one");
        bytes.extend(frame(false, 1, b"tw"));
        bytes.extend(frame(true, 9, b"ping"));
        bytes.extend(frame(true, 0, b"o"));
        bytes.extend(frame(true, 1, &[b'x'; 300]));
        let mut r = Reader::default();
        let mut got = vec![];
        for chunk in bytes.chunks(7) {
            r.buf.extend_from_slice(chunk);
            while let Some(m) = r.next().unwrap() {
                got.push(match m {
                    Msg::Text(t) => String::from_utf8(t.to_vec()).unwrap(),
                    Msg::Other(op, p) => format!("{op}:{}", String::from_utf8_lossy(p)),
                });
            }
        }
        assert_eq!(got, ["one", "9:ping", "two", &"x".repeat(300)]);
        r.buf.extend(frame(true, 0, b"stray"));
        assert!(r.next().is_err(), "a continuation with nothing to continue");
    }

    #[test]
    fn client_frames_are_masked_and_unmask_to_the_payload() {
        let key = [1, 2, 3, 4];
        let f = masked(1, b"hello", key);
        assert_eq!(f[..2], [0x81, 0x85]);
        assert_eq!(f[2..6], key);
        let plain: Vec<u8> = f[6..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[i % 4])
            .collect();
        assert_eq!(plain, b"hello");
        assert_eq!(masked(1, &[0; 300], key)[..4], [0x81, 0x80 | 126, 1, 44]);
    }
}
