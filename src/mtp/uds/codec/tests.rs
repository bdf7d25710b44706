//! Tests of the UDS codec: the TR-369 example, each rejection, and properties (round trip, any
//! split, fuzz entry point).

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::net::split_check::{decode_cut_at, decode_whole, mutate};

fn decode_all(input: &[u8], max: usize) -> Result<Vec<UdsFrame>, DecodeError> {
    decode_whole(Decoder::new(max), input)
}

fn first_error(input: &[u8]) -> DecodeError {
    decode_all(input, DEFAULT_MAX_FRAME_LEN).expect_err("input must be rejected")
}

/// TR-369 §UDS example: the Handshake of `os::00256D-0123456789` (21 bytes).
const SPEC_HANDSHAKE: &[u8] = &[
    0x5F, 0x55, 0x53, 0x50, // "_USP"
    0x00, 0x00, 0x00, 0x1A, // 26 = 1 + 4 + 21
    0x01, // Handshake
    0x00, 0x00, 0x00, 0x15, // 21
    0x6F, 0x73, 0x3A, 0x3A, b'0', b'0', b'2', b'5', b'6', b'D', b'-', // "os::00256D-"
    b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9',
];

#[test]
fn spec_handshake_vector() {
    let mut wire = BytesMut::new();
    encode_handshake("os::00256D-0123456789", &mut wire).unwrap();
    assert_eq!(&wire[..], SPEC_HANDSHAKE);
    let frames = decode_all(SPEC_HANDSHAKE, DEFAULT_MAX_FRAME_LEN).unwrap();
    assert_eq!(
        frames,
        [UdsFrame::single(Tlv::Handshake(
            "os::00256D-0123456789".into()
        ))]
    );
}

#[test]
fn record_header_plus_record_equals_record_frame() {
    let record = b"\x0a\x031.4\x00\x00binary";
    let mut whole = BytesMut::new();
    encode_record(record, &mut whole).unwrap();
    let mut pieces = BytesMut::new();
    encode_record_header(record.len(), &mut pieces).unwrap();
    assert_eq!(pieces.len(), RECORD_HEADER_LEN);
    pieces.extend_from_slice(record);
    assert_eq!(whole, pieces);
}

#[test]
fn record_value_is_a_slice_of_the_read_buffer() {
    let mut buf = BytesMut::with_capacity(128);
    encode_record(b"record bytes", &mut buf).unwrap();
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.capacity();
    let frame = Decoder::default().decode(&mut buf).unwrap().unwrap();
    let [Tlv::Record(record)] = frame.tlvs.as_slice() else {
        panic!("{frame:?}")
    };
    assert_eq!(&record[..], b"record bytes");
    assert!(
        range.contains(&(record.as_ptr() as usize)),
        "Record was copied"
    );
}

#[test]
fn several_tlvs_in_one_frame_and_unknown_types_are_kept() {
    let frame = UdsFrame {
        tlvs: vec![
            Tlv::Handshake("os::a".into()),
            Tlv::Unknown {
                tlv_type: 9,
                value: Bytes::from_static(b"future"),
            },
            Tlv::Record(Bytes::from_static(b"\x00\x01")),
            Tlv::Error(String::new()),
        ],
    };
    let mut wire = BytesMut::new();
    frame.encode(&mut wire).unwrap();
    assert_eq!(decode_all(&wire, DEFAULT_MAX_FRAME_LEN).unwrap(), [frame]);
}

#[test]
fn many_frames_in_one_buffer() {
    let mut wire = BytesMut::new();
    encode_handshake("os::x", &mut wire).unwrap();
    for i in 0..5u8 {
        encode_record(&[i; 3], &mut wire).unwrap();
    }
    encode_error("bye", &mut wire).unwrap();
    let frames = decode_all(&wire, DEFAULT_MAX_FRAME_LEN).unwrap();
    assert_eq!(frames.len(), 7);
    assert_eq!(
        frames[3],
        UdsFrame::single(Tlv::Record(Bytes::from(vec![2u8; 3])))
    );
    assert_eq!(frames[6], UdsFrame::single(Tlv::Error("bye".into())));
}

#[test]
fn empty_frame_is_accepted() {
    let frames = decode_all(b"_USP\0\0\0\0", DEFAULT_MAX_FRAME_LEN).unwrap();
    assert_eq!(frames, [UdsFrame::default()]);
}

// ---- rejections ----

#[test]
fn bad_sync_fails_on_the_first_wrong_byte() {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::from(&b"_U"[..]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"x");
    let err = decoder.decode(&mut buf).unwrap_err();
    assert_eq!(
        err,
        DecodeError::BadSync {
            found: b"_Ux".to_vec()
        }
    );
    assert_eq!(
        err.to_string(),
        "bad sync bytes [5F, 55, 78], expected \"_USP\" (5F 55 53 50)"
    );
    assert!(matches!(first_error(b"G"), DecodeError::BadSync { .. }));
    assert!(matches!(
        first_error(b"GET / HTTP/1.1\r\n"),
        DecodeError::BadSync { .. }
    ));
}

#[test]
fn bad_sync_after_a_good_frame() {
    let mut wire = SPEC_HANDSHAKE.to_vec();
    wire.extend_from_slice(b"_usp\0\0\0\0");
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::from(&wire[..]);
    assert!(decoder.decode(&mut buf).unwrap().is_some());
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(DecodeError::BadSync { .. })
    ));
}

