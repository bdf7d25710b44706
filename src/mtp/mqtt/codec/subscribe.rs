//! SUBSCRIBE and SUBACK (§3.8, §3.9). Topic Filter syntax is left to the session (see
//! [`super::topic`]); the codec enforces the encoding rules of the options byte.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::{DecodeErrorKind, EncodeError};
use super::properties::Properties;
use super::property::PropertyScope;
use super::reason::ReasonCode;
use super::topic;
use super::types::{PacketId, PacketType, ProtocolVersion, QoS};
use super::utf8::Utf8Bytes;
use super::wire::{self, Reader};

/// A SUBSCRIBE packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub packet_id: PacketId,
    pub properties: Properties,
    /// At least one [MQTT-3.8.3-2].
    pub subscriptions: Vec<Subscription>,
}

/// One Topic Filter and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub filter: Utf8Bytes,
    pub options: SubscriptionOptions,
}

/// The Subscription Options byte (§3.8.3.1). 3.1.1 has only the QoS; the encoder drops the
/// rest there and the decoder reads them as their defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SubscriptionOptions {
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    pub retain_handling: RetainHandling,
}

/// When retained messages are sent for a new subscription (§3.8.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RetainHandling {
    /// 0: at the time of the subscribe.
    #[default]
    SendAtSubscribe = 0,
    /// 1: only if the subscription did not already exist.
    SendIfNewSubscription = 1,
    /// 2: not at the time of the subscribe.
    DoNotSend = 2,
}

mod option {
    pub const QOS: u8 = 0x03;
    pub const NO_LOCAL: u8 = 0x04;
    pub const RETAIN_AS_PUBLISHED: u8 = 0x08;
    pub const RETAIN_HANDLING_SHIFT: u8 = 4;
    pub const RETAIN_HANDLING: u8 = 0x30;
    /// Bits 6-7 on 5.0; on 3.1.1 everything above the QoS [MQTT-3-8.3-4 of 3.1.1].
    pub const RESERVED_V5: u8 = 0xC0;
    pub const RESERVED_V3: u8 = 0xFC;
}

impl SubscriptionOptions {
    fn decode(byte: u8, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        let reserved = if version.is_v5() {
            option::RESERVED_V5
        } else {
            option::RESERVED_V3
        };
        if byte & reserved != 0 {
            return Err(DecodeErrorKind::InvalidSubscriptionOptions); // [MQTT-3.8.3-5]
        }
        let qos = QoS::from_bits(byte & option::QOS)
            .ok_or(DecodeErrorKind::InvalidSubscriptionOptions)?;
        let retain_handling =
            match (byte & option::RETAIN_HANDLING) >> option::RETAIN_HANDLING_SHIFT {
                0 => RetainHandling::SendAtSubscribe,
                1 => RetainHandling::SendIfNewSubscription,
                2 => RetainHandling::DoNotSend,
                _ => return Err(DecodeErrorKind::InvalidRetainHandling),
            };
        Ok(Self {
            qos,
            no_local: byte & option::NO_LOCAL != 0,
            retain_as_published: byte & option::RETAIN_AS_PUBLISHED != 0,
            retain_handling,
        })
    }

    fn to_byte(self, version: ProtocolVersion) -> u8 {
        let mut byte = self.qos as u8;
        if version.is_v5() {
            byte |= (self.retain_handling as u8) << option::RETAIN_HANDLING_SHIFT;
            if self.no_local {
                byte |= option::NO_LOCAL;
            }
            if self.retain_as_published {
                byte |= option::RETAIN_AS_PUBLISHED;
            }
        }
        byte
    }
}

impl Subscribe {
    pub(super) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let packet_id = r.packet_id()?;
        let properties = Properties::decode_v5(&mut r, version, PropertyScope::Subscribe)?;
        let mut subscriptions = Vec::new();
        while !r.is_empty() {
            let filter = r.utf8()?;
            let options = SubscriptionOptions::decode(r.u8()?, version)?;
            if options.no_local && topic::shared_subscription(&filter).is_some() {
                return Err(DecodeErrorKind::NoLocalOnSharedSubscription); // [MQTT-3.8.3-4]
            }
            subscriptions.push(Subscription { filter, options });
        }
        if subscriptions.is_empty() {
            return Err(DecodeErrorKind::NoTopicFilters); // [MQTT-3.8.3-2]
        }
        Ok(Self {
            packet_id,
            properties,
            subscriptions,
        })
    }

    pub(super) fn remaining_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let mut len = 2 + self
            .properties
            .block_len_v5(version, PropertyScope::Subscribe)?;
        for subscription in &self.subscriptions {
            len += wire::field_len(subscription.filter.as_bytes())? + 1;
        }
        Ok(len)
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        dst.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.put_block(dst);
        }
        for subscription in &self.subscriptions {
            wire::put_field(dst, subscription.filter.as_bytes());
            dst.put_u8(subscription.options.to_byte(version));
        }
    }
}

/// A SUBACK packet: one reason code per subscription, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    pub packet_id: PacketId,
    pub properties: Properties,
    /// On 3.1.1 every refusal travels as 0x80 ([`ReasonCode::to_v3_suback`]).
    pub reason_codes: Vec<ReasonCode>,
}

impl SubAck {
    pub(super) fn decode(body: Bytes, version: ProtocolVersion) -> Result<Self, DecodeErrorKind> {
        let mut r = Reader::new(body);
        let packet_id = r.packet_id()?;
        let properties = Properties::decode_v5(&mut r, version, PropertyScope::SubAck)?;
        let reason_codes = r
            .into_rest()
            .iter()
            .map(|&code| {
                if version.is_v5() {
                    ReasonCode::from_u8(code).filter(|c| c.allowed_in(PacketType::SubAck))
                } else {
                    ReasonCode::from_v3_suback(code)
                }
                .ok_or(DecodeErrorKind::InvalidReasonCode {
                    code,
                    packet: PacketType::SubAck,
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
        let properties = self
            .properties
            .block_len_v5(version, PropertyScope::SubAck)?;
        Ok(2 + properties + self.reason_codes.len())
    }

    pub(super) fn put_body(&self, version: ProtocolVersion, dst: &mut BytesMut) {
        dst.put_u16(self.packet_id.get());
        if version.is_v5() {
            self.properties.put_block(dst);
            dst.extend(self.reason_codes.iter().map(|code| *code as u8));
        } else {
            dst.extend(self.reason_codes.iter().map(|code| code.to_v3_suback()));
        }
    }
}
