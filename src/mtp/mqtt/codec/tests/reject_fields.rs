//! Refusals inside a packet's fields: strings, topic names, properties, CONNECT's header and
//! flags, subscription options; each with the Reason Code sent back.

use super::super::error::DecodeErrorKind as K;
use super::super::*;
use super::{V3, V5, connect, hex, packet, rejects, server};

use ReasonCode as R;

#[test]
fn invalid_utf8_and_null_characters() {
    rejects(
        server(V3),
        hex("30 04 00 02 ff fe")[..].into(),
        K::InvalidUtf8,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("30 05 00 03 ed a0 80")[..].into(),
        K::InvalidUtf8,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("30 04 00 02 61 00")[..].into(),
        K::NullCharacter,
        R::MalformedPacket,
    );
    // In a User Property value.
    let props = hex("26 00 01 6b 00 02 76 00");
    let mut body = hex("00 01 74");
    body.push(props.len() as u8);
    body.extend_from_slice(&props);
    rejects(
        server(V5),
        packet(0x30, &body),
        K::NullCharacter,
        R::MalformedPacket,
    );
    // In a CONNECT's ClientId: still a CONNECT error, with the version it declared.
    let error = rejects(
        Decoder::server(1024),
        connect("MQTT", 5, 2, &hex("00 00 02 c3 28")),
        K::InvalidUtf8,
        R::MalformedPacket,
    );
    assert!(error.in_connect());
    assert_eq!(error.connect_version, Some(V5));
}

#[test]
fn duplicate_properties() {
    let two_content_types = packet(0x30, &hex("00 01 74 08 03 00 01 61 03 00 01 62"));
    rejects(
        server(V5),
        two_content_types,
        K::DuplicateProperty(PropertyId::ContentType),
        R::ProtocolError,
    );
    let two_subscription_ids = packet(0x82, &hex("00 01 04 0b 01 0b 02 00 01 61 00"));
    rejects(
        server(V5),
        two_subscription_ids,
        K::DuplicateProperty(PropertyId::SubscriptionIdentifier),
        R::ProtocolError,
    );
    // Repeatable ones are fine: User Properties anywhere, Subscription Identifiers to a client.
    let two_user_properties = packet(
        0x30,
        &hex("00 01 74 0e 26 00 01 6b 00 01 31 26 00 01 6b 00 01 32"),
    );
    assert!(
        server(V5)
            .decode(&mut two_user_properties.clone())
            .unwrap()
            .is_some()
    );
    let ids_to_client = packet(0x30, &hex("00 01 74 04 0b 01 0b 02"));
    let Some(Packet::Publish(p)) = Decoder::client(V5, 64)
        .decode(&mut ids_to_client.clone())
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(p.properties.subscription_identifiers, [1, 2]);
    // ...but never from a client [MQTT-3.3.4-6].
    rejects(
        server(V5),
        ids_to_client,
        K::SubscriptionIdFromClient,
        R::ProtocolError,
    );
}

#[test]
fn properties_not_allowed_or_unknown() {
    let not_allowed = |id, scope| K::PropertyNotAllowed {
        property: id,
        scope,
    };
    let expiry_in_publish = packet(0x30, &hex("00 01 74 05 11 00 00 00 01"));
    rejects(
        server(V5),
        expiry_in_publish,
        not_allowed(PropertyId::SessionExpiryInterval, PropertyScope::Publish),
        R::MalformedPacket,
    );
    let alias_in_connect = connect("MQTT", 5, 2, &hex("03 23 00 01 00 00"));
    rejects(
        Decoder::server(1024),
        alias_in_connect,
        not_allowed(PropertyId::TopicAlias, PropertyScope::Connect),
        R::MalformedPacket,
    );
    let will_delay_in_connect = connect("MQTT", 5, 2, &hex("05 18 00 00 00 01 00 00"));
    rejects(
        Decoder::server(1024),
        will_delay_in_connect,
        not_allowed(PropertyId::WillDelayInterval, PropertyScope::Connect),
        R::MalformedPacket,
    );
    let reason_in_will = connect("MQTT", 5, 6, &hex("00 00 00 04 1f 00 01 61 00 01 74 00 00"));
    rejects(
        Decoder::server(1024),
        reason_in_will,
        not_allowed(PropertyId::ReasonString, PropertyScope::Will),
        R::MalformedPacket,
    );
    rejects(
        server(V5),
        packet(0x30, &hex("00 01 74 02 05 00")),
        K::UnknownProperty(5),
        R::MalformedPacket,
    );
}

#[test]
fn invalid_property_values() {
    let invalid = |id| K::InvalidPropertyValue(id);
    let connect_with = |props: &str| {
        let mut rest = vec![hex(props).len() as u8];
        rest.extend_from_slice(&hex(props));
        rest.extend_from_slice(&[0, 0]);
        connect("MQTT", 5, 2, &rest)
    };
    rejects(
        Decoder::server(1024),
        connect_with("21 00 00"),
        invalid(PropertyId::ReceiveMaximum),
        R::ProtocolError,
    );
    rejects(
        Decoder::server(1024),
        connect_with("27 00 00 00 00"),
        invalid(PropertyId::MaximumPacketSize),
        R::ProtocolError,
    );
    rejects(
        Decoder::server(1024),
        connect_with("19 02"),
        invalid(PropertyId::RequestResponseInformation),
        R::ProtocolError,
    );
    rejects(
        Decoder::server(1024),
        connect_with("16 00 00"),
        K::AuthDataWithoutMethod,
        R::ProtocolError,
    );
    rejects(
        server(V5),
        packet(0x30, &hex("00 01 74 02 01 02")),
        invalid(PropertyId::PayloadFormatIndicator),
        R::ProtocolError,
    );
    rejects(
        server(V5),
        packet(0x30, &hex("00 01 74 04 08 00 01 23")),
        invalid(PropertyId::ResponseTopic),
        R::ProtocolError,
    );
    rejects(
        server(V5),
        packet(0x82, &hex("00 01 02 0b 00 00 01 61 00")),
        invalid(PropertyId::SubscriptionIdentifier),
        R::ProtocolError,
    );
    rejects(
        Decoder::client(V5, 64),
        packet(0x20, &hex("00 00 02 24 02")),
        invalid(PropertyId::MaximumQoS),
        R::ProtocolError,
    );
    rejects(
        Decoder::client(V5, 64),
        packet(0xF0, &hex("00 03 16 00 00")),
        K::AuthDataWithoutMethod,
        R::ProtocolError,
    );
}

