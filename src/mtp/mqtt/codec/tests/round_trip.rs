//! Property tests: every valid packet survives encode → decode, however the bytes are split
//! across reads and however many share a buffer; and arbitrary bytes never panic the decoder.

use bytes::BytesMut;
use proptest::collection::vec;
use proptest::prelude::*;

use super::super::*;
use super::strategies::{client_packet, connect, publish, server_packet, version};

const MAX: u32 = 1 << 20;

/// A client's stream: its CONNECT, then packets in the CONNECT's version.
fn client_stream() -> impl Strategy<Value = (ProtocolVersion, Vec<Packet>)> {
    version().prop_flat_map(|v| {
        (connect(v), vec(client_packet(v), 0..8)).prop_map(move |(connect, rest)| {
            let mut packets = vec![Packet::from(connect)];
            packets.extend(rest);
            (v, packets)
        })
    })
}

/// A server's stream to a client of that version.
fn server_stream() -> impl Strategy<Value = (ProtocolVersion, Vec<Packet>)> {
    version().prop_flat_map(|v| vec(server_packet(v), 1..8).prop_map(move |packets| (v, packets)))
}

fn encode_all(version: ProtocolVersion, packets: &[Packet]) -> BytesMut {
    let mut wire = BytesMut::new();
    for packet in packets {
        let before = wire.len();
        packet
            .encode(version, &mut wire)
            .expect("valid packets encode");
        assert_eq!(packet.encoded_len(version), Ok(wire.len() - before));
    }
    wire
}

/// Feeds `wire` in chunks ending at `cuts`, decoding after each, and expects it to hold
/// whole packets only.
fn decode_in_chunks(
    decoder: Decoder,
    wire: &[u8],
    cuts: &[usize],
) -> (Vec<Packet>, Option<DecodeError>) {
    let (packets, error, left_over) = decode_chunks(decoder, wire, cuts);
    assert_eq!(left_over, 0, "bytes left over after the last packet");
    (packets, error)
}

/// Feeds `wire` in chunks ending at `cuts`, decoding after each, until an error or the end.
/// Returns the packets, the error if any, and how many bytes were left undecoded.
fn decode_chunks(
    mut decoder: Decoder,
    wire: &[u8],
    cuts: &[usize],
) -> (Vec<Packet>, Option<DecodeError>, usize) {
    let mut ends: Vec<usize> = cuts.iter().map(|cut| cut % (wire.len() + 1)).collect();
    ends.push(wire.len());
    ends.sort_unstable();
    let (mut buf, mut packets, mut start) = (BytesMut::new(), Vec::new(), 0);
    for end in ends {
        buf.extend_from_slice(&wire[start..end]);
        start = end;
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => break,
                Err(error) => return (packets, Some(error), 0),
            }
        }
    }
    (packets, None, buf.len())
}

fn decoder_for(role: Role, version: ProtocolVersion) -> Decoder {
    match role {
        Role::Server => Decoder::server(MAX),
        Role::Client => Decoder::client(version, MAX),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_client_stream_decodes_back_in_one_buffer((v, packets) in client_stream()) {
        let wire = encode_all(v, &packets);
        let (decoded, error) = decode_in_chunks(Decoder::server(MAX), &wire, &[]);
        prop_assert_eq!(error, None);
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn a_server_stream_decodes_back_in_one_buffer((v, packets) in server_stream()) {
        let wire = encode_all(v, &packets);
        let (decoded, error) = decode_in_chunks(Decoder::client(v, MAX), &wire, &[]);
        prop_assert_eq!(error, None);
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn any_split_gives_the_same_packets(
        (v, packets) in client_stream(),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let wire = encode_all(v, &packets);
        let (decoded, error) = decode_in_chunks(Decoder::server(MAX), &wire, &cuts);
        prop_assert_eq!(error, None);
        prop_assert_eq!(decoded, packets);
    }

    #[test]
    fn any_split_gives_the_same_packets_to_a_client(
        (v, packets) in server_stream(),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let wire = encode_all(v, &packets);
        let (decoded, error) = decode_in_chunks(Decoder::client(v, MAX), &wire, &cuts);
        prop_assert_eq!(error, None);
        prop_assert_eq!(decoded, packets);
    }

    /// Corrupted streams too: a split changes neither the packets nor the error.
    #[test]
    fn any_split_gives_the_same_outcome_on_corrupt_input(
        (role, (v, packets)) in prop_oneof![
            client_stream().prop_map(|stream| (Role::Server, stream)),
            server_stream().prop_map(|stream| (Role::Client, stream)),
        ],
        flips in vec((any::<usize>(), any::<u8>()), 1..4),
        cuts in vec(any::<usize>(), 1..12),
    ) {
        let mut wire = encode_all(v, &packets);
        for (at, byte) in flips {
            let len = wire.len();
            wire[at % len] ^= byte;
        }
        let whole = decode_chunks(decoder_for(role, v), &wire, &[]);
        let split = decode_chunks(decoder_for(role, v), &wire, &cuts);
        prop_assert_eq!(whole, split);
        fuzz_decode(&wire);
    }

    /// The vectored path writes exactly what `encode` writes, minus the payload.
    #[test]
    fn publish_header_plus_payload_is_the_packet(
        (v, publish) in version().prop_flat_map(|v| (Just(v), publish(v, Role::Server))),
    ) {
        let mut whole = BytesMut::new();
        Packet::Publish(publish.clone()).encode(v, &mut whole).unwrap();
        let mut header = BytesMut::new();
        publish.encode_header(v, &mut header).unwrap();
        prop_assert_eq!(header.len(), publish.header_len(v).unwrap());
        prop_assert_eq!(publish.encoded_len(v).unwrap(), whole.len());
        header.extend_from_slice(&publish.payload);
        prop_assert_eq!(header, whole);
    }

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        fuzz_decode(&bytes);
    }

    /// Random bodies behind plausible first bytes reach deeper than fully random input.
    #[test]
    fn random_bodies_never_panic(first in any::<u8>(), body in vec(any::<u8>(), 0..200)) {
        let mut bytes = vec![first, body.len() as u8 & 0x7F];
        bytes.extend_from_slice(&body);
        fuzz_decode(&bytes);
    }
}
