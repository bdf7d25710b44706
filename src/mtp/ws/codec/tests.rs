//! The decoder against every rule of RFC 6455 §5 it enforces, split reads, and a property test:
//! random client streams (fragmented messages, interleaved control frames) decode to the
//! messages that were encoded, however the reads cut them.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::decoder::{CloseFrame, DecodeError, Decoder, Incoming};
use super::frame::{CloseCode, OpCode, apply_mask, encode_close, encode_control, encode_header, header_len};
use super::fuzz::{encode_client_frame, fuzz_decode};
use crate::net::FrameDecoder;
use crate::net::split_check::{decode_chunked, decode_cut_at, decode_whole};

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn frame(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut b = BytesMut::new();
    encode_client_frame(opcode, fin, payload, MASK, &mut b);
    b.to_vec()
}

fn decode(max: usize, wire: &[u8]) -> Result<Vec<Incoming>, DecodeError> {
    decode_whole(Decoder::new(max), wire)
}

fn binary(b: &[u8]) -> Incoming {
    Incoming::Binary(Bytes::copy_from_slice(b))
}

#[test]
fn rfc_examples_decode() {
    // RFC 6455 §5.7: a masked "Hello", then a masked Ping "Hello" (as binary, USP's kind).
    let mut wire = vec![0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    wire.extend_from_slice(&[0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    assert_eq!(decode(1024, &wire).unwrap(), vec![binary(b"Hello"), Incoming::Ping(Bytes::from_static(b"Hello"))]);
}

#[test]
fn lengths_of_7_16_and_64_bits() {
    for len in [0, 1, 125, 126, 127, 0xFFFF, 0x10000, 200_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let wire = frame(OpCode::Binary, true, &payload);
        assert_eq!(wire.len(), 6 + payload.len() + header_len(len) - 2, "len {len}");
        assert_eq!(decode(1 << 20, &wire).unwrap(), vec![binary(&payload)], "len {len}");
    }
}

#[test]
fn single_frame_messages_are_split_off_the_read_buffer() {
    let wire = frame(OpCode::Binary, true, &[9u8; 300]);
    let mut buf = BytesMut::from(&wire[..]);
    let start = buf.as_ptr() as usize;
    let Some(Incoming::Binary(record)) = Decoder::new(1024).decode(&mut buf).unwrap() else { panic!() };
    // The payload is the read buffer's own memory, unmasked in place: no copy.
    assert_eq!(record.as_ptr() as usize, start + 8);
    assert_eq!(&record[..], &[9u8; 300][..]);
}

#[test]
fn unmasked_frames_are_refused_with_1002() {
    let mut wire = frame(OpCode::Binary, true, b"abc");
    wire[1] &= 0x7F;
    let err = decode(1024, &wire).unwrap_err();
    assert_eq!(err, DecodeError::Unmasked);
    assert_eq!(err.close_code(), CloseCode::PROTOCOL);
}

#[test]
fn reserved_bits_are_refused_with_1002() {
    for bit in [0x40, 0x20, 0x10] {
        let mut wire = frame(OpCode::Binary, true, b"abc");
        wire[0] |= bit;
        assert_eq!(decode(1024, &wire).unwrap_err(), DecodeError::ReservedBits);
    }
    assert_eq!(DecodeError::ReservedBits.close_code(), CloseCode::PROTOCOL);
}

#[test]
fn reserved_opcodes_are_refused_with_1002() {
    for op in [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        let mut wire = frame(OpCode::Binary, true, b"");
        wire[0] = 0x80 | op;
        let err = decode(1024, &wire).unwrap_err();
        assert_eq!(err, DecodeError::UnknownOpcode(op));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL);
    }
}

#[test]
fn control_frames_must_be_short_and_whole() {
    for op in [OpCode::Ping, OpCode::Pong, OpCode::Close] {
        let err = decode(1 << 20, &frame(op, true, &[0u8; 126])).unwrap_err();
        assert_eq!(err, DecodeError::ControlTooLong(126));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL);
        let err = decode(1 << 20, &frame(op, false, b"")).unwrap_err();
        assert_eq!(err, DecodeError::FragmentedControl);
        assert_eq!(err.close_code(), CloseCode::PROTOCOL);
    }
    // 125 bytes is allowed, even under a smaller message limit.
    assert_eq!(decode(10, &frame(OpCode::Ping, true, &[1u8; 125])).unwrap(), vec![Incoming::Ping(Bytes::from(vec![1u8; 125]))]);
}

#[test]
fn oversize_is_refused_with_1009_from_the_header_alone() {
    // Only the header of a 1 MiB frame: refused before any payload arrives.
    let wire = frame(OpCode::Binary, true, &vec![0u8; 1 << 20]);
    let mut buf = BytesMut::from(&wire[..14]);
    let err = Decoder::new(1000).decode(&mut buf).unwrap_err();
    assert_eq!(err, DecodeError::TooBig { size: 1 << 20, max: 1000 });
    assert_eq!(err.close_code(), CloseCode::TOO_BIG);
    // Exactly the limit passes; one more byte does not.
    assert_eq!(decode(1000, &frame(OpCode::Binary, true, &[0u8; 1000])).unwrap().len(), 1);
    assert!(matches!(decode(1000, &frame(OpCode::Binary, true, &[0u8; 1001])), Err(DecodeError::TooBig { .. })));
    // Fragments count together: 600 + 600 > 1000, refused at the second header.
    let mut wire = frame(OpCode::Binary, false, &[0u8; 600]);
    wire.extend(frame(OpCode::Continuation, true, &[0u8; 600]));
    assert_eq!(decode(1000, &wire).unwrap_err(), DecodeError::TooBig { size: 1200, max: 1000 });
}

#[test]
fn a_64_bit_length_with_the_top_bit_is_refused() {
    let mut wire = vec![0x82, 0xFF];
    wire.extend_from_slice(&(1u64 << 63).to_be_bytes());
    wire.extend_from_slice(&MASK);
    assert_eq!(decode(usize::MAX, &wire).unwrap_err(), DecodeError::InvalidLength);
}

#[test]
fn text_is_refused_with_1003() {
    let err = decode(1024, &frame(OpCode::Text, true, b"hello")).unwrap_err();
    assert_eq!(err, DecodeError::Text);
    assert_eq!(err.close_code(), CloseCode::UNSUPPORTED);
    // Decided from the header: a huge text message is not buffered first.
    let mut buf = BytesMut::from(&frame(OpCode::Text, true, &[b'a'; 500])[..8]);
    assert_eq!(Decoder::new(1024).decode(&mut buf).unwrap_err(), DecodeError::Text);
}

#[test]
fn fragments_are_reassembled_around_control_frames() {
    let mut wire = frame(OpCode::Binary, false, b"one ");
    wire.extend(frame(OpCode::Ping, true, b"p"));
    wire.extend(frame(OpCode::Continuation, false, b""));
    wire.extend(frame(OpCode::Pong, true, b""));
    wire.extend(frame(OpCode::Continuation, true, b"two"));
    wire.extend(frame(OpCode::Binary, true, b"three"));
    assert_eq!(
        decode(1024, &wire).unwrap(),
        vec![Incoming::Ping(Bytes::from_static(b"p")), Incoming::Pong(Bytes::new()), binary(b"one two"), binary(b"three")]
    );
}

#[test]
fn continuation_rules_are_enforced_with_1002() {
    let err = decode(1024, &frame(OpCode::Continuation, true, b"x")).unwrap_err();
    assert_eq!(err, DecodeError::UnexpectedContinuation);
    assert_eq!(err.close_code(), CloseCode::PROTOCOL);
    for op in [OpCode::Binary, OpCode::Text] {
        let mut wire = frame(OpCode::Binary, false, b"x");
        wire.extend(frame(op, true, b"y"));
        let err = decode(1024, &wire).unwrap_err();
        assert_eq!(err, DecodeError::UnfinishedMessage);
        assert_eq!(err.close_code(), CloseCode::PROTOCOL);
    }
}

#[test]
fn close_frames_are_parsed_and_checked() {
    let close = |body: &[u8]| decode(1024, &frame(OpCode::Close, true, body));
    assert_eq!(close(b"").unwrap(), vec![Incoming::Close(None)]);
    let mut body = 1000u16.to_be_bytes().to_vec();
    body.extend_from_slice("bye ü".as_bytes());
    assert_eq!(
        close(&body).unwrap(),
        vec![Incoming::Close(Some(CloseFrame { code: CloseCode::NORMAL, reason: Bytes::from("bye ü") }))]
    );
    assert_eq!(close(&[0x03]).unwrap_err(), DecodeError::CloseTooShort);
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let err = close(&code.to_be_bytes()).unwrap_err();
        assert_eq!(err, DecodeError::InvalidCloseCode(code));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL);
    }
    for code in [1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999] {
        assert!(close(&code.to_be_bytes()).is_ok(), "code {code}");
    }
    let mut bad = 1000u16.to_be_bytes().to_vec();
    bad.extend_from_slice(&[0xC3, 0x28]);
    let err = close(&bad).unwrap_err();
    assert_eq!(err, DecodeError::CloseReasonNotUtf8);
    assert_eq!(err.close_code(), CloseCode::INVALID_DATA);
    // Nothing is read after a Close.
    let mut wire = frame(OpCode::Close, true, b"");
    wire.extend(frame(OpCode::Binary, true, b"late"));
    wire.extend_from_slice(b"garbage");
    assert_eq!(decode(1024, &wire).unwrap(), vec![Incoming::Close(None)]);
}

