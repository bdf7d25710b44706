//! A STOMP connection: the shared [`FramedConn`] over the STOMP [`Decoder`], used by the
//! opening and the session alike, plus what only STOMP writes on it (whole frames, RECEIPT,
//! heart-beats) and how it gives up (ERROR, FIN, a short drain so the ERROR is not lost to a
//! reset).

use std::convert::Infallible;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{Command, DecodeError, Decoder, DecoderLimits, FRAME_END, Frame, HEARTBEAT, Item};
use crate::net::FramedConn;
use crate::router::DropReason;

pub use crate::net::WriteError;

/// After an ERROR, at most this much input is read and discarded while we wait for the peer
/// to close (for at most a second).
const CLOSE_DRAIN: usize = 1 << 20;

pub type Conn<S> = FramedConn<S, Decoder>;
/// Why reading a frame failed.
pub type ReadError = crate::net::ReadError<DecodeError>;

/// A STOMP connection over `stream`.
pub fn open<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    limits: DecoderLimits,
    write_timeout: std::time::Duration,
) -> Conn<S> {
    FramedConn::new(stream, Decoder::new(limits), write_timeout).with_close_drain(CLOSE_DRAIN)
}

/// How a fatal decode error is counted and what the ERROR frame says about it.
pub fn describe(e: &DecodeError) -> (DropReason, String) {
    match e {
        DecodeError::BodyTooLarge { .. } | DecodeError::FrameTooLarge { .. } => (DropReason::Oversize, e.to_string()),
        _ => (DropReason::Malformed, format!("malformed frame: {e}")),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// The next frame, skipping heart-beats; `Ok(None)` at a clean end of stream.
    pub async fn read_frame(&mut self) -> Result<Option<Frame>, ReadError> {
        loop {
            match self.next_item().await? {
                Some(Item::Frame(frame)) => return Ok(Some(frame)),
                Some(Item::Heartbeat) => continue,
                None => return Ok(None),
            }
        }
    }

    /// Queues a whole frame; its body, if any, is queued uncopied.
    pub fn queue(&mut self, frame: &Frame) {
        let out = self.out();
        let _ = out.push_encoded(|dst| {
            frame.encode_head(dst);
            Ok::<(), Infallible>(())
        });
        out.push(frame.body.clone());
        out.push(Bytes::from_static(FRAME_END));
    }

    pub fn queue_receipt(&mut self, receipt_id: &str) {
        self.queue(&Frame::new(Command::Receipt).with_header("receipt-id", receipt_id));
    }

    pub fn queue_heartbeat(&mut self) {
        self.out().push(Bytes::from_static(HEARTBEAT));
    }

    /// Sends ERROR (`message`, and `receipt-id` if the offending frame asked for a receipt,
    /// STOMP 1.2 §ERROR), then closes.
    pub async fn fail(&mut self, message: &str, receipt: Option<&str>) {
        let mut frame = Frame::new(Command::Error).with_header("message", message);
        if let Some(id) = receipt {
            frame.headers.push("receipt-id", id);
        }
        self.fail_with(frame).await;
    }

    /// Sends a prepared ERROR frame, then closes.
    pub async fn fail_with(&mut self, error: Frame) {
        self.queue(&error);
        self.flush_and_close().await;
    }
}
