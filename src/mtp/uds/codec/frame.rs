//! UDS frames and their encoders. Record values are `Bytes` so a Record crosses the hub without
//! a copy: [`encode_record_header`] writes the 13 header bytes and the writer sends the Record
//! itself as a second buffer.

use bytes::{BufMut, Bytes, BytesMut};
use thiserror::Error;

use super::{FRAME_HEADER_LEN, SYNC, TLV_ERROR, TLV_HANDSHAKE, TLV_HEADER_LEN, TLV_RECORD};

/// One TLV of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tlv {
    /// Type 1: the sender's endpoint ID.
    Handshake(String),
    /// Type 2: why the sender is giving up on the connection.
    Error(String),
    /// Type 3: a protobuf USP Record, as received.
    Record(Bytes),
    /// Any other type. R-UDS.15 says to ignore it; it is kept so the session can log it.
    Unknown { tlv_type: u8, value: Bytes },
}

impl Tlv {
    pub fn tlv_type(&self) -> u8 {
        match self {
            Tlv::Handshake(_) => TLV_HANDSHAKE,
            Tlv::Error(_) => TLV_ERROR,
            Tlv::Record(_) => TLV_RECORD,
            Tlv::Unknown { tlv_type, .. } => *tlv_type,
        }
    }

    pub fn value(&self) -> &[u8] {
        match self {
            Tlv::Handshake(text) | Tlv::Error(text) => text.as_bytes(),
            Tlv::Record(value) | Tlv::Unknown { value, .. } => value,
        }
    }

    fn encoded_len(&self) -> usize {
        TLV_HEADER_LEN + self.value().len()
    }
}

/// One frame: the TLVs after the sync word and length. Usually one, but a frame may carry
/// several (TR-369 §UDS framing), and may in principle carry none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UdsFrame {
    pub tlvs: Vec<Tlv>,
}

/// The only thing that can go wrong when encoding: the length fields are 32 bits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("a UDS frame cannot carry {len} bytes: its length field is 32 bits")]
    TooLong { len: usize },
}

impl UdsFrame {
    /// A frame of one TLV.
    pub fn single(tlv: Tlv) -> Self {
        UdsFrame { tlvs: vec![tlv] }
    }

    /// The value of the length field: the bytes after the 8-byte header.
    pub fn payload_len(&self) -> usize {
        self.tlvs.iter().map(Tlv::encoded_len).sum()
    }

    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let payload_len = self.payload_len();
        let length = length_field(payload_len)?;
        dst.reserve(FRAME_HEADER_LEN + payload_len);
        dst.put_slice(&SYNC);
        dst.put_u32(length);
        for tlv in &self.tlvs {
            // Each value is no longer than the whole payload, which fits in 32 bits.
            put_tlv_header(tlv.tlv_type(), tlv.value().len() as u32, dst);
            dst.put_slice(tlv.value());
        }
        Ok(())
    }
}

/// Writes a Handshake frame carrying `endpoint_id` (R-UDS.16/17).
pub fn encode_handshake(endpoint_id: &str, dst: &mut BytesMut) -> Result<(), EncodeError> {
    encode_one(TLV_HANDSHAKE, endpoint_id.as_bytes(), dst)
}

/// Writes an Error frame (R-UDS.21/23/24); the peer will close.
pub fn encode_error(text: &str, dst: &mut BytesMut) -> Result<(), EncodeError> {
    encode_one(TLV_ERROR, text.as_bytes(), dst)
}

/// Writes a Record frame, copying the Record into `dst`.
pub fn encode_record(record: &[u8], dst: &mut BytesMut) -> Result<(), EncodeError> {
    encode_one(TLV_RECORD, record, dst)
}

/// Writes only the frame and TLV headers of a Record frame ([`super::RECORD_HEADER_LEN`]
/// bytes); the caller writes the `record_len` Record bytes right after, uncopied.
pub fn encode_record_header(record_len: usize, dst: &mut BytesMut) -> Result<(), EncodeError> {
    let frame_len = record_len
        .checked_add(TLV_HEADER_LEN)
        .ok_or(EncodeError::TooLong { len: record_len })?;
    let length = length_field(frame_len)?;
    dst.reserve(FRAME_HEADER_LEN + TLV_HEADER_LEN);
    dst.put_slice(&SYNC);
    dst.put_u32(length);
    put_tlv_header(TLV_RECORD, length - TLV_HEADER_LEN as u32, dst);
    Ok(())
}

fn encode_one(tlv_type: u8, value: &[u8], dst: &mut BytesMut) -> Result<(), EncodeError> {
    let frame_len = value
        .len()
        .checked_add(TLV_HEADER_LEN)
        .ok_or(EncodeError::TooLong { len: value.len() })?;
    let length = length_field(frame_len)?;
    dst.reserve(FRAME_HEADER_LEN + frame_len);
    dst.put_slice(&SYNC);
    dst.put_u32(length);
    put_tlv_header(tlv_type, length - TLV_HEADER_LEN as u32, dst);
    dst.put_slice(value);
    Ok(())
}

fn length_field(len: usize) -> Result<u32, EncodeError> {
    u32::try_from(len).map_err(|_| EncodeError::TooLong { len })
}

fn put_tlv_header(tlv_type: u8, value_len: u32, dst: &mut BytesMut) {
    dst.put_u8(tlv_type);
    dst.put_u32(value_len);
}
