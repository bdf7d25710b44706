//! Why a packet could not be decoded or encoded. A decode error names the MQTT 5.0 Reason
//! Code the session sends back, and whether it arose in CONNECT, where the answer is a
//! CONNACK rather than a DISCONNECT (§4.13).

use std::fmt;

use super::property::{PropertyId, PropertyScope};
use super::reason::ReasonCode;
use super::types::{PacketType, ProtocolVersion};

/// What was wrong with the bytes. Each kind maps to one Reason Code: [`Self::reason_code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    #[error("a Variable Byte Integer runs past 4 bytes (§1.5.5)")]
    VarintTooLong,
    #[error("a {size}-byte packet exceeds the maximum packet size of {max} bytes")]
    PacketTooLarge { size: usize, max: u32 },
    #[error("packet type {0} is reserved (§2.1.2)")]
    ReservedPacketType(u8),
    #[error(
        "fixed header flags {flags:#06b} are invalid for this packet [MQTT-2.1.3-1] [MQTT-2.2.2-2 of 3.1.1]"
    )]
    InvalidFlags { flags: u8 },
    #[error("the first packet from a client must be CONNECT [MQTT-3.1.0-1]")]
    ExpectedConnect,
    #[error("a second CONNECT is a protocol error [MQTT-3.1.0-2]")]
    SecondConnect,
    #[error("{0:?} is never sent towards this end of the connection")]
    WrongDirection(PacketType),
    #[error("the packet's content runs past its remaining length")]
    Truncated,
    #[error("the packet has bytes left after its content")]
    TrailingBytes,
    #[error("a string is not well-formed UTF-8 [MQTT-1.5.4-1]")]
    InvalidUtf8,
    #[error("a string contains U+0000 [MQTT-1.5.4-2]")]
    NullCharacter,
    #[error("QoS 3 is not a QoS level [MQTT-3.3.1-4]")]
    InvalidQoS,
    #[error("DUP is set on a QoS 0 PUBLISH [MQTT-3.3.1-2]")]
    DupOnQoS0,
    #[error("Packet Identifier 0 where a non-zero one is required [MQTT-2.2.1-3]")]
    ZeroPacketId,
    #[error("the Topic Name is empty or holds a wildcard [MQTT-3.3.2-2] [MQTT-4.7.3-1]")]
    InvalidTopicName,
    #[error("the PUBLISH has neither a Topic Name nor a Topic Alias (§3.3.2.1)")]
    MissingTopicName,
    #[error("Topic Alias 0 is not permitted [MQTT-3.3.2-8]")]
    ZeroTopicAlias,
    #[error("the protocol name is neither \"MQTT\" nor \"MQIsdp\" [MQTT-3.1.2-1]")]
    InvalidProtocolName,
    #[error("protocol level {0} is not supported [MQTT-3.1.2-2]")]
    UnsupportedProtocolVersion(u8),
    #[error("the reserved CONNECT flag is set [MQTT-3.1.2-3]")]
    ReservedConnectFlag,
    #[error("Will QoS or Will Retain set without a Will, or Will QoS 3 [MQTT-3.1.2-11..13]")]
    InvalidWillFlags,
    #[error("a Password without a User Name [MQTT-3.1.2-22 of 3.1.1]")]
    PasswordWithoutUsername,
    #[error("an empty ClientId needs Clean Session [MQTT-3.1.3-8 of 3.1.1]")]
    ClientIdRejected,
    #[error("property identifier {0:#04x} is not defined (§2.2.2.2)")]
    UnknownProperty(u32),
    #[error("property {property:?} is not allowed in {scope:?} (§2.2.2.2)")]
    PropertyNotAllowed {
        property: PropertyId,
        scope: PropertyScope,
    },
    #[error("property {0:?} appears more than once")]
    DuplicateProperty(PropertyId),
    #[error("property {0:?} has a value the spec forbids")]
    InvalidPropertyValue(PropertyId),
    #[error("Authentication Data without an Authentication Method (§3.1.2.11.10)")]
    AuthDataWithoutMethod,
    #[error("reason code {code:#04x} is not defined for {packet:?}")]
    InvalidReasonCode { code: u8, packet: PacketType },
    #[error("reserved CONNACK acknowledge flags are set [MQTT-3.2.2-1]")]
    InvalidConnackFlags,
    #[error("Session Present set on a refusing CONNACK [MQTT-3.2.2-6]")]
    SessionPresentWithError,
    #[error("reserved subscription option bits or QoS 3 [MQTT-3.8.3-5]")]
    InvalidSubscriptionOptions,
    #[error("Retain Handling 3 is a protocol error (§3.8.3.1)")]
    InvalidRetainHandling,
    #[error("No Local on a Shared Subscription [MQTT-3.8.3-4]")]
    NoLocalOnSharedSubscription,
    #[error("SUBSCRIBE or UNSUBSCRIBE without a Topic Filter [MQTT-3.8.3-2] [MQTT-3.10.3-2]")]
    NoTopicFilters,
    #[error("a client's PUBLISH carries a Subscription Identifier [MQTT-3.3.4-6]")]
    SubscriptionIdFromClient,
}

