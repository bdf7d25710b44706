//! Records over a bare TCP connection paired by the [forwarder](crate::forwarder): the same
//! bytes as over the hub, each framed with a 4-byte big-endian length and nothing else.
//!
//! After connecting, an endpoint sends one line `PAIR <id> <A|B>\n`; the forwarder joins the
//! A and B of one id and from then on copies bytes blindly. Controllers are A, agents B.

use std::{collections::VecDeque, io::IoSlice};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{FutureExt, StreamExt};
use tokio::{
    io::AsyncWriteExt,
    net::{
        TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
};
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};

use super::{CLOSE_TIMEOUT, Connector, Endpoint, LinkError, RecordLink, Role, tune};

/// Largest frame accepted, as the hub's default largest Record.
const MAX_FRAME: usize = 5 * 1024 * 1024;

/// Connects endpoints to a forwarder.
pub struct TcpConnector {
    /// `host:port`.
    pub target: String,
    /// Prefixed to pair ids so that two runs never pair across each other.
    pub run: u32,
}

impl Connector for TcpConnector {
    type Link = TcpLink;

    async fn connect(&self, endpoint: &Endpoint) -> Result<TcpLink, LinkError> {
        let mut tcp = TcpStream::connect(&self.target)
            .await
            .map_err(|error| LinkError::Connect { target: self.target.clone(), error })?;
        tune(&tcp);
        let side = match endpoint.role {
            Role::Controller => 'A',
            Role::Agent => 'B',
        };
        tcp.write_all(format!("PAIR {:08x}-{} {side}\n", self.run, endpoint.pair).as_bytes()).await?;
        let (rd, wr) = tcp.into_split();
        let codec =
            LengthDelimitedCodec::builder().length_field_length(4).big_endian().max_frame_length(MAX_FRAME).new_codec();
        Ok(TcpLink { rd: FramedRead::new(rd, codec), wr, outbox: Outbox::default() })
    }

    fn describe(&self) -> String {
        format!("tcp://{} (length-prefixed, via forwarder)", self.target)
    }
}

/// One paired TCP connection.
pub struct TcpLink {
    rd: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    wr: OwnedWriteHalf,
    outbox: Outbox,
}

impl RecordLink for TcpLink {
    async fn feed(&mut self, record: Bytes) -> Result<(), LinkError> {
        self.outbox.push(record)?;
        if self.outbox.remaining() >= FLUSH_AT {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), LinkError> {
        Ok(self.wr.write_all_buf(&mut self.outbox).await?)
    }

    async fn recv(&mut self) -> Result<Option<Bytes>, LinkError> {
        frame_of(self.rd.next().await)
    }

    fn try_recv(&mut self) -> Option<Result<Option<Bytes>, LinkError>> {
        Some(frame_of(self.rd.next().now_or_never()?))
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.wr.shutdown()).await;
    }
}

fn frame_of(frame: Option<std::io::Result<BytesMut>>) -> Result<Option<Bytes>, LinkError> {
    match frame {
        Some(Ok(frame)) => Ok(Some(frame.freeze())),
        Some(Err(e)) => Err(e.into()),
        None => Ok(None),
    }
}

/// Bytes queued before a `feed` writes them anyway.
const FLUSH_AT: usize = 64 * 1024;

/// Records waiting to be written, each behind its length prefix. A flush hands them all to
/// one vectored write, so Records are never copied into a write buffer.
#[derive(Debug, Default)]
struct Outbox {
    parts: VecDeque<Bytes>,
    remaining: usize,
    /// Where the 4-byte prefixes are written, a few hundred to an allocation.
    prefixes: BytesMut,
}

impl Outbox {
    fn push(&mut self, record: Bytes) -> Result<(), LinkError> {
        let len = u32::try_from(record.len()).map_err(|_| std::io::Error::other("a Record over 4 GiB"))?;
        if self.prefixes.capacity() < 4 {
            self.prefixes.reserve(4 * 256);
        }
        self.prefixes.put_u32(len);
        self.parts.push_back(self.prefixes.split().freeze());
        self.remaining += 4 + record.len();
        if !record.is_empty() {
            self.parts.push_back(record);
        }
        Ok(())
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

    #[test]
    fn outbox_frames_records_and_survives_partial_writes() {
        let mut outbox = Outbox::default();
        outbox.push(Bytes::from_static(b"abc")).unwrap();
        outbox.push(Bytes::from_static(b"de")).unwrap();
        assert_eq!(outbox.remaining(), 13);
        let mut slices = [IoSlice::new(&[]); 8];
        assert_eq!(outbox.chunks_vectored(&mut slices), 4);
        outbox.advance(5); // prefix and 1 byte of the first Record
        let mut rest = Vec::new();
        while outbox.has_remaining() {
            let chunk = outbox.chunk().to_vec();
            rest.extend_from_slice(&chunk);
            outbox.advance(chunk.len());
        }
        assert_eq!(rest, b"bc\0\0\0\x02de");
        assert_eq!(outbox.remaining(), 0);
    }
}
