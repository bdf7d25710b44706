//! The small vocabulary every packet shares: protocol versions, QoS levels, packet types and
//! identifiers, and which end of the connection a decoder reads for.

use std::num::NonZeroU16;

/// A Packet Identifier. Zero is not a valid identifier wherever one is required
/// [MQTT-2.2.1-3], so the type cannot hold it.
pub type PacketId = NonZeroU16;

/// The protocol level a CONNECT declares (§3.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProtocolVersion {
    /// MQTT 3.1, protocol name "MQIsdp", level 3. Every packet but CONNECT has the 3.1.1
    /// layout, so accepting it costs one more protocol name.
    V3_1,
    /// MQTT 3.1.1, level 4.
    V3_1_1,
    /// MQTT 5.0, level 5.
    V5,
}

impl ProtocolVersion {
    /// The Protocol Level byte of CONNECT.
    pub const fn level(self) -> u8 {
        match self {
            Self::V3_1 => 3,
            Self::V3_1_1 => 4,
            Self::V5 => 5,
        }
    }

    /// Whether packets carry reason codes and properties.
    pub const fn is_v5(self) -> bool {
        matches!(self, Self::V5)
    }

    /// The Protocol Name of CONNECT (§3.1.2.1).
    pub(super) const fn protocol_name(self) -> &'static [u8] {
        match self {
            Self::V3_1 => b"MQIsdp",
            Self::V3_1_1 | Self::V5 => b"MQTT",
        }
    }
}

/// A Quality of Service level (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum QoS {
    #[default]
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    /// The level from its two-bit wire value; 3 is not a QoS [MQTT-3.3.1-4].
    pub const fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0 => Some(Self::AtMostOnce),
            1 => Some(Self::AtLeastOnce),
            2 => Some(Self::ExactlyOnce),
            _ => None,
        }
    }
}

/// The MQTT Control Packet type, the high nibble of the first byte (§2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    /// MQTT 5.0 only; type 15 is reserved in 3.1.1.
    Auth = 15,
}

impl PacketType {
    /// The type from the high nibble; 0 is reserved in every version.
    pub const fn from_nibble(nibble: u8) -> Option<Self> {
        Some(match nibble {
            1 => Self::Connect,
            2 => Self::ConnAck,
            3 => Self::Publish,
            4 => Self::PubAck,
            5 => Self::PubRec,
            6 => Self::PubRel,
            7 => Self::PubComp,
            8 => Self::Subscribe,
            9 => Self::SubAck,
            10 => Self::Unsubscribe,
            11 => Self::UnsubAck,
            12 => Self::PingReq,
            13 => Self::PingResp,
            14 => Self::Disconnect,
            15 => Self::Auth,
            _ => return None,
        })
    }

    /// The only low nibble this type may carry (§2.1.3 Table 2-2), or `None` for PUBLISH,
    /// whose low nibble holds DUP, QoS and RETAIN.
    pub(super) const fn fixed_flags(self) -> Option<u8> {
        match self {
            Self::Publish => None,
            Self::PubRel | Self::Subscribe | Self::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    /// Whether the peer of a `role` decoder may send this packet in `version`: a server
    /// never receives CONNACK, SUBACK, UNSUBACK or PINGRESP; a client never receives CONNECT,
    /// SUBSCRIBE, UNSUBSCRIBE or PINGREQ, nor a DISCONNECT before MQTT 5.0 (§3.14).
    pub const fn may_receive(self, role: Role, version: ProtocolVersion) -> bool {
        match self {
            Self::Publish | Self::PubAck | Self::PubRec | Self::PubRel | Self::PubComp => true,
            Self::Auth => version.is_v5(),
            Self::Connect | Self::Subscribe | Self::Unsubscribe | Self::PingReq => {
                matches!(role, Role::Server)
            }
            Self::ConnAck | Self::SubAck | Self::UnsubAck | Self::PingResp => {
                matches!(role, Role::Client)
            }
            Self::Disconnect => matches!(role, Role::Server) || version.is_v5(),
        }
    }
}

/// Which end of the connection a decoder reads for. A `Server` decoder reads what clients
/// send, so it expects CONNECT first and refuses server-only packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Server,
    Client,
}
