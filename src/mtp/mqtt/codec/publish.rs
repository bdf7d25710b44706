//! PUBLISH (§3.3), the packet that carries USP Records. Its payload is never copied: decoding
//! slices it out of the receive buffer, and [`Publish::encode_header`] writes everything but
//! the payload so the writer can send header and payload `Bytes` in one vectored write.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::topic;
use super::types::{PacketId, ProtocolVersion, QoS, Role};
use super::utf8::Utf8Bytes;
use super::wire::{self, Reader};

mod flag {
    pub const RETAIN: u8 = 0x01;
    pub const QOS_SHIFT: u8 = 1;
    pub const QOS: u8 = 0x06;
    pub const DUP: u8 = 0x08;
}

/// A PUBLISH packet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Publish {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    /// Empty on 5.0 when a Topic Alias stands for it (§3.3.2.3.4).
    pub topic: Utf8Bytes,
    /// Present exactly when `qos` is above 0 [MQTT-2.2.1-2].
    pub packet_id: Option<PacketId>,
    pub properties: Properties,
    pub payload: Bytes,
}

impl Publish {
    /// Decodes the body after a fixed header whose low nibble was `flags`. A `Server` decoder
    /// reads client PUBLISHes, which must not carry Subscription Identifiers.
    pub(super) fn decode(
        flags: u8,
        body: Bytes,
        version: ProtocolVersion,
        role: Role,
    ) -> Result<Self, DecodeErrorKind> {
        let qos = QoS::from_bits((flags & flag::QOS) >> flag::QOS_SHIFT)
            .ok_or(DecodeErrorKind::InvalidQoS)?; // [MQTT-3.3.1-4]
        let dup = flags & flag::DUP != 0;
        if dup && qos == QoS::AtMostOnce {
            return Err(DecodeErrorKind::DupOnQoS0); // [MQTT-3.3.1-2]
        }
        let mut r = Reader::new(body);
        let topic = r.utf8()?;
        let packet_id = match qos {
            QoS::AtMostOnce => None,
            _ => Some(r.packet_id()?),
        };
        let properties = Properties::decode_v5(&mut r, version, PropertyScope::Publish)?;
        if topic.is_empty() {
            // On 5.0 an empty name means "use the alias" (§3.3.2.1); 3.1.1 has no aliases.
            if !version.is_v5() {
                return Err(DecodeErrorKind::InvalidTopicName); // [MQTT-4.7.3-1]
            }
            if properties.topic_alias.is_none() {
                return Err(DecodeErrorKind::MissingTopicName);
            }
        } else if !topic::is_valid_topic_name(&topic) {
            return Err(DecodeErrorKind::InvalidTopicName); // [MQTT-3.3.2-2]
        }
        if role == Role::Server && !properties.subscription_identifiers.is_empty() {
            return Err(DecodeErrorKind::SubscriptionIdFromClient); // [MQTT-3.3.4-6]
        }
        Ok(Self {
            dup,
            qos,
            retain: flags & flag::RETAIN != 0,
            topic,
            packet_id,
            properties,
            payload: r.into_rest(),
        })
    }

    /// The first byte: type 3 and the DUP, QoS and RETAIN flags (§3.3.1).
    pub(super) fn first_byte(&self) -> u8 {
        let mut byte = 0x30 | ((self.qos as u8) << flag::QOS_SHIFT);
        if self.dup {
            byte |= flag::DUP;
        }
        if self.retain {
            byte |= flag::RETAIN;
        }
        byte
    }

    /// The variable header's length: topic, packet id and, on 5.0, properties.
    fn variable_header_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        if self.packet_id.is_some() != (self.qos != QoS::AtMostOnce) {
            return Err(EncodeError::PacketIdMismatch);
        }
        let has_alias = version.is_v5() && self.properties.topic_alias.is_some();
        if self.topic.is_empty() && !has_alias {
            return Err(EncodeError::MissingTopic);
        }
        let mut len = wire::field_len(self.topic.as_bytes())?;
        if self.packet_id.is_some() {
            len += 2;
        }
        Ok(len
            + self
                .properties
                .block_len_v5(version, PropertyScope::Publish)?)
    }

    /// The Remaining Length: variable header plus payload.
    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        Ok(self.variable_header_len(version)? + self.payload.len())
    }

    /// The number of bytes [`Self::encode_header`] writes: fixed plus variable header.
    pub fn header_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let variable = self.variable_header_len(version)?;
        let remaining = variable + self.payload.len();
        Ok(1 + wire::checked_varint_len(remaining)? + variable)
    }

    /// The whole packet's size on the wire, to compare with the peer's Maximum Packet Size
    /// before sending (§3.1.2.11.4).
    pub fn encoded_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        Ok(self.header_len(version)? + self.payload.len())
    }

    /// Writes the fixed and variable headers into `dst`, but not the payload: the writer sends
    /// `self.payload` right after it, e.g. with a vectored write. The topic may be empty when
    /// a 5.0 Topic Alias replaces it. Properties are dropped on 3.1.1.
    pub fn encode_header(
        &self,
        version: ProtocolVersion,
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        let variable = self.variable_header_len(version)?;
        let remaining = variable + self.payload.len();
        let header = 1 + wire::checked_varint_len(remaining)? + variable;
        dst.reserve(header);
        dst.put_u8(self.first_byte());
        wire::put_varint(dst, remaining);
        self.put_variable_header(version, dst);
        Ok(())
    }

    fn put_variable_header(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        wire::put_field(dst, self.topic.as_bytes());
        if let Some(id) = self.packet_id {
            dst.put_u16(id.get());
        }
        if version.is_v5() {
            self.properties.put_block(dst);
        }
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        self.put_variable_header(version, dst);
        dst.put_slice(&self.payload);
    }
}
