//! The pieces of a WebSocket frame (RFC 6455 §5.2) both directions share: opcodes, close codes,
//! the server's header encoding and the client's unmasking.
//!
//! Server frames are never masked (§5.1), so a header is all we encode: the payload follows it
//! on the wire untouched, as its own segment of a vectored write.

use bytes::{BufMut, BytesMut};


/// Frame opcodes (§5.2). Values 0x3-0x7 and 0xB-0xF are reserved and refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl OpCode {
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    pub fn as_u8(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Control frames (§5.5) may interleave with a fragmented message and are never fragmented.
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A close status code (§7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseCode(pub u16);

impl CloseCode {
    pub const NORMAL: Self = Self(1000);
    pub const AWAY: Self = Self(1001);
    pub const PROTOCOL: Self = Self(1002);
    pub const UNSUPPORTED: Self = Self(1003);
    pub const INVALID_DATA: Self = Self(1007);
    pub const POLICY: Self = Self(1008);
    pub const TOO_BIG: Self = Self(1009);

    /// Whether a peer may send this code in a Close frame: the codes §7.4.1 defines for the wire
    /// plus those IANA registered since (1012-1014), and the application ranges 3000-4999. 1005,
    /// 1006 and 1015 exist only inside APIs and must never be sent.
    pub fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// Largest payload of a control frame (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;
/// Largest header a server writes: 2 bytes and a 64-bit length, no mask.
pub const MAX_SERVER_HEADER: usize = 10;

/// The length of the header [`encode_header`] writes for `payload_len` bytes.
pub fn header_len(payload_len: usize) -> usize {
    match payload_len {
        0..=125 => 2,
        126..=0xFFFF => 4,
        _ => 10,
    }
}

/// The header of an unmasked server frame carrying `payload_len` bytes, and its length: for
/// writers that keep it beside the payload rather than in a buffer.
pub fn header_bytes(opcode: OpCode, fin: bool, payload_len: usize) -> ([u8; MAX_SERVER_HEADER], usize) {
    let mut head = [0u8; MAX_SERVER_HEADER];
    head[0] = if fin { 0x80 } else { 0 } | opcode.as_u8();
    let len = header_len(payload_len);
    match len {
        2 => head[1] = payload_len as u8,
        4 => {
            head[1] = 126;
            head[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
        }
        _ => {
            head[1] = 127;
            head[2..10].copy_from_slice(&(payload_len as u64).to_be_bytes());
        }
    }
    (head, len)
}

/// Appends the header of an unmasked server frame carrying `payload_len` bytes; the payload is
/// written after it by the caller.
pub fn encode_header(opcode: OpCode, fin: bool, payload_len: usize, dst: &mut BytesMut) {
    let (head, len) = header_bytes(opcode, fin, payload_len);
    dst.extend_from_slice(&head[..len]);
}

/// Appends a whole control frame. Control payloads are at most 125 bytes (§5.5), so copying
/// them is cheaper than a segment of their own; longer ones are cut, which only a Close reason
/// could need and ours are short.
pub fn encode_control(opcode: OpCode, payload: &[u8], dst: &mut BytesMut) {
    debug_assert!(opcode.is_control());
    let payload = &payload[..payload.len().min(MAX_CONTROL_PAYLOAD)];
    encode_header(opcode, true, payload.len(), dst);
    dst.extend_from_slice(payload);
}

/// Appends a Close frame with `code` and `reason`; the reason is cut at a character boundary to
/// fit the 123 bytes left after the code.
pub fn encode_close(code: CloseCode, reason: &str, dst: &mut BytesMut) {
    let mut end = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    encode_header(OpCode::Close, true, 2 + end, dst);
    dst.put_u16(code.0);
    dst.extend_from_slice(&reason.as_bytes()[..end]);
}

/// XORs `data` with the masking key (§5.3), in place. Eight bytes at a time: payloads are
/// unmasked on the hot path, and a byte loop showed in profiles of other implementations.
pub fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().expect("chunks of 8")) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    // Every chunk is 8 bytes, a multiple of the key's 4, so the tail starts at key[0].
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}
