//! Refusals of the framing and of each packet's fixed fields: lengths, flags, types, order,
//! identifiers, reason codes; each with the Reason Code sent back.

use bytes::BytesMut;

use super::super::error::DecodeErrorKind as K;
use super::super::*;
use super::{V3, V5, connect, hex, packet, rejects, server};

use ReasonCode as R;

#[test]
fn remaining_length_over_four_bytes_without_waiting_for_the_fifth() {
    rejects(
        server(V5),
        hex("30 ff ff ff ff 01")[..].into(),
        K::VarintTooLong,
        R::MalformedPacket,
    );
    rejects(
        server(V5),
        hex("30 ff ff ff ff")[..].into(),
        K::VarintTooLong,
        R::MalformedPacket,
    );
    assert_eq!(
        server(V5).decode(&mut hex("30 ff ff ff")[..].into()),
        Ok(None)
    );
}

#[test]
fn packet_too_large_is_decided_from_the_fixed_header_alone() {
    let mut decoder = Decoder::server(100);
    decoder.set_version(V5);
    // Remaining Length 98: a 100-byte packet is accepted...
    let mut body = hex("00 01 74 00");
    body.resize(98, b'x');
    assert!(matches!(
        decoder.decode(&mut packet(0x30, &body)),
        Ok(Some(Packet::Publish(_)))
    ));
    // ...a 101-byte one is refused with only its 3 header bytes received.
    let mut header = BytesMut::from(&hex("30 63")[..]);
    let error = decoder.decode(&mut header).unwrap_err();
    assert_eq!(
        error.kind,
        K::PacketTooLarge {
            size: 101,
            max: 100
        }
    );
    assert_eq!(error.reason_code(), R::PacketTooLarge);
    // A huge announced CONNECT is refused the same way, as a CONNECT.
    let error = Decoder::server(100)
        .decode(&mut hex("10 ff ff ff 7f")[..].into())
        .unwrap_err();
    assert!(error.in_connect());
    assert_eq!(error.reason_code(), R::PacketTooLarge);
}

