//! MQTT 5.0 Reason Codes (§2.4), which packets may carry each one, and how they map onto the
//! fewer return codes of 3.1.1 so one session can answer both versions with one value.

use super::types::PacketType;

/// A Reason Code as defined by MQTT 5.0 §2.4 Table 2-6. The value 0x00 has three names in the
/// spec (Success, Normal disconnection, Granted QoS 0); see the associated constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum ReasonCode {
    #[default]
    Success = 0x00,
    GrantedQoS1 = 0x01,
    GrantedQoS2 = 0x02,
    DisconnectWithWillMessage = 0x04,
    NoMatchingSubscribers = 0x10,
    NoSubscriptionExisted = 0x11,
    ContinueAuthentication = 0x18,
    ReAuthenticate = 0x19,
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85,
    BadUserNameOrPassword = 0x86,
    NotAuthorized = 0x87,
    ServerUnavailable = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    ServerShuttingDown = 0x8B,
    BadAuthenticationMethod = 0x8C,
    KeepAliveTimeout = 0x8D,
    SessionTakenOver = 0x8E,
    TopicFilterInvalid = 0x8F,
    TopicNameInvalid = 0x90,
    PacketIdentifierInUse = 0x91,
    PacketIdentifierNotFound = 0x92,
    ReceiveMaximumExceeded = 0x93,
    TopicAliasInvalid = 0x94,
    PacketTooLarge = 0x95,
    MessageRateTooHigh = 0x96,
    QuotaExceeded = 0x97,
    AdministrativeAction = 0x98,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    SharedSubscriptionsNotSupported = 0x9E,
    ConnectionRateExceeded = 0x9F,
    MaximumConnectTime = 0xA0,
    SubscriptionIdentifiersNotSupported = 0xA1,
    WildcardSubscriptionsNotSupported = 0xA2,
}

use ReasonCode as R;

/// Every code, to map bytes back without a hand-written inverse table.
#[rustfmt::skip]
const ALL: [ReasonCode; 43] = [
    R::Success, R::GrantedQoS1, R::GrantedQoS2, R::DisconnectWithWillMessage,
    R::NoMatchingSubscribers, R::NoSubscriptionExisted, R::ContinueAuthentication,
    R::ReAuthenticate, R::UnspecifiedError, R::MalformedPacket, R::ProtocolError,
    R::ImplementationSpecificError, R::UnsupportedProtocolVersion, R::ClientIdentifierNotValid,
    R::BadUserNameOrPassword, R::NotAuthorized, R::ServerUnavailable, R::ServerBusy, R::Banned,
    R::ServerShuttingDown, R::BadAuthenticationMethod, R::KeepAliveTimeout, R::SessionTakenOver,
    R::TopicFilterInvalid, R::TopicNameInvalid, R::PacketIdentifierInUse,
    R::PacketIdentifierNotFound, R::ReceiveMaximumExceeded, R::TopicAliasInvalid,
    R::PacketTooLarge, R::MessageRateTooHigh, R::QuotaExceeded, R::AdministrativeAction,
    R::PayloadFormatInvalid, R::RetainNotSupported, R::QoSNotSupported, R::UseAnotherServer,
    R::ServerMoved, R::SharedSubscriptionsNotSupported, R::ConnectionRateExceeded,
    R::MaximumConnectTime, R::SubscriptionIdentifiersNotSupported,
    R::WildcardSubscriptionsNotSupported,
];

impl ReasonCode {
    /// 0x00 in DISCONNECT.
    pub const NORMAL_DISCONNECTION: Self = Self::Success;
    /// 0x00 in SUBACK.
    pub const GRANTED_QOS_0: Self = Self::Success;

    /// The code for a byte, if MQTT 5.0 defines one.
    pub fn from_u8(byte: u8) -> Option<Self> {
        ALL.iter().copied().find(|code| *code as u8 == byte)
    }

    /// Codes of 0x80 and above report failure (§2.4).
    pub const fn is_error(self) -> bool {
        self as u8 >= 0x80
    }

