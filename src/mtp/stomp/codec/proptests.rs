//! Property tests: encode → decode round trips, any split of the input decodes the same, and
//! the fuzz entry point survives random and mutated input.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::net::split_check::{decode_cut_at, mutate};

/// Header text the wire can carry for this command: no NUL anywhere, and in the unescaped
/// CONNECT/CONNECTED no CR, LF, and no colon in names.
fn header_strategy(command: Command) -> BoxedStrategy<(String, String)> {
    if command.escapes_headers() {
        ("[^\0]{1,12}", "[^\0]{0,16}").boxed()
    } else {
        ("[^\0\r\n:]{1,12}", "[^\0\r\n]{0,16}").boxed()
    }
}

fn frame_strategy() -> impl Strategy<Value = Frame> {
    proptest::sample::select(Command::ALL.to_vec()).prop_flat_map(|command| {
        let headers = proptest::collection::vec(header_strategy(command), 0..6)
            .prop_filter("the encoder owns content-length", |hs| {
                hs.iter().all(|(n, _)| n != CONTENT_LENGTH)
            });
        let body = proptest::collection::vec(any::<u8>(), 0..64);
        (headers, body).prop_map(move |(headers, body)| Frame {
            command,
            headers: headers.into_iter().collect(),
            body: Bytes::from(body),
        })
    })
}

/// A frame as the decoder returns it: the encoder appended `content-length`.
fn as_decoded(frame: &Frame) -> Frame {
    let mut expected = frame.clone();
    if !frame.body.is_empty() || frame.command.may_have_body() {
        expected
            .headers
            .push(CONTENT_LENGTH, frame.body.len().to_string());
    }
    expected
}

/// Frames with heart-beats sprinkled between them, and the items they should decode to.
fn stream_strategy() -> impl Strategy<Value = (Vec<u8>, Vec<Item>)> {
    proptest::collection::vec((frame_strategy(), 0..3usize, any::<bool>()), 0..6).prop_map(
        |parts| {
            let mut wire = BytesMut::new();
            let mut items = Vec::new();
            for (frame, heartbeats, crlf) in parts {
                for _ in 0..heartbeats {
                    wire.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                    items.push(Item::Heartbeat);
                }
                frame.encode(&mut wire);
                items.push(Item::Frame(as_decoded(&frame)));
            }
            (wire.to_vec(), items)
        },
    )
}

/// Frames as a lenient client may write them: no content-length, the body ends at the first
/// NUL. Bodies reach past the tiny limits `fuzz_decode` also runs with.
fn nul_terminated_stream() -> impl Strategy<Value = (Vec<u8>, Vec<Vec<u8>>)> {
    let frame = (
        proptest::sample::select(vec!["SEND", "MESSAGE", "ERROR"]),
        proptest::collection::vec("[a-z]{1,8}:[a-z/]{0,8}", 0..3),
        proptest::collection::vec(1u8..=255, 0..300),
        any::<bool>(),
    );
    proptest::collection::vec(frame, 0..4).prop_map(|frames| {
        let mut wire = Vec::new();
        let mut bodies = Vec::new();
        for (command, headers, body, crlf) in frames {
            let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            wire.extend_from_slice(command.as_bytes());
            wire.extend_from_slice(eol);
            for header in headers {
                wire.extend_from_slice(header.as_bytes());
                wire.extend_from_slice(eol);
            }
            wire.extend_from_slice(eol);
            wire.extend_from_slice(&body);
            wire.push(0);
            bodies.push(body);
        }
        (wire, bodies)
    })
}

/// Valid input cut at `cuts`: it must decode cleanly, with nothing left over.
fn decode_in_pieces(wire: &[u8], cuts: &[usize]) -> Vec<Item> {
    decode_cut_at(Decoder::default(), wire, cuts).expect_clean()
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(frame in frame_strategy()) {
        let mut wire = BytesMut::new();
        frame.encode(&mut wire);
        let got = Decoder::default().decode(&mut wire).unwrap();
        prop_assert_eq!(got, Some(Item::Frame(as_decoded(&frame))));
        prop_assert!(wire.is_empty());
    }

    #[test]
    fn head_then_body_then_nul_equals_encode(frame in frame_strategy()) {
        let mut whole = BytesMut::new();
        frame.encode(&mut whole);
        let mut pieces = BytesMut::new();
        frame.encode_head(&mut pieces);
        pieces.extend_from_slice(&frame.body);
        pieces.extend_from_slice(FRAME_END);
        prop_assert_eq!(whole, pieces);
    }

    #[test]
    fn any_split_decodes_the_same(
        (wire, expected) in stream_strategy(),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        prop_assert_eq!(decode_in_pieces(&wire, &[]), expected.clone());
        prop_assert_eq!(decode_in_pieces(&wire, &cuts), expected);
    }

    #[test]
    fn byte_by_byte_decodes_the_same((wire, expected) in stream_strategy()) {
        let cuts: Vec<usize> = (0..wire.len()).collect();
        prop_assert_eq!(decode_in_pieces(&wire, &cuts), expected);
    }

    #[test]
    fn nul_terminated_bodies_survive_any_split(
        (wire, bodies) in nul_terminated_stream(),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let got: Vec<Vec<u8>> = decode_in_pieces(&wire, &cuts)
            .into_iter()
            .map(|item| match item {
                Item::Frame(frame) => frame.body.to_vec(),
                Item::Heartbeat => panic!("no heart-beats were written"),
            })
            .collect();
        prop_assert_eq!(got, bodies);
        fuzz_decode(&wire);
    }

    #[test]
    fn fuzz_decode_survives_mutated_nul_terminated_frames(
        (wire, _) in nul_terminated_stream(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3),
    ) {
        let mut wire = wire;
        let uncut = wire.len();
        mutate(&mut wire, &flips, uncut);
        fuzz_decode(&wire);
    }

    #[test]
    fn fuzz_decode_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        fuzz_decode(&bytes);
    }

    #[test]
    fn fuzz_decode_survives_random_heads(
        command in proptest::sample::select(Command::ALL.to_vec()),
        rest in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(b':'), Just(b'\\'), Just(0u8), any::<u8>()],
            0..256,
        ),
    ) {
        let mut wire = format!("{command}\n").into_bytes();
        wire.extend_from_slice(&rest);
        fuzz_decode(&wire);
    }

    #[test]
    fn fuzz_decode_survives_mutated_frames(
        (wire, _) in stream_strategy(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let mut wire = wire;
        mutate(&mut wire, &flips, cut);
        fuzz_decode(&wire);
    }

    #[test]
    fn heart_beat_header_round_trips(cx in any::<u64>(), cy in any::<u64>()) {
        let hb = HeartBeat { can_send_ms: cx, wants_receive_ms: cy };
        prop_assert_eq!(HeartBeat::parse(&hb.to_string()), Ok(hb));
    }
}
