//! The fuzz entry point of the WebSocket decoder (`fuzz/fuzz_targets/ws_frame_decode.rs`), and
//! the masked client encoder it and the unit tests use as an oracle.
//!
//! It lives here rather than in the fuzz crate so the unit tests can run the same checks on
//! inputs proptest builds.

use bytes::{BufMut, BytesMut};

use super::decoder::{Decoder, Incoming};
use super::frame::{MAX_CONTROL_PAYLOAD, OpCode, apply_mask};
use crate::net::split_check::{check_splits, decode_whole};

/// Appends one masked client frame: what a conforming client sends.
pub fn encode_client_frame(opcode: OpCode, fin: bool, payload: &[u8], mask: [u8; 4], dst: &mut BytesMut) {
    dst.put_u8(if fin { 0x80 } else { 0 } | opcode.as_u8());
    match payload.len() {
        n @ 0..=125 => dst.put_u8(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            dst.put_u8(0x80 | 126);
            dst.put_u16(n as u16);
        }
        n => {
            dst.put_u8(0x80 | 127);
            dst.put_u64(n as u64);
        }
    }
    dst.put_slice(&mask);
    let start = dst.len();
    dst.put_slice(payload);
    apply_mask(&mut dst[start..], mask);
}

/// Appends `item` as a client would send it, a binary message in one frame.
pub fn encode_client_item(item: &Incoming, mask: [u8; 4], dst: &mut BytesMut) {
    match item {
        Incoming::Binary(b) => encode_client_frame(OpCode::Binary, true, b, mask, dst),
        Incoming::Ping(b) => encode_client_frame(OpCode::Ping, true, b, mask, dst),
        Incoming::Pong(b) => encode_client_frame(OpCode::Pong, true, b, mask, dst),
        Incoming::Close(None) => encode_client_frame(OpCode::Close, true, &[], mask, dst),
        Incoming::Close(Some(c)) => {
            let mut body = c.code.0.to_be_bytes().to_vec();
            body.extend_from_slice(&c.reason);
            encode_client_frame(OpCode::Close, true, &body, mask, dst);
        }
    }
}

/// Decodes `bytes` under a default and a tiny message limit. Panics if splitting the input
/// changes the outcome, if a decoded item breaks a rule the decoder enforces, or if encoding the
/// items again as single frames does not decode to the same items.
pub fn fuzz_decode(bytes: &[u8]) {
    for max_message in [1 << 20, 64] {
        let whole = check_splits(|| Decoder::new(max_message), bytes);
        let mut again = BytesMut::new();
        for item in &whole.items {
            match item {
                Incoming::Binary(b) => assert!(b.len() <= max_message, "message over the limit"),
                Incoming::Ping(b) | Incoming::Pong(b) => assert!(b.len() <= MAX_CONTROL_PAYLOAD),
                Incoming::Close(Some(c)) => {
                    assert!(c.code.is_sendable(), "invalid close code accepted");
                    assert!(std::str::from_utf8(&c.reason).is_ok(), "invalid reason accepted");
                }
                Incoming::Close(None) => {}
            }
            encode_client_item(item, [0x5a, 0xa5, 0x0f, 0xf0], &mut again);
        }
        let decoded = decode_whole(Decoder::new(max_message), &again).expect("re-encoded items decode");
        assert_eq!(decoded, whole.items, "re-encoded items decode differently");
        // Nothing follows a Close.
        if let Some(at) = whole.items.iter().position(|i| matches!(i, Incoming::Close(_))) {
            assert_eq!(at + 1, whole.items.len(), "an item after Close");
        }
    }
}
