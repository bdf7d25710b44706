//! A framed connection over any byte stream: a read buffer feeding a [`FrameDecoder`] on one
//! side, [`Segments`] written with vectored I/O under a write timeout on the other, and the
//! polite way to close (FIN, then a short drain so a last error frame is not lost to a reset).
//!
//! It exists because STOMP and UDS (and any framed MTP after them) need exactly this plumbing
//! and differ only in their decoder and in what they queue. Each MTP adds its own `queue_*` and
//! `fail` methods on `FramedConn<S, ItsDecoder>`.
//!
//! An idle connection should cost little: most of a fleet is idle. So the read buffer is
//! allocated only while a read can fill it: when a read would wait and nothing is buffered, the
//! buffer is released, and it is allocated again when the socket has something. Likewise the
//! write side gives back its scratch space once everything queued is written.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use super::Segments;

/// Read buffer headroom reserved before a read.
const READ_CHUNK: usize = 8 * 1024;
/// How long [`FramedConn::close`] writes, sends FIN and drains before giving up.
const CLOSE_WAIT: Duration = Duration::from_secs(1);
/// The drain buffer of [`FramedConn::close`]; allocated only then, so it does not enlarge every
/// connection's task.
const DRAIN_CHUNK: usize = 4096;

/// A resumable decoder over a buffer the connection fills. Contract, as for
/// `tokio_util::codec::Decoder`: the decoder removes exactly the bytes of what it returns, and
/// between calls the caller only appends to the buffer.
pub trait FrameDecoder {
    /// What one successful decode step yields (a frame, or a heart-beat).
    type Item;
    /// Why the stream is beyond repair.
    type Error;

    /// The next item from the front of `buf`; `Ok(None)`: more bytes are needed.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;

    /// Like [`decode`](Self::decode) once the stream has ended: `Ok(None)` only if it ended
    /// between items, an error if bytes of an unfinished item are left.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;
}

/// Why reading an item failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Malformed(E),
}

/// Why queued output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("write timed out")]
    TimedOut,
}

pub struct FramedConn<S, D> {
    stream: S,
    /// Bytes read and not yet decoded; no allocation while empty and waiting.
    buf: BytesMut,
    decoder: D,
    out: Segments,
    write_timeout: Duration,
    /// At most this much input is discarded by [`close`](Self::close).
    max_drain: usize,
}

impl<S, D> FramedConn<S, D>
where
    S: AsyncRead + AsyncWrite + Unpin,
    D: FrameDecoder,
{
    pub fn new(stream: S, decoder: D, write_timeout: Duration) -> Self {
        Self { stream, buf: BytesMut::new(), decoder, out: Segments::new(), write_timeout, max_drain: usize::MAX }
    }

    /// Bounds what [`close`](Self::close) reads and discards (by default only its time is).
    pub fn with_close_drain(mut self, max_drain: usize) -> Self {
        self.max_drain = max_drain;
        self
    }

    /// The next item already buffered, if any.
    pub fn decode(&mut self) -> Result<Option<D::Item>, D::Error> {
        self.decoder.decode(&mut self.buf)
    }

    /// After the peer's EOF: `Ok(None)` if it ended between items, else the decoder's error.
    pub fn decode_eof(&mut self) -> Result<Option<D::Item>, D::Error> {
        self.decoder.decode_eof(&mut self.buf)
    }

    /// Reads more bytes; 0 means end of stream. Cancel-safe (nothing is held across a wait), so
    /// a session can wait on it in `select!`.
    pub async fn read_more(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_more(cx)).await
    }

    fn poll_read_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        poll_read_lazily(&mut self.stream, &mut self.buf, cx)
    }

    /// The next item; `Ok(None)` at a clean end of stream.
    pub async fn next_item(&mut self) -> Result<Option<D::Item>, ReadError<D::Error>> {
        loop {
            if let Some(item) = self.decode().map_err(ReadError::Malformed)? {
                return Ok(Some(item));
            }
            if self.read_more().await? == 0 {
                return self.decode_eof().map_err(ReadError::Malformed);
            }
        }
    }

    /// Queued output, for protocol methods and writers that build frames in place.
    pub fn out(&mut self) -> &mut Segments {
        &mut self.out
    }

    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes everything queued within the write timeout, then gives back the write side's
    /// spare memory.
    pub async fn flush(&mut self) -> Result<(), WriteError> {
        match timeout(self.write_timeout, self.out.write_to(&mut self.stream)).await {
            Ok(result) => {
                result?;
                self.out.release_spare();
                Ok(())
            }
            Err(_) => Err(WriteError::TimedOut),
        }
    }

    /// Writes what is queued, then closes: see [`close`](Self::close). If the write fails the
    /// connection is left to be dropped.
    ///
    /// The closing methods borrow rather than consume: a future that owns the connection holds
    /// a copy of it in its state, once per nested call, and a task is as large as its largest
    /// state, idle or not.
    pub async fn flush_and_close(&mut self) {
        if self.flush().await.is_ok() {
            self.close().await;
        }
    }

    /// Writes what is queued, sends FIN, and reads (discarding up to the close drain) until
    /// the peer closes, all for at most a second. Closing a socket with unread input sends a
    /// reset, which can destroy our last frames before the peer reads them.
    pub async fn close(&mut self) {
        let _ = timeout(CLOSE_WAIT, async {
            if self.flush().await.is_err() || self.stream.shutdown().await.is_err() {
                return;
            }
            let mut drained = 0;
            let mut sink = vec![0u8; DRAIN_CHUNK];
            while drained < self.max_drain {
                match self.stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        })
        .await;
    }
}