#[test]
fn truncated_streams_fail_at_eof() {
    let wire = frame(OpCode::Binary, true, b"abcdef");
    for cut in 1..wire.len() {
        assert_eq!(decode(1024, &wire[..cut]).unwrap_err(), DecodeError::Truncated, "cut {cut}");
    }
    // Ending between the frames of a fragmented message is truncation too.
    assert_eq!(decode(1024, &frame(OpCode::Binary, false, b"ab")).unwrap_err(), DecodeError::Truncated);
}

#[test]
fn byte_by_byte_reads_decode_alike() {
    let mut wire = frame(OpCode::Binary, true, &[5u8; 70_000]);
    wire.extend(frame(OpCode::Binary, false, b"ab"));
    wire.extend(frame(OpCode::Ping, true, b"!"));
    wire.extend(frame(OpCode::Continuation, true, b"cd"));
    let mut close_body = 1001u16.to_be_bytes().to_vec();
    close_body.extend_from_slice(b"away");
    wire.extend(frame(OpCode::Close, true, &close_body));
    let whole = decode(1 << 20, &wire).unwrap();
    assert_eq!(whole.len(), 4);
    let split = decode_chunked(Decoder::new(1 << 20), &wire, &[1]).expect_clean();
    assert_eq!(whole, split);
}

