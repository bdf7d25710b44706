//! The STOMP 1.2 frames a USP endpoint sends (STOMP, SUBSCRIBE, SEND, DISCONNECT) and a
//! decoder for the ones a server sends back (CONNECTED, MESSAGE, RECEIPT, ERROR).
//!
//! Hand-written for the same reason as the MQTT codec: a STOMP client crate would cost the
//! generator more per Record than the server spends. The decoder does not build a header map:
//! it picks out the few headers the generator reads (`content-length`, `reply-to-dest`,
//! `receipt-id`, `subscribe-dest`, `message`), as slices of the read buffer, and the body is
//! sliced out uncopied. Header values stay escaped (`\c` for `:`): a `reply-to-dest` is echoed
//! into the answer's `destination` exactly as received, which is already correctly escaped.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The content type of a USP Record on STOMP (TR-369 R-STOMP.20).
pub const USP_CONTENT_TYPE: &str = "application/vnd.bbf.usp.msg";

/// Why the server's bytes or answers are unusable.
#[derive(Debug, thiserror::Error)]
pub enum StompError {
    #[error("malformed STOMP frame from the server: {0}")]
    Malformed(&'static str),
    #[error("STOMP frame of over {max} bytes from the server")]
    TooLarge { max: usize },
    #[error("the STOMP server sent ERROR: {message}")]
    ServerError { message: String },
    #[error("unexpected STOMP frame {0} from the server")]
    Unexpected(String),
    #[error("a MESSAGE arrived without reply-to-dest; cannot answer it")]
    NoReplyTo,
}

/// Server frames the generator handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Connected,
    Message,
    Receipt,
    Error,
}

/// A decoded server frame: its command, the headers the generator reads (still escaped), and
/// its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: Command,
    pub reply_to: Option<Bytes>,
    pub receipt_id: Option<Bytes>,
    pub subscribe_dest: Option<Bytes>,
    pub message: Option<Bytes>,
    pub body: Bytes,
}

/// Splits frames off a read buffer.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_frame: usize,
}

impl Decoder {
    pub fn new(max_frame: usize) -> Self {
        Self { max_frame }
    }

    /// The next complete frame in `buf`, removed from it; heart-beat EOLs before it are
    /// dropped. `Ok(None)` if more bytes are needed.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Frame>, StompError> {
        let eols = buf.iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
        buf.advance(eols);
        let Some(head_len) = head_end(buf) else {
            return if buf.len() > self.max_frame {
                Err(StompError::TooLarge { max: self.max_frame })
            } else {
                Ok(None)
            };
        };
        let mut frame = parse_head(&buf[..head_len])?;
        // The body runs for content-length bytes if given, else up to the first NUL.
        let body_len = match frame.content_length {
            Some(len) => len,
            None => match buf[head_len..].iter().position(|&b| b == 0) {
                Some(at) => at,
                None if buf.len() > self.max_frame => return Err(StompError::TooLarge { max: self.max_frame }),
                None => return Ok(None),
            },
        };
        let total = head_len + body_len + 1;
        if total > self.max_frame {
            return Err(StompError::TooLarge { max: self.max_frame });
        }
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        if buf[total - 1] != 0 {
            return Err(StompError::Malformed("body not followed by NUL"));
        }
        let bytes = buf.split_to(total).freeze();
        let slice = |range: Option<(usize, usize)>| range.map(|(start, end)| bytes.slice(start..end));
        Ok(Some(Frame {
            command: frame.command,
            reply_to: slice(frame.reply_to.take()),
            receipt_id: slice(frame.receipt_id.take()),
            subscribe_dest: slice(frame.subscribe_dest.take()),
            message: slice(frame.message.take()),
            body: bytes.slice(head_len..head_len + body_len),
        }))
    }
}

/// Length of the command and header lines including the blank line that ends them.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = buf[from..].iter().position(|&b| b == b'\n') {
        let nl = from + at;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => from = nl + 1,
        }
    }
    None
}

/// A parsed head: header values as byte ranges of the frame.
struct Head {
    command: Command,
    content_length: Option<usize>,
    reply_to: Option<(usize, usize)>,
    receipt_id: Option<(usize, usize)>,
    subscribe_dest: Option<(usize, usize)>,
    message: Option<(usize, usize)>,
}

fn parse_head(head: &[u8]) -> Result<Head, StompError> {
    let mut lines = Lines { head, at: 0 };
    let (start, end) = lines.next().ok_or(StompError::Malformed("no command line"))?;
    let command = match &head[start..end] {
        b"CONNECTED" => Command::Connected,
        b"MESSAGE" => Command::Message,
        b"RECEIPT" => Command::Receipt,
        b"ERROR" => Command::Error,
        other => return Err(StompError::Unexpected(String::from_utf8_lossy(other).chars().take(40).collect())),
    };
    let mut h =
        Head { command, content_length: None, reply_to: None, receipt_id: None, subscribe_dest: None, message: None };
    for (start, end) in lines {
        if start == end {
            break;
        }
        let line = &head[start..end];
        let colon = line.iter().position(|&b| b == b':').ok_or(StompError::Malformed("header line without ':'"))?;
        let value = (start + colon + 1, end);
        // STOMP 1.2: the first occurrence of a repeated header wins.
        let slot = match &line[..colon] {
            b"content-length" => {
                if h.content_length.is_none() {
                    let text = std::str::from_utf8(&line[colon + 1..]).ok();
                    let len = text.and_then(|t| t.trim().parse().ok());
                    h.content_length = Some(len.ok_or(StompError::Malformed("bad content-length"))?);
                }
                continue;
            }
            b"reply-to-dest" => &mut h.reply_to,
            b"receipt-id" => &mut h.receipt_id,
            b"subscribe-dest" => &mut h.subscribe_dest,
            b"message" => &mut h.message,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    Ok(h)
}

/// Lines of a head as `(start, end)` ranges, `\r\n` or `\n` terminated.
struct Lines<'a> {
    head: &'a [u8],
    at: usize,
}

impl Iterator for Lines<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let rest = &self.head[self.at..];
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let start = self.at;
        let mut end = start + nl;
        if end > start && self.head[end - 1] == b'\r' {
            end -= 1;
        }
        self.at = start + nl + 1;
        Some((start, end))
    }
}