#[test]
fn connect_protocol_name_and_level() {
    for (name, level) in [("MQTT", 6), ("MQTT", 3), ("MQIsdp", 4)] {
        let error = rejects(
            Decoder::server(1024),
            connect(name, level, 2, &[0, 0]),
            K::UnsupportedProtocolVersion(level),
            R::UnsupportedProtocolVersion,
        );
        assert!(error.in_connect());
        assert_eq!(error.connect_version, None);
    }
    rejects(
        Decoder::server(1024),
        connect("MQTX", 4, 2, &[0, 0]),
        K::InvalidProtocolName,
        R::UnsupportedProtocolVersion,
    );
}

#[test]
fn connect_flags() {
    let rejects_flags = |level, flags, rest: &[u8], kind| {
        let error = rejects(
            Decoder::server(1024),
            connect("MQTT", level, flags, rest),
            kind,
            R::MalformedPacket,
        );
        assert!(error.in_connect());
    };
    rejects_flags(4, 0x03, &hex("00 01 63"), K::ReservedConnectFlag);
    rejects_flags(4, 0x0A, &hex("00 01 63"), K::InvalidWillFlags); // Will QoS 1 without a Will
    rejects_flags(4, 0x22, &hex("00 01 63"), K::InvalidWillFlags); // Will Retain without a Will
    rejects_flags(
        4,
        0x1E,
        &hex("00 01 63 00 01 74 00 00"),
        K::InvalidWillFlags,
    ); // Will QoS 3
    rejects_flags(
        4,
        0x42,
        &hex("00 01 63 00 01 70"),
        K::PasswordWithoutUsername,
    );
    // 5.0 allows a Password alone.
    let password_only = connect("MQTT", 5, 0x42, &hex("00 00 01 63 00 01 70"));
    assert!(
        Decoder::server(1024)
            .decode(&mut password_only.clone())
            .unwrap()
            .is_some()
    );
    let error = rejects(
        Decoder::server(1024),
        connect("MQTT", 4, 0, &hex("00 00")),
        K::ClientIdRejected,
        R::ClientIdentifierNotValid,
    );
    assert_eq!(error.reason_code().to_v3_connack(), 0x02);
    assert_eq!(error.connect_version, Some(V3));
    // On 5.0 the server assigns one instead.
    assert!(
        Decoder::server(1024)
            .decode(&mut connect("MQTT", 5, 0, &hex("00 00 00")))
            .unwrap()
            .is_some()
    );
    let will_topic = connect("MQTT", 4, 0x06, &hex("00 01 63 00 01 23 00 00"));
    rejects(
        Decoder::server(1024),
        will_topic,
        K::InvalidTopicName,
        R::TopicNameInvalid,
    );
}

#[test]
fn publish_topic_names() {
    rejects(
        server(V3),
        packet(0x30, &hex("00 03 61 2f 2b")),
        K::InvalidTopicName,
        R::TopicNameInvalid,
    );
    rejects(
        server(V3),
        packet(0x30, &hex("00 03 61 2f 23")),
        K::InvalidTopicName,
        R::TopicNameInvalid,
    );
    rejects(
        server(V3),
        packet(0x30, &hex("00 00")),
        K::InvalidTopicName,
        R::TopicNameInvalid,
    );
    rejects(
        server(V5),
        packet(0x30, &hex("00 00 00")),
        K::MissingTopicName,
        R::ProtocolError,
    );
    rejects(
        server(V5),
        packet(0x30, &hex("00 01 74 03 23 00 00")),
        K::ZeroTopicAlias,
        R::TopicAliasInvalid,
    );
}

#[test]
fn subscription_rules() {
    let options = |v, byte: u8, kind, code| {
        let mut body = hex(if v == V5 {
            "00 01 00 00 01 61"
        } else {
            "00 01 00 01 61"
        });
        body.push(byte);
        rejects(server(v), packet(0x82, &body), kind, code);
    };
    options(V5, 0x40, K::InvalidSubscriptionOptions, R::MalformedPacket);
    options(V5, 0x03, K::InvalidSubscriptionOptions, R::MalformedPacket);
    options(V5, 0x30, K::InvalidRetainHandling, R::ProtocolError);
    options(V3, 0x04, K::InvalidSubscriptionOptions, R::MalformedPacket);
    let mut shared = hex("00 01 00 00 0a");
    shared.extend_from_slice(b"$share/g/t");
    shared.push(0x04);
    rejects(
        server(V5),
        packet(0x82, &shared),
        K::NoLocalOnSharedSubscription,
        R::ProtocolError,
    );
    rejects(
        server(V5),
        packet(0x82, &hex("00 01 00")),
        K::NoTopicFilters,
        R::ProtocolError,
    );
    rejects(
        server(V3),
        packet(0x82, &hex("00 01")),
        K::NoTopicFilters,
        R::ProtocolError,
    );
    rejects(
        server(V3),
        packet(0xA2, &hex("00 01")),
        K::NoTopicFilters,
        R::ProtocolError,
    );
}
