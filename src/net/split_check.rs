//! The split oracle for any [`FrameDecoder`]: a socket may cut a stream anywhere, so the same
//! bytes must decode to the same items (and fail, or not) whether they arrive whole, byte by
//! byte, or in chunks of any size. Every codec's fuzz entry point and property tests use it.

use std::fmt::Debug;

use bytes::BytesMut;

use super::FrameDecoder;

/// What a decoder made of a whole stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<T> {
    /// The items, in order, up to the end of the stream or the first error.
    pub items: Vec<T>,
    /// Whether the stream ended in an error (a malformed item, or a truncated one at EOF).
    pub failed: bool,
}

impl<T> Decoded<T> {
    /// The items of a stream that had to decode cleanly; panics if it failed.
    pub fn expect_clean(self) -> Vec<T> {
        assert!(!self.failed, "valid input refused");
        self.items
    }
}

/// Feeds `pieces` to `decoder` one after the other, decoding all it can after each, then ends
/// the stream. Stops at the first error, as a connection does.
pub fn decode_pieces<'a, D: FrameDecoder>(
    mut decoder: D,
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Decoded<D::Item> {
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(_) => return Decoded { items, failed: true },
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return Decoded { items, failed: false },
            Err(_) => return Decoded { items, failed: true },
        }
    }
}

/// Decodes all of `input` as a complete stream: every item, or the first error.
pub fn decode_whole<D: FrameDecoder>(mut decoder: D, input: &[u8]) -> Result<Vec<D::Item>, D::Error> {
    let mut buf = BytesMut::from(input);
    let mut items = Vec::new();
    while let Some(item) = decoder.decode_eof(&mut buf)? {
        items.push(item);
    }
    Ok(items)
}

/// [`decode_pieces`] over `bytes` cut into chunks of `chunk_sizes`, repeated as needed (a size
/// of 0 counts as 1).
pub fn decode_chunked<D: FrameDecoder>(decoder: D, bytes: &[u8], chunk_sizes: &[usize]) -> Decoded<D::Item> {
    let mut rest = bytes;
    let pieces = chunk_sizes.iter().cycle().map_while(|&size| {
        if rest.is_empty() {
            return None;
        }
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
        rest = tail;
        Some(piece)
    });
    decode_pieces(decoder, pieces)
}

/// [`decode_pieces`] over `bytes` cut at `cuts` (each taken modulo `bytes.len() + 1`, in any
/// order), for property tests that choose the cut points.
pub fn decode_cut_at<D: FrameDecoder>(decoder: D, bytes: &[u8], cuts: &[usize]) -> Decoded<D::Item> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.push(bytes.len());
    let mut start = 0;
    let pieces = points.into_iter().map(|end| {
        let piece = &bytes[start..end];
        start = end;
        piece
    });
    decode_pieces(decoder, pieces)
}

/// Decodes `bytes` whole, byte by byte, and in chunks of 1 to 31 bytes taken from the input
/// itself (so a fuzzer that mutates the input also explores where reads split it), each with a
/// fresh decoder from `new_decoder`. Panics if the splits disagree with the whole; returns what
/// the whole input decoded to, for further oracles.
pub fn check_splits<D>(new_decoder: impl Fn() -> D, bytes: &[u8]) -> Decoded<D::Item>
where
    D: FrameDecoder,
    D::Item: PartialEq + Debug,
{
    let whole = decode_chunked(new_decoder(), bytes, &[bytes.len()]);
    let from_input: Vec<usize> = bytes.iter().map(|&b| usize::from(b % 31) + 1).collect();
    for sizes in [&[1][..], &from_input] {
        let split = decode_chunked(new_decoder(), bytes, sizes);
        assert_eq!(whole.items, split.items, "split input decoded differently");
        assert_eq!(whole.failed, split.failed, "split input failed differently");
    }
    whole
}

/// Damages valid input the way the codecs' property tests do before calling their fuzz entry
/// point: `flips` overwrite bytes (positions modulo the length), then the input is cut short at
/// `cut` (modulo the length plus one).
#[cfg(test)]
pub fn mutate(wire: &mut Vec<u8>, flips: &[(usize, u8)], cut: usize) {
    if wire.is_empty() {
        return;
    }
    for &(at, byte) in flips {
        let len = wire.len();
        wire[at % len] = byte;
    }
    wire.truncate(cut % (wire.len() + 1));
}
