//! A UDS connection: the shared [`FramedConn`] over the UDS [`Decoder`], plus what only UDS
//! writes on it (our Handshake TLV, Records whose 13 header bytes alone are encoded, the Record
//! itself never copied) and how it gives up (Error TLV, then close).

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{DecodeError, Decoder, EncodeError, encode_error, encode_handshake, encode_record_header};
use crate::net::FramedConn;
use crate::router::DropReason;

pub use crate::net::WriteError;

pub type Conn<S> = FramedConn<S, Decoder>;

/// A UDS connection over `stream`. After an Error TLV it lets the peer close first (R-UDS.25
/// tells it to), reading until it does for at most a second.
pub fn open<S: AsyncRead + AsyncWrite + Unpin>(stream: S, max_frame_len: usize, write_timeout: Duration) -> Conn<S> {
    FramedConn::new(stream, Decoder::new(max_frame_len), write_timeout)
}

/// How a fatal decode error is counted.
pub fn drop_reason(e: &DecodeError) -> DropReason {
    match e {
        DecodeError::FrameTooLong { .. } => DropReason::Oversize,
        _ => DropReason::Malformed,
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Queues our Handshake TLV (R-UDS.17).
    pub fn queue_handshake(&mut self, endpoint_id: &str) -> Result<(), EncodeError> {
        self.out().push_encoded(|dst| encode_handshake(endpoint_id, dst))
    }

    /// Queues a Record frame: the header is encoded, the Record queued as it arrived.
    pub fn queue_record(&mut self, record: Bytes) -> Result<(), EncodeError> {
        let out = self.out();
        out.push_encoded(|dst| encode_record_header(record.len(), dst))?;
        out.push(record);
        Ok(())
    }

    /// Sends an Error TLV (R-UDS.21/23/24) after whatever is queued, then closes.
    pub async fn fail(&mut self, text: &str) {
        // The text is ours and short; it always fits a frame.
        let _ = self.out().push_encoded(|dst| encode_error(text, dst));
        self.flush_and_close().await;
    }
}
