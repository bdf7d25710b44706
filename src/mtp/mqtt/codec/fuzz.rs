//! [`fuzz_decode`]: one entry point a fuzzer can drive. It runs every kind of decoder over the
//! input and checks, for each packet accepted, that encoding it and decoding the result gives
//! the same packet, so a fuzzer finds wrong answers as well as panics.

use bytes::BytesMut;

use super::decoder::Decoder;
use super::packet::Packet;
use super::types::{ProtocolVersion, Role};

/// Large enough for anything a fuzzer produces; the size check itself is tested elsewhere.
const MAX_PACKET_SIZE: u32 = 1 << 20;

/// Decodes `input` as a stream for a fresh server, a server past CONNECT on each version, and
/// a client on each version. Panics only if the codec is wrong: a packet it accepted fails
/// to re-encode, or re-encodes to something that decodes differently.
pub fn fuzz_decode(input: &[u8]) {
    let mut decoders = vec![Decoder::server(MAX_PACKET_SIZE)];
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let mut server = Decoder::server(MAX_PACKET_SIZE);
        server.set_version(version);
        decoders.push(server);
        decoders.push(Decoder::client(version, MAX_PACKET_SIZE));
    }
    for mut decoder in decoders {
        let mut buf = BytesMut::from(input);
        loop {
            let version_before = decoder.version();
            match decoder.decode(&mut buf) {
                Ok(Some(packet)) => check_round_trip(&packet, version_before, &decoder),
                Ok(None) => break,
                Err(error) => {
                    // Every error must map to a reason code without panicking.
                    let _ = (error.reason_code(), error.in_connect(), error.to_string());
                    break;
                }
            }
        }
    }
}

/// Encodes `packet` and decodes it again with a decoder in the state that accepted it.
fn check_round_trip(packet: &Packet, version_before: Option<ProtocolVersion>, decoder: &Decoder) {
    let version = decoder
        .version()
        .expect("a decoded packet fixes the version");
    let mut wire = BytesMut::new();
    packet
        .encode(version, &mut wire)
        .expect("an accepted packet must encode");
    assert_eq!(
        Ok(wire.len()),
        packet.encoded_len(version),
        "encoded_len disagrees with encode"
    );

    let mut again = match (decoder.role(), version_before) {
        (Role::Server, None) => Decoder::server(u32::MAX),
        (Role::Server, Some(before)) => {
            let mut server = Decoder::server(u32::MAX);
            server.set_version(before);
            server
        }
        (Role::Client, _) => Decoder::client(version, u32::MAX),
    };
    let decoded = again.decode(&mut wire);
    assert_eq!(
        decoded,
        Ok(Some(packet.clone())),
        "re-encoded packet decodes differently"
    );
    assert!(wire.is_empty(), "re-encoded packet left bytes behind");
}
