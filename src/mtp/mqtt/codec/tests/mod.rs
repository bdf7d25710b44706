//! Tests across the codec: known byte vectors, every rejection, and property tests, with the
//! helpers they share for writing packets by hand.

mod property_strategies;
mod reject_fields;
mod reject_packets;
mod round_trip;
mod strategies;
mod vectors;

use bytes::BytesMut;

use super::error::DecodeErrorKind;
use super::wire::put_varint;
use super::*;

pub const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
pub const V5: ProtocolVersion = ProtocolVersion::V5;

/// Bytes from hex digits, whitespace ignored.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// Concatenates pieces, hex or literal, into one buffer.
pub fn wire(pieces: &[&[u8]]) -> BytesMut {
    let mut buf = BytesMut::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
    }
    buf
}

/// A packet from its first byte and body, with the Remaining Length computed.
pub fn packet(first: u8, body: &[u8]) -> BytesMut {
    let mut buf = BytesMut::from(&[first][..]);
    put_varint(&mut buf, body.len());
    buf.extend_from_slice(body);
    buf
}

/// A CONNECT body: protocol name, level, flags, keep-alive 60, then `rest`.
pub fn connect(name: &str, level: u8, flags: u8, rest: &[u8]) -> BytesMut {
    let mut body = vec![0, name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(&[level, flags, 0, 60]);
    body.extend_from_slice(rest);
    packet(0x10, &body)
}

pub fn server(version: ProtocolVersion) -> Decoder {
    let mut decoder = Decoder::server(1024);
    decoder.set_version(version);
    decoder
}

#[track_caller]
pub fn rejects(
    mut decoder: Decoder,
    mut bytes: BytesMut,
    kind: DecodeErrorKind,
    code: ReasonCode,
) -> DecodeError {
    let error = decoder.decode(&mut bytes).expect_err("must be refused");
    assert_eq!(error.kind, kind);
    assert_eq!(error.reason_code(), code);
    error
}
