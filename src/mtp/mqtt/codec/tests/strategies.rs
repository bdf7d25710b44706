//! proptest strategies for valid packets of each version and direction: only what a correct
//! peer may send, so that every generated packet must survive encode → decode unchanged.

use std::num::NonZeroU16;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use super::super::*;
use super::property_strategies::properties;

pub fn utf8() -> impl Strategy<Value = Utf8Bytes> {
    "[a-zA-Z0-9/_:. é€😀-]{0,12}".prop_map(Utf8Bytes::from)
}

pub fn topic_name() -> impl Strategy<Value = Utf8Bytes> {
    "[a-z0-9/é:-]{1,16}".prop_map(Utf8Bytes::from)
}

/// Filters the decoder accepts; their syntax is the session's business.
fn topic_filter() -> impl Strategy<Value = Utf8Bytes> {
    "[a-z0-9/+#]{1,12}".prop_map(Utf8Bytes::from)
}

pub fn binary(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn packet_id() -> impl Strategy<Value = PacketId> {
    (1..=u16::MAX).prop_map(|id| NonZeroU16::new(id).unwrap())
}

fn qos() -> impl Strategy<Value = QoS> {
    select(vec![QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

/// The reason codes MQTT 5.0 lists for `packet`.
fn reason_code(packet: PacketType) -> impl Strategy<Value = ReasonCode> {
    let codes: Vec<_> = (0..=255)
        .filter_map(ReasonCode::from_u8)
        .filter(|c| c.allowed_in(packet))
        .collect();
    select(codes)
}

fn will(version: ProtocolVersion) -> impl Strategy<Value = Will> {
    let properties = properties(version, PropertyScope::Will);
    (qos(), any::<bool>(), properties, topic_name(), binary(16)).prop_map(
        |(qos, retain, properties, topic, payload)| Will {
            qos,
            retain,
            properties,
            topic,
            payload,
        },
    )
}

pub fn connect(version: ProtocolVersion) -> impl Strategy<Value = Connect> {
    let properties = properties(version, PropertyScope::Connect);
    let credentials = (option::of(utf8()), option::of(binary(8)));
    (
        any::<bool>(),
        any::<u16>(),
        properties,
        utf8(),
        option::of(will(version)),
        credentials,
    )
        .prop_map(
            move |(clean_start, keep_alive, properties, client_id, will, (username, password))| {
                let v5 = version.is_v5();
                // 3.1.1 needs Clean Session for an empty ClientId, and a User Name for a Password.
                let client_id = if !v5 && !clean_start && client_id.is_empty() {
                    "c".into()
                } else {
                    client_id
                };
                let username = if !v5 && password.is_some() {
                    username.or(Some("u".into()))
                } else {
                    username
                };
                Connect {
                    protocol_version: version,
                    clean_start,
                    keep_alive,
                    properties,
                    client_id,
                    will,
                    username,
                    password,
                }
            },
        )
}

fn connack(version: ProtocolVersion) -> impl Strategy<Value = ConnAck> {
    let code = if version.is_v5() {
        reason_code(PacketType::ConnAck).boxed()
    } else {
        (0..=5u8)
            .prop_map(|c| ReasonCode::from_v3_connack(c).unwrap())
            .boxed()
    };
    (
        any::<bool>(),
        code,
        properties(version, PropertyScope::ConnAck),
    )
        .prop_map(|(session_present, reason_code, properties)| ConnAck {
            session_present: session_present && !reason_code.is_error(),
            reason_code,
            properties,
        })
}

/// A PUBLISH as `sender` sends it: a client's carries no Subscription Identifier.
pub fn publish(version: ProtocolVersion, sender: Role) -> impl Strategy<Value = Publish> {
    let properties = properties(version, PropertyScope::Publish);
    (
        qos(),
        any::<bool>(),
        any::<bool>(),
        topic_name(),
        any::<bool>(),
        packet_id(),
        properties,
        binary(64),
    )
        .prop_map(
            move |(qos, dup, retain, topic, use_alias, id, mut properties, payload)| {
                if sender == Role::Client {
                    properties.subscription_identifiers.clear();
                }
                let aliased = version.is_v5() && use_alias && properties.topic_alias.is_some();
                Publish {
                    dup: dup && qos != QoS::AtMostOnce,
                    qos,
                    retain,
                    topic: if aliased { Utf8Bytes::default() } else { topic },
                    packet_id: (qos != QoS::AtMostOnce).then_some(id),
                    properties,
                    payload,
                }
            },
        )
}

fn pub_response(
    version: ProtocolVersion,
    packet: PacketType,
) -> impl Strategy<Value = PubResponse> {
    let code = if version.is_v5() {
        reason_code(packet).boxed()
    } else {
        Just(ReasonCode::Success).boxed()
    };
    (
        packet_id(),
        code,
        properties(version, PropertyScope::PubResponse),
    )
        .prop_map(|(packet_id, reason_code, properties)| PubResponse {
            packet_id,
            reason_code,
            properties,
        })
}

fn subscribe(version: ProtocolVersion) -> impl Strategy<Value = Subscribe> {
    let v5 = version.is_v5();
    let retain_handling = select(vec![
        RetainHandling::SendAtSubscribe,
        RetainHandling::SendIfNewSubscription,
        RetainHandling::DoNotSend,
    ]);
    let options = (qos(), any::<bool>(), any::<bool>(), retain_handling).prop_map(
        move |(qos, nl, rap, rh)| {
            if v5 {
                SubscriptionOptions {
                    qos,
                    no_local: nl,
                    retain_as_published: rap,
                    retain_handling: rh,
                }
            } else {
                SubscriptionOptions {
                    qos,
                    ..Default::default()
                }
            }
        },
    );
    let subscription =
        (topic_filter(), options).prop_map(|(filter, options)| Subscription { filter, options });
    (
        packet_id(),
        properties(version, PropertyScope::Subscribe),
        vec(subscription, 1..4),
    )
        .prop_map(|(packet_id, properties, subscriptions)| Subscribe {
            packet_id,
            properties,
            subscriptions,
        })
}

fn suback(version: ProtocolVersion) -> impl Strategy<Value = SubAck> {
    let code = if version.is_v5() {
        reason_code(PacketType::SubAck).boxed()
    } else {
        select(vec![
            R::Success,
            R::GrantedQoS1,
            R::GrantedQoS2,
            R::UnspecifiedError,
        ])
        .boxed()
    };
    (
        packet_id(),
        properties(version, PropertyScope::SubAck),
        vec(code, 0..4),
    )
        .prop_map(|(packet_id, properties, reason_codes)| SubAck {
            packet_id,
            properties,
            reason_codes,
        })
}

use ReasonCode as R;

fn unsubscribe(version: ProtocolVersion) -> impl Strategy<Value = Unsubscribe> {
    (
        packet_id(),
        properties(version, PropertyScope::Unsubscribe),
        vec(topic_filter(), 1..4),
    )
        .prop_map(|(packet_id, properties, filters)| Unsubscribe {
            packet_id,
            properties,
            filters,
        })
}

fn unsuback(version: ProtocolVersion) -> impl Strategy<Value = UnsubAck> {
    let max_codes = if version.is_v5() { 4 } else { 1 };
    (
        packet_id(),
        properties(version, PropertyScope::UnsubAck),
        vec(reason_code(PacketType::UnsubAck), 0..max_codes),
    )
        .prop_map(|(packet_id, properties, reason_codes)| UnsubAck {
            packet_id,
            properties,
            reason_codes,
        })
}

fn disconnect(version: ProtocolVersion) -> BoxedStrategy<Disconnect> {
    if !version.is_v5() {
        return Just(Disconnect::default()).boxed();
    }
    (
        reason_code(PacketType::Disconnect),
        properties(version, PropertyScope::Disconnect),
    )
        .prop_map(|(reason_code, properties)| Disconnect {
            reason_code,
            properties,
        })
        .boxed()
}

fn auth() -> impl Strategy<Value = Auth> {
    (
        reason_code(PacketType::Auth),
        properties(ProtocolVersion::V5, PropertyScope::Auth),
    )
        .prop_map(|(reason_code, properties)| Auth {
            reason_code,
            properties,
        })
}

fn pub_responses(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    prop_oneof![
        pub_response(version, PacketType::PubAck).prop_map(Packet::PubAck),
        pub_response(version, PacketType::PubRec).prop_map(Packet::PubRec),
        pub_response(version, PacketType::PubRel).prop_map(Packet::PubRel),
        pub_response(version, PacketType::PubComp).prop_map(Packet::PubComp),
    ]
    .boxed()
}

/// Any packet a client may send after its CONNECT.
pub fn client_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let common = prop_oneof![
        3 => publish(version, Role::Client).prop_map(Packet::Publish),
        2 => pub_responses(version),
        1 => subscribe(version).prop_map(Packet::Subscribe),
        1 => unsubscribe(version).prop_map(Packet::Unsubscribe),
        1 => Just(Packet::PingReq),
        1 => disconnect(version).prop_map(Packet::Disconnect),
    ];
    if version.is_v5() {
        prop_oneof![6 => common, 1 => auth().prop_map(Packet::Auth)].boxed()
    } else {
        common.boxed()
    }
}

/// Any packet a server may send.
pub fn server_packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let common = prop_oneof![
        1 => connack(version).prop_map(Packet::ConnAck),
        3 => publish(version, Role::Server).prop_map(Packet::Publish),
        2 => pub_responses(version),
        1 => suback(version).prop_map(Packet::SubAck),
        1 => unsuback(version).prop_map(Packet::UnsubAck),
        1 => Just(Packet::PingResp),
    ];
    if version.is_v5() {
        prop_oneof![
            6 => common,
            1 => disconnect(version).prop_map(Packet::Disconnect),
            1 => auth().prop_map(Packet::Auth),
        ]
        .boxed()
    } else {
        common.boxed()
    }
}

pub fn version() -> impl Strategy<Value = ProtocolVersion> {
    select(vec![
        ProtocolVersion::V3_1,
        ProtocolVersion::V3_1_1,
        ProtocolVersion::V5,
    ])
}
