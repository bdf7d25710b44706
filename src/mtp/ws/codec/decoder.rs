//! Decoding client frames (RFC 6455 §5) from a connection's read buffer.
//!
//! Every rule is decided from the header, before any payload is buffered: a client must mask
//! (§5.1), RSV bits need an extension we never negotiate (§5.2), control frames are short and
//! whole (§5.5), and a frame that would take a message past the limit is refused from its
//! declared length, so a peer cannot make us buffer it first.
//!
//! A single-frame message, which is what USP agents send, is unmasked in place and split off
//! the read buffer: the Record reaches the router without a copy. Fragments of a message sent
//! in pieces (R-WS.14b) are copied together; that is rare, and the copy buys simple ownership.

use bytes::{Buf, Bytes, BytesMut};

use super::frame::{CloseCode, MAX_CONTROL_PAYLOAD, OpCode, apply_mask};
use crate::net::FrameDecoder;

/// What a client sent, one decode step at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A whole binary message: for USP, one Record (R-WS.14).
    Binary(Bytes),
    /// Answered with a Pong carrying the same payload (§5.5.2).
    Ping(Bytes),
    Pong(Bytes),
    /// The peer's Close; `None` when it carried no status code (§5.5.1).
    Close(Option<CloseFrame>),
}

/// The body of a Close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// A code a peer may send ([`CloseCode::is_sendable`]).
    pub code: CloseCode,
    /// Valid UTF-8 (checked: the only text we ever look at).
    pub reason: Bytes,
}

/// Why the stream is beyond repair, each with the close code it is answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("client frame not masked")]
    Unmasked,
    #[error("RSV bits set without a negotiated extension")]
    ReservedBits,
    #[error("reserved opcode {0:#x}")]
    UnknownOpcode(u8),
    #[error("fragmented control frame")]
    FragmentedControl,
    #[error("control frame of {0} bytes (at most 125)")]
    ControlTooLong(u8),
    #[error("64-bit payload length with the most significant bit set")]
    InvalidLength,
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    #[error("new message before the fragmented one ended")]
    UnfinishedMessage,
    #[error("close frame with a 1-byte payload")]
    CloseTooShort,
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    #[error("close reason is not UTF-8")]
    CloseReasonNotUtf8,
    #[error("message of at least {size} bytes, more than {max}")]
    TooBig { size: u64, max: usize },
    #[error("text message (USP Records are binary)")]
    Text,
    #[error("stream ended inside a frame")]
    Truncated,
}

impl DecodeError {
    /// The code our Close answers this error with (§7.4.1).
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::TooBig { .. } => CloseCode::TOO_BIG,
            // R-WS.16: a text frame is not a USP Record.
            Self::Text => CloseCode::UNSUPPORTED,
            Self::CloseReasonNotUtf8 => CloseCode::INVALID_DATA,
            _ => CloseCode::PROTOCOL,
        }
    }
}

/// A parsed frame header.
struct Header {
    fin: bool,
    opcode: OpCode,
    mask: [u8; 4],
    /// Header bytes, mask included.
    len: usize,
    payload_len: usize,
}

/// The client-frame decoder of one connection.
#[derive(Debug)]
pub struct Decoder {
    /// Largest message (and so frame) accepted, in payload bytes.
    max_message: usize,
    /// The fragments so far of a message sent in pieces.
    fragments: Option<BytesMut>,
    /// A Close was decoded: the peer may send nothing after it (§5.5.1), so nothing is read.
    closed: bool,
}

impl Decoder {
    pub fn new(max_message: usize) -> Self {
        Self { max_message, fragments: None, closed: false }
    }

