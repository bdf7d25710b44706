//! CONNECT (§3.1) and its Will. CONNECT is the one packet that carries its own protocol
//! version, so it is decoded before the session knows which version it speaks.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::topic;
use super::types::{ProtocolVersion, QoS};
use super::utf8::Utf8Bytes;
use super::wire::{self, Reader};

/// The Connect Flags bits (§3.1.2.3).
mod flag {
    pub const RESERVED: u8 = 0x01;
    pub const CLEAN_START: u8 = 0x02;
    pub const WILL: u8 = 0x04;
    pub const WILL_QOS_SHIFT: u8 = 3;
    pub const WILL_QOS: u8 = 0x18;
    pub const WILL_RETAIN: u8 = 0x20;
    pub const PASSWORD: u8 = 0x40;
    pub const USERNAME: u8 = 0x80;
}

/// A CONNECT packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The version this CONNECT is written in; it decides the rest of the connection.
    pub protocol_version: ProtocolVersion,
    /// Clean Start on 5.0, Clean Session on 3.1.1.
    pub clean_start: bool,
    /// Seconds; 0 turns keep-alive off.
    pub keep_alive: u16,
    pub properties: Properties,
    /// May be empty: on 5.0 the server then assigns one, on 3.1.1 only with Clean Session.
    pub client_id: Utf8Bytes,
    pub will: Option<Will>,
    pub username: Option<Utf8Bytes>,
    pub password: Option<Bytes>,
}

/// The Will Message to publish if the connection ends without a DISCONNECT (§3.1.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    pub qos: QoS,
    pub retain: bool,
    /// Will Properties (§3.1.3.2), 5.0 only.
    pub properties: Properties,
    pub topic: Utf8Bytes,
    pub payload: Bytes,
}

/// The version a protocol name and level select.
fn version_of(name: &[u8], level: u8) -> Result<ProtocolVersion, DecodeErrorKind> {
    match (name, level) {
        (b"MQTT", 4) => Ok(ProtocolVersion::V3_1_1),
        (b"MQTT", 5) => Ok(ProtocolVersion::V5),
        (b"MQIsdp", 3) => Ok(ProtocolVersion::V3_1),
        (b"MQTT" | b"MQIsdp", level) => Err(DecodeErrorKind::UnsupportedProtocolVersion(level)),
        _ => Err(DecodeErrorKind::InvalidProtocolName),
    }
}

impl Connect {
    /// The version a CONNECT body declares, if it got that far, so a refusal can be answered
    /// in the client's version.
    pub(super) fn peek_version(body: Bytes) -> Option<ProtocolVersion> {
        let mut reader = Reader::new(body);
        let name = reader.binary().ok()?;
        version_of(&name, reader.u8().ok()?).ok()
    }

    pub(super) fn decode(body: Bytes) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let name = r.binary()?;
        let protocol_version = version_of(&name, r.u8()?)?;
        let v5 = protocol_version.is_v5();
        let flags = r.u8()?;
        if flags & flag::RESERVED != 0 {
            return Err(DecodeErrorKind::ReservedConnectFlag); // [MQTT-3.1.2-3]
        }
        let has_will = flags & flag::WILL != 0;
        let will_qos = QoS::from_bits((flags & flag::WILL_QOS) >> flag::WILL_QOS_SHIFT)
            .ok_or(DecodeErrorKind::InvalidWillFlags)?; // [MQTT-3.1.2-12]
        let will_retain = flags & flag::WILL_RETAIN != 0;
        if !has_will && (will_qos != QoS::AtMostOnce || will_retain) {
            return Err(DecodeErrorKind::InvalidWillFlags); // [MQTT-3.1.2-11] [MQTT-3.1.2-13]
        }
        let has_username = flags & flag::USERNAME != 0;
        let has_password = flags & flag::PASSWORD != 0;
        // 5.0 allows a password alone (§3.1.2.9); 3.1.1 does not [MQTT-3.1.2-22 of 3.1.1].
        if !v5 && has_password && !has_username {
            return Err(DecodeErrorKind::PasswordWithoutUsername);
        }
        let clean_start = flags & flag::CLEAN_START != 0;
        let keep_alive = r.u16()?;
        let properties = Properties::decode_v5(&mut r, protocol_version, PropertyScope::Connect)?;

        let client_id = r.utf8()?;
        if !v5 && client_id.is_empty() && !clean_start {
            return Err(DecodeErrorKind::ClientIdRejected); // [MQTT-3.1.3-8 of 3.1.1]
        }
        let will = if has_will {
            let properties = Properties::decode_v5(&mut r, protocol_version, PropertyScope::Will)?;
            let topic = r.utf8()?;
            if !topic::is_valid_topic_name(&topic) {
                return Err(DecodeErrorKind::InvalidTopicName); // a Will Topic is a Topic Name
            }
            let payload = r.binary()?;
            Some(Will {
                qos: will_qos,
                retain: will_retain,
                properties,
                topic,
                payload,
            })
        } else {
            None
        };
        let username = if has_username { Some(r.utf8()?) } else { None };
        let password = if has_password {
            Some(r.binary()?)
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            protocol_version,
            clean_start,
            keep_alive,
            properties,
            client_id,
            will,
            username,
            password,
        })
    }

    pub(super) fn remaining_len(&self) -> Result<usize, EncodeError> {
        let v5 = self.protocol_version.is_v5();
        let mut len = wire::field_len(self.protocol_version.protocol_name())? + 1 + 1 + 2;
        if v5 {
            len += self.properties.block_len(PropertyScope::Connect)?;
        }
        len += wire::field_len(self.client_id.as_bytes())?;
        if let Some(will) = &self.will {
            if v5 {
                len += will.properties.block_len(PropertyScope::Will)?;
            }
            len += wire::field_len(will.topic.as_bytes())? + wire::field_len(&will.payload)?;
        }
        if let Some(username) = &self.username {
            len += wire::field_len(username.as_bytes())?;
        }
        if let Some(password) = &self.password {
            len += wire::field_len(password)?;
        }
        Ok(len)
    }

    pub(super) fn put_body(&self, dst: &mut BytesMut) {
        let v5 = self.protocol_version.is_v5();
        wire::put_field(dst, self.protocol_version.protocol_name());
        dst.put_u8(self.protocol_version.level());
        let mut flags = 0;
        if self.clean_start {
            flags |= flag::CLEAN_START;
        }
        if let Some(will) = &self.will {
            flags |= flag::WILL | ((will.qos as u8) << flag::WILL_QOS_SHIFT);
            if will.retain {
                flags |= flag::WILL_RETAIN;
            }
        }
        if self.username.is_some() {
            flags |= flag::USERNAME;
        }
        if self.password.is_some() {
            flags |= flag::PASSWORD;
        }
        dst.put_u8(flags);
        dst.put_u16(self.keep_alive);
        if v5 {
            self.properties.put_block(dst);
        }
        wire::put_field(dst, self.client_id.as_bytes());
        if let Some(will) = &self.will {
            if v5 {
                will.properties.put_block(dst);
            }
            wire::put_field(dst, will.topic.as_bytes());
            wire::put_field(dst, &will.payload);
        }
        if let Some(username) = &self.username {
            wire::put_field(dst, username.as_bytes());
        }
        if let Some(password) = &self.password {
            wire::put_field(dst, password);
        }
    }
}
