//! The fuzzing entry point for the STOMP decoder, called by the cargo-fuzz target
//! `fuzz/fuzz_targets/stomp_decode.rs` and by a proptest. Besides "never panics", it checks two
//! oracles whose failure would be a decoder bug: feeding the input in pieces gives the same
//! result as feeding it at once ([`check_splits`]), and every decoded frame survives
//! encode → decode.

use bytes::BytesMut;

use super::decoder::{Decoder, DecoderLimits, Item};
use super::frame::CONTENT_LENGTH;
use crate::net::split_check::check_splits;

/// Runs the decoder over `bytes` under default and tiny limits, whole and split. Panics only
/// when one of the oracles above fails.
pub fn fuzz_decode(bytes: &[u8]) {
    let tiny = DecoderLimits {
        max_frame_size: 512,
        max_headers: 4,
        max_header_line: 64,
        max_body_size: 128,
    };
    for limits in [DecoderLimits::default(), tiny] {
        let whole = check_splits(|| Decoder::new(limits), bytes);
        for item in &whole.items {
            if let Item::Frame(frame) = item {
                check_round_trip(frame);
            }
        }
    }
}

fn check_round_trip(frame: &super::Frame) {
    let mut wire = BytesMut::new();
    frame.encode(&mut wire);
    let roomy = DecoderLimits {
        max_frame_size: usize::MAX,
        max_headers: usize::MAX,
        max_header_line: usize::MAX,
        max_body_size: usize::MAX,
    };
    let again = match Decoder::new(roomy).decode(&mut wire) {
        Ok(Some(Item::Frame(again))) => again,
        other => panic!("re-encoded {frame:?} decoded as {other:?}"),
    };
    assert!(wire.is_empty(), "re-encoded frame left bytes behind");
    assert_eq!(again.command, frame.command);
    assert_eq!(again.body, frame.body);
    // The encoder owns content-length, so only the other headers must match.
    let others = |f: &super::Frame| {
        f.headers
            .iter()
            .filter(|(n, _)| *n != CONTENT_LENGTH)
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(others(&again), others(frame));
}
