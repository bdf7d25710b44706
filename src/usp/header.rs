//! The header fast path: `to_id`, `from_id`, `version` and the record type of an encoded USP
//! Record, read without decoding or copying the payload.
//!
//! Routing needs only these fields, so the hub never builds a `Record`. The scanner walks the
//! top-level protobuf fields once, borrows the ids from the input, and skips everything else,
//! including the payload, by its length prefix. It follows protobuf's rules, so that it agrees
//! with a full decode (a property test checks this against prost):
//! - a field that repeats takes its **last** value (an early exit at the first `to_id` would let
//!   a Record say one thing to the hub and another to the receiver);
//! - the oneof `record_type` is the last of fields 7..=13 present;
//! - a known field with the wrong wire type, a truncated field and a bad varint are errors;
//!   unknown fields, groups included, are skipped.
//!
//! Field numbers are those of `usp-record-1-4.proto` (TR-369 1.4).

/// Which member of the Record's `record_type` oneof is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    NoSessionContext,
    SessionContext,
    WebSocketConnect,
    MqttConnect,
    StompConnect,
    Disconnect,
    UdsConnect,
}

impl RecordKind {
    fn from_field(field: u32) -> Option<Self> {
        Some(match field {
            7 => Self::NoSessionContext,
            8 => Self::SessionContext,
            9 => Self::WebSocketConnect,
            10 => Self::MqttConnect,
            11 => Self::StompConnect,
            12 => Self::Disconnect,
            13 => Self::UdsConnect,
            _ => return None,
        })
    }

    /// Connect Records announce presence on one MTP (TR-369 R-MTP.6).
    pub fn is_connect(self) -> bool {
        matches!(
            self,
            Self::WebSocketConnect | Self::MqttConnect | Self::StompConnect | Self::UdsConnect
        )
    }
}

/// The routing header of one Record, borrowed from its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader<'a> {
    pub version: &'a str,
    pub to_id: &'a str,
    pub from_id: &'a str,
    pub kind: RecordKind,
}

/// Why bytes are not a routable Record. All of them mean "the Record cannot be extracted"
/// (WebSocket close 1003, R-WS.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("truncated protobuf field")]
    Truncated,
    #[error("malformed varint")]
    BadVarint,
    #[error("field {field} has wire type {wire_type}, which the Record schema does not allow")]
    WrongWireType { field: u32, wire_type: u8 },
    #[error("invalid field key")]
    BadKey,
    #[error("field {0} is not valid UTF-8")]
    NotUtf8(u32),
    #[error("the Record has no to_id")]
    MissingToId,
    #[error("the Record has no from_id")]
    MissingFromId,
    #[error("the Record has no record type (fields 7-13)")]
    MissingRecordType,
}

const WT_VARINT: u8 = 0;
const WT_I64: u8 = 1;
const WT_LEN: u8 = 2;
const WT_START_GROUP: u8 = 3;
const WT_END_GROUP: u8 = 4;
const WT_I32: u8 = 5;
/// prost's recursion limit, so that nested groups are refused exactly when prost refuses them.
const MAX_DEPTH: u32 = 100;

impl<'a> RecordHeader<'a> {
    /// Reads the header of the encoded Record `buf`.
    pub fn parse(buf: &'a [u8]) -> Result<Self, HeaderError> {
        let mut cur = Cursor { buf, pos: 0 };
        let (mut version, mut to_id, mut from_id, mut kind) = (None, None, None, None);
        while !cur.done() {
            let key = cur.varint()?;
            if key > u64::from(u32::MAX) {
                return Err(HeaderError::BadKey);
            }
            let field = (key >> 3) as u32;
            let wire_type = (key & 7) as u8;
            if field == 0 {
                return Err(HeaderError::BadKey);
            }
            let expected = match field {
                1..=3 | 5..=13 => Some(WT_LEN),
                4 => Some(WT_VARINT),
                _ => None,
            };
            if let Some(expected) = expected {
                if wire_type != expected {
                    return Err(HeaderError::WrongWireType { field, wire_type });
                }
            }
            match wire_type {
                WT_VARINT => {
                    cur.varint()?;
                }
                WT_I64 => {
                    cur.take(8)?;
                }
                WT_I32 => {
                    cur.take(4)?;
                }
                WT_LEN => {
                    let len = cur.varint()?;
                    let len = usize::try_from(len).map_err(|_| HeaderError::Truncated)?;
                    let value = cur.take(len)?;
                    match field {
                        1 => version = Some(utf8(value, field)?),
                        2 => to_id = Some(utf8(value, field)?),
                        3 => from_id = Some(utf8(value, field)?),
                        _ => {
                            if let Some(k) = RecordKind::from_field(field) {
                                kind = Some(k);
                            }
                        }
                    }
                }
                WT_START_GROUP => cur.skip_group(field, 0)?,
                _ => return Err(HeaderError::WrongWireType { field, wire_type }),
            }
        }
        Ok(Self {
            version: version.unwrap_or(""),
            to_id: to_id.filter(|s| !s.is_empty()).ok_or(HeaderError::MissingToId)?,
            from_id: from_id.filter(|s| !s.is_empty()).ok_or(HeaderError::MissingFromId)?,
            kind: kind.ok_or(HeaderError::MissingRecordType)?,
        })
    }
}

