//! The MQTT 5.0 property block (§2.2.2): one struct for every packet, checked against the
//! table in [`super::property`] both ways, so a packet can neither be read with nor written
//! with a property its type does not allow. 3.1.1 packets have no properties; the encoder
//! drops them there, which is what a broker forwarding a 5.0 message to a 3.1.1 client needs.
//! Decoding is in `property_reader.rs`.

use bytes::{BufMut, Bytes, BytesMut};

use super::error::EncodeError;
use super::property::{PropertyId, PropertyScope};
use super::types::{ProtocolVersion, QoS};
use super::utf8::Utf8Bytes;
use super::wire;

/// The Payload Format Indicator (§3.3.2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadFormat {
    /// 0: unspecified bytes.
    Unspecified = 0,
    /// 1: UTF-8 character data.
    Utf8 = 1,
}

/// One User Property name/value pair (§3.1.2.11.8); names may repeat and order is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserProperty {
    pub name: Utf8Bytes,
    pub value: Utf8Bytes,
}

/// Every MQTT 5.0 property, each field named after it (§2.2.2.2). Absent is `None` or empty.
/// One-byte flags whose only values are 0 and 1 are `bool`s.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    pub payload_format_indicator: Option<PayloadFormat>,
    pub message_expiry_interval: Option<u32>,
    pub content_type: Option<Utf8Bytes>,
    pub response_topic: Option<Utf8Bytes>,
    pub correlation_data: Option<Bytes>,
    /// Several on a PUBLISH that matched several subscriptions; at most one on SUBSCRIBE.
    pub subscription_identifiers: Vec<u32>,
    pub session_expiry_interval: Option<u32>,
    pub assigned_client_identifier: Option<Utf8Bytes>,
    pub server_keep_alive: Option<u16>,
    pub authentication_method: Option<Utf8Bytes>,
    pub authentication_data: Option<Bytes>,
    pub request_problem_information: Option<bool>,
    pub will_delay_interval: Option<u32>,
    pub request_response_information: Option<bool>,
    pub response_information: Option<Utf8Bytes>,
    pub server_reference: Option<Utf8Bytes>,
    pub reason_string: Option<Utf8Bytes>,
    /// Never 0 (§3.1.2.11.3).
    pub receive_maximum: Option<u16>,
    pub topic_alias_maximum: Option<u16>,
    /// Never 0 [MQTT-3.3.2-8].
    pub topic_alias: Option<u16>,
    /// Only QoS 0 or 1; absent means 2 (§3.2.2.3.4).
    pub maximum_qos: Option<QoS>,
    pub retain_available: Option<bool>,
    pub user_properties: Vec<UserProperty>,
    /// Never 0 (§3.1.2.11.4).
    pub maximum_packet_size: Option<u32>,
    pub wildcard_subscription_available: Option<bool>,
    pub subscription_identifier_available: Option<bool>,
    pub shared_subscription_available: Option<bool>,
}

/// One property value as the wire sees it, so that length, encoding and presence are all
/// computed from the single walk in [`Properties::visit`].
enum Value<'a> {
    Byte(u8),
    TwoByte(u16),
    FourByte(u32),
    Varint(u32),
    Field(&'a [u8]),
    Pair(&'a UserProperty),
}

impl Value<'_> {
    fn len(&self) -> Result<usize, EncodeError> {
        Ok(match self {
            Value::Byte(_) => 1,
            Value::TwoByte(_) => 2,
            Value::FourByte(_) => 4,
            Value::Varint(v) => wire::checked_varint_len(*v as usize)?,
            Value::Field(field) => wire::field_len(field)?,
            Value::Pair(pair) => {
                wire::field_len(pair.name.as_bytes())? + wire::field_len(pair.value.as_bytes())?
            }
        })
    }

    fn put(&self, dst: &mut BytesMut) {
        match self {
            Value::Byte(v) => dst.put_u8(*v),
            Value::TwoByte(v) => dst.put_u16(*v),
            Value::FourByte(v) => dst.put_u32(*v),
            Value::Varint(v) => wire::put_varint(dst, *v as usize),
            Value::Field(field) => wire::put_field(dst, field),
            Value::Pair(pair) => {
                wire::put_field(dst, pair.name.as_bytes());
                wire::put_field(dst, pair.value.as_bytes());
            }
        }
    }
}

