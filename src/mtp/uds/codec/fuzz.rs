//! A fuzzing entry point for the UDS decoder, for a coverage-guided fuzzer to call later and a
//! proptest to call now. Besides "never panics" it checks two oracles: split input decodes
//! like whole input, and re-encoding the decoded frames reproduces the consumed bytes exactly
//! (the framing has a single encoding, so any difference is a decoder bug).

use bytes::BytesMut;

use super::decoder::Decoder;
use super::frame::UdsFrame;

/// Runs the decoder over `bytes` with the default and a tiny length limit, whole and split.
/// Panics only when an oracle fails.
pub fn fuzz_decode(bytes: &[u8]) {
    for max_frame_len in [super::DEFAULT_MAX_FRAME_LEN, 64] {
        let whole = run(bytes, max_frame_len, &[bytes.len()]);
        for sizes in [vec![1], chunk_sizes(bytes)] {
            let split = run(bytes, max_frame_len, &sizes);
            assert_eq!(whole, split, "split input decoded differently");
        }

        let mut again = BytesMut::new();
        for frame in &whole.0 {
            frame.encode(&mut again).expect("decoded frames fit a u32");
        }
        assert_eq!(&again[..], &bytes[..again.len()], "re-encoding differs");
    }
}

/// The frames decoded, and whether the stream ended in an error.
fn run(bytes: &[u8], max_frame_len: usize, chunk_sizes: &[usize]) -> (Vec<UdsFrame>, bool) {
    let mut decoder = Decoder::new(max_frame_len);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
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
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(_) => return (frames, true),
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return (frames, false),
            Err(_) => return (frames, true),
        }
    }
}

/// Chunk sizes of 1 to 31 bytes taken from the input itself, so a fuzzer that mutates the
/// input also explores where the reads split it.
fn chunk_sizes(bytes: &[u8]) -> Vec<usize> {
    let sizes: Vec<usize> = bytes.iter().map(|&b| usize::from(b % 31) + 1).collect();
    if sizes.is_empty() { vec![1] } else { sizes }
}
