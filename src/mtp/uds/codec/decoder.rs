//! The UDS frame decoder. It is separate from the session so every rejection can be tested and
//! fuzzed without a socket. Everything that can be judged from the first bytes is judged there:
//! a wrong sync word fails on its first wrong byte, an oversize length on the 8-byte header,
//! so a peer speaking something else (or lying) is not buffered.

use bytes::{Buf, Bytes, BytesMut};
use thiserror::Error;

use super::frame::{Tlv, UdsFrame};
use super::{
    DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN, SYNC, TLV_ERROR, TLV_HANDSHAKE, TLV_HEADER_LEN,
    TLV_RECORD,
};

/// Why a byte stream is not USP UDS framing. All are fatal: the `Display` text is meant for
/// the Type-2 Error frame sent before closing (R-UDS.23/24).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("bad sync bytes {found:02X?}, expected \"_USP\" (5F 55 53 50)")]
    BadSync { found: Vec<u8> },
    #[error("frame length {len} exceeds the maximum of {max}")]
    FrameTooLong { len: u32, max: usize },
    #[error("frame ends inside the header of the TLV at byte {offset}")]
    TruncatedTlvHeader { offset: usize },
    #[error("TLV of type {tlv_type} claims {len} bytes but only {available} remain in the frame")]
    TlvOverrun {
        tlv_type: u8,
        len: u32,
        available: usize,
    },
    #[error("the {tlv} TLV is not valid UTF-8")]
    NonUtf8 { tlv: &'static str },
    #[error("connection closed in the middle of a frame")]
    Truncated,
}

/// Decodes UDS frames. It keeps no state between calls beyond its limit: the 8-byte header is
/// re-read until the whole frame is buffered, which costs nothing and survives any split.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_frame_len: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl Decoder {
    /// `max_frame_len` bounds the length field, i.e. the TLV bytes after the 8-byte header.
    pub fn new(max_frame_len: usize) -> Self {
        Decoder { max_frame_len }
    }

    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Decodes the next frame from the front of `buf`, removing its bytes. `Ok(None)`: more
    /// bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<UdsFrame>, DecodeError> {
        let sync_seen = buf.len().min(SYNC.len());
        if buf[..sync_seen] != SYNC[..sync_seen] {
            return Err(DecodeError::BadSync {
                found: buf[..sync_seen].to_vec(),
            });
        }
        if buf.len() < FRAME_HEADER_LEN {
            return Ok(None);
        }
        let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let payload_len = len as usize;
        if payload_len > self.max_frame_len {
            return Err(DecodeError::FrameTooLong {
                len,
                max: self.max_frame_len,
            });
        }
        let frame_len = FRAME_HEADER_LEN + payload_len;
        // No `reserve(frame_len)`: 8 bytes of header must not pin the whole limit in memory;
        // the buffer grows with the bytes that really arrive.
        if buf.len() < frame_len {
            return Ok(None);
        }
        buf.advance(FRAME_HEADER_LEN);
        let payload = buf.split_to(payload_len).freeze();
        parse_tlvs(payload).map(Some)
    }

    /// Like [`decode`](Self::decode) once the stream has ended: leftover bytes are an error.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<UdsFrame>, DecodeError> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None if buf.is_empty() => Ok(None),
            None => Err(DecodeError::Truncated),
        }
    }
}

/// What a connection reads with (see [`crate::net::FramedConn`]).
impl crate::net::FrameDecoder for Decoder {
    type Item = UdsFrame;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<UdsFrame>, DecodeError> {
        Decoder::decode(self, buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<UdsFrame>, DecodeError> {
        Decoder::decode_eof(self, buf)
    }
}

/// Splits a frame's payload into TLVs; their lengths must add up to exactly the payload.
/// Values are slices of `payload`, so Records are not copied.
fn parse_tlvs(payload: Bytes) -> Result<UdsFrame, DecodeError> {
    let mut tlvs = Vec::new();
    let mut at = 0;
    while at < payload.len() {
        let available = payload.len() - at;
        if available < TLV_HEADER_LEN {
            return Err(DecodeError::TruncatedTlvHeader { offset: at });
        }
        let tlv_type = payload[at];
        let len = u32::from_be_bytes([
            payload[at + 1],
            payload[at + 2],
            payload[at + 3],
            payload[at + 4],
        ]);
        let start = at + TLV_HEADER_LEN;
        if len as usize > payload.len() - start {
            return Err(DecodeError::TlvOverrun {
                tlv_type,
                len,
                available: payload.len() - start,
            });
        }
        let end = start + len as usize;
        let value = payload.slice(start..end);
        tlvs.push(match tlv_type {
            TLV_HANDSHAKE => Tlv::Handshake(utf8(value, "Handshake")?),
            TLV_ERROR => Tlv::Error(utf8(value, "Error")?),
            TLV_RECORD => Tlv::Record(value),
            tlv_type => Tlv::Unknown { tlv_type, value },
        });
        at = end;
    }
    Ok(UdsFrame { tlvs })
}

fn utf8(value: Bytes, tlv: &'static str) -> Result<String, DecodeError> {
    String::from_utf8(value.into()).map_err(|_| DecodeError::NonUtf8 { tlv })
}
