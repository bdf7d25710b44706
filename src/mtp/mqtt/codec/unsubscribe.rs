//! UNSUBSCRIBE and UNSUBACK (§3.10, §3.11).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::reason::ReasonCode;
use super::types::{PacketId, PacketType, ProtocolVersion};
use super::utf8::Utf8Bytes;
use super::wire::{self, Reader};

/// An UNSUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub packet_id: PacketId,
    pub properties: Properties,
    /// At least one [MQTT-3.10.3-2].
    pub filters: Vec<Utf8Bytes>,
}

impl Unsubscribe {
    pub(super) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let packet_id = r.packet_id()?;
        let properties = Properties::decode_v5(&mut r, version, PropertyScope::Unsubscribe)?;
        let mut filters = Vec::new();
        while !r.is_empty() {
            filters.push(r.utf8()?);
        }
        if filters.is_empty() {
            return Err(DecodeErrorKind::NoTopicFilters); // [MQTT-3.10.3-2]
        }
        Ok(Self {
            packet_id,
            properties,
            filters,
        })
    }

    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let mut len = 2 + self
            .properties
            .block_len_v5(version, PropertyScope::Unsubscribe)?;
        for filter in &self.filters {
            len += wire::field_len(filter.as_bytes())?;
        }
        Ok(len)
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        dst.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.put_block(dst);
        }
        for filter in &self.filters {
            wire::put_field(dst, filter.as_bytes());
        }
    }
}

/// An UNSUBACK packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    pub packet_id: PacketId,
    pub properties: Properties,
    /// One per filter on 5.0; 3.1.1 has none, so it decodes empty and encodes nothing.
    pub reason_codes: Vec<ReasonCode>,
}

impl UnsubAck {
    pub(super) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let packet_id = r.packet_id()?;
        if !version.is_v5() {
            r.finish()?;
            let (properties, reason_codes) = Default::default();
            return Ok(Self {
                packet_id,
                properties,
                reason_codes,
            });
        }
        let properties = Properties::decode(&mut r, PropertyScope::UnsubAck)?;
        let reason_codes = r
            .into_rest()
            .iter()
            .map(|&code| {
                ReasonCode::from_u8(code)
                    .filter(|c| c.allowed_in(PacketType::UnsubAck))
                    .ok_or(DecodeErrorKind::InvalidReasonCode {
                        code,
                        packet: PacketType::UnsubAck,
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            packet_id,
            properties,
            reason_codes,
        })
    }

    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            return Ok(2);
        }
        Ok(2 + self.properties.block_len(PropertyScope::UnsubAck)? + self.reason_codes.len())
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        dst.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.put_block(dst);
            dst.extend(self.reason_codes.iter().map(|code| *code as u8));
        }
    }
}