/// Escapes a header value as STOMP 1.2 asks (`\\`, `\c`, `\n`, `\r`).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ':' => out.push_str("\\c"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`escape`], for error messages.
pub fn unescape(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('c') => out.push(':'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Encodes a frame with no body. Header values must already be escaped.
pub fn frame(buf: &mut BytesMut, command: &str, headers: &[(&str, &str)]) {
    buf.put_slice(command.as_bytes());
    buf.put_u8(b'\n');
    for (name, value) in headers {
        buf.put_slice(name.as_bytes());
        buf.put_u8(b':');
        buf.put_slice(value.as_bytes());
        buf.put_u8(b'\n');
    }
    buf.put_slice(b"\n\0");
}

/// The head of a SEND carrying a Record of `body_len` bytes to `destination` (escaped); the
/// body and a NUL follow it. `reply_to` is the escaped `reply-to-dest` header line.
pub fn send_head(buf: &mut BytesMut, destination: &[u8], reply_to: &[u8], body_len: usize) {
    buf.put_slice(b"SEND\ndestination:");
    buf.put_slice(destination);
    buf.put_slice(b"\ncontent-type:");
    buf.put_slice(USP_CONTENT_TYPE.as_bytes());
    buf.put_slice(b"\nreply-to-dest:");
    buf.put_slice(reply_to);
    buf.put_slice(b"\ncontent-length:");
    buf.put_slice(Digits::of(body_len).as_bytes());
    buf.put_slice(b"\n\n");
}

/// Longest head [`send_head`] writes.
pub fn send_head_max_len(destination: usize, reply_to: usize) -> usize {
    80 + USP_CONTENT_TYPE.len() + destination + reply_to
}

/// Decimal digits without an allocation.
struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn of(mut n: usize) -> Self {
        let mut d = Self { buf: [0; 20], start: 20 };
        loop {
            d.start -= 1;
            d.buf[d.start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return d;
            }
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_with_binary_body_and_heartbeats() {
        let mut wire = BytesMut::new();
        wire.extend_from_slice(b"\n\r\nMESSAGE\r\nsubscription:0\nreply-to-dest:/usp/v1/self\\cc\nreply-to-dest:/x\n");
        wire.extend_from_slice(b"content-length:5\n\na\0b\0c\0\nRECEIPT\nreceipt-id:r1\n\n\0");
        let decoder = Decoder::new(1 << 20);
        let m = decoder.decode(&mut wire).unwrap().unwrap();
        assert_eq!(m.command, Command::Message);
        assert_eq!(m.reply_to.as_deref(), Some(&b"/usp/v1/self\\cc"[..]));
        assert_eq!(&m.body[..], b"a\0b\0c");
        let r = decoder.decode(&mut wire).unwrap().unwrap();
        assert_eq!((r.command, r.receipt_id.as_deref()), (Command::Receipt, Some(&b"r1"[..])));
        assert!(wire.is_empty());
    }

    #[test]
    fn partial_frames_wait() {
        let decoder = Decoder::new(1 << 20);
        let whole = b"MESSAGE\ncontent-length:3\n\nabc\0";
        for cut in 0..whole.len() {
            let mut buf = BytesMut::from(&whole[..cut]);
            assert_eq!(decoder.decode(&mut buf).unwrap(), None, "cut at {cut}");
        }
        let mut no_length = BytesMut::from(&b"ERROR\nmessage:bad\\cthing\n\noops\0"[..]);
        let e = decoder.decode(&mut no_length).unwrap().unwrap();
        assert_eq!(unescape(e.message.as_deref().unwrap()), "bad:thing");
        assert_eq!(&e.body[..], b"oops");
    }

    #[test]
    fn bad_frames_fail() {
        let decoder = Decoder::new(64);
        for bad in [&b"SEND\n\n\0"[..], b"MESSAGE\ncontent-length:x\n\n\0", b"MESSAGE\ncontent-length:1\n\nab"] {
            assert!(decoder.decode(&mut BytesMut::from(bad)).is_err(), "{bad:?}");
        }
        assert!(matches!(decoder.decode(&mut BytesMut::from(&[b'x'; 100][..])), Err(StompError::TooLarge { .. })));
    }

    #[test]
    fn send_head_and_escaping() {
        let mut b = BytesMut::new();
        send_head(&mut b, escape("/usp/v1/os::a").as_bytes(), b"/usp/v1/self\\c\\cc", 1234);
        assert!(b.len() <= send_head_max_len(15, 17));
        assert_eq!(
            &b[..],
            &b"SEND\ndestination:/usp/v1/os\\c\\ca\ncontent-type:application/vnd.bbf.usp.msg\nreply-to-dest:/usp/v1/self\\c\\cc\ncontent-length:1234\n\n"[..]
        );
        assert_eq!(unescape(escape("a:b\\c\nd").as_bytes()), "a:b\\c\nd");
    }
}