    /// The header at the front of `buf`, once enough of it is there to decide. Each check runs
    /// as soon as its bytes are in, so a bad frame is refused as early as it can be.
    fn header(&self, buf: &[u8]) -> Result<Option<Header>, DecodeError> {
        let [b0, b1, ..] = *buf else { return Ok(None) };
        if b0 & 0x70 != 0 {
            return Err(DecodeError::ReservedBits);
        }
        let opcode = OpCode::from_u8(b0 & 0x0F).ok_or(DecodeError::UnknownOpcode(b0 & 0x0F))?;
        let fin = b0 & 0x80 != 0;
        if b1 & 0x80 == 0 {
            return Err(DecodeError::Unmasked);
        }
        let short_len = b1 & 0x7F;
        if opcode.is_control() {
            if !fin {
                return Err(DecodeError::FragmentedControl);
            }
            if usize::from(short_len) > MAX_CONTROL_PAYLOAD {
                return Err(DecodeError::ControlTooLong(short_len));
            }
            if opcode == OpCode::Close && short_len == 1 {
                return Err(DecodeError::CloseTooShort);
            }
        } else {
            match (opcode, self.fragments.is_some()) {
                (OpCode::Continuation, false) => return Err(DecodeError::UnexpectedContinuation),
                (OpCode::Text | OpCode::Binary, true) => return Err(DecodeError::UnfinishedMessage),
                (OpCode::Text, false) => return Err(DecodeError::Text),
                _ => {}
            }
        }
        let (extended, payload_len) = match short_len {
            126 => match buf.get(2..4) {
                Some(b) => (2, u64::from(u16::from_be_bytes([b[0], b[1]]))),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let len = u64::from_be_bytes(b.try_into().expect("8 bytes"));
                    if len >> 63 != 0 {
                        return Err(DecodeError::InvalidLength);
                    }
                    (8, len)
                }
                None => return Ok(None),
            },
            n => (0, u64::from(n)),
        };
        let so_far = self.fragments.as_ref().map_or(0, |f| f.len() as u64);
        if !opcode.is_control() && so_far + payload_len > self.max_message as u64 {
            return Err(DecodeError::TooBig { size: so_far + payload_len, max: self.max_message });
        }
        let Some(mask) = buf.get(2 + extended..6 + extended) else { return Ok(None) };
        Ok(Some(Header {
            fin,
            opcode,
            mask: mask.try_into().expect("4 bytes"),
            len: 6 + extended,
            // Fits: at most `max_message`, a usize.
            payload_len: payload_len as usize,
        }))
    }

    /// Turns one whole, unmasked frame into what it means, or into nothing yet (a fragment).
    fn finish(&mut self, opcode: OpCode, fin: bool, payload: BytesMut) -> Result<Option<Incoming>, DecodeError> {
        Ok(Some(match opcode {
            OpCode::Binary if fin => Incoming::Binary(payload.freeze()),
            OpCode::Binary => {
                self.fragments = Some(payload);
                return Ok(None);
            }
            OpCode::Continuation => {
                let fragments = self.fragments.as_mut().expect("checked in the header");
                fragments.extend_from_slice(&payload);
                if !fin {
                    return Ok(None);
                }
                Incoming::Binary(self.fragments.take().expect("just extended").freeze())
            }
            OpCode::Ping => Incoming::Ping(payload.freeze()),
            OpCode::Pong => Incoming::Pong(payload.freeze()),
            OpCode::Close => {
                self.closed = true;
                Incoming::Close(close_frame(payload.freeze())?)
            }
            OpCode::Text => unreachable!("refused in the header"),
        }))
    }
}

/// The code and reason of a Close payload (§5.5.1); its length was checked in the header.
fn close_frame(mut payload: Bytes) -> Result<Option<CloseFrame>, DecodeError> {
    if payload.is_empty() {
        return Ok(None);
    }
    let code = CloseCode(payload.get_u16());
    if !code.is_sendable() {
        return Err(DecodeError::InvalidCloseCode(code.0));
    }
    std::str::from_utf8(&payload).map_err(|_| DecodeError::CloseReasonNotUtf8)?;
    Ok(Some(CloseFrame { code, reason: payload }))
}

impl FrameDecoder for Decoder {
    type Item = Incoming;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, DecodeError> {
        loop {
            if self.closed {
                return Ok(None);
            }
            let Some(header) = self.header(buf)? else { return Ok(None) };
            let total = header.len + header.payload_len;
            if buf.len() < total {
                // Room for the whole frame at once, so a large Record is read without regrowing
                // the buffer; bounded by the size limit checked above.
                buf.reserve(total - buf.len());
                return Ok(None);
            }
            buf.advance(header.len);
            let mut payload = buf.split_to(header.payload_len);
            apply_mask(&mut payload, header.mask);
            if let Some(item) = self.finish(header.opcode, header.fin, payload)? {
                return Ok(Some(item));
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Incoming>, DecodeError> {
        match self.decode(buf)? {
            Some(item) => Ok(Some(item)),
            None if self.closed || (buf.is_empty() && self.fragments.is_none()) => Ok(None),
            None => Err(DecodeError::Truncated),
        }
    }
}