/// Reads more bytes into `buf` without holding a buffer while the stream has nothing: space
/// is reserved for one poll, and if that poll would wait with nothing buffered the buffer is
/// released. A wait borrows no memory (the waker is registered with the socket), so an idle
/// connection costs no read buffer. Cancel-safe: nothing is kept between polls.
pub async fn read_lazily<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut) -> io::Result<usize> {
    poll_fn(|cx| poll_read_lazily(stream, buf, cx)).await
}

/// The poll form of [`read_lazily`], for `AsyncRead` implementations built on a stream.
pub fn poll_read_lazily<S: AsyncRead + Unpin>(stream: &mut S, buf: &mut BytesMut, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
    if buf.capacity() - buf.len() < READ_CHUNK / 2 {
        buf.reserve(READ_CHUNK);
    }
    // One `read_buf` per poll: it reads at most once and keeps nothing between polls.
    let polled = pin!(stream.read_buf(buf)).poll(cx);
    if polled.is_pending() && buf.is_empty() {
        *buf = BytesMut::new();
    }
    polled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Newline-terminated lines.
    struct Lines;

    impl FrameDecoder for Lines {
        type Item = BytesMut;
        type Error = &'static str;

        fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, &'static str> {
            Ok(buf.iter().position(|&b| b == b'\n').map(|at| buf.split_to(at + 1)))
        }

        fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, &'static str> {
            match self.decode(buf)? {
                None if !buf.is_empty() => Err("truncated"),
                item => Ok(item),
            }
        }
    }

    #[tokio::test]
    async fn idle_connection_holds_no_read_buffer() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut conn = FramedConn::new(ours, Lines, Duration::from_secs(1));
        theirs.write_all(b"one\ntw").await.unwrap();
        assert_eq!(&conn.next_item().await.unwrap().unwrap()[..], b"one\n");
        // Half a line is buffered: a wait must keep it.
        let waiting = tokio::time::timeout(Duration::from_millis(20), conn.read_more()).await;
        assert!(waiting.is_err());
        assert_eq!(&conn.buf[..], b"tw");
        theirs.write_all(b"o\n").await.unwrap();
        assert_eq!(&conn.next_item().await.unwrap().unwrap()[..], b"two\n");
        // Nothing buffered: a wait holds no allocation.
        let waiting = tokio::time::timeout(Duration::from_millis(20), conn.read_more()).await;
        assert!(waiting.is_err());
        assert_eq!(conn.buf.capacity(), 0);

        theirs.write_all(b"end").await.unwrap();
        drop(theirs);
        assert!(matches!(conn.next_item().await, Err(ReadError::Malformed("truncated"))));
    }

    #[tokio::test]
    async fn flush_gives_back_spare_write_memory() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let mut conn = FramedConn::new(ours, Lines, Duration::from_secs(1));
        for _ in 0..100 {
            conn.out()
                .push_encoded(|dst| {
                    dst.extend_from_slice(b"line\n");
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        conn.flush().await.unwrap();
        assert!(!conn.has_output());
        assert_eq!(conn.out.spare_capacity(), 0);
        let mut got = vec![0u8; 500];
        theirs.read_exact(&mut got).await.unwrap();
        assert!(got.chunks(5).all(|c| c == b"line\n"));
    }
}
