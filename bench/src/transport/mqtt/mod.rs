//! USP over MQTT (TR-369 MQTT MTP) as a client, for usphub's broker and for any plain MQTT
//! broker alike: the same CONNECT, SUBSCRIBE and PUBLISH bytes go to both.
//!
//! An endpoint connects with its endpoint ID as ClientId and (5.0) in the `usp-endpoint-id`
//! user property, subscribes to its own topic (`usp/v1/<eid>`, or the `subscribe-topic` a
//! usphub CONNACK names; on 3.1.1 `usp/v1/<eid>/#`, because there the reply address travels
//! in the topic), and publishes each Record to the receiver's topic `usp/v1/<to eid>`, with
//! Content Type `usp.msg` and its own topic as Response Topic (5.0) or `/reply-to=` (3.1.1).
//! Answers go to the Response Topic of the Record being answered, as TR-369 asks of agents.
//! usphub would also route by `to_id` without the topic, but a plain broker cannot, and the
//! comparison must carry the same bytes.
//!
//! QoS 1 PUBLISHes from the broker are acknowledged in the same write as the next Records (or
//! while waiting for input); our own QoS 1 PUBLISHes stay within the broker's Receive Maximum.

pub mod codec;

use std::{
    collections::VecDeque,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::{Buf, Bytes, BytesMut};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::tcp::{OwnedReadHalf, OwnedWriteHalf},
    time::{Sleep, sleep},
};

use crate::source::Sources;

use self::codec::{Ack, ConnectOptions, Decoder, MqttError, Packet, Publish, PublishTemplate, Version};
use super::{
    CLOSE_TIMEOUT, Connector, Endpoint, LinkError, RecordLink,
    outbox::Outbox,
    tune,
    wire::{self, READ_CHUNK},
};

/// Topic prefix of USP endpoints, as usphub's default `mqtt.topic_prefix`.
pub const TOPIC_PREFIX: &str = "usp/v1";
/// Largest packet accepted from the broker.
const MAX_PACKET: usize = 5 * 1024 * 1024 + 64 * 1024;
/// Keep Alive asked for; a PINGREQ goes out after half of it without writing.
const KEEP_ALIVE: Duration = Duration::from_secs(60);
/// Receive Maximum we announce (5.0): usphub's default `mqtt.max_inflight`, so both brokers
/// get the same window towards us.
const RECEIVE_MAXIMUM: u16 = 64;
/// CONNECT → CONNACK and SUBSCRIBE → SUBACK must each complete within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Refusals for connecting too fast (usphub's `mqtt.connect_rate_per_ip`) are retried with
/// growing pauses for at most this long.
pub const RATE_RETRY_FOR: Duration = Duration::from_secs(60);
/// Bytes queued before a `feed` writes them anyway.
const FLUSH_AT: usize = 64 * 1024;

/// Connects endpoints to an MQTT broker.
pub struct MqttConnector {
    /// `host:port`.
    pub target: String,
    pub version: Version,
    /// QoS of our PUBLISHes and SUBSCRIBEs.
    pub qos: u8,
    pub sources: Arc<Sources>,
    /// How long refusals for connecting too fast are retried ([`RATE_RETRY_FOR`] by default;
    /// zero: reported at once, for scenarios that count them).
    pub rate_retry: Duration,
}

impl Connector for MqttConnector {
    type Link = MqttLink;

    async fn connect(&self, endpoint: &Endpoint) -> Result<MqttLink, LinkError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        loop {
            match self.try_connect(endpoint).await {
                // 0x9F Connection rate exceeded (5.0); usphub answers a 3.1.1 client 0x03.
                Err(LinkError::Mqtt(MqttError::Refused { code: 0x9F | 0x03, .. }))
                    if started.elapsed() < self.rate_retry =>
                {
                    sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                result => return result,
            }
        }
    }

    fn describe(&self) -> String {
        let version = match self.version {
            Version::V5 => "5.0",
            Version::V311 => "3.1.1",
        };
        format!("mqtt://{} (MQTT {version}, QoS {})", self.target, self.qos)
    }
}