#[test]
fn bad_length_is_rejected_from_the_header_alone() {
    let mut decoder = Decoder::new(1024);
    let mut buf = BytesMut::from(&b"_USP\x00\x00\x04\x01"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(DecodeError::FrameTooLong {
            len: 1025,
            max: 1024
        })
    );
    let mut huge = BytesMut::from(&b"_USP\xff\xff\xff\xff"[..]);
    assert!(matches!(
        Decoder::default().decode(&mut huge),
        Err(DecodeError::FrameTooLong { .. })
    ));
}

#[test]
fn tlv_lengths_must_add_up() {
    // TLV says 10 bytes, the frame holds 5 + 3.
    let overrun = b"_USP\x00\x00\x00\x08\x03\x00\x00\x00\x0aabc";
    assert_eq!(
        first_error(overrun),
        DecodeError::TlvOverrun {
            tlv_type: 3,
            len: 10,
            available: 3
        }
    );
    // A TLV of 3 bytes, then 2 stray bytes that cannot be a TLV header.
    let leftover = b"_USP\x00\x00\x00\x0a\x03\x00\x00\x00\x03abcxy";
    assert_eq!(
        first_error(leftover),
        DecodeError::TruncatedTlvHeader { offset: 8 }
    );
    // A TLV length near u32::MAX must not overflow the arithmetic.
    let wrap = b"_USP\x00\x00\x00\x05\x03\xff\xff\xff\xff";
    assert!(matches!(first_error(wrap), DecodeError::TlvOverrun { .. }));
}

#[test]
fn non_utf8_handshake_and_error() {
    let handshake = b"_USP\x00\x00\x00\x07\x01\x00\x00\x00\x02\xff\xfe";
    assert_eq!(
        first_error(handshake),
        DecodeError::NonUtf8 { tlv: "Handshake" }
    );
    let error = b"_USP\x00\x00\x00\x06\x02\x00\x00\x00\x01\x80";
    assert_eq!(first_error(error), DecodeError::NonUtf8 { tlv: "Error" });
    // Unknown types are not text and are not checked.
    assert!(decode_all(b"_USP\x00\x00\x00\x06\x07\x00\x00\x00\x01\x80", 64).is_ok());
}

#[test]
fn unterminated_frame_at_eof() {
    for input in [&b"_US"[..], b"_USP\x00\x00", &SPEC_HANDSHAKE[..20]] {
        assert_eq!(first_error(input), DecodeError::Truncated, "{input:?}");
    }
}

#[test]
fn encode_rejects_lengths_beyond_u32() {
    let mut buf = BytesMut::new();
    let too_long = u32::MAX as usize - TLV_HEADER_LEN + 1;
    assert!(matches!(
        encode_record_header(too_long, &mut buf),
        Err(EncodeError::TooLong { .. })
    ));
    assert!(encode_record_header(too_long - 1, &mut buf).is_ok());
}

#[test]
fn fuzz_entry_point_takes_known_frames() {
    fuzz_decode(SPEC_HANDSHAKE);
    fuzz_decode(b"_USP\xff\xff\xff\xff");
    fuzz_decode(b"");
}

// ---- properties ----

fn tlv_strategy() -> impl Strategy<Value = Tlv> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..48).prop_map(Bytes::from);
    prop_oneof![
        ".{0,24}".prop_map(Tlv::Handshake),
        ".{0,24}".prop_map(Tlv::Error),
        bytes().prop_map(Tlv::Record),
        (4u8.., bytes()).prop_map(|(tlv_type, value)| Tlv::Unknown { tlv_type, value }),
        bytes().prop_map(|value| Tlv::Unknown { tlv_type: 0, value }),
    ]
}

fn frames_strategy() -> impl Strategy<Value = Vec<UdsFrame>> {
    proptest::collection::vec(
        proptest::collection::vec(tlv_strategy(), 0..4).prop_map(|tlvs| UdsFrame { tlvs }),
        0..6,
    )
}

fn encode_all(frames: &[UdsFrame]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for frame in frames {
        frame.encode(&mut wire).unwrap();
    }
    wire.to_vec()
}

/// Valid input cut at `cuts`: it must decode cleanly, with nothing left over.
fn decode_in_pieces(wire: &[u8], cuts: &[usize]) -> Vec<UdsFrame> {
    decode_cut_at(Decoder::default(), wire, cuts).expect_clean()
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(frames in frames_strategy()) {
        let wire = encode_all(&frames);
        prop_assert_eq!(decode_all(&wire, DEFAULT_MAX_FRAME_LEN).unwrap(), frames);
    }

    #[test]
    fn any_split_decodes_the_same(
        frames in frames_strategy(),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let wire = encode_all(&frames);
        prop_assert_eq!(decode_in_pieces(&wire, &cuts), frames.clone());
        let every_byte: Vec<usize> = (0..wire.len()).collect();
        prop_assert_eq!(decode_in_pieces(&wire, &every_byte), frames);
    }

    #[test]
    fn fuzz_decode_survives_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        fuzz_decode(&bytes);
    }

    #[test]
    fn fuzz_decode_survives_random_frame_bodies(
        len in 0u32..300,
        bytes in proptest::collection::vec(
            prop_oneof![Just(0u8), Just(1u8), Just(3u8), any::<u8>()],
            0..256,
        ),
    ) {
        let mut wire = SYNC.to_vec();
        wire.extend_from_slice(&len.to_be_bytes());
        wire.extend_from_slice(&bytes);
        fuzz_decode(&wire);
    }

    #[test]
    fn fuzz_decode_survives_mutated_frames(
        frames in frames_strategy(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let mut wire = encode_all(&frames);
        mutate(&mut wire, &flips, cut);
        fuzz_decode(&wire);
    }
}
