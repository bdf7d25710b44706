//! CONNACK (§3.2): the server's answer to CONNECT. On 5.0 its properties tell the client the
//! server's limits, and carry what TR-369 adds: Response Information as the reply topic and
//! `subscribe-topic` User Properties (R-MQTT.12, R-MQTT.15).

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::reason::ReasonCode;
use super::types::{PacketType, ProtocolVersion};
use super::wire::Reader;

const SESSION_PRESENT: u8 = 0x01;

/// A CONNACK packet. On 3.1.1 the reason code travels as the nearest return code
/// ([`ReasonCode::to_v3_connack`]) and the properties are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnAck {
    pub session_present: bool,
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

impl ConnAck {
    pub(super) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let flags = r.u8()?;
        if flags & !SESSION_PRESENT != 0 {
            return Err(DecodeErrorKind::InvalidConnackFlags); // [MQTT-3.2.2-1]
        }
        let code = r.u8()?;
        let reason_code = if version.is_v5() {
            ReasonCode::from_u8(code).filter(|c| c.allowed_in(PacketType::ConnAck))
        } else {
            ReasonCode::from_v3_connack(code)
        }
        .ok_or(DecodeErrorKind::InvalidReasonCode {
            code,
            packet: PacketType::ConnAck,
        })?;
        let session_present = flags & SESSION_PRESENT != 0;
        if session_present && reason_code.is_error() {
            return Err(DecodeErrorKind::SessionPresentWithError); // [MQTT-3.2.2-6]
        }
        let properties = Properties::decode_v5(&mut r, version, PropertyScope::ConnAck)?;
        r.finish()?;
        Ok(Self {
            session_present,
            reason_code,
            properties,
        })
    }

    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        Ok(2 + self
            .properties
            .block_len_v5(version, PropertyScope::ConnAck)?)
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        dst.put_u8(if self.session_present {
            SESSION_PRESENT
        } else {
            0
        });
        if version.is_v5() {
            dst.put_u8(self.reason_code as u8);
            self.properties.put_block(dst);
        } else {
            dst.put_u8(self.reason_code.to_v3_connack());
        }
    }
}