impl MqttConnector {
    async fn try_connect(&self, endpoint: &Endpoint) -> Result<MqttLink, LinkError> {
        let tcp = self
            .sources
            .dial(&self.target)
            .await
            .map_err(|error| LinkError::Connect { target: self.target.clone(), error })?;
        tune(&tcp);
        let (rd, wr) = tcp.into_split();
        let own_topic = format!("{TOPIC_PREFIX}/{}", endpoint.eid);
        let mut link = MqttLink {
            rd,
            wr,
            rbuf: BytesMut::with_capacity(READ_CHUNK),
            decoder: Decoder::new(self.version, MAX_PACKET),
            out: Outbox::default(),
            inbox: VecDeque::new(),
            version: self.version,
            qos: self.qos,
            template: PublishTemplate::new(self.version, &own_topic),
            peer_topic: endpoint.to.as_ref().map(|to| Bytes::from(format!("{TOPIC_PREFIX}/{to}"))),
            reply_topic: None,
            last_raw_reply: None,
            next_id: 0,
            unacked: 0,
            send_quota: usize::from(u16::MAX),
            ping: Box::pin(sleep(KEEP_ALIVE / 2)),
            last_write: Instant::now(),
        };
        let handshake = async {
            let subscribe_topic = link.open(&endpoint.eid).await?;
            let filter = match self.version {
                Version::V5 => subscribe_topic.unwrap_or(own_topic),
                Version::V311 => format!("{own_topic}/#"),
            };
            link.subscribe(&filter).await
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(())) => Ok(link),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(LinkError::Timeout { target: self.target.clone(), what: "CONNACK or SUBACK" }),
        }
    }
}

/// One MQTT connection.
pub struct MqttLink {
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    rbuf: BytesMut,
    decoder: Decoder,
    out: Outbox,
    /// Records read while `feed` waited for PUBACKs, oldest first.
    inbox: VecDeque<Bytes>,
    version: Version,
    qos: u8,
    template: PublishTemplate,
    /// Where `feed` publishes: the topic of the endpoint's peer.
    peer_topic: Option<Bytes>,
    /// Where `feed_reply` publishes: the reply address of the last Record received.
    reply_topic: Option<Bytes>,
    /// 3.1.1: the encoded `/reply-to=` value `reply_topic` was decoded from, to skip decoding
    /// it again while the same peer keeps talking.
    last_raw_reply: Option<Bytes>,
    next_id: u16,
    /// Our QoS 1 PUBLISHes not yet acknowledged.
    unacked: usize,
    /// The broker's Receive Maximum.
    send_quota: usize,
    /// Fires when a PINGREQ may be due; checked against `last_write`.
    ping: Pin<Box<Sleep>>,
    last_write: Instant,
}

impl RecordLink for MqttLink {
    async fn feed(&mut self, record: Bytes) -> Result<(), LinkError> {
        let topic = self.peer_topic.clone().ok_or(LinkError::NoDestination)?;
        self.publish(topic, record).await
    }

    async fn feed_to(&mut self, to: &str, record: Bytes) -> Result<(), LinkError> {
        self.publish(Bytes::from(format!("{TOPIC_PREFIX}/{to}")), record).await
    }

    async fn feed_reply(&mut self, record: Bytes) -> Result<(), LinkError> {
        let topic = self.reply_topic.clone().ok_or(MqttError::NoReplyTopic)?;
        self.publish(topic, record).await
    }

    async fn flush(&mut self) -> Result<(), LinkError> {
        if !self.out.is_empty() {
            self.wr.write_all_buf(&mut self.out).await?;
            self.last_write = Instant::now();
        }
        Ok(())
    }

    async fn recv(&mut self) -> Result<Option<Bytes>, LinkError> {
        wire::RecordReader::recv_record(self).await
    }

