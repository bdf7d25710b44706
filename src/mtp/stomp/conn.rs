//! A STOMP connection's byte plumbing, shared by the opening and the session: the read buffer
//! and [`Decoder`] on one side, [`Segments`] written with vectored I/O on the other, and the
//! polite way to give up (ERROR, FIN, a short drain so the ERROR is not lost to a reset).

use std::{convert::Infallible, io, time::Duration};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use super::codec::{Command, DecodeError, Decoder, DecoderLimits, FRAME_END, Frame, HEARTBEAT, Item};
use crate::net::Segments;
use crate::router::DropReason;

/// Read buffer headroom: small, because idle connections are most of a fleet.
const READ_CHUNK: usize = 8 * 1024;
/// How long, after an ERROR, we keep reading (and discarding) before closing: closing a socket
/// with unread input sends a reset, which can destroy the ERROR before the peer reads it.
const CLOSE_WAIT: Duration = Duration::from_secs(1);
/// At most this much is discarded in that time.
const CLOSE_DRAIN: usize = 1 << 20;

/// Why reading a frame failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Malformed(#[from] DecodeError),
}

/// Why queued output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("write timed out")]
    TimedOut,
}

/// How a fatal decode error is counted and what the ERROR frame says about it.
pub fn describe(e: &DecodeError) -> (DropReason, String) {
    match e {
        DecodeError::BodyTooLarge { .. } | DecodeError::FrameTooLarge { .. } => (DropReason::Oversize, e.to_string()),
        _ => (DropReason::Malformed, format!("malformed frame: {e}")),
    }
}

pub struct Conn<S> {
    stream: S,
    buf: BytesMut,
    decoder: Decoder,
    out: Segments,
    write_timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub fn new(stream: S, limits: DecoderLimits, write_timeout: Duration) -> Self {
        Self { stream, buf: BytesMut::new(), decoder: Decoder::new(limits), out: Segments::new(), write_timeout }
    }

    /// The next frame or heart-beat already buffered, if any.
    pub fn decode(&mut self) -> Result<Option<Item>, DecodeError> {
        self.decoder.decode(&mut self.buf)
    }

    /// After the peer's EOF: `Ok(None)` if it ended between frames, else `Truncated`.
    pub fn decode_eof(&mut self) -> Result<Option<Item>, DecodeError> {
        self.decoder.decode_eof(&mut self.buf)
    }

    /// Reads more bytes; 0 means end of stream. Cancel-safe (one `read_buf`), so a session
    /// can wait on it in `select!`.
    pub async fn read_more(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 2 {
            self.buf.reserve(READ_CHUNK);
        }
        self.stream.read_buf(&mut self.buf).await
    }

    /// The next frame, skipping heart-beats; `Ok(None)` at a clean end of stream.
    pub async fn read_frame(&mut self) -> Result<Option<Frame>, ReadError> {
        loop {
            match self.decode()? {
                Some(Item::Frame(frame)) => return Ok(Some(frame)),
                Some(Item::Heartbeat) => continue,
                None => {}
            }
            if self.read_more().await? == 0 {
                return match self.decode_eof()? {
                    Some(Item::Frame(frame)) => Ok(Some(frame)),
                    Some(Item::Heartbeat) | None => Ok(None),
                };
            }
        }
    }

    /// Queued output, for writers that build frames in place (MESSAGE).
    pub fn out(&mut self) -> &mut Segments {
        &mut self.out
    }

    /// Queues a whole frame; its body, if any, is queued uncopied.
    pub fn queue(&mut self, frame: &Frame) {
        let _ = self.out.push_encoded(|dst| {
            frame.encode_head(dst);
            Ok::<(), Infallible>(())
        });
        self.out.push(frame.body.clone());
        self.out.push(Bytes::from_static(FRAME_END));
    }

    pub fn queue_receipt(&mut self, receipt_id: &str) {
        self.queue(&Frame::new(Command::Receipt).with_header("receipt-id", receipt_id));
    }

    pub fn queue_heartbeat(&mut self) {
        self.out.push(Bytes::from_static(HEARTBEAT));
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

    /// Sends ERROR (`message`, and `receipt-id` if the offending frame asked for a receipt,
    /// STOMP 1.2 §ERROR), then closes.
    pub async fn fail(self, message: &str, receipt: Option<&str>) {
        let mut frame = Frame::new(Command::Error).with_header("message", message);
        if let Some(id) = receipt {
            frame.headers.push("receipt-id", id);
        }
        self.fail_with(frame).await;
    }

    /// Sends a prepared ERROR frame, then closes.
    pub async fn fail_with(mut self, error: Frame) {
        self.queue(&error);
        if self.flush().await.is_ok() {
            self.close().await;
        }
    }

    /// Writes what is queued, sends FIN, and drains the peer's input for a moment so the last
    /// frames are read rather than reset away.
    pub async fn close(mut self) {
        let _ = timeout(CLOSE_WAIT, async {
            if self.flush().await.is_err() || self.stream.shutdown().await.is_err() {
                return;
            }
            let mut drained = 0;
            let mut sink = [0u8; 4096];
            while drained < CLOSE_DRAIN {
                match self.stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        })
        .await;
    }
}
