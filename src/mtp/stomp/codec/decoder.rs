//! The STOMP 1.2 frame decoder: a resumable state machine over a `BytesMut` that the caller
//! fills from the socket. It exists separately from the session so that framing, limits and
//! every rejection can be tested (and fuzzed) without I/O.
//!
//! Two rules shape it. Bodies are never copied: a frame's body is `split_to(..).freeze()` of
//! the read buffer. And nothing is buffered beyond the limits: every check runs on the bytes
//! seen so far, so a header line that is already too long, a command that cannot exist, or a
//! body with no NUL within the limit is rejected before the rest arrives.

use bytes::{Buf, BytesMut};
use thiserror::Error;

use super::command::Command;
use super::frame::{CONTENT_LENGTH, Frame};
use super::headers::{Headers, decode_text};

/// Size limits; STOMP 1.2 §Size Limits lets a server bound all of these. USP sets no maximum
/// Record size; OB-USP-Agent caps messages at 5 MiB, which is the default body limit here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderLimits {
    /// Whole frame: command line, headers, body and NUL.
    pub max_frame_size: usize,
    /// Header lines per frame (the command line not counted).
    pub max_headers: usize,
    /// Bytes in one header line, EOL excluded, before unescaping.
    pub max_header_line: usize,
    pub max_body_size: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        let max_body_size = 5 * 1024 * 1024;
        DecoderLimits {
            max_frame_size: max_body_size + 64 * 1024,
            max_headers: 64,
            max_header_line: 8 * 1024,
            max_body_size,
        }
    }
}

/// What one successful decode step yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Frame(Frame),
    /// A bare EOL between frames: a heart-beat, or the optional EOLs after a frame's NUL
    /// (both just prove the peer is alive).
    Heartbeat,
}

/// Why a byte stream is not STOMP 1.2. All are fatal to the connection; the `Display` text is
/// meant for the `message` header of the ERROR frame sent before closing (R-STOMP.7).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("unknown command {command:?}")]
    UnknownCommand { command: String },
    #[error("undefined escape sequence {sequence:?} in a header")]
    BadEscape { sequence: String },
    #[error("malformed header line {line:?}: expected name:value")]
    MalformedHeader { line: String },
    #[error("header is not valid UTF-8")]
    NonUtf8Header,
    #[error("content-length {value:?} is not a decimal byte count")]
    BadContentLength { value: String },
    #[error("header line longer than {limit} bytes")]
    HeaderLineTooLong { limit: usize },
    #[error("more than {limit} headers")]
    TooManyHeaders { limit: usize },
    #[error("body larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("frame larger than {limit} bytes")]
    FrameTooLarge { limit: usize },
    #[error("no NUL after the {content_length} body bytes given by content-length")]
    ContentLengthMismatch { content_length: usize },
    #[error("NUL byte before the end of the headers")]
    NulInHeaders,
    #[error("connection closed in the middle of a frame")]
    Truncated,
}

/// Decodes STOMP frames and heart-beats. Contract: between calls the caller only appends to
/// the buffer (the decoder remembers how far it has scanned). After an error the decoder is
/// reset, but the stream is beyond repair: send ERROR and close.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: DecoderLimits,
    state: State,
}

#[derive(Debug)]
enum State {
    Head(HeadProgress),
    Body(BodyProgress),
}

impl Default for State {
    fn default() -> Self {
        State::Head(HeadProgress::default())
    }
}

/// A head being read; its lines are parsed as each EOL arrives, so none is parsed twice.
#[derive(Debug, Default)]
struct HeadProgress {
    /// Bytes of the buffer already searched for an EOL.
    scanned: usize,
    line_start: usize,
    command: Option<Command>,
    headers: Headers,
}

/// A head is complete (and gone from the buffer); the body is at the buffer's start.
#[derive(Debug)]
struct BodyProgress {
    command: Command,
    headers: Headers,
    content_length: Option<usize>,
    /// The most body bytes allowed, and the error when there are more.
    limit: usize,
    too_large: DecodeError,
    /// Body bytes already searched for the NUL (when there is no content-length).
    scanned: usize,
}

impl Decoder {
    pub fn new(limits: DecoderLimits) -> Self {
        Decoder {
            limits,
            state: State::default(),
        }
    }

