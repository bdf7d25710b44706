//! Known byte sequences: from the spec's examples and in the shape real clients send them,
//! including the TR-369 CONNECT/CONNACK properties (usp-mtp.md §6.2).

use bytes::{Bytes, BytesMut};

use super::super::*;
use super::{hex, wire};

fn id(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

/// Decodes all of `buf`, which must hold whole packets only.
fn decode_all(decoder: &mut Decoder, mut buf: BytesMut) -> Vec<Packet> {
    let mut packets = Vec::new();
    while let Some(packet) = decoder.decode(&mut buf).unwrap() {
        packets.push(packet);
    }
    assert!(buf.is_empty());
    packets
}

fn encode(packet: &Packet, version: ProtocolVersion) -> BytesMut {
    let mut dst = BytesMut::new();
    packet.encode(version, &mut dst).unwrap();
    dst
}

#[test]
fn mosquitto_pub_v3_1_1_session() {
    // mosquitto_pub 2.x: clean session, keep-alive 60, generated ClientId "mosq-" + 18
    // characters; then a QoS 1 PUBLISH and a DISCONNECT, all in one read.
    let connect = wire(&[
        &hex("10 23 00 04"),
        b"MQTT",
        &hex("04 02 00 3c 00 17"),
        b"mosq-Fh1tHOWs4YIRgWCnaQ",
    ]);
    let publish = wire(&[
        &hex("32 12 00 09"),
        b"usp/agent",
        &hex("00 01 0a 03 31 2e 33"),
    ]);
    let disconnect = hex("e0 00");
    let stream = wire(&[&connect, &publish, &disconnect]);

    let mut decoder = Decoder::server(1024);
    let packets = decode_all(&mut decoder, stream);
    assert_eq!(decoder.version(), Some(ProtocolVersion::V3_1_1));
    let expected_connect = Packet::from(Connect {
        protocol_version: ProtocolVersion::V3_1_1,
        clean_start: true,
        keep_alive: 60,
        properties: Properties::default(),
        client_id: "mosq-Fh1tHOWs4YIRgWCnaQ".into(),
        will: None,
        username: None,
        password: None,
    });
    let expected_publish = Packet::Publish(Publish {
        qos: QoS::AtLeastOnce,
        topic: "usp/agent".into(),
        packet_id: Some(id(1)),
        payload: Bytes::from_static(&[0x0a, 0x03, 0x31, 0x2e, 0x33]),
        ..Publish::default()
    });
    let expected = [
        expected_connect,
        expected_publish,
        Packet::Disconnect(Disconnect::default()),
    ];
    assert_eq!(packets, expected);
    // Our encoder writes the same bytes back.
    assert_eq!(encode(&expected[0], ProtocolVersion::V3_1_1), connect);
    assert_eq!(encode(&expected[1], ProtocolVersion::V3_1_1), publish);
    assert_eq!(
        encode(&expected[2], ProtocolVersion::V3_1_1)[..],
        disconnect[..]
    );
}

#[test]
fn decoded_payloads_and_topics_share_the_receive_buffer() {
    let mut buf = wire(&[&hex("30 0c 00 05"), b"a/b/c", b"hello"]);
    let start = buf.as_ptr() as usize;
    let mut decoder = Decoder::client(ProtocolVersion::V3_1_1, 1024);
    let Some(Packet::Publish(publish)) = decoder.decode(&mut buf).unwrap() else {
        panic!()
    };
    assert_eq!(publish.topic.as_bytes().as_ptr() as usize, start + 4);
    assert_eq!(publish.payload.as_ptr() as usize, start + 9);
}

#[test]
fn tr369_v5_connect_with_endpoint_id_and_request_response_information() {
    // R-MQTT.8/.12/.13: empty ClientId, Request Response Information = 1, and the
    // `usp-endpoint-id` User Property, as OB-USP-Agent sends them.
    let bytes = wire(&[
        &hex("10 39 00 04"),
        b"MQTT",
        &hex("05 02 00 3c"),
        &hex("2c 19 01 26 00 0f"),
        b"usp-endpoint-id",
        &hex("00 16"),
        b"os::012345-OBUSPA-MQTT",
        &hex("00 00"),
    ]);
    let mut decoder = Decoder::server(1024);
    let packet = decoder.decode(&mut bytes.clone()).unwrap().unwrap();
    let Packet::Connect(connect) = &packet else {
        panic!("{packet:?}")
    };
    assert_eq!(connect.protocol_version, ProtocolVersion::V5);
    assert!(connect.client_id.is_empty());
    assert_eq!(connect.properties.request_response_information, Some(true));
    assert_eq!(
        connect.properties.user_property("usp-endpoint-id").unwrap(),
        "os::012345-OBUSPA-MQTT"
    );
    assert_eq!(encode(&packet, ProtocolVersion::V5), bytes);
}

#[test]
fn tr369_v5_connack_with_response_information_and_subscribe_topic() {
    // R-MQTT.12/.15: the reply topic as Response Information and the topics to subscribe
    // to as `subscribe-topic` User Properties.
    let topic = "usp/v1/os::012345-OBUSPA-MQTT";
    let connack = ConnAck {
        session_present: false,
        reason_code: ReasonCode::Success,
        properties: Properties {
            response_information: Some(topic.into()),
            topic_alias_maximum: Some(10),
            maximum_qos: Some(QoS::AtLeastOnce),
            user_properties: vec![UserProperty {
                name: "subscribe-topic".into(),
                value: format!("{topic}/#").into(),
            }],
            ..Properties::default()
        },
    };
    let bytes = wire(&[
        &hex("20 5b 00 00 58 1a 00 1d"),
        topic.as_bytes(),
        &hex("22 00 0a 24 01 26 00 0f"),
        b"subscribe-topic",
        &hex("00 1f"),
        topic.as_bytes(),
        b"/#",
    ]);
    let packet = Packet::ConnAck(connack);
    assert_eq!(encode(&packet, ProtocolVersion::V5), bytes);
    let mut decoder = Decoder::client(ProtocolVersion::V5, 1024);
    let decoded = decoder.decode(&mut bytes.clone()).unwrap().unwrap();
    assert_eq!(decoded, packet);
    let Packet::ConnAck(connack) = decoded else {
        unreachable!()
    };
    let subscribe: Vec<_> = connack
        .properties
        .user_properties_named("subscribe-topic")
        .collect();
    assert_eq!(subscribe, ["usp/v1/os::012345-OBUSPA-MQTT/#"]);
}

#[test]
fn spec_v5_connect_variable_header_example() {
    // MQTT 5.0 §3.1.2.12 Figure 3-6: level 5, flags 0xC2 (User Name, Password, Clean
    // Start), Keep Alive 10, Session Expiry Interval 10; our payload after it.
    let bytes = wire(&[
        &hex("10 28 00 04"),
        b"MQTT",
        &hex("05 c2 00 0a 05 11 00 00 00 0a"),
        &hex("00 08"),
        b"client-1",
        &hex("00 04"),
        b"user",
        &hex("00 06"),
        b"secret",
    ]);
    let packet = Decoder::server(1024)
        .decode(&mut bytes.clone())
        .unwrap()
        .unwrap();
    let Packet::Connect(connect) = &packet else {
        panic!()
    };
    assert_eq!(connect.keep_alive, 10);
    assert_eq!(connect.properties.session_expiry_interval, Some(10));
    assert_eq!(connect.username.as_deref(), Some("user"));
    assert_eq!(connect.password.as_deref(), Some(&b"secret"[..]));
    assert_eq!(encode(&packet, ProtocolVersion::V5), bytes);
}

#[test]
fn mqtt_3_1_connect_is_accepted_and_answered_as_3_1_1() {
    let bytes = wire(&[
        &hex("10 14 00 06"),
        b"MQIsdp",
        &hex("03 02 00 3c 00 06"),
        b"legacy",
    ]);
    let mut decoder = Decoder::server(1024);
    let packet = decoder.decode(&mut bytes.clone()).unwrap().unwrap();
    assert_eq!(decoder.version(), Some(ProtocolVersion::V3_1));
    assert_eq!(encode(&packet, ProtocolVersion::V3_1), bytes);
    let connack = Packet::ConnAck(ConnAck::default());
    assert_eq!(
        encode(&connack, ProtocolVersion::V3_1)[..],
        hex("20 02 00 00")[..]
    );
}

#[test]
fn short_forms_of_v5_acknowledgements() {
    let mut decoder = Decoder::server(1024);
    decoder.set_version(ProtocolVersion::V5);
    // PUBACK with Remaining Length 2, 3 and 4 all mean the same Success.
    for bytes in [
        hex("40 02 00 07"),
        hex("40 03 00 07 00"),
        hex("40 04 00 07 00 00"),
    ] {
        let packet = decoder.decode(&mut bytes[..].into()).unwrap().unwrap();
        assert_eq!(packet, Packet::PubAck(PubResponse::new(id(7))));
        assert_eq!(
            encode(&packet, ProtocolVersion::V5)[..],
            hex("40 02 00 07")[..]
        );
    }
    let refused = Packet::PubRec(PubResponse {
        reason_code: ReasonCode::QuotaExceeded,
        ..PubResponse::new(id(7))
    });
    assert_eq!(
        encode(&refused, ProtocolVersion::V5)[..],
        hex("50 03 00 07 97")[..]
    );
    assert_eq!(
        encode(&refused, ProtocolVersion::V3_1_1)[..],
        hex("50 02 00 07")[..]
    );
    // DISCONNECT: empty means Normal disconnection.
    let normal = Packet::Disconnect(Disconnect::default());
    assert_eq!(encode(&normal, ProtocolVersion::V5)[..], hex("e0 00")[..]);
    let will = Packet::Disconnect(Disconnect {
        reason_code: ReasonCode::DisconnectWithWillMessage,
        properties: Properties::default(),
    });
    assert_eq!(encode(&will, ProtocolVersion::V5)[..], hex("e0 01 04")[..]);
    assert_eq!(
        decoder.decode(&mut hex("e0 01 04")[..].into()).unwrap(),
        Some(will)
    );
}

#[test]
fn v3_return_codes_map_from_reason_codes() {
    let refused = Packet::ConnAck(ConnAck {
        reason_code: ReasonCode::BadUserNameOrPassword,
        ..ConnAck::default()
    });
    assert_eq!(
        encode(&refused, ProtocolVersion::V3_1_1)[..],
        hex("20 02 00 04")[..]
    );
    let suback = Packet::SubAck(SubAck {
        packet_id: id(2),
        properties: Properties::default(),
        reason_codes: vec![ReasonCode::GrantedQoS1, ReasonCode::NotAuthorized],
    });
    assert_eq!(
        encode(&suback, ProtocolVersion::V3_1_1)[..],
        hex("90 04 00 02 01 80")[..]
    );
    assert_eq!(
        encode(&suback, ProtocolVersion::V5)[..],
        hex("90 05 00 02 00 01 87")[..]
    );
}

#[test]
fn topic_alias_publish_with_empty_topic() {
    let publish = Publish {
        topic: Utf8Bytes::default(),
        properties: Properties {
            topic_alias: Some(3),
            ..Properties::default()
        },
        payload: Bytes::from_static(b"x"),
        ..Publish::default()
    };
    let mut header = BytesMut::new();
    publish
        .encode_header(ProtocolVersion::V5, &mut header)
        .unwrap();
    assert_eq!(header[..], hex("30 07 00 00 03 23 00 03")[..]);
    assert_eq!(publish.encoded_len(ProtocolVersion::V5), Ok(9));
    // 3.1.1 has no aliases, so the topic must be resolved before sending there.
    assert_eq!(
        publish.encoded_len(ProtocolVersion::V3_1_1),
        Err(EncodeError::MissingTopic)
    );
    let mut decoder = Decoder::client(ProtocolVersion::V5, 1024);
    header.extend_from_slice(b"x");
    assert_eq!(
        decoder.decode(&mut header).unwrap(),
        Some(Packet::Publish(publish))
    );
}

#[test]
fn encoder_refuses_what_the_wire_cannot_carry() {
    let mut dst = BytesMut::new();
    let bad_qos = Publish {
        qos: QoS::AtLeastOnce,
        topic: "t".into(),
        ..Publish::default()
    };
    assert_eq!(
        Packet::Publish(bad_qos).encode(ProtocolVersion::V5, &mut dst),
        Err(EncodeError::PacketIdMismatch)
    );
    let misplaced = Publish {
        topic: "t".into(),
        properties: Properties {
            session_expiry_interval: Some(1),
            ..Properties::default()
        },
        ..Publish::default()
    };
    assert!(matches!(
        Packet::Publish(misplaced).encode(ProtocolVersion::V5, &mut dst),
        Err(EncodeError::PropertyNotAllowed {
            property: PropertyId::SessionExpiryInterval,
            ..
        })
    ));
    let long = Publish {
        topic: "a".repeat(70_000).into(),
        ..Publish::default()
    };
    assert_eq!(
        Packet::Publish(long).encode(ProtocolVersion::V5, &mut dst),
        Err(EncodeError::FieldTooLong { len: 70_000 })
    );
    let auth = Packet::Auth(Auth::default());
    assert!(matches!(
        auth.encode(ProtocolVersion::V3_1_1, &mut dst),
        Err(EncodeError::NotInVersion { .. })
    ));
    assert!(dst.is_empty(), "nothing is written on error");
}
