//! Byte plumbing the hand-written transports (MQTT, STOMP) share: a read buffer that grows in
//! steps, the non-blocking read behind `try_recv`, and a read that writes queued bytes out
//! meanwhile (so that neither side of a connection waits for the other).

use bytes::BytesMut;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::tcp::{OwnedReadHalf, OwnedWriteHalf},
};

use super::outbox::Outbox;

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
