//! Records over a bare TCP connection paired by the [forwarder](crate::forwarder): the same
//! bytes as over the hub, each framed with a 4-byte big-endian length and nothing else.
//!
//! After connecting, an endpoint sends one line `PAIR <id> <A|B>\n`; the forwarder joins the
//! A and B of one id and from then on copies bytes blindly. Controllers are A, agents B.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures_util::{FutureExt, StreamExt};
use tokio::{
    io::AsyncWriteExt,
    net::tcp::{OwnedReadHalf, OwnedWriteHalf},
};
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};

use std::sync::Arc;

use crate::source::Sources;

use super::{CLOSE_TIMEOUT, Connector, Endpoint, LinkError, RecordLink, Role, outbox::Outbox, tune};

/// Largest frame accepted, as the hub's default largest Record.
const MAX_FRAME: usize = 5 * 1024 * 1024;

/// Connects endpoints to a forwarder.
pub struct TcpConnector {
    /// `host:port`.
    pub target: String,
    /// Prefixed to pair ids so that two runs never pair across each other.
    pub run: u32,
    pub sources: Arc<Sources>,
}

impl Connector for TcpConnector {
    type Link = TcpLink;

    async fn connect(&self, endpoint: &Endpoint) -> Result<TcpLink, LinkError> {
        let mut tcp = self
            .sources
            .dial(&self.target)
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
        push_framed(&mut self.outbox, record)?;
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

/// Queues `record` behind its 4-byte big-endian length.
fn push_framed(outbox: &mut Outbox, record: Bytes) -> Result<(), LinkError> {
    let len = u32::try_from(record.len()).map_err(|_| std::io::Error::other("a Record over 4 GiB"))?;
    outbox.push_head(4, |b| b.put_u32(len));
    outbox.push(record);
    Ok(())
}
