//! A fuzzing entry point for the STOMP decoder. It exists so that a coverage-guided fuzzer
//! (cargo-fuzz, AFL) can be pointed at one function later; today a proptest feeds it random
//! bytes. Besides "never panics", it checks two oracles whose failure would be a decoder bug:
//! feeding the input in pieces gives the same result as feeding it at once, and every decoded
//! frame survives encode → decode.

use bytes::BytesMut;

use super::decoder::{Decoder, DecoderLimits, Item};
use super::frame::CONTENT_LENGTH;

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
        let whole = run(bytes, limits, &[bytes.len()]);
        for split in [
            run(bytes, limits, &[1]),
            run(bytes, limits, &chunk_sizes(bytes)),
        ] {
            assert_eq!(whole.0, split.0, "split input decoded differently");
            assert_eq!(whole.1, split.1, "split input failed differently");
        }
        for item in &whole.0 {
            if let Item::Frame(frame) = item {
                check_round_trip(frame);
            }
        }
    }
}

/// The items decoded, and whether the stream ended in an error.
fn run(bytes: &[u8], limits: DecoderLimits, chunk_sizes: &[usize]) -> (Vec<Item>, bool) {
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    let mut rest = bytes;
    for &size in chunk_sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
        rest = tail;
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(_) => return (items, true),
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return (items, false),
            Err(_) => return (items, true),
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

/// Chunk sizes of 1 to 31 bytes taken from the input itself, so a fuzzer that mutates the
/// input also explores where the reads split it.
fn chunk_sizes(bytes: &[u8]) -> Vec<usize> {
    let sizes: Vec<usize> = bytes.iter().map(|&b| usize::from(b % 31) + 1).collect();
    if sizes.is_empty() { vec![1] } else { sizes }
}