    pub fn limits(&self) -> &DecoderLimits {
        &self.limits
    }

    /// Whether part of a frame has been consumed or scanned: at end of stream this means the
    /// peer closed mid-frame.
    pub fn is_mid_frame(&self) -> bool {
        !matches!(&self.state, State::Head(h) if h.command.is_none() && h.scanned == 0)
    }

    /// Decodes the next frame or heart-beat from the front of `buf`, removing its bytes.
    /// `Ok(None)`: more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        let result = self.step(buf);
        if result.is_err() {
            self.state = State::default();
        }
        result
    }

    /// Like [`decode`](Self::decode) once the stream has ended: leftover bytes are an error.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        match self.decode(buf)? {
            Some(item) => Ok(Some(item)),
            None if buf.is_empty() && !self.is_mid_frame() => Ok(None),
            None => {
                self.state = State::default();
                Err(DecodeError::Truncated)
            }
        }
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        if let State::Head(_) = self.state {
            match self.decode_head(buf)? {
                HeadOutcome::NeedMore => return Ok(None),
                HeadOutcome::Heartbeat => return Ok(Some(Item::Heartbeat)),
                HeadOutcome::Complete => {}
            }
        }
        self.decode_body(buf)
    }

    fn decode_head(&mut self, buf: &mut BytesMut) -> Result<HeadOutcome, DecodeError> {
        let limits = self.limits;
        let State::Head(head) = &mut self.state else {
            unreachable!("decode_head runs only while reading a head")
        };
        loop {
            let found = buf[head.scanned..]
                .iter()
                .position(|&b| b == b'\n' || b == 0);
            let Some(offset) = found else {
                // No EOL yet: reject what is already too long instead of buffering more.
                head.scanned = buf.len();
                check_line_len(head.command, &buf[head.line_start..], &limits)?;
                check_head_size(buf.len(), &limits)?;
                return Ok(HeadOutcome::NeedMore);
            };
            let eol = head.scanned + offset;
            let raw_line = &buf[head.line_start..eol];
            check_line_len(head.command, raw_line, &limits)?;
            check_head_size(eol, &limits)?;
            if buf[eol] == 0 {
                return Err(DecodeError::NulInHeaders);
            }
            let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            head.scanned = eol + 1;
            head.line_start = eol + 1;
            match head.command {
                None if line.is_empty() => {
                    buf.advance(eol + 1);
                    *head = HeadProgress::default();
                    return Ok(HeadOutcome::Heartbeat);
                }
                None => head.command = Some(parse_command(line)?),
                Some(_) if line.is_empty() => break,
                Some(command) => {
                    if head.headers.len() >= limits.max_headers {
                        return Err(DecodeError::TooManyHeaders {
                            limit: limits.max_headers,
                        });
                    }
                    let (name, value) = parse_header(line, command.escapes_headers())?;
                    head.headers.push(name, value);
                }
            }
            check_head_size(eol + 1, &limits)?;
        }

        // The blank line ended the head: drop its bytes and size the body.
        let head_len = head.line_start;
        let command = head.command.expect("a head ends only after its command");
        let headers = std::mem::take(&mut head.headers);
        buf.advance(head_len);
        // The body and its NUL must fit in what the frame limit leaves after the head.
        let Some(frame_room) = limits.max_frame_size.checked_sub(head_len + 1) else {
            return Err(DecodeError::FrameTooLarge {
                limit: limits.max_frame_size,
            });
        };
        let (limit, too_large) = if limits.max_body_size <= frame_room {
            let limit = limits.max_body_size;
            (limit, DecodeError::BodyTooLarge { limit })
        } else {
            let limit = limits.max_frame_size;
            (frame_room, DecodeError::FrameTooLarge { limit })
        };
        let content_length = headers
            .get(CONTENT_LENGTH)
            .map(parse_content_length)
            .transpose()?;
        if content_length.is_some_and(|n| n > limit) {
            return Err(too_large);
        }
        self.state = State::Body(BodyProgress {
            command,
            headers,
            content_length,
            limit,
            too_large,
            scanned: 0,
        });
        Ok(HeadOutcome::Complete)
    }

    fn decode_body(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        let State::Body(body) = &mut self.state else {
            unreachable!("decode_body runs only after a complete head")
        };
        let body_len = match body.content_length {
            // Binary Records contain NULs, so with a length the NUL is only checked, not
            // searched for; a different byte there means the length lied.
            Some(n) => {
                // No `reserve(n)` here: a peer could pin the whole limit per connection by
                // sending only a head; the buffer grows with the bytes that really arrive.
                if buf.len() <= n {
                    return Ok(None);
                }
                if buf[n] != 0 {
                    return Err(DecodeError::ContentLengthMismatch { content_length: n });
                }
                n
            }
            None => {
                let searched = body.scanned;
                match buf[searched..].iter().position(|&b| b == 0) {
                    Some(offset) if searched + offset <= body.limit => searched + offset,
                    Some(_) => return Err(body.too_large.clone()),
                    None if buf.len() > body.limit => return Err(body.too_large.clone()),
                    None => {
                        body.scanned = buf.len();
                        return Ok(None);
                    }
                }
            }
        };
        let body_bytes = buf.split_to(body_len).freeze();
        buf.advance(1); // the NUL
        let State::Body(done) = std::mem::take(&mut self.state) else {
            unreachable!()
        };
        Ok(Some(Item::Frame(Frame {
            command: done.command,
            headers: done.headers,
            body: body_bytes,
        })))
    }
}