#[test]
fn incomplete_packets_wait_without_consuming() {
    let mut decoder = server(V5);
    let mut buf = BytesMut::from(&hex("30 05 00 01")[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert_eq!(buf.len(), 4);
    assert_eq!(decoder.decode(&mut BytesMut::new()), Ok(None));
    // A large announced packet within the limit reserves room only as far as is reasonable,
    // so a peer cannot make us allocate it by sending a header.
    let mut decoder = Decoder::server(u32::MAX);
    decoder.set_version(V5);
    let mut buf = BytesMut::from(&hex("30 ff ff ff 7f")[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    assert!(buf.capacity() < 1 << 20, "reserved {}", buf.capacity());
}

#[test]
fn invalid_fixed_header_flags() {
    for bytes in [
        "60 02 00 01",
        "41 02 00 01",
        "80 06 00 01 00 01 61 00",
        "a0 05 00 01 00 01 61",
        "c1 00",
        "e8 00",
    ] {
        let flags = hex(bytes)[0] & 0x0F;
        rejects(
            server(V3),
            hex(bytes)[..].into(),
            K::InvalidFlags { flags },
            R::MalformedPacket,
        );
    }
    let mut connect_with_flags = connect("MQTT", 4, 2, &[0, 0]);
    connect_with_flags[0] = 0x11;
    let error = rejects(
        Decoder::server(1024),
        connect_with_flags,
        K::InvalidFlags { flags: 1 },
        R::MalformedPacket,
    );
    assert!(error.in_connect());
}

#[test]
fn reserved_packet_types() {
    rejects(
        server(V5),
        hex("00 00")[..].into(),
        K::ReservedPacketType(0),
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("f0 00")[..].into(),
        K::ReservedPacketType(15),
        R::MalformedPacket,
    );
    rejects(
        Decoder::client(V3, 64),
        hex("f0 00")[..].into(),
        K::ReservedPacketType(15),
        R::MalformedPacket,
    );
}

#[test]
fn publish_flags() {
    rejects(
        server(V3),
        packet(0x36, &hex("00 01 74 00 01")),
        K::InvalidQoS,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        packet(0x38, &hex("00 01 74")),
        K::DupOnQoS0,
        R::MalformedPacket,
    );
}

#[test]
fn zero_packet_identifiers() {
    let zero = |decoder: Decoder, bytes: BytesMut| {
        rejects(decoder, bytes, K::ZeroPacketId, R::ProtocolError)
    };
    zero(server(V3), packet(0x32, &hex("00 01 74 00 00")));
    zero(server(V3), packet(0x40, &hex("00 00")));
    zero(server(V3), packet(0x50, &hex("00 00")));
    zero(server(V3), packet(0x62, &hex("00 00")));
    zero(server(V3), packet(0x70, &hex("00 00")));
    zero(server(V3), packet(0x82, &hex("00 00 00 01 61 00")));
    zero(server(V3), packet(0xA2, &hex("00 00 00 01 61")));
    zero(Decoder::client(V3, 64), packet(0x90, &hex("00 00 00")));
    zero(Decoder::client(V3, 64), packet(0xB0, &hex("00 00")));
}

#[test]
fn remaining_length_disagreeing_with_the_content() {
    rejects(
        server(V3),
        hex("40 03 00 01 00")[..].into(),
        K::TrailingBytes,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("c0 01 00")[..].into(),
        K::TrailingBytes,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("e0 01 00")[..].into(),
        K::TrailingBytes,
        R::MalformedPacket,
    );
    rejects(
        server(V5),
        hex("40 05 00 01 00 00 00")[..].into(),
        K::TrailingBytes,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("30 03 00 05 61")[..].into(),
        K::Truncated,
        R::MalformedPacket,
    );
    rejects(
        server(V5),
        hex("30 05 00 01 74 09 01")[..].into(),
        K::Truncated,
        R::MalformedPacket,
    );
    rejects(
        server(V3),
        hex("40 01 00")[..].into(),
        K::Truncated,
        R::MalformedPacket,
    );
    rejects(
        Decoder::client(V3, 64),
        hex("20 01 00")[..].into(),
        K::Truncated,
        R::MalformedPacket,
    );
    rejects(
        Decoder::server(1024),
        connect("MQTT", 4, 2, &[0]),
        K::Truncated,
        R::MalformedPacket,
    );
}

#[test]
fn packet_order_and_direction() {
    rejects(
        Decoder::server(1024),
        hex("c0 00")[..].into(),
        K::ExpectedConnect,
        R::ProtocolError,
    );
    let mut decoder = Decoder::server(1024);
    let mut two = connect("MQTT", 4, 2, &hex("00 01 63"));
    two.extend_from_slice(&two.clone());
    assert!(decoder.decode(&mut two).unwrap().is_some());
    let error = decoder.decode(&mut two).unwrap_err();
    assert_eq!(
        (error.reason_code(), error.kind),
        (R::ProtocolError, K::SecondConnect)
    );

    let wrong = |decoder: Decoder, bytes: &str, packet_type| {
        rejects(
            decoder,
            hex(bytes)[..].into(),
            K::WrongDirection(packet_type),
            R::ProtocolError,
        )
    };
    wrong(server(V5), "20 03 00 00 00", PacketType::ConnAck);
    wrong(server(V5), "d0 00", PacketType::PingResp);
    wrong(server(V5), "90 04 00 01 00 00", PacketType::SubAck);
    wrong(Decoder::client(V5, 64), "c0 00", PacketType::PingReq);
    wrong(
        Decoder::client(V5, 64),
        "82 06 00 01 00 01 61 00",
        PacketType::Subscribe,
    );
    wrong(Decoder::client(V5, 64), "10 00", PacketType::Connect);
    wrong(Decoder::client(V3, 64), "e0 00", PacketType::Disconnect);
}

#[test]
fn connack_rules() {
    let client = |v| Decoder::client(v, 64);
    rejects(
        client(V3),
        hex("20 02 02 00")[..].into(),
        K::InvalidConnackFlags,
        R::MalformedPacket,
    );
    rejects(
        client(V5),
        hex("20 03 01 80 00")[..].into(),
        K::SessionPresentWithError,
        R::ProtocolError,
    );
    rejects(
        client(V3),
        hex("20 02 00 06")[..].into(),
        K::InvalidReasonCode {
            code: 6,
            packet: PacketType::ConnAck,
        },
        R::ProtocolError,
    );
    rejects(
        client(V5),
        hex("20 03 00 8e 00")[..].into(),
        K::InvalidReasonCode {
            code: 0x8E,
            packet: PacketType::ConnAck,
        },
        R::ProtocolError,
    );
}

#[test]
fn invalid_reason_codes() {
    let invalid = |code, packet| K::InvalidReasonCode { code, packet };
    rejects(
        server(V5),
        hex("40 03 00 01 04")[..].into(),
        invalid(0x04, PacketType::PubAck),
        R::ProtocolError,
    );
    rejects(
        server(V5),
        hex("62 03 00 01 10")[..].into(),
        invalid(0x10, PacketType::PubRel),
        R::ProtocolError,
    );
    rejects(
        server(V5),
        hex("e0 01 03")[..].into(),
        invalid(0x03, PacketType::Disconnect),
        R::ProtocolError,
    );
    rejects(
        server(V5),
        hex("f0 01 01")[..].into(),
        invalid(0x01, PacketType::Auth),
        R::ProtocolError,
    );
    rejects(
        Decoder::client(V5, 64),
        hex("90 04 00 01 00 11")[..].into(),
        invalid(0x11, PacketType::SubAck),
        R::ProtocolError,
    );
    rejects(
        Decoder::client(V3, 64),
        hex("90 03 00 01 03")[..].into(),
        invalid(0x03, PacketType::SubAck),
        R::ProtocolError,
    );
}

#[test]
fn errors_describe_themselves() {
    let error = server(V3)
        .decode(&mut hex("30 03 00 01 2b")[..].into())
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("Publish") && text.contains("MQTT-3.3.2-2"),
        "{text}"
    );
    assert!(!error.in_connect());
}
