//! The fuzzing entry point for the UDS decoder, called by the cargo-fuzz target
//! `fuzz/fuzz_targets/uds_decode.rs` and by a proptest. Besides "never panics" it checks two
//! oracles: split input decodes like whole input ([`check_splits`]), and re-encoding the
//! decoded frames reproduces the consumed bytes exactly (the framing has a single encoding, so
//! any difference is a decoder bug).

use bytes::BytesMut;

use super::decoder::Decoder;
use crate::net::split_check::check_splits;

/// Runs the decoder over `bytes` with the default and a tiny length limit, whole and split.
/// Panics only when an oracle fails.
pub fn fuzz_decode(bytes: &[u8]) {
    for max_frame_len in [super::DEFAULT_MAX_FRAME_LEN, 64] {
        let whole = check_splits(|| Decoder::new(max_frame_len), bytes);
        let mut again = BytesMut::new();
        for frame in &whole.items {
            frame.encode(&mut again).expect("decoded frames fit a u32");
        }
        assert_eq!(&again[..], &bytes[..again.len()], "re-encoding differs");
    }
}