    fn try_recv(&mut self) -> Option<Result<Option<Bytes>, LinkError>> {
        wire::RecordReader::try_recv_record(self)
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            self.out.push_head(2, codec::disconnect);
            let _ = self.wr.write_all_buf(&mut self.out).await;
            let _ = self.wr.shutdown().await;
        })
        .await;
    }
}

impl MqttLink {
    /// CONNECT and CONNACK; returns the `subscribe-topic` the broker named, if any.
    async fn open(&mut self, eid: &str) -> Result<Option<String>, LinkError> {
        let options = ConnectOptions {
            version: self.version,
            client_id: eid,
            endpoint_id: Some(eid),
            keep_alive_s: KEEP_ALIVE.as_secs() as u16,
            receive_maximum: RECEIVE_MAXIMUM,
        };
        self.out.push_head(256 + 2 * eid.len(), |b| codec::connect(b, &options));
        self.flush().await?;
        match self.next_packet().await? {
            Packet::ConnAck { code: 0, receive_maximum, subscribe_topic, .. } => {
                self.send_quota = usize::from(receive_maximum.unwrap_or(u16::MAX).max(1));
                Ok(subscribe_topic)
            }
            Packet::ConnAck { code, reason, .. } => Err(MqttError::Refused { code, reason }.into()),
            Packet::Disconnect { code, reason } => Err(MqttError::Disconnected { code, reason }.into()),
            _ => Err(MqttError::Malformed("a packet before CONNACK").into()),
        }
    }

    /// SUBSCRIBE and its SUBACK.
    async fn subscribe(&mut self, filter: &str) -> Result<(), LinkError> {
        let id = self.packet_id();
        let (version, qos) = (self.version, self.qos);
        self.out.push_head(16 + filter.len(), |b| codec::subscribe(b, version, id, filter, qos));
        self.flush().await?;
        loop {
            match self.next_packet().await? {
                Packet::SubAck { packet_id, code } if packet_id == id => {
                    return if code < 0x80 {
                        Ok(())
                    } else {
                        Err(MqttError::SubscribeRefused { filter: filter.to_owned(), code }.into())
                    };
                }
                Packet::Disconnect { code, reason } => {
                    return Err(MqttError::Disconnected { code, reason }.into());
                }
                // Nothing else is expected yet; anything harmless is ignored.
                _ => {}
            }
        }
    }

    /// The next packet, read as needed (handshake only: no Record handling).
    async fn next_packet(&mut self) -> Result<Packet, LinkError> {
        loop {
            if let Some(packet) = self.decoder.decode(&mut self.rbuf)? {
                return Ok(packet);
            }
            if !self.read_more().await? {
                return Err(LinkError::Closed);
            }
        }
    }

    async fn publish(&mut self, topic: Bytes, record: Bytes) -> Result<(), LinkError> {
        let mut id = 0;
        if self.qos > 0 {
            // Within the broker's Receive Maximum: send what is queued, then wait for PUBACKs,
            // keeping any Records that arrive meanwhile for `recv`.
            while self.unacked >= self.send_quota {
                self.flush().await?;
                if !self.read_more().await? {
                    return Err(LinkError::Closed);
                }
                self.drain_into_inbox()?;
            }
            id = self.packet_id();
            self.unacked += 1;
        }
        let (template, qos, len) = (&self.template, self.qos, record.len());
        self.out.push_head(template.max_head_len(topic.len()), |b| template.publish_head(b, &topic, qos, id, len));
        self.out.push(record);
        if self.out.remaining() >= FLUSH_AT {
            self.flush().await?;
        }
        Ok(())
    }

    fn packet_id(&mut self) -> u16 {
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        self.next_id
    }

