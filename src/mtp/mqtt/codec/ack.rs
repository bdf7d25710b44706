//! PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4–§3.7): the QoS 1 and QoS 2 handshakes. All four
//! share one layout, so one struct serves them and [`super::Packet`] says which it is.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::reason::ReasonCode;
use super::types::{PacketId, PacketType, ProtocolVersion};
use super::wire::Reader;

/// The body of a PUBACK, PUBREC, PUBREL or PUBCOMP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubResponse {
    pub packet_id: PacketId,
    /// 5.0 only; 3.1.1 has no reason codes and the encoder drops it.
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl PubResponse {
    /// A successful response without properties, the common case.
    pub fn new(packet_id: PacketId) -> Self {
        Self {
            packet_id,
            reason_code: ReasonCode::Success,
            properties: Properties::default(),
        }
    }

    pub(super) fn decode(
        packet_type: PacketType,
        body: Bytes,
        version: ProtocolVersion,
    ) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let mut response = Self::new(r.packet_id()?);
        // On 5.0 the reason code and properties may be left out (§3.4.2.1): a Remaining
        // Length of 2 means Success, and one of 3 means no properties.
        if version.is_v5() && !r.is_empty() {
            let code = r.u8()?;
            response.reason_code = ReasonCode::from_u8(code)
                .filter(|c| c.allowed_in(packet_type))
                .ok_or(DecodeErrorKind::InvalidReasonCode {
                    code,
                    packet: packet_type,
                })?;
            if !r.is_empty() {
                response.properties = Properties::decode(&mut r, PropertyScope::PubResponse)?;
            }
        }
        r.finish()?;
        Ok(response)
    }

    /// The shortest form that carries what is set.
    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if !version.is_v5() {
            return Ok(2);
        }
        let properties = self.properties.block_len(PropertyScope::PubResponse)?;
        Ok(match (self.reason_code, self.properties.is_empty()) {
            (ReasonCode::Success, true) => 2,
            (_, true) => 3,
            _ => 3 + properties,
        })
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        dst.put_u16(self.packet_id.get());
        if !version.is_v5() {
            return;
        }
        let empty = self.properties.is_empty();
        if self.reason_code != ReasonCode::Success || !empty {
            dst.put_u8(self.reason_code as u8);
        }
        if !empty {
            self.properties.put_block(dst);
        }
    }
}