impl DecodeErrorKind {
    /// The MQTT 5.0 Reason Code to report this with (§2.4, §4.13).
    pub const fn reason_code(&self) -> ReasonCode {
        use DecodeErrorKind as K;
        match self {
            K::PacketTooLarge { .. } => ReasonCode::PacketTooLarge,
            K::InvalidTopicName => ReasonCode::TopicNameInvalid,
            K::ZeroTopicAlias => ReasonCode::TopicAliasInvalid,
            K::InvalidProtocolName | K::UnsupportedProtocolVersion(_) => {
                ReasonCode::UnsupportedProtocolVersion
            }
            K::ClientIdRejected => ReasonCode::ClientIdentifierNotValid,
            K::ExpectedConnect
            | K::SecondConnect
            | K::WrongDirection(_)
            | K::ZeroPacketId
            | K::MissingTopicName
            | K::DuplicateProperty(_)
            | K::InvalidPropertyValue(_)
            | K::AuthDataWithoutMethod
            | K::InvalidReasonCode { .. }
            | K::SessionPresentWithError
            | K::InvalidRetainHandling
            | K::NoLocalOnSharedSubscription
            | K::NoTopicFilters
            | K::SubscriptionIdFromClient => ReasonCode::ProtocolError,
            K::VarintTooLong
            | K::ReservedPacketType(_)
            | K::InvalidFlags { .. }
            | K::Truncated
            | K::TrailingBytes
            | K::InvalidUtf8
            | K::NullCharacter
            | K::InvalidQoS
            | K::DupOnQoS0
            | K::ReservedConnectFlag
            | K::InvalidWillFlags
            | K::PasswordWithoutUsername
            | K::UnknownProperty(_)
            | K::PropertyNotAllowed { .. }
            | K::InvalidConnackFlags
            | K::InvalidSubscriptionOptions => ReasonCode::MalformedPacket,
        }
    }
}

/// A packet the decoder refused, with what the session needs to answer it: the Reason Code,
/// and for a CONNECT the version it claimed, so the CONNACK can be written in that version.
/// After any decode error the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    /// The packet's type, once its first byte was read.
    pub packet_type: Option<PacketType>,
    /// For a CONNECT, the version it declared, if the error came after its protocol level.
    pub connect_version: Option<ProtocolVersion>,
}

impl DecodeError {
    pub(super) fn new(kind: DecodeErrorKind, packet_type: Option<PacketType>) -> Self {
        Self {
            kind,
            packet_type,
            connect_version: None,
        }
    }

    /// The MQTT 5.0 Reason Code to send in the CONNACK or DISCONNECT.
    pub const fn reason_code(&self) -> ReasonCode {
        self.kind.reason_code()
    }

    /// Whether the refused packet was a CONNECT: the server then answers with a CONNACK
    /// carrying [`Self::reason_code`] (or its 3.1.1 return code, see
    /// [`ReasonCode::to_v3_connack`]) and closes [MQTT-3.1.4-1]; otherwise, on 5.0, with a
    /// DISCONNECT, and on 3.1.1 by closing the connection [MQTT-4.8.0-1 of 3.1.1].
    pub fn in_connect(&self) -> bool {
        self.packet_type == Some(PacketType::Connect)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.packet_type {
            Some(packet) => write!(f, "invalid {packet:?} packet: {}", self.kind),
            None => write!(f, "invalid packet: {}", self.kind),
        }
    }
}

/// Why a packet cannot be put on the wire as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("a {len}-byte string or binary field exceeds the 65,535 bytes its prefix allows")]
    FieldTooLong { len: usize },
    #[error("{0} does not fit a Variable Byte Integer (max 268,435,455, §1.5.5)")]
    VarintTooLarge(usize),
    #[error("property {property:?} is not allowed in {scope:?} (§2.2.2.2)")]
    PropertyNotAllowed {
        property: PropertyId,
        scope: PropertyScope,
    },
    #[error("a PUBLISH needs a Packet Identifier exactly when its QoS is above 0 [MQTT-2.2.1-2]")]
    PacketIdMismatch,
    #[error("a PUBLISH needs a Topic Name, or on 5.0 a Topic Alias (§3.3.2.1)")]
    MissingTopic,
    #[error("{packet:?} does not exist in {version:?}")]
    NotInVersion {
        packet: PacketType,
        version: ProtocolVersion,
    },
}
