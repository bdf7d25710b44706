//! Unit tests of the decoder: the frames OB-USP-Agent really sends and STOMP 1.2 framing
//! corners. Rejections are in `rejections.rs`.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::net::split_check::decode_whole;

fn decode_all(input: &[u8]) -> Result<Vec<Item>, DecodeError> {
    decode_all_with(input, DecoderLimits::default())
}

pub(super) fn decode_all_with(
    input: &[u8],
    limits: DecoderLimits,
) -> Result<Vec<Item>, DecodeError> {
    decode_whole(Decoder::new(limits), input)
}

fn only_frame(input: &[u8]) -> Frame {
    match decode_all(input).unwrap().as_slice() {
        [Item::Frame(frame)] => frame.clone(),
        other => panic!("expected one frame, got {other:?}"),
    }
}

pub(super) fn error_of(input: &[u8], limits: DecoderLimits) -> DecodeError {
    decode_all_with(input, limits).expect_err("input must be rejected")
}

pub(super) fn small_limits() -> DecoderLimits {
    DecoderLimits {
        max_frame_size: 1024,
        max_headers: 4,
        max_header_line: 64,
        max_body_size: 256,
    }
}

/// OB-USP-Agent's connect frame (usp-mtp.md §7.4): `STOMP`, not CONNECT (R-STOMP.2), and the
/// endpoint ID's colons escaped (R-STOMP.4).
pub(super) const OBUSPA_STOMP: &[u8] =
    b"STOMP\naccept-version:1.2\nhost:\nheart-beat:30000,300000\n\
endpoint-id:os\\c\\c012345-OBUSPA-STOMP\n\n\0";

#[test]
fn obuspa_stomp_frame() {
    let frame = only_frame(OBUSPA_STOMP);
    assert_eq!(frame.command, Command::Stomp);
    assert_eq!(frame.headers.get("accept-version"), Some("1.2"));
    assert_eq!(frame.headers.get("host"), Some(""));
    assert_eq!(
        frame.headers.get("endpoint-id"),
        Some("os::012345-OBUSPA-STOMP")
    );
    let hb: HeartBeat = frame.headers.get("heart-beat").unwrap().parse().unwrap();
    assert_eq!((hb.can_send_ms, hb.wants_receive_ms), (30000, 300000));
    assert!(frame.body.is_empty());
}

#[test]
fn obuspa_send_with_binary_record() {
    // A Record-like body with NULs: only content-length can frame it (R-STOMP.19/.22).
    let record: &[u8] = b"\x0a\x031.3\x12\x00\x1a\x00\x00\x00binary\x00";
    let mut wire = format!(
        "SEND\ncontent-length:{}\ncontent-type:application/vnd.bbf.usp.msg\n\
         reply-to-dest:agent-dest\ndestination:controller-dest\n\n",
        record.len()
    )
    .into_bytes();
    wire.extend_from_slice(record);
    wire.push(0);
    let frame = only_frame(&wire);
    assert_eq!(frame.command, Command::Send);
    assert_eq!(
        frame.headers.get("content-type"),
        Some("application/vnd.bbf.usp.msg")
    );
    assert_eq!(frame.headers.get("reply-to-dest"), Some("agent-dest"));
    assert_eq!(frame.headers.get("destination"), Some("controller-dest"));
    assert_eq!(&frame.body[..], record);
}

#[test]
fn connect_headers_are_not_unescaped() {
    let frame = only_frame(b"CONNECT\nendpoint-id:os::x\\cy\n\n\0");
    assert_eq!(frame.headers.get("endpoint-id"), Some("os::x\\cy"));
    // Even an escape that is undefined elsewhere is just text in CONNECT.
    assert!(decode_all(b"CONNECT\nlogin:a\\tb\n\n\0").is_ok());
}

#[test]
fn crlf_line_endings() {
    let frame = only_frame(b"SUBSCRIBE\r\nid:0\r\ndestination:/d\r\nack:auto\r\n\r\n\0");
    assert_eq!(frame.command, Command::Subscribe);
    assert_eq!(frame.headers.get("ack"), Some("auto"));
    assert_eq!(frame.headers.get("destination"), Some("/d"));
}

#[test]
fn heartbeats_between_and_after_frames() {
    let items = decode_all(b"\n\r\nDISCONNECT\n\n\0\n\r\n").unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[0], Item::Heartbeat);
    assert_eq!(items[1], Item::Heartbeat);
    assert!(matches!(&items[2], Item::Frame(f) if f.command == Command::Disconnect));
    assert_eq!(&items[3..], &[Item::Heartbeat, Item::Heartbeat]);
}

#[test]
fn many_frames_in_one_buffer() {
    let mut wire = BytesMut::new();
    for i in 0..10 {
        Frame::new(Command::Send)
            .with_header("destination", format!("/q/{i}"))
            .with_body(Bytes::from(vec![0u8; i]))
            .encode(&mut wire);
    }
    let items = decode_all(&wire).unwrap();
    assert_eq!(items.len(), 10);
    for (i, item) in items.iter().enumerate() {
        let Item::Frame(f) = item else {
            panic!("{item:?}")
        };
        assert_eq!(
            f.headers.get("destination"),
            Some(format!("/q/{i}").as_str())
        );
        assert_eq!(f.body.len(), i);
    }
}

#[test]
fn body_without_content_length_ends_at_nul() {
    let frame = only_frame(b"SEND\ndestination:/q\n\nhello\0");
    assert_eq!(&frame.body[..], b"hello");
}

#[test]
fn first_content_length_wins() {
    let frame = only_frame(b"SEND\ncontent-length:2\ncontent-length:5\n\na\0\0");
    assert_eq!(&frame.body[..], b"a\0");
}

#[test]
fn colons_after_the_first_stay_in_the_value() {
    let frame = only_frame(b"SEND\ndestination:a:b\n\n\0");
    assert_eq!(frame.headers.get("destination"), Some("a:b"));
}

#[test]
fn body_is_a_slice_of_the_read_buffer() {
    let mut buf = BytesMut::with_capacity(256);
    buf.extend_from_slice(b"SEND\ncontent-length:4\n\nbody\0");
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.capacity();
    let Some(Item::Frame(frame)) = Decoder::default().decode(&mut buf).unwrap() else {
        panic!("no frame")
    };
    assert!(
        range.contains(&(frame.body.as_ptr() as usize)),
        "body was copied"
    );
}

#[test]
fn needs_more_until_complete() {
    let wire = b"SEND\ncontent-length:3\n\nabc\0";
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::new();
    for (i, &b) in wire.iter().enumerate() {
        buf.extend_from_slice(&[b]);
        let got = decoder.decode(&mut buf).unwrap();
        assert_eq!(got.is_some(), i == wire.len() - 1, "byte {i}");
    }
    assert!(buf.is_empty() && !decoder.is_mid_frame());
}

#[test]
fn fuzz_entry_point_takes_known_frames() {
    fuzz_decode(OBUSPA_STOMP);
    fuzz_decode(b"SEND\ncontent-length:2\n\n\0\0\0\n");
    fuzz_decode(b"");
}