    /// Reads more bytes into the buffer, writing out queued acknowledgements and sending a
    /// PINGREQ when due meanwhile. `false` at end of stream. Cancel-safe: reads and writes only
    /// take effect when they complete.
    async fn read_more(&mut self) -> Result<bool, LinkError> {
        wire::reserve(&mut self.rbuf);
        loop {
            let Self { rd, wr, rbuf, out, ping, .. } = self;
            let event = tokio::select! {
                biased;
                written = wr.write_buf(out), if !out.is_empty() => Event::Wrote(written),
                read = rd.read_buf(rbuf) => Event::Read(read),
                () = ping.as_mut() => Event::PingDue,
            };
            match event {
                Event::Wrote(written) => {
                    written?;
                    self.last_write = Instant::now();
                }
                Event::Read(read) => return Ok(read? > 0),
                Event::PingDue => {
                    let due = self.last_write + KEEP_ALIVE / 2;
                    let now = Instant::now();
                    if now >= due {
                        self.out.push_head(2, codec::pingreq);
                        self.ping.as_mut().reset((now + KEEP_ALIVE / 2).into());
                    } else {
                        self.ping.as_mut().reset(due.into());
                    }
                }
            }
        }
    }

    /// Handles buffered packets up to the next Record, which it returns.
    fn next_record(&mut self) -> Result<Option<Bytes>, LinkError> {
        if let Some(record) = self.inbox.pop_front() {
            return Ok(Some(record));
        }
        while let Some(packet) = self.decoder.decode(&mut self.rbuf)? {
            if let Some(record) = self.on_packet(packet)? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Handles every buffered packet, keeping Records for later.
    fn drain_into_inbox(&mut self) -> Result<(), LinkError> {
        while let Some(packet) = self.decoder.decode(&mut self.rbuf)? {
            if let Some(record) = self.on_packet(packet)? {
                self.inbox.push_back(record);
            }
        }
        Ok(())
    }

    fn on_packet(&mut self, packet: Packet) -> Result<Option<Bytes>, LinkError> {
        match packet {
            Packet::Publish(p) => return self.on_publish(p).map(Some),
            Packet::PubAck { code, .. } => {
                self.unacked = self.unacked.saturating_sub(1);
                if code >= 0x80 {
                    return Err(MqttError::PublishRefused(code).into());
                }
            }
            Packet::PubRel { packet_id } => self.out.push_head(4, |b| codec::ack(b, Ack::PubComp, packet_id)),
            Packet::PingResp | Packet::SubAck { .. } | Packet::ConnAck { .. } => {}
            Packet::Disconnect { code, reason } => {
                return Err(MqttError::Disconnected { code, reason }.into());
            }
        }
        Ok(None)
    }

    /// Acknowledges a PUBLISH and remembers where to answer it.
    fn on_publish(&mut self, p: Publish) -> Result<Bytes, LinkError> {
        match (p.qos, p.packet_id) {
            (1, Some(id)) => self.out.push_head(4, |b| codec::ack(b, Ack::PubAck, id)),
            (2, Some(id)) => self.out.push_head(4, |b| codec::ack(b, Ack::PubRec, id)),
            _ => {}
        }
        match self.version {
            Version::V5 => {
                if p.response_topic.is_some() {
                    self.reply_topic = p.response_topic;
                }
            }
            Version::V311 => self.learn_reply_to(&p.topic),
        }
        Ok(p.payload)
    }

    /// 3.1.1: the reply topic after the last `/reply-to=` of a topic, `%2F` decoded.
    fn learn_reply_to(&mut self, topic: &Bytes) {
        const MARK: &[u8] = b"/reply-to=";
        let Some(at) = topic.windows(MARK.len()).rposition(|w| w == MARK) else {
            return;
        };
        let raw = topic.slice(at + MARK.len()..);
        if self.last_raw_reply.as_ref() == Some(&raw) {
            return;
        }
        let decoded = String::from_utf8_lossy(&raw).replace("%2F", "/").replace("%2f", "/");
        self.reply_topic = Some(Bytes::from(decoded));
        self.last_raw_reply = Some(raw);
    }
}

/// What woke `read_more`.
enum Event {
    Wrote(std::io::Result<usize>),
    Read(std::io::Result<usize>),
    PingDue,
}

impl wire::RecordReader for MqttLink {
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
