//! USP over STOMP 1.2 (TR-369 STOMP MTP) as a client, for usphub and for RabbitMQ's STOMP
//! plugin.
//!
//! An endpoint sends `STOMP` with `accept-version:1.2`, its `endpoint-id` (colons escaped as
//! `\c`), `host` and `heart-beat:0,0`, subscribes to its own destination with `ack:auto` and a
//! receipt (so that no Record is sent before every receiver listens), and SENDs each Record
//! with `content-length`, `content-type:application/vnd.bbf.usp.msg`, its own destination as
//! `reply-to-dest`, and the receiver's destination. Answers go to the `reply-to-dest` of the
//! MESSAGE being answered, as TR-369 asks.
//!
//! The two systems differ only in destination names, because only usphub knows USP:
//! usphub gives each endpoint `subscribe-dest:/usp/v1/<eid>` in CONNECTED (and routes every
//! SEND by the Record's `to_id` anyway); against RabbitMQ each endpoint uses
//! `/queue/usp.v1.<eid>`, a queue of its own reached through the default exchange. That is
//! RabbitMQ's cheapest route and the same semantics as usphub's: point to point, one
//! consumer, and a Record sent before its receiver subscribes waits instead of vanishing (a
//! `/topic/` destination would drop it and add topic-exchange matching to every message). The
//! queues get RabbitMQ's default properties (a SEND declares its destination queue too, and
//! other properties on SUBSCRIBE alone make that declaration fail with RESOURCE_LOCKED);
//! messages are sent non-persistent (STOMP's default), so RabbitMQ keeps them in memory like
//! usphub.

pub mod codec;

use std::{collections::VecDeque, sync::Arc};

use crate::source::Sources;

use bytes::{Buf, Bytes, BytesMut};
use tokio::{
    io::AsyncWriteExt,
    net::tcp::{OwnedReadHalf, OwnedWriteHalf},
};

use self::codec::{Command, Decoder, Frame, StompError, escape, unescape};
use super::{
    CLOSE_TIMEOUT, Connector, Endpoint, LinkError, RecordLink,
    outbox::Outbox,
    tune,
    wire::{self, READ_CHUNK},
};

/// Largest frame accepted from the server.
const MAX_FRAME: usize = 5 * 1024 * 1024 + 64 * 1024;
/// STOMP → CONNECTED and SUBSCRIBE → RECEIPT must each complete within this.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Bytes queued before a `feed` writes them anyway.
const FLUSH_AT: usize = 64 * 1024;
/// Every frame ends with a NUL.
const FRAME_END: &[u8] = b"\0";

/// Which STOMP server, for its destination names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// usphub: `/usp/v1/<eid>`, as its CONNECTED says.
    Hub,
    /// RabbitMQ's STOMP plugin: `/queue/usp.v1.<eid>`.
    RabbitMq,
}

impl Flavour {
    /// An endpoint's destination, unescaped.
    fn destination(self, eid: &str) -> String {
        match self {
            Self::Hub => format!("/usp/v1/{eid}"),
            Self::RabbitMq => format!("/queue/usp.v1.{eid}"),
        }
    }
}

/// Connects endpoints to a STOMP server.
pub struct StompConnector {
    /// `host:port`.
    pub target: String,
    pub flavour: Flavour,
    pub sources: Arc<Sources>,
}

impl Connector for StompConnector {
    type Link = StompLink;

    async fn connect(&self, endpoint: &Endpoint) -> Result<StompLink, LinkError> {
        let tcp = self
            .sources
            .dial(&self.target)
            .await
            .map_err(|error| LinkError::Connect { target: self.target.clone(), error })?;
        tune(&tcp);
        let (rd, wr) = tcp.into_split();
        let own = escape(&self.flavour.destination(&endpoint.eid));
        let mut link = StompLink {
            rd,
            wr,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            decoder: Decoder::new(MAX_FRAME),
            out: Outbox::default(),
            inbox: VecDeque::new(),
            own_destination: Bytes::from(own),
            peer_destination: endpoint.to.as_ref().map(|to| Bytes::from(escape(&self.flavour.destination(to)))),
            reply_destination: None,
            flavour: self.flavour,
        };
        let host = self.host();
        let handshake = link.open(&endpoint.eid, &host);
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(())) => Ok(link),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(LinkError::Timeout { target: self.target.clone(), what: "CONNECTED or RECEIPT" }),
        }
    }

    fn describe(&self) -> String {
        match self.flavour {
            Flavour::Hub => format!("stomp://{} (destinations /usp/v1/<eid>)", self.target),
            Flavour::RabbitMq => format!("stomp://{} (RabbitMQ, destinations /queue/usp.v1.<eid>)", self.target),
        }
    }
}

impl StompConnector {
    /// The `host` header: the server's host name for usphub, the virtual host `/` for RabbitMQ.
    fn host(&self) -> String {
        match self.flavour {
            Flavour::Hub => self.target.rsplit_once(':').map_or(&*self.target, |(host, _)| host).to_owned(),
            Flavour::RabbitMq => "/".to_owned(),
        }
    }
}

/// One STOMP connection.
pub struct StompLink {
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    rbuf: BytesMut,
    decoder: Decoder,
    out: Outbox,
    /// Records read during the handshake.
    inbox: VecDeque<Bytes>,
    /// This endpoint's destination, escaped: its `reply-to-dest`.
    own_destination: Bytes,
    /// Where `feed` sends: the peer's destination, escaped.
    peer_destination: Option<Bytes>,
    /// Where `feed_reply` sends: the `reply-to-dest` of the last MESSAGE, as received.
    reply_destination: Option<Bytes>,
    flavour: Flavour,
}

