//! Reading a property block off the wire (§2.2.2): each identifier checked against the table
//! in [`super::property`], each value against the rules its definition states, so a decoded
//! [`Properties`] only ever holds what its packet may carry.

use super::error::DecodeErrorKind;
use super::properties::{PayloadFormat, Properties, UserProperty};
use super::property::{PropertyId, PropertyScope};
use super::topic;
use super::types::{ProtocolVersion, QoS};
use super::wire::Reader;

impl Properties {
    /// A property block on 5.0; none on 3.1.1.
    pub(super) fn decode_v5(
        reader: &mut Reader,
        version: ProtocolVersion,
        scope: PropertyScope,
    ) -> Result<Self, DecodeErrorKind> {
        if version.is_v5() {
            Self::decode(reader, scope)
        } else {
            Ok(Self::default())
        }
    }

    /// Reads a property block allowed in `scope` (§2.2.2).
    pub(super) fn decode(
        reader: &mut Reader,
        scope: PropertyScope,
    ) -> Result<Self, DecodeErrorKind> {
        let len = reader.varint()? as usize;
        let mut block = Reader::new(reader.take(len)?);
        let mut properties = Self::default();
        while !block.is_empty() {
            let raw = block.varint()?;
            let id = PropertyId::from_u32(raw).ok_or(DecodeErrorKind::UnknownProperty(raw))?;
            if !id.allowed_in(scope) {
                return Err(DecodeErrorKind::PropertyNotAllowed {
                    property: id,
                    scope,
                });
            }
            properties.read_value(id, scope, &mut block)?;
        }
        if properties.authentication_data.is_some() && properties.authentication_method.is_none() {
            return Err(DecodeErrorKind::AuthDataWithoutMethod);
        }
        Ok(properties)
    }

    fn read_value(
        &mut self,
        id: PropertyId,
        scope: PropertyScope,
        r: &mut Reader,
    ) -> Result<(), DecodeErrorKind> {
        use PropertyId as P;
        let invalid = DecodeErrorKind::InvalidPropertyValue(id);
        let flag = |byte: u8| match byte {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(invalid.clone()),
        };
        let nonzero_u16 = |v: u16| if v == 0 { Err(invalid.clone()) } else { Ok(v) };
        match id {
            P::PayloadFormatIndicator => {
                let format = match r.u8()? {
                    0 => PayloadFormat::Unspecified,
                    1 => PayloadFormat::Utf8,
                    _ => return Err(invalid),
                };
                once(&mut self.payload_format_indicator, format, id)
            }
            P::MessageExpiryInterval => once(&mut self.message_expiry_interval, r.u32()?, id),
            P::ContentType => once(&mut self.content_type, r.utf8()?, id),
            P::ResponseTopic => {
                // A Response Topic is a Topic Name, so no wildcards [MQTT-3.3.2-14].
                let topic = r.utf8()?;
                if !topic::is_valid_topic_name(&topic) {
                    return Err(invalid);
                }
                once(&mut self.response_topic, topic, id)
            }
            P::CorrelationData => once(&mut self.correlation_data, r.binary()?, id),
            P::SubscriptionIdentifier => {
                let value = r.varint()?;
                if value == 0 {
                    return Err(invalid); // §3.3.2.3.8, §3.8.2.1.2
                }
                if !self.subscription_identifiers.is_empty() && !id.repeatable_in(scope) {
                    return Err(DecodeErrorKind::DuplicateProperty(id));
                }
                self.subscription_identifiers.push(value);
                Ok(())
            }
            P::SessionExpiryInterval => once(&mut self.session_expiry_interval, r.u32()?, id),
            P::AssignedClientIdentifier => {
                once(&mut self.assigned_client_identifier, r.utf8()?, id)
            }
            P::ServerKeepAlive => once(&mut self.server_keep_alive, r.u16()?, id),
            P::AuthenticationMethod => once(&mut self.authentication_method, r.utf8()?, id),
            P::AuthenticationData => once(&mut self.authentication_data, r.binary()?, id),
            P::RequestProblemInformation => {
                once(&mut self.request_problem_information, flag(r.u8()?)?, id)
            }
            P::WillDelayInterval => once(&mut self.will_delay_interval, r.u32()?, id),
            P::RequestResponseInformation => {
                once(&mut self.request_response_information, flag(r.u8()?)?, id)
            }
            P::ResponseInformation => once(&mut self.response_information, r.utf8()?, id),
            P::ServerReference => once(&mut self.server_reference, r.utf8()?, id),
            P::ReasonString => once(&mut self.reason_string, r.utf8()?, id),
            P::ReceiveMaximum => once(&mut self.receive_maximum, nonzero_u16(r.u16()?)?, id),
            P::TopicAliasMaximum => once(&mut self.topic_alias_maximum, r.u16()?, id),
            P::TopicAlias => match r.u16()? {
                0 => Err(DecodeErrorKind::ZeroTopicAlias),
                alias => once(&mut self.topic_alias, alias, id),
            },
            P::MaximumQoS => {
                let qos = match r.u8()? {
                    0 => QoS::AtMostOnce,
                    1 => QoS::AtLeastOnce,
                    _ => return Err(invalid),
                };
                once(&mut self.maximum_qos, qos, id)
            }
            P::RetainAvailable => once(&mut self.retain_available, flag(r.u8()?)?, id),
            P::UserProperty => {
                let (name, value) = (r.utf8()?, r.utf8()?);
                self.user_properties.push(UserProperty { name, value });
                Ok(())
            }
            P::MaximumPacketSize => match r.u32()? {
                0 => Err(invalid),
                size => once(&mut self.maximum_packet_size, size, id),
            },
            P::WildcardSubscriptionAvailable => once(
                &mut self.wildcard_subscription_available,
                flag(r.u8()?)?,
                id,
            ),
            P::SubscriptionIdentifierAvailable => once(
                &mut self.subscription_identifier_available,
                flag(r.u8()?)?,
                id,
            ),
            P::SharedSubscriptionAvailable => {
                once(&mut self.shared_subscription_available, flag(r.u8()?)?, id)
            }
        }
    }
}

/// Stores a property that may appear only once (§2.2.2.2: "It is a Protocol Error to include
/// the X more than once").
fn once<T>(slot: &mut Option<T>, value: T, id: PropertyId) -> Result<(), DecodeErrorKind> {
    if slot.is_some() {
        return Err(DecodeErrorKind::DuplicateProperty(id));
    }
    *slot = Some(value);
    Ok(())
}
