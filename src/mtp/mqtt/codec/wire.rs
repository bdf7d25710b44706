//! The data representations of §1.5 (integers, Variable Byte Integer, UTF-8 Encoded String,
//! Binary Data), read from a packet body already split off the receive buffer, so that every
//! string or binary field comes out as a zero-copy slice of it; and their writers.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::types::PacketId;
use super::utf8::{Utf8Bytes, Utf8Violation};

/// The largest Variable Byte Integer, 4 bytes of 7 bits (§1.5.5).
pub const MAX_VARINT: u32 = 268_435_455;
/// The largest string or binary field, behind its Two Byte Integer length (§1.5.4, §1.5.6).
const MAX_FIELD: usize = u16::MAX as usize;

/// Parses a Variable Byte Integer at the start of `buf`: `Ok(None)` if `buf` ends before it
/// does. A fourth byte with its continuation bit set is refused at once, so the caller never
/// waits for a fifth.
pub fn parse_varint(buf: &[u8]) -> Result<Option<(u32, usize)>, DecodeErrorKind> {
    let mut value = 0u32;
    for (i, &byte) in buf.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        Err(DecodeErrorKind::VarintTooLong)
    } else {
        Ok(None)
    }
}

/// A cursor over one packet's body. Running past the end means the Remaining Length
/// disagrees with the content: a Malformed Packet.
pub struct Reader {
    rest: Bytes,
}

impl Reader {
    pub fn new(body: Bytes) -> Self {
        Self { rest: body }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn need(&self, n: usize) -> Result<(), DecodeErrorKind> {
        if self.rest.len() < n {
            Err(DecodeErrorKind::Truncated)
        } else {
            Ok(())
        }
    }

    pub fn u8(&mut self) -> Result<u8, DecodeErrorKind> {
        self.need(1)?;
        Ok(self.rest.get_u8())
    }

    pub fn u16(&mut self) -> Result<u16, DecodeErrorKind> {
        self.need(2)?;
        Ok(self.rest.get_u16())
    }

    pub fn u32(&mut self) -> Result<u32, DecodeErrorKind> {
        self.need(4)?;
        Ok(self.rest.get_u32())
    }

    pub fn varint(&mut self) -> Result<u32, DecodeErrorKind> {
        match parse_varint(&self.rest)? {
            Some((value, len)) => {
                self.rest.advance(len);
                Ok(value)
            }
            None => Err(DecodeErrorKind::Truncated),
        }
    }

    /// The next `n` bytes, sharing the buffer.
    pub fn take(&mut self, n: usize) -> Result<Bytes, DecodeErrorKind> {
        self.need(n)?;
        Ok(self.rest.split_to(n))
    }

    /// Binary Data: a Two Byte Integer length, then that many bytes (§1.5.6).
    pub fn binary(&mut self) -> Result<Bytes, DecodeErrorKind> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// A UTF-8 Encoded String (§1.5.4).
    pub fn utf8(&mut self) -> Result<Utf8Bytes, DecodeErrorKind> {
        Utf8Bytes::try_from_bytes(self.binary()?).map_err(|violation| match violation {
            Utf8Violation::Invalid => DecodeErrorKind::InvalidUtf8,
            Utf8Violation::Null => DecodeErrorKind::NullCharacter,
        })
    }

    /// A Packet Identifier, which must not be 0 [MQTT-2.2.1-3].
    pub fn packet_id(&mut self) -> Result<PacketId, DecodeErrorKind> {
        PacketId::new(self.u16()?).ok_or(DecodeErrorKind::ZeroPacketId)
    }

    /// Everything left, e.g. a PUBLISH payload.
    pub fn into_rest(self) -> Bytes {
        self.rest
    }

    /// Refuses content shorter than the Remaining Length said.
    pub fn finish(self) -> Result<(), DecodeErrorKind> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeErrorKind::TrailingBytes)
        }
    }
}

/// How many bytes `value` takes as a Variable Byte Integer (at most [`MAX_VARINT`]).
pub const fn varint_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Checks that `value` fits a Variable Byte Integer and returns its encoded length.
pub fn checked_varint_len(value: usize) -> Result<usize, EncodeError> {
    if value > MAX_VARINT as usize {
        return Err(EncodeError::VarintTooLarge(value));
    }
    Ok(varint_len(value))
}

/// Writes a Variable Byte Integer; the caller has checked it with [`checked_varint_len`].
pub fn put_varint(dst: &mut BytesMut, value: usize) {
    debug_assert!(value <= MAX_VARINT as usize);
    let mut value = value;
    loop {
        let byte = (value % 128) as u8;
        value /= 128;
        if value == 0 {
            dst.put_u8(byte);
            return;
        }
        dst.put_u8(byte | 0x80);
    }
}

/// The encoded length of a string or binary field, prefix included.
pub fn field_len(field: &[u8]) -> Result<usize, EncodeError> {
    if field.len() > MAX_FIELD {
        return Err(EncodeError::FieldTooLong { len: field.len() });
    }
    Ok(2 + field.len())
}

/// Writes a string or binary field; the caller has checked it with [`field_len`].
pub fn put_field(dst: &mut BytesMut, field: &[u8]) {
    debug_assert!(field.len() <= MAX_FIELD);
    dst.put_u16(field.len() as u16);
    dst.put_slice(field);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The boundary values of §1.5.5 Table 1-1.
    const VECTORS: [(usize, &[u8]); 8] = [
        (0, &[0x00]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
    ];

    #[test]
    fn varints_match_the_spec_table() {
        for (value, bytes) in VECTORS {
            let mut dst = BytesMut::new();
            put_varint(&mut dst, value);
            assert_eq!(&dst[..], bytes);
            assert_eq!(varint_len(value), bytes.len());
            assert_eq!(parse_varint(bytes), Ok(Some((value as u32, bytes.len()))));
            assert_eq!(parse_varint(&bytes[..bytes.len() - 1]), Ok(None));
        }
    }

    #[test]
    fn varint_refuses_a_fifth_byte_without_waiting_for_it() {
        assert_eq!(
            parse_varint(&[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(DecodeErrorKind::VarintTooLong)
        );
        assert_eq!(
            checked_varint_len(268_435_456),
            Err(EncodeError::VarintTooLarge(268_435_456))
        );
    }

    #[test]
    fn reader_slices_without_copying_and_spots_short_content() {
        let body = Bytes::from_static(b"\x00\x03abc\x00\x05ab");
        let mut reader = Reader::new(body.clone());
        let s = reader.utf8().unwrap();
        assert_eq!(s, "abc");
        assert_eq!(s.as_bytes().as_ptr(), body[2..].as_ptr());
        assert_eq!(reader.utf8(), Err(DecodeErrorKind::Truncated));
    }
}
