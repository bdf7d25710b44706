//! One test per way the decoder rejects input, each checking that it happens as early as the
//! bytes allow.

use bytes::BytesMut;

use super::tests::{decode_all_with, error_of, small_limits};
use super::*;

#[test]
fn unterminated_frame_at_eof() {
    for input in [
        &b"SEND\ndestination:/q\n\nno nul"[..],
        b"SEND\ndest",
        b"SEND\ncontent-length:9\n\nab",
        b"\r",
    ] {
        assert_eq!(
            error_of(input, DecoderLimits::default()),
            DecodeError::Truncated,
            "{input:?}"
        );
    }
}

#[test]
fn lying_content_length() {
    // Says 2, but the third body byte is not the NUL.
    let err = error_of(b"SEND\ncontent-length:2\n\nabc\0", DecoderLimits::default());
    assert_eq!(
        err,
        DecodeError::ContentLengthMismatch { content_length: 2 }
    );
    assert!(err.to_string().contains("content-length"));
}

#[test]
fn bad_escape() {
    let err = error_of(b"SEND\ndestination:a\\tb\n\n\0", DecoderLimits::default());
    assert_eq!(
        err,
        DecodeError::BadEscape {
            sequence: "\\t".into()
        }
    );
    // The `STOMP` frame is escaped too (only CONNECT/CONNECTED are exempt).
    assert!(matches!(
        error_of(b"STOMP\nendpoint-id:os\\x\n\n\0", DecoderLimits::default()),
        DecodeError::BadEscape { .. }
    ));
}

#[test]
fn unknown_command() {
    let err = error_of(b"PUBLISH\n\n\0", DecoderLimits::default());
    assert_eq!(
        err,
        DecodeError::UnknownCommand {
            command: "PUBLISH".into()
        }
    );
    assert_eq!(err.to_string(), "unknown command \"PUBLISH\"");
    assert!(matches!(
        error_of(b"send\n\n\0", DecoderLimits::default()),
        DecodeError::UnknownCommand { .. }
    ));
}

#[test]
fn unknown_command_is_rejected_before_its_eol() {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::from(&b"GET / HTTP/1.1"[..]);
    assert!(matches!(
        decoder.decode(&mut buf),
        Err(DecodeError::UnknownCommand { .. })
    ));
}

#[test]
fn malformed_header_lines() {
    for line in [&b"no colon"[..], b":empty-name", b"a:b\rc"] {
        let mut wire = b"SEND\n".to_vec();
        wire.extend_from_slice(line);
        wire.extend_from_slice(b"\n\n\0");
        assert!(
            matches!(
                error_of(&wire, DecoderLimits::default()),
                DecodeError::MalformedHeader { .. }
            ),
            "{line:?}"
        );
    }
}

#[test]
fn bad_content_length() {
    for value in ["", "abc", "-1", "+5", "1 ", "99999999999999999999999"] {
        let wire = format!("SEND\ncontent-length:{value}\n\n\0");
        assert!(
            matches!(
                error_of(wire.as_bytes(), DecoderLimits::default()),
                DecodeError::BadContentLength { .. }
            ),
            "{value:?}"
        );
    }
}

#[test]
fn non_utf8_header() {
    let err = error_of(
        b"SEND\ndestination:\xff\xfe\n\n\0",
        DecoderLimits::default(),
    );
    assert_eq!(err, DecodeError::NonUtf8Header);
}

#[test]
fn nul_inside_headers() {
    // A sloppy client that forgot the blank line: rejected at once instead of waiting.
    let err = error_of(b"DISCONNECT\n\0", DecoderLimits::default());
    assert_eq!(err, DecodeError::NulInHeaders);
}

#[test]
fn huge_header_rejected_before_its_eol() {
    let limits = small_limits();
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::from(&b"SEND\ndestination:"[..]);
    buf.extend_from_slice(&[b'x'; 40]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(&[b'x'; 40]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(DecodeError::HeaderLineTooLong { limit: 64 })
    );
}

#[test]
fn header_line_limit_excludes_the_eol() {
    let limits = small_limits();
    let line = format!("a:{}", "x".repeat(62));
    let ok = format!("SEND\n{line}\r\n\r\n\0");
    assert!(decode_all_with(ok.as_bytes(), limits).is_ok());
    let too_long = format!("SEND\n{line}x\r\n\r\n\0");
    assert!(matches!(
        error_of(too_long.as_bytes(), limits),
        DecodeError::HeaderLineTooLong { .. }
    ));
}

#[test]
fn too_many_headers() {
    let wire = b"SEND\na:1\nb:2\nc:3\nd:4\ne:5\n\n\0";
    assert_eq!(
        error_of(wire, small_limits()),
        DecodeError::TooManyHeaders { limit: 4 }
    );
}

#[test]
fn oversize_body_by_content_length_is_rejected_from_the_head() {
    let mut decoder = Decoder::new(small_limits());
    let mut buf = BytesMut::from(&b"SEND\ncontent-length:257\n\n"[..]);
    assert_eq!(
        decoder.decode(&mut buf),
        Err(DecodeError::BodyTooLarge { limit: 256 })
    );
}

#[test]
fn oversize_body_without_nul_is_rejected_after_the_limit() {
    let mut decoder = Decoder::new(small_limits());
    let mut buf = BytesMut::from(&b"SEND\n\n"[..]);
    buf.extend_from_slice(&[b'x'; 256]);
    assert_eq!(decoder.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"x");
    assert_eq!(
        decoder.decode(&mut buf),
        Err(DecodeError::BodyTooLarge { limit: 256 })
    );
}

#[test]
fn body_of_exactly_the_limit_is_accepted() {
    let mut wire = b"SEND\n\n".to_vec();
    wire.extend_from_slice(&[b'x'; 256]);
    wire.push(0);
    assert!(decode_all_with(&wire, small_limits()).is_ok());
}

#[test]
fn frame_limit_covers_head_and_body() {
    let limits = DecoderLimits {
        max_frame_size: 40,
        ..small_limits()
    };
    // The head alone fits, but head + 20 body bytes + NUL does not.
    let wire = b"SEND\ncontent-length:20\n\n";
    assert_eq!(
        error_of(wire, limits),
        DecodeError::FrameTooLarge { limit: 40 }
    );
    // A head that never ends is bounded by the frame limit too.
    let endless: Vec<u8> = b"SEND\n"
        .iter()
        .copied()
        .chain((0..20).flat_map(|_| *b"a:b\n"))
        .collect();
    let many = DecoderLimits {
        max_headers: 100,
        ..limits
    };
    assert_eq!(
        error_of(&endless, many),
        DecodeError::FrameTooLarge { limit: 40 }
    );
}

#[test]
fn decoder_is_usable_after_an_error_is_reported() {
    let mut decoder = Decoder::default();
    let mut buf = BytesMut::from(&b"BOGUS\n"[..]);
    assert!(decoder.decode(&mut buf).is_err());
    let mut fresh = BytesMut::from(&b"\n"[..]);
    assert_eq!(decoder.decode(&mut fresh), Ok(Some(Item::Heartbeat)));
}