#[test]
fn server_frames_have_no_mask_and_minimal_lengths() {
    let mut b = BytesMut::new();
    encode_header(OpCode::Binary, true, 5, &mut b);
    assert_eq!(&b[..], &[0x82, 0x05]);
    b.clear();
    encode_header(OpCode::Binary, true, 300, &mut b);
    assert_eq!(&b[..], &[0x82, 126, 0x01, 0x2C]);
    b.clear();
    encode_header(OpCode::Binary, true, 70_000, &mut b);
    assert_eq!(&b[..], &[0x82, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
    b.clear();
    encode_control(OpCode::Pong, b"hi", &mut b);
    assert_eq!(&b[..], &[0x8A, 2, b'h', b'i']);
    b.clear();
    encode_close(CloseCode::TOO_BIG, &"é".repeat(100), &mut b);
    // Cut to 123 bytes of reason at a character boundary.
    assert_eq!(b.len(), 2 + 2 + 122);
    assert_eq!(&b[..4], &[0x88, 124, 0x03, 0xF1]);
    assert!(std::str::from_utf8(&b[4..]).is_ok());
}

#[test]
fn masking_matches_a_byte_loop() {
    for len in 0..40 {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
        let mut fast = data.clone();
        apply_mask(&mut fast, MASK);
        let slow: Vec<u8> = data.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]).collect();
        assert_eq!(fast, slow);
    }
}

/// One message of a generated client stream: a binary message cut into fragments, with
/// control frames between them.
#[derive(Debug, Clone)]
struct Message {
    payload: Vec<u8>,
    /// Fragment lengths; whatever is left of the payload goes in the last one.
    cuts: Vec<usize>,
    pings: Vec<Vec<u8>>,
}

fn message() -> impl Strategy<Value = Message> {
    (
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(0usize..100, 0..4),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..=125), 0..3),
    )
        .prop_map(|(payload, cuts, pings)| Message { payload, cuts, pings })
}

/// Encodes `messages` as a client would and returns the wire with the items it must decode to.
fn encode_stream(messages: &[Message], mask: [u8; 4]) -> (Vec<u8>, Vec<Incoming>) {
    let mut wire = BytesMut::new();
    let mut expected = Vec::new();
    for m in messages {
        let mut rest = &m.payload[..];
        let mut pings = m.pings.iter();
        let mut first = true;
        for &cut in &m.cuts {
            let (head, tail) = rest.split_at(cut.min(rest.len()));
            encode_client_frame(if first { OpCode::Binary } else { OpCode::Continuation }, false, head, mask, &mut wire);
            first = false;
            rest = tail;
            if let Some(p) = pings.next() {
                encode_client_frame(OpCode::Ping, true, p, mask, &mut wire);
                expected.push(Incoming::Ping(Bytes::copy_from_slice(p)));
            }
        }
        encode_client_frame(if first { OpCode::Binary } else { OpCode::Continuation }, true, rest, mask, &mut wire);
        expected.push(binary(&m.payload));
        for p in pings {
            encode_client_frame(OpCode::Pong, true, p, mask, &mut wire);
            expected.push(Incoming::Pong(Bytes::copy_from_slice(p)));
        }
    }
    (wire.to_vec(), expected)
}

proptest! {
    #[test]
    fn random_streams_decode_to_what_was_encoded(
        messages in prop::collection::vec(message(), 0..6),
        mask in any::<[u8; 4]>(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let (wire, expected) = encode_stream(&messages, mask);
        prop_assert_eq!(&decode(1 << 16, &wire).unwrap(), &expected);
        prop_assert_eq!(decode_cut_at(Decoder::new(1 << 16), &wire, &cuts).expect_clean(), expected);
        fuzz_decode(&wire);
    }

    #[test]
    fn damaged_streams_never_panic_and_split_alike(
        messages in prop::collection::vec(message(), 1..4),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let (mut wire, _) = encode_stream(&messages, MASK);
        crate::net::split_check::mutate(&mut wire, &flips, cut);
        fuzz_decode(&wire);
    }
}
