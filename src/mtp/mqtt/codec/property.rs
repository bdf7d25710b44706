//! The MQTT 5.0 property identifiers and where each may appear (§2.2.2.2 Table 2-4). The table
//! lives apart from the property values so the decoder and the encoder check one source.

/// A property identifier (§2.2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum PropertyId {
    PayloadFormatIndicator = 0x01,
    MessageExpiryInterval = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiryInterval = 0x11,
    AssignedClientIdentifier = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    RequestProblemInformation = 0x17,
    WillDelayInterval = 0x18,
    RequestResponseInformation = 0x19,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQoS = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
}

/// Where a property block sits: a packet type, or the Will Properties inside CONNECT's payload.
/// PUBACK, PUBREC, PUBREL and PUBCOMP allow the same properties, so they share one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyScope {
    Connect,
    Will,
    ConnAck,
    Publish,
    PubResponse,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

impl PropertyId {
    /// The identifier for a wire value. Identifiers are Variable Byte Integers, but every
    /// defined one fits a byte.
    pub fn from_u32(value: u32) -> Option<Self> {
        use PropertyId as P;
        Some(match value {
            0x01 => P::PayloadFormatIndicator,
            0x02 => P::MessageExpiryInterval,
            0x03 => P::ContentType,
            0x08 => P::ResponseTopic,
            0x09 => P::CorrelationData,
            0x0B => P::SubscriptionIdentifier,
            0x11 => P::SessionExpiryInterval,
            0x12 => P::AssignedClientIdentifier,
            0x13 => P::ServerKeepAlive,
            0x15 => P::AuthenticationMethod,
            0x16 => P::AuthenticationData,
            0x17 => P::RequestProblemInformation,
            0x18 => P::WillDelayInterval,
            0x19 => P::RequestResponseInformation,
            0x1A => P::ResponseInformation,
            0x1C => P::ServerReference,
            0x1F => P::ReasonString,
            0x21 => P::ReceiveMaximum,
            0x22 => P::TopicAliasMaximum,
            0x23 => P::TopicAlias,
            0x24 => P::MaximumQoS,
            0x25 => P::RetainAvailable,
            0x26 => P::UserProperty,
            0x27 => P::MaximumPacketSize,
            0x28 => P::WildcardSubscriptionAvailable,
            0x29 => P::SubscriptionIdentifierAvailable,
            0x2A => P::SharedSubscriptionAvailable,
            _ => return None,
        })
    }

    /// Whether Table 2-4 lists this property for `scope`.
    pub const fn allowed_in(self, scope: PropertyScope) -> bool {
        use PropertyId as P;
        use PropertyScope as S;
        match self {
            P::PayloadFormatIndicator
            | P::MessageExpiryInterval
            | P::ContentType
            | P::ResponseTopic
            | P::CorrelationData => matches!(scope, S::Publish | S::Will),
            P::SubscriptionIdentifier => matches!(scope, S::Publish | S::Subscribe),
            P::SessionExpiryInterval => matches!(scope, S::Connect | S::ConnAck | S::Disconnect),
            P::AssignedClientIdentifier
            | P::ServerKeepAlive
            | P::ResponseInformation
            | P::MaximumQoS
            | P::RetainAvailable
            | P::WildcardSubscriptionAvailable
            | P::SubscriptionIdentifierAvailable
            | P::SharedSubscriptionAvailable => matches!(scope, S::ConnAck),
            P::AuthenticationMethod | P::AuthenticationData => {
                matches!(scope, S::Connect | S::ConnAck | S::Auth)
            }
            P::RequestProblemInformation | P::RequestResponseInformation => {
                matches!(scope, S::Connect)
            }
            P::WillDelayInterval => matches!(scope, S::Will),
            P::ServerReference => matches!(scope, S::ConnAck | S::Disconnect),
            P::ReasonString => !matches!(
                scope,
                S::Connect | S::Will | S::Publish | S::Subscribe | S::Unsubscribe
            ),
            P::ReceiveMaximum | P::TopicAliasMaximum | P::MaximumPacketSize => {
                matches!(scope, S::Connect | S::ConnAck)
            }
            P::TopicAlias => matches!(scope, S::Publish),
            P::UserProperty => true,
        }
    }

    /// Whether the property may appear more than once in `scope`: User Property anywhere, and
    /// Subscription Identifier in a PUBLISH matching several subscriptions (§3.3.2.3.8) but
    /// not in SUBSCRIBE (§3.8.2.1.2). Every other repetition is a Protocol Error.
    pub const fn repeatable_in(self, scope: PropertyScope) -> bool {
        match self {
            Self::UserProperty => true,
            Self::SubscriptionIdentifier => matches!(scope, PropertyScope::Publish),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_map_back_to_themselves() {
        let defined: Vec<_> = (0..=0x7F).filter_map(PropertyId::from_u32).collect();
        assert_eq!(defined.len(), 27);
        for id in defined {
            assert_eq!(PropertyId::from_u32(id as u32), Some(id));
        }
    }

    #[test]
    fn table_matches_the_spec_on_a_few_cells() {
        use PropertyId as P;
        use PropertyScope as S;
        assert!(P::WillDelayInterval.allowed_in(S::Will));
        assert!(!P::WillDelayInterval.allowed_in(S::Connect));
        assert!(P::ReasonString.allowed_in(S::PubResponse));
        assert!(!P::ReasonString.allowed_in(S::Publish));
        assert!(P::SessionExpiryInterval.allowed_in(S::Disconnect));
        assert!(!P::TopicAlias.allowed_in(S::Will));
        assert!(P::SubscriptionIdentifier.repeatable_in(S::Publish));
        assert!(!P::SubscriptionIdentifier.repeatable_in(S::Subscribe));
    }
}
