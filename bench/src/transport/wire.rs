//! Byte plumbing the hand-written transports (MQTT, STOMP) share: a read buffer that grows in
//! steps, the non-blocking read behind `try_recv`, a read that writes queued bytes out
//! meanwhile (so that neither side of a connection waits for the other), and the `recv` /
//! `try_recv` loops over a protocol's own decoding ([`RecordReader`]).

use std::future::Future;

use bytes::{Bytes, BytesMut};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::tcp::{OwnedReadHalf, OwnedWriteHalf},
};

use super::{LinkError, outbox::Outbox};

/// Read buffer growth step.
pub const READ_CHUNK: usize = 16 * 1024;

/// Makes room for a read of at least a few KiB.
pub fn reserve(buf: &mut BytesMut) {
    if buf.capacity() - buf.len() < READ_CHUNK / 4 {
        buf.reserve(READ_CHUNK);
    }
}

/// Reads what has arrived, without waiting: `Some(Ok(true))` when something was read,
/// `Some(Ok(false))` at end of stream, `None` when nothing is there yet.
pub fn try_fill(rd: &OwnedReadHalf, rbuf: &mut BytesMut) -> Option<std::io::Result<bool>> {
    reserve(rbuf);
    match rd.try_read_buf(rbuf) {
        Ok(n) => Some(Ok(n > 0)),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => Some(Err(e)),
    }
}

/// Reads more bytes into `rbuf`, writing out what `out` holds meanwhile. `false` at end of
/// stream. Cancel-safe: reads and writes only take effect when they complete.
pub async fn read_while_writing(
    rd: &mut OwnedReadHalf,
    wr: &mut OwnedWriteHalf,
    rbuf: &mut BytesMut,
    out: &mut Outbox,
) -> std::io::Result<bool> {
    reserve(rbuf);
    loop {
        tokio::select! {
            biased;
            written = wr.write_buf(out), if !out.is_empty() => { written?; }
            read = rd.read_buf(rbuf) => return Ok(read? > 0),
        }
    }
}

/// The read side of a hand-written link: what differs per protocol (decoding buffered input,
/// reading more), from which the `recv` and `try_recv` of [`super::RecordLink`] follow.
pub trait RecordReader: Send {
    /// Handles buffered input up to the next Record, which it returns.
    fn next_buffered(&mut self) -> Result<Option<Bytes>, LinkError>;
    /// Reads more bytes, writing queued output meanwhile; `false` at end of stream.
    fn fill(&mut self) -> impl Future<Output = Result<bool, LinkError>> + Send;
    /// Reads what has arrived without waiting, as [`try_fill`] does.
    fn fill_now(&mut self) -> Option<std::io::Result<bool>>;

    /// The next Record; `Ok(None)` once the peer has closed.
    fn recv_record(&mut self) -> impl Future<Output = Result<Option<Bytes>, LinkError>> + Send {
        async move {
            loop {
                if let Some(record) = self.next_buffered()? {
                    return Ok(Some(record));
                }
                if !self.fill().await? {
                    return Ok(None);
                }
            }
        }
    }

    /// What [`recv_record`](Self::recv_record) would return now, if that needs no waiting.
    fn try_recv_record(&mut self) -> Option<Result<Option<Bytes>, LinkError>> {
        loop {
            match self.next_buffered() {
                Ok(Some(record)) => return Some(Ok(Some(record))),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
            match self.fill_now()? {
                Ok(true) => {}
                Ok(false) => return Some(Ok(None)),
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}