impl Properties {
    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        let mut empty = true;
        self.visit(|_, _| empty = false);
        empty
    }

    /// The identifiers present, in wire order; repeated ones once per value.
    pub fn present(&self) -> Vec<PropertyId> {
        let mut ids = Vec::new();
        self.visit(|id, _| ids.push(id));
        ids
    }

    /// The value of the first User Property called `name`, e.g. `usp-endpoint-id`.
    pub fn user_property(&self, name: &str) -> Option<&Utf8Bytes> {
        self.user_properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
    }

    /// Every value of the User Properties called `name`, e.g. each `subscribe-topic`.
    pub fn user_properties_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Utf8Bytes> + 'a {
        self.user_properties
            .iter()
            .filter(move |p| p.name == name)
            .map(|p| &p.value)
    }

    /// Calls `f` for each property present, in identifier order.
    fn visit<'a>(&'a self, mut f: impl FnMut(PropertyId, Value<'a>)) {
        use PropertyId as P;
        let byte = |flag: bool| Value::Byte(u8::from(flag));
        if let Some(v) = self.payload_format_indicator {
            f(P::PayloadFormatIndicator, Value::Byte(v as u8));
        }
        if let Some(v) = self.message_expiry_interval {
            f(P::MessageExpiryInterval, Value::FourByte(v));
        }
        if let Some(v) = &self.content_type {
            f(P::ContentType, Value::Field(v.as_bytes()));
        }
        if let Some(v) = &self.response_topic {
            f(P::ResponseTopic, Value::Field(v.as_bytes()));
        }
        if let Some(v) = &self.correlation_data {
            f(P::CorrelationData, Value::Field(v));
        }
        for v in &self.subscription_identifiers {
            f(P::SubscriptionIdentifier, Value::Varint(*v));
        }
        if let Some(v) = self.session_expiry_interval {
            f(P::SessionExpiryInterval, Value::FourByte(v));
        }
        if let Some(v) = &self.assigned_client_identifier {
            f(P::AssignedClientIdentifier, Value::Field(v.as_bytes()));
        }
        if let Some(v) = self.server_keep_alive {
            f(P::ServerKeepAlive, Value::TwoByte(v));
        }
        if let Some(v) = &self.authentication_method {
            f(P::AuthenticationMethod, Value::Field(v.as_bytes()));
        }
        if let Some(v) = &self.authentication_data {
            f(P::AuthenticationData, Value::Field(v));
        }
        if let Some(v) = self.request_problem_information {
            f(P::RequestProblemInformation, byte(v));
        }
        if let Some(v) = self.will_delay_interval {
            f(P::WillDelayInterval, Value::FourByte(v));
        }
        if let Some(v) = self.request_response_information {
            f(P::RequestResponseInformation, byte(v));
        }
        if let Some(v) = &self.response_information {
            f(P::ResponseInformation, Value::Field(v.as_bytes()));
        }
        if let Some(v) = &self.server_reference {
            f(P::ServerReference, Value::Field(v.as_bytes()));
        }
        if let Some(v) = &self.reason_string {
            f(P::ReasonString, Value::Field(v.as_bytes()));
        }
        if let Some(v) = self.receive_maximum {
            f(P::ReceiveMaximum, Value::TwoByte(v));
        }
        if let Some(v) = self.topic_alias_maximum {
            f(P::TopicAliasMaximum, Value::TwoByte(v));
        }
        if let Some(v) = self.topic_alias {
            f(P::TopicAlias, Value::TwoByte(v));
        }
        if let Some(v) = self.maximum_qos {
            f(P::MaximumQoS, Value::Byte(v as u8));
        }
        if let Some(v) = self.retain_available {
            f(P::RetainAvailable, byte(v));
        }
        for pair in &self.user_properties {
            f(P::UserProperty, Value::Pair(pair));
        }
        if let Some(v) = self.maximum_packet_size {
            f(P::MaximumPacketSize, Value::FourByte(v));
        }
        if let Some(v) = self.wildcard_subscription_available {
            f(P::WildcardSubscriptionAvailable, byte(v));
        }
        if let Some(v) = self.subscription_identifier_available {
            f(P::SubscriptionIdentifierAvailable, byte(v));
        }
        if let Some(v) = self.shared_subscription_available {
            f(P::SharedSubscriptionAvailable, byte(v));
        }
    }

    /// The length of the property block in `scope`: its Property Length prefix plus the
    /// properties. Refuses properties `scope` does not allow, or repeats it forbids.
    pub(super) fn block_len(&self, scope: PropertyScope) -> Result<usize, EncodeError> {
        let mut len = 0;
        let mut result = Ok(());
        let mut previous = None;
        self.visit(|id, value| {
            if result.is_err() {
                return;
            }
            let repeated = previous == Some(id) && !id.repeatable_in(scope);
            previous = Some(id);
            if !id.allowed_in(scope) || repeated {
                result = Err(EncodeError::PropertyNotAllowed {
                    property: id,
                    scope,
                });
                return;
            }
            match value.len() {
                // The identifier itself is a one-byte Variable Byte Integer.
                Ok(value_len) => len += 1 + value_len,
                Err(e) => result = Err(e),
            }
        });
        result?;
        Ok(wire::checked_varint_len(len)? + len)
    }

    /// Writes the block whose length [`Self::block_len`] returned without error.
    pub(super) fn put_block(&self, dst: &mut BytesMut) {
        let mut len = 0;
        self.visit(|_, value| len += 1 + value.len().unwrap_or(0));
        wire::put_varint(dst, len);
        self.visit(|id, value| {
            dst.put_u8(id as u8);
            value.put(dst);
        });
    }

    /// [`Self::block_len`] on 5.0; 0 on 3.1.1, which has no properties.
    pub(super) fn block_len_v5(
        &self,
        version: ProtocolVersion,
        scope: PropertyScope,
    ) -> Result<usize, EncodeError> {
        if version.is_v5() {
            self.block_len(scope)
        } else {
            Ok(0)
        }
    }
}
