//! A UDS connection's byte plumbing: the read buffer and [`Decoder`] on one side, frames queued
//! in [`Segments`] and written with vectored I/O on the other (a Record is never copied: only
//! its 13 header bytes are encoded), and the way to give up (Error TLV, then close).

use std::{io, time::Duration};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use super::codec::{DecodeError, Decoder, EncodeError, UdsFrame, encode_error, encode_handshake, encode_record_header};
use crate::net::Segments;
use crate::router::DropReason;

/// Read buffer headroom.
const READ_CHUNK: usize = 8 * 1024;
/// After an Error TLV we let the peer close first for this long (R-UDS.25 tells it to), so the
/// Error is not lost to a reset caused by input we never read.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// How a fatal decode error is counted.
pub fn drop_reason(e: &DecodeError) -> DropReason {
    match e {
        DecodeError::FrameTooLong { .. } => DropReason::Oversize,
        _ => DropReason::Malformed,
    }
}

/// Why queued output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("write timed out")]
    TimedOut,
}

pub struct Conn<S> {
    stream: S,
    buf: BytesMut,
    decoder: Decoder,
    out: Segments,
    write_timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(stream: S, max_frame_len: usize, write_timeout: Duration) -> Self {
        Self { stream, buf: BytesMut::new(), decoder: Decoder::new(max_frame_len), out: Segments::new(), write_timeout }
    }

    /// The next frame already buffered, if any.
    pub fn decode(&mut self) -> Result<Option<UdsFrame>, DecodeError> {
        self.decoder.decode(&mut self.buf)
    }

    /// After the peer's EOF: an error if it stopped in the middle of a frame.
    pub fn decode_eof(&mut self) -> Result<Option<UdsFrame>, DecodeError> {
        self.decoder.decode_eof(&mut self.buf)
    }

    /// Reads more bytes; 0 means end of stream. Cancel-safe, for `select!`.
    pub async fn read_more(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 2 {
            self.buf.reserve(READ_CHUNK);
        }
        self.stream.read_buf(&mut self.buf).await
    }

    /// Queues our Handshake TLV (R-UDS.17).
    pub fn queue_handshake(&mut self, endpoint_id: &str) -> Result<(), EncodeError> {
        self.out.push_encoded(|dst| encode_handshake(endpoint_id, dst))
    }

    /// Queues a Record frame: the header is encoded, the Record queued as it arrived.
    pub fn queue_record(&mut self, record: bytes::Bytes) -> Result<(), EncodeError> {
        self.out.push_encoded(|dst| encode_record_header(record.len(), dst))?;
        self.out.push(record);
        Ok(())
    }

    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes everything queued within the write timeout.
    pub async fn flush(&mut self) -> Result<(), WriteError> {
        match timeout(self.write_timeout, self.out.write_to(&mut self.stream)).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(WriteError::TimedOut),
        }
    }

    /// Sends an Error TLV (R-UDS.21/23/24) after whatever is queued, then closes.
    pub async fn fail(mut self, text: &str) {
        // The text is ours and short; it always fits a frame.
        let _ = self.out.push_encoded(|dst| encode_error(text, dst));
        if self.flush().await.is_ok() {
            self.close().await;
        }
    }

    /// Writes what is queued, sends FIN, and reads until the peer closes (briefly).
    pub async fn close(mut self) {
        let _ = timeout(CLOSE_WAIT, async {
            if self.flush().await.is_err() || self.stream.shutdown().await.is_err() {
                return;
            }
            let mut sink = [0u8; 4096];
            while let Ok(n) = self.stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}