    /// Whether MQTT 5.0 lists this code for `packet` (§3.2.2.2, §3.4.2.1, §3.5.2.1,
    /// §3.6.2.1, §3.7.2.1, §3.9.3, §3.11.3, §3.14.2.1, §3.15.2.1). PUBLISH, SUBSCRIBE,
    /// UNSUBSCRIBE, CONNECT and the pings carry none.
    pub fn allowed_in(self, packet: PacketType) -> bool {
        let byte = self as u8;
        match packet {
            PacketType::ConnAck => matches!(
                byte,
                0x00 | 0x80..=0x8A | 0x8C | 0x90 | 0x95 | 0x97 | 0x99..=0x9D | 0x9F
            ),
            PacketType::PubAck | PacketType::PubRec => {
                matches!(
                    byte,
                    0x00 | 0x10 | 0x80 | 0x83 | 0x87 | 0x90 | 0x91 | 0x97 | 0x99
                )
            }
            PacketType::PubRel | PacketType::PubComp => matches!(byte, 0x00 | 0x92),
            PacketType::SubAck => matches!(
                byte,
                0x00..=0x02 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91 | 0x97 | 0x9E | 0xA1 | 0xA2
            ),
            PacketType::UnsubAck => {
                matches!(byte, 0x00 | 0x11 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91)
            }
            PacketType::Disconnect => matches!(
                byte,
                0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8B | 0x8D..=0x90 | 0x93..=0xA2
            ),
            PacketType::Auth => matches!(byte, 0x00 | 0x18 | 0x19),
            _ => false,
        }
    }

    /// The 3.1.1 CONNACK return code (§3.2.2.3 of 3.1.1) closest to this code: 3.1.1 has only
    /// six, so every refusal that is about the server's state becomes "Server unavailable".
    pub const fn to_v3_connack(self) -> u8 {
        match self {
            R::Success => 0x00,
            R::UnsupportedProtocolVersion => 0x01,
            R::ClientIdentifierNotValid => 0x02,
            R::BadUserNameOrPassword | R::BadAuthenticationMethod => 0x04,
            R::NotAuthorized | R::Banned => 0x05,
            _ => 0x03,
        }
    }

    /// The code for a 3.1.1 CONNACK return code; 6-255 are reserved.
    pub const fn from_v3_connack(byte: u8) -> Option<Self> {
        Some(match byte {
            0x00 => R::Success,
            0x01 => R::UnsupportedProtocolVersion,
            0x02 => R::ClientIdentifierNotValid,
            0x03 => R::ServerUnavailable,
            0x04 => R::BadUserNameOrPassword,
            0x05 => R::NotAuthorized,
            _ => return None,
        })
    }

    /// The 3.1.1 SUBACK return code: granted QoS as is, every refusal as 0x80 Failure.
    pub const fn to_v3_suback(self) -> u8 {
        match self {
            R::Success | R::GrantedQoS1 | R::GrantedQoS2 => self as u8,
            _ => 0x80,
        }
    }

    /// The code for a 3.1.1 SUBACK return code (0, 1, 2 or 0x80).
    pub const fn from_v3_suback(byte: u8) -> Option<Self> {
        Some(match byte {
            0x00 => R::Success,
            0x01 => R::GrantedQoS1,
            0x02 => R::GrantedQoS2,
            0x80 => R::UnspecifiedError,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_maps_back_to_itself() {
        for byte in 0..=255u8 {
            if let Some(code) = ReasonCode::from_u8(byte) {
                assert_eq!(code as u8, byte);
            }
        }
        assert_eq!(
            ALL.len(),
            (0..=255u8).filter_map(ReasonCode::from_u8).count()
        );
        assert_eq!(ReasonCode::from_u8(0x03), None);
        assert_eq!(ReasonCode::from_u8(0xA3), None);
    }

    #[test]
    fn tables_follow_the_spec() {
        assert!(R::PacketTooLarge.allowed_in(PacketType::ConnAck));
        assert!(!R::SessionTakenOver.allowed_in(PacketType::ConnAck));
        assert!(R::SessionTakenOver.allowed_in(PacketType::Disconnect));
        assert!(!R::DisconnectWithWillMessage.allowed_in(PacketType::PubAck));
        assert!(R::PacketIdentifierNotFound.allowed_in(PacketType::PubRel));
        assert!(R::GrantedQoS2.allowed_in(PacketType::SubAck));
        assert!(!R::GrantedQoS2.allowed_in(PacketType::UnsubAck));
        assert!(R::ReAuthenticate.allowed_in(PacketType::Auth));
        assert!(!R::Success.allowed_in(PacketType::Publish));
    }

    #[test]
    fn v3_connack_codes_round_trip() {
        for byte in 0..=5 {
            let code = ReasonCode::from_v3_connack(byte).unwrap();
            assert_eq!(code.to_v3_connack(), byte);
        }
        assert_eq!(ReasonCode::from_v3_connack(6), None);
        assert_eq!(R::ServerBusy.to_v3_connack(), 0x03);
    }
}