/// What a connection reads with (see [`crate::net::FramedConn`]).
impl crate::net::FrameDecoder for Decoder {
    type Item = Item;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        Decoder::decode(self, buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Item>, DecodeError> {
        Decoder::decode_eof(self, buf)
    }
}

enum HeadOutcome {
    NeedMore,
    Heartbeat,
    Complete,
}

/// Rejects a line (complete or not) that is already too long. A trailing CR is not counted:
/// it may be the first half of a CRLF.
fn check_line_len(
    command: Option<Command>,
    raw_line: &[u8],
    limits: &DecoderLimits,
) -> Result<(), DecodeError> {
    let len = raw_line.strip_suffix(b"\r").unwrap_or(raw_line).len();
    match command {
        None if len > Command::MAX_LEN => Err(DecodeError::UnknownCommand {
            command: printable(raw_line),
        }),
        Some(_) if len > limits.max_header_line => Err(DecodeError::HeaderLineTooLong {
            limit: limits.max_header_line,
        }),
        _ => Ok(()),
    }
}

fn check_head_size(head_bytes: usize, limits: &DecoderLimits) -> Result<(), DecodeError> {
    if head_bytes > limits.max_frame_size {
        return Err(DecodeError::FrameTooLarge {
            limit: limits.max_frame_size,
        });
    }
    Ok(())
}

fn parse_command(line: &[u8]) -> Result<Command, DecodeError> {
    Command::from_bytes(line).ok_or_else(|| DecodeError::UnknownCommand {
        command: printable(line),
    })
}

/// Splits `name:value` at the first colon. Later colons stay in the value: CONNECT may carry
/// an unescaped endpoint ID (`os::…`), and lenient peers send them in other frames too.
fn parse_header(line: &[u8], escaped: bool) -> Result<(String, String), DecodeError> {
    let malformed = || DecodeError::MalformedHeader {
        line: printable(line),
    };
    let colon = line.iter().position(|&b| b == b':').ok_or_else(malformed)?;
    // A lone CR cannot be part of a header (STOMP 1.2 grammar); only the EOL's was removed.
    if colon == 0 || line.contains(&b'\r') {
        return Err(malformed());
    }
    let name = decode_text(&line[..colon], escaped)?;
    let value = decode_text(&line[colon + 1..], escaped)?;
    Ok((name, value))
}

fn parse_content_length(value: &str) -> Result<usize, DecodeError> {
    let bad = || DecodeError::BadContentLength {
        value: value.chars().take(32).collect(),
    };
    // `usize::from_str` would accept a leading '+'; STOMP wants plain octet counts.
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    value.parse().map_err(|_| bad())
}

/// A short, lossy rendering of offending bytes for an error message.
fn printable(bytes: &[u8]) -> String {
    const SHOWN: usize = 40;
    let mut text = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)]).into_owned();
    if bytes.len() > SHOWN {
        text.push('…');
    }
    text
}
