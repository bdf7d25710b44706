//! Zero-copy output for framed MTPs (MQTT, STOMP, UDS).
//!
//! A frame is queued as a few `Bytes`: the head we encoded and the payload exactly as it was
//! received, then everything queued is written with vectored I/O. The payload is never copied
//! into a send buffer; small heads share one allocation through `BytesMut::split`.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Most slices handed to one `writev`; Linux allows 1024, and 64 already fills a socket buffer.
const MAX_SLICES: usize = 64;

/// Bytes waiting to be written, in order.
#[derive(Debug, Default)]
pub struct Segments {
    parts: VecDeque<Bytes>,
    len: usize,
    /// Where heads are encoded before they are split off into `parts`.
    scratch: BytesMut,
}

impl Segments {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `bytes` (a payload, as received).
    pub fn push(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.len += bytes.len();
            self.parts.push_back(bytes);
        }
    }

    /// Lets `encode` write a head into shared scratch space, then queues it.
    pub fn push_encoded<E>(&mut self, encode: impl FnOnce(&mut BytesMut) -> Result<(), E>) -> Result<(), E> {
        if self.scratch.capacity() - self.scratch.len() < 256 {
            self.scratch.reserve(4096);
        }
        let result = encode(&mut self.scratch);
        let head = self.scratch.split().freeze();
        if result.is_ok() {
            self.push(head);
        }
        result
    }

    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Gives back what is kept for later frames (the scratch space, the grown queue) once
    /// nothing is queued, so an idle connection holds no write memory. A no-op otherwise.
    pub fn release_spare(&mut self) {
        if self.parts.is_empty() {
            self.parts = VecDeque::new();
            self.scratch = BytesMut::new();
        }
    }

    /// Bytes allocated beyond what is queued (for tests of [`release_spare`](Self::release_spare)).
    #[cfg(test)]
    pub(crate) fn spare_capacity(&self) -> usize {
        self.parts.capacity() * std::mem::size_of::<Bytes>() + self.scratch.capacity()
    }

    /// Writes everything queued, then flushes.
    pub async fn write_to<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> io::Result<()> {
        while !self.parts.is_empty() {
            let n = poll_fn(|cx| self.poll_write_vectored(Pin::new(&mut *w), cx)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.advance(n);
        }
        w.flush().await
    }

    /// One `writev` of the front of the queue. The slice array lives only during the poll, so
    /// it does not enlarge every connection's task by a kilobyte while it waits.
    fn poll_write_vectored<W: AsyncWrite>(&self, w: Pin<&mut W>, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = self.parts.len().min(MAX_SLICES);
        for (slot, part) in slices.iter_mut().zip(self.parts.iter()) {
            *slot = IoSlice::new(part);
        }
        w.poll_write_vectored(cx, &slices[..count])
    }

    fn advance(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let front = self.parts.front_mut().expect("advanced past the queued bytes");
            if front.len() <= n {
                n -= front.len();
                self.parts.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    #[tokio::test]
    async fn writes_heads_and_payloads_in_order_through_short_writes() {
        let mut out = Segments::new();
        let payload = Bytes::from(vec![7u8; 100_000]);
        for i in 0..100u8 {
            out.push_encoded(|b| {
                b.put_u8(i);
                Ok::<_, ()>(())
            })
            .unwrap();
            out.push(payload.slice(..1000));
        }
        assert_eq!(out.len(), 100 * 1001);
        // A small duplex buffer forces partial writes in the middle of segments.
        let (mut a, mut b) = tokio::io::duplex(777);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut b, &mut got).await.unwrap();
            got
        });
        out.write_to(&mut a).await.unwrap();
        drop(a);
        let got = reader.await.unwrap();
        assert!(out.is_empty());
        assert_eq!(got.len(), 100 * 1001);
        for (i, chunk) in got.chunks(1001).enumerate() {
            assert_eq!(chunk[0], i as u8);
            assert!(chunk[1..].iter().all(|&x| x == 7));
        }
    }
}
