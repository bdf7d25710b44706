//! Bytes waiting to be written: small protocol heads and the Records they carry, queued as
//! separate `Bytes` and handed to one vectored write at flush time.
//!
//! Every transport without a framing library (the forwarder's length prefix, MQTT, STOMP)
//! writes this way, so a Record is never copied into a write buffer and a flush of many
//! Records is one system call, as in the hub itself. Heads are written into a shared scratch
//! allocation and split off, a few hundred to an allocation. `Outbox` is a [`Buf`], so
//! `write_all_buf` advances it as bytes go out: a write cancelled half-way leaves exactly the
//! unwritten rest queued.

use std::{collections::VecDeque, io::IoSlice};

use bytes::{Buf, Bytes, BytesMut};

/// Scratch space reserved at a time for heads.
const SCRATCH_CHUNK: usize = 16 * 1024;

#[derive(Debug, Default)]
pub struct Outbox {
    parts: VecDeque<Bytes>,
    remaining: usize,
    /// Where heads are encoded before being split off into `parts`.
    scratch: BytesMut,
}

impl Outbox {
    /// Queues `part` as it is.
    pub fn push(&mut self, part: Bytes) {
        if !part.is_empty() {
            self.remaining += part.len();
            self.parts.push_back(part);
        }
    }

    /// Encodes a head with `write` (at most `max_len` bytes, to reserve room once) and queues
    /// it.
    pub fn push_head(&mut self, max_len: usize, write: impl FnOnce(&mut BytesMut)) {
        if self.scratch.capacity() < max_len {
            self.scratch.reserve(SCRATCH_CHUNK.max(max_len));
        }
        write(&mut self.scratch);
        let head = self.scratch.split().freeze();
        self.push(head);
    }

    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }
}

impl Buf for Outbox {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.parts.front().map_or(&[], |part| part)
    }

    fn advance(&mut self, mut cnt: usize) {
        self.remaining -= cnt.min(self.remaining);
        while cnt > 0 {
            let Some(front) = self.parts.front_mut() else { return };
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.parts.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        dst.iter_mut().zip(&self.parts).map(|(slot, part)| *slot = IoSlice::new(part)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    #[test]
    fn heads_and_parts_survive_partial_writes() {
        let mut outbox = Outbox::default();
        outbox.push_head(4, |b| b.put_u32(3));
        outbox.push(Bytes::from_static(b"abc"));
        outbox.push(Bytes::new());
        outbox.push_head(4, |b| b.put_u32(2));
        outbox.push(Bytes::from_static(b"de"));
        assert_eq!(outbox.remaining(), 13);
        let mut slices = [IoSlice::new(&[]); 8];
        assert_eq!(outbox.chunks_vectored(&mut slices), 4);
        outbox.advance(5); // a head and 1 byte of the first Record
        let mut rest = Vec::new();
        while outbox.has_remaining() {
            let chunk = outbox.chunk().to_vec();
            rest.extend_from_slice(&chunk);
            outbox.advance(chunk.len());
        }
        assert_eq!(rest, b"bc\0\0\0\x02de");
        assert!(outbox.is_empty());
    }
}