impl RecordLink for StompLink {
    async fn feed(&mut self, record: Bytes) -> Result<(), LinkError> {
        let destination = self.peer_destination.clone().ok_or(LinkError::NoDestination)?;
        self.send(&destination, record).await
    }

    async fn feed_to(&mut self, to: &str, record: Bytes) -> Result<(), LinkError> {
        let destination = escape(&self.flavour.destination(to));
        self.send(destination.as_bytes(), record).await
    }

    async fn feed_reply(&mut self, record: Bytes) -> Result<(), LinkError> {
        let destination = self.reply_destination.clone().ok_or(StompError::NoReplyTo)?;
        self.send(&destination, record).await
    }

    async fn flush(&mut self) -> Result<(), LinkError> {
        Ok(self.wr.write_all_buf(&mut self.out).await?)
    }

    async fn recv(&mut self) -> Result<Option<Bytes>, LinkError> {
        wire::RecordReader::recv_record(self).await
    }

    fn try_recv(&mut self) -> Option<Result<Option<Bytes>, LinkError>> {
        wire::RecordReader::try_recv_record(self)
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            self.out.push_head(16, |b| codec::frame(b, "DISCONNECT", &[]));
            let _ = self.wr.write_all_buf(&mut self.out).await;
            let _ = self.wr.shutdown().await;
        })
        .await;
    }
}

impl StompLink {
    /// STOMP → CONNECTED, then SUBSCRIBE → RECEIPT.
    async fn open(&mut self, eid: &str, host: &str) -> Result<(), LinkError> {
        let eid = escape(eid);
        let headers = [("accept-version", "1.2"), ("host", host), ("endpoint-id", &eid), ("heart-beat", "0,0")];
        self.out.push_head(128 + eid.len() + host.len(), |b| codec::frame(b, "STOMP", &headers));
        self.flush().await?;
        let connected = self.next_frame().await?;
        if connected.command != Command::Connected {
            return Err(StompError::Unexpected(format!("{:?} instead of CONNECTED", connected.command)).into());
        }
        // usphub names the destination to subscribe to (R-STOMP.6); a plain broker does not.
        if let Some(dest) = connected.subscribe_dest {
            self.own_destination = dest;
        }
        let destination = String::from_utf8_lossy(&self.own_destination).into_owned();
        let headers = [("id", "0"), ("destination", destination.as_str()), ("ack", "auto"), ("receipt", "subscribed")];
        self.out.push_head(256 + destination.len(), |b| codec::frame(b, "SUBSCRIBE", &headers));
        self.flush().await?;
        loop {
            let frame = self.next_frame().await?;
            match frame.command {
                Command::Receipt => return Ok(()),
                // Records may already flow to an endpoint others know about.
                Command::Message => {
                    let record = self.on_message(frame);
                    self.inbox.push_back(record);
                }
                Command::Connected => {
                    return Err(StompError::Unexpected("a second CONNECTED".into()).into());
                }
                Command::Error => return Err(server_error(&frame).into()),
            }
        }
    }

    /// The next frame, read as needed; an ERROR frame becomes an error.
    async fn next_frame(&mut self) -> Result<Frame, LinkError> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.rbuf)? {
                return match frame.command {
                    Command::Error => Err(server_error(&frame).into()),
                    _ => Ok(frame),
                };
            }
            if !self.read_more().await? {
                return Err(LinkError::Closed);
            }
        }
    }

    async fn send(&mut self, destination: &[u8], record: Bytes) -> Result<(), LinkError> {
        let (reply_to, len) = (&self.own_destination, record.len());
        let max = codec::send_head_max_len(destination.len(), reply_to.len());
        self.out.push_head(max, |b| codec::send_head(b, destination, reply_to, len));
        self.out.push(record);
        self.out.push(Bytes::from_static(FRAME_END));
        if self.out.remaining() >= FLUSH_AT {
            self.flush().await?;
        }
        Ok(())
    }

    /// Reads more bytes, writing out anything queued meanwhile. `false` at end of stream.
    async fn read_more(&mut self) -> Result<bool, LinkError> {
        Ok(wire::read_while_writing(&mut self.rd, &mut self.wr, &mut self.rbuf, &mut self.out).await?)
    }

    /// Handles buffered frames up to the next Record, which it returns.
    fn next_record(&mut self) -> Result<Option<Bytes>, LinkError> {
        if let Some(record) = self.inbox.pop_front() {
            return Ok(Some(record));
        }
        while let Some(frame) = self.decoder.decode(&mut self.rbuf)? {
            match frame.command {
                Command::Message => return Ok(Some(self.on_message(frame))),
                Command::Receipt => {}
                Command::Error => return Err(server_error(&frame).into()),
                Command::Connected => {
                    return Err(StompError::Unexpected("a second CONNECTED".into()).into());
                }
            }
        }
        Ok(None)
    }

    /// Remembers where to answer a MESSAGE and returns its Record.
    fn on_message(&mut self, frame: Frame) -> Bytes {
        if frame.reply_to.is_some() {
            self.reply_destination = frame.reply_to;
        }
        frame.body
    }
}

fn server_error(frame: &Frame) -> StompError {
    let message = frame.message.as_deref().map(unescape).unwrap_or_default();
    let body = String::from_utf8_lossy(&frame.body);
    let message = if body.trim().is_empty() { message } else { format!("{message}: {}", body.trim()) };
    StompError::ServerError { message: message.chars().take(300).collect() }
}

impl wire::RecordReader for StompLink {
    fn next_buffered(&mut self) -> Result<Option<Bytes>, LinkError> {
        self.next_record()
    }

    fn fill(&mut self) -> impl std::future::Future<Output = Result<bool, LinkError>> + Send {
        self.read_more()
    }

    fn fill_now(&mut self) -> Option<std::io::Result<bool>> {
        wire::try_fill(&self.rd, &mut self.rbuf)
    }
}