fn utf8(bytes: &[u8], field: u32) -> Result<&str, HeaderError> {
    std::str::from_utf8(bytes).map_err(|_| HeaderError::NotUtf8(field))
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], HeaderError> {
        let end = self.pos.checked_add(n).ok_or(HeaderError::Truncated)?;
        let out = self.buf.get(self.pos..end).ok_or(HeaderError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    /// Skips a deprecated proto2 group (unknown fields may be one) up to its matching end.
    fn skip_group(&mut self, field: u32, depth: u32) -> Result<(), HeaderError> {
        if depth >= MAX_DEPTH {
            return Err(HeaderError::BadKey);
        }
        loop {
            let key = self.varint()?;
            if key > u64::from(u32::MAX) || key >> 3 == 0 {
                return Err(HeaderError::BadKey);
            }
            let (inner, wire_type) = ((key >> 3) as u32, (key & 7) as u8);
            match wire_type {
                WT_VARINT => {
                    self.varint()?;
                }
                WT_I64 => {
                    self.take(8)?;
                }
                WT_I32 => {
                    self.take(4)?;
                }
                WT_LEN => {
                    let len = usize::try_from(self.varint()?).map_err(|_| HeaderError::Truncated)?;
                    self.take(len)?;
                }
                WT_START_GROUP => self.skip_group(inner, depth + 1)?,
                WT_END_GROUP if inner == field => return Ok(()),
                _ => return Err(HeaderError::WrongWireType { field: inner, wire_type }),
            }
        }
    }

    /// A base-128 varint of at most ten bytes, as protobuf defines it.
    fn varint(&mut self) -> Result<u64, HeaderError> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = *self.buf.get(self.pos).ok_or(HeaderError::Truncated)?;
            self.pos += 1;
            if i == 9 && byte > 1 {
                return Err(HeaderError::BadVarint);
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(HeaderError::BadVarint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OB-USP-Agent's WebSocketConnect Record, byte for byte (usp-mtp.md §5.7).
    const OBUSPA_WS_CONNECT: &[u8] = b"\x0a\x031.3\x12\x14self::usp-controller\x1a\x14os::012345-OBUSPA-WS\x4a\x00";

    #[test]
    fn reads_obuspa_connect_record() {
        let h = RecordHeader::parse(OBUSPA_WS_CONNECT).unwrap();
        assert_eq!(h.version, "1.3");
        assert_eq!(h.to_id, "self::usp-controller");
        assert_eq!(h.from_id, "os::012345-OBUSPA-WS");
        assert_eq!(h.kind, RecordKind::WebSocketConnect);
    }

    #[test]
    fn last_to_id_wins() {
        let mut rec = OBUSPA_WS_CONNECT.to_vec();
        rec.extend_from_slice(b"\x12\x05other");
        assert_eq!(RecordHeader::parse(&rec).unwrap().to_id, "other");
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert!(RecordHeader::parse(b"hello world").is_err());
        assert!(RecordHeader::parse(&OBUSPA_WS_CONNECT[..30]).is_err());
        assert_eq!(RecordHeader::parse(b""), Err(HeaderError::MissingToId));
        let no_kind = &OBUSPA_WS_CONNECT[..OBUSPA_WS_CONNECT.len() - 2];
        assert_eq!(RecordHeader::parse(no_kind), Err(HeaderError::MissingRecordType));
    }
}
