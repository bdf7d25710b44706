//! The few MQTT 5.0 and 3.1.1 packets a USP endpoint needs, as a client: CONNECT (with the
//! `usp-endpoint-id` user property), SUBSCRIBE, PUBLISH at QoS 0/1 (Content Type and Response
//! Topic on 5.0), the acknowledgements, PINGREQ, DISCONNECT; and a decoder for what a broker
//! sends back.
//!
//! Hand-written rather than taken from an MQTT client crate: a client library keeps its own
//! task, channels and per-message allocations between the socket and the caller, and at a
//! hundred thousand Records a second on one core that overhead would make the generator, not
//! the broker, the bottleneck. Here a PUBLISH head is encoded into shared scratch space and the
//! Record is written as the `Bytes` it already is; a received PUBLISH is sliced out of the read
//! buffer without copying its topic or payload. Only what the generator uses is decoded:
//! anything else from the broker is skipped by its length or reported as unexpected.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// Packet types (the high nibble of the first byte).
mod kind {
    pub const CONNECT: u8 = 1;
    pub const CONNACK: u8 = 2;
    pub const PUBLISH: u8 = 3;
    pub const PUBACK: u8 = 4;
    pub const PUBREC: u8 = 5;
    pub const PUBREL: u8 = 6;
    pub const PUBCOMP: u8 = 7;
    pub const SUBSCRIBE: u8 = 8;
    pub const SUBACK: u8 = 9;
    pub const PINGREQ: u8 = 12;
    pub const PINGRESP: u8 = 13;
    pub const DISCONNECT: u8 = 14;
}

/// MQTT 5.0 property identifiers the generator writes or reads.
mod prop {
    pub const CONTENT_TYPE: u8 = 0x03;
    pub const RESPONSE_TOPIC: u8 = 0x08;
    pub const REASON_STRING: u8 = 0x1F;
    pub const RECEIVE_MAXIMUM: u8 = 0x21;
    pub const USER_PROPERTY: u8 = 0x26;
}

/// The Content Type of a USP Record (TR-369 R-MQTT.27).
pub const USP_CONTENT_TYPE: &str = "usp.msg";

/// Protocol level, as the CLI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V5,
    V311,
}

impl Version {
    fn level(self) -> u8 {
        match self {
            Self::V5 => 5,
            Self::V311 => 4,
        }
    }

    pub fn is_v5(self) -> bool {
        self == Self::V5
    }
}

/// Why the broker's bytes or answers are unusable. Each message stands on its own: the first
/// one is quoted in reports.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("malformed MQTT packet from the broker: {0}")]
    Malformed(&'static str),
    #[error("MQTT packet of {len} bytes from the broker, over the {max}-byte limit")]
    TooLarge { len: usize, max: usize },
    #[error("unexpected MQTT packet type {0} from the broker")]
    Unexpected(u8),
    #[error("the broker refused CONNECT with reason code 0x{code:02x}{}", reason_suffix(.reason))]
    Refused { code: u8, reason: Option<String> },
    #[error("the broker refused SUBSCRIBE to {filter:?} with reason code 0x{code:02x}")]
    SubscribeRefused { filter: String, code: u8 },
    #[error("the broker refused a PUBLISH: PUBACK reason code 0x{0:02x}")]
    PublishRefused(u8),
    #[error("the broker sent DISCONNECT with reason code 0x{code:02x}{}", reason_suffix(.reason))]
    Disconnected { code: u8, reason: Option<String> },
    #[error("a Record arrived without a reply address (Response Topic, or /reply-to= on 3.1.1)")]
    NoReplyTopic,
}

fn reason_suffix(reason: &Option<String>) -> String {
    reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
}

/// What the client sends in CONNECT.
#[derive(Debug, Clone)]
pub struct ConnectOptions<'a> {
    pub version: Version,
    pub client_id: &'a str,
    /// The `usp-endpoint-id` user property (5.0 only).
    pub endpoint_id: Option<&'a str>,
    pub keep_alive_s: u16,
    /// QoS 1/2 messages the broker may have unacknowledged towards us (5.0 only).
    pub receive_maximum: u16,
}

/// Encodes CONNECT with Clean Start (a fresh session every time).
pub fn connect(buf: &mut BytesMut, o: &ConnectOptions<'_>) {
    let mut body = BytesMut::with_capacity(64 + o.client_id.len());
    put_str(&mut body, b"MQTT");
    body.put_u8(o.version.level());
    body.put_u8(0x02); // Clean Start, no Will, no user name or password
    body.put_u16(o.keep_alive_s);
    if o.version.is_v5() {
        let mut props = BytesMut::new();
        props.put_u8(prop::RECEIVE_MAXIMUM);
        props.put_u16(o.receive_maximum);
        if let Some(eid) = o.endpoint_id {
            props.put_u8(prop::USER_PROPERTY);
            put_str(&mut props, b"usp-endpoint-id");
            put_str(&mut props, eid.as_bytes());
        }
        put_varint(&mut body, props.len());
        body.put_slice(&props);
    }
    put_str(&mut body, o.client_id.as_bytes());
    put_packet(buf, kind::CONNECT << 4, &body);
}

/// Encodes SUBSCRIBE to one filter at `qos`.
pub fn subscribe(buf: &mut BytesMut, version: Version, packet_id: u16, filter: &str, qos: u8) {
    let mut body = BytesMut::with_capacity(8 + filter.len());
    body.put_u16(packet_id);
    if version.is_v5() {
        body.put_u8(0); // no properties
    }
    put_str(&mut body, filter.as_bytes());
    body.put_u8(qos & 0x03);
    put_packet(buf, (kind::SUBSCRIBE << 4) | 0x02, &body);
}

/// What stays the same in every PUBLISH of one client: on 5.0 its properties (Content Type
/// and Response Topic), on 3.1.1 the `/reply-to=` suffix of every topic.
#[derive(Debug, Clone)]
pub struct PublishTemplate {
    version: Version,
    /// 5.0: the encoded properties, without their length; 3.1.1: the topic suffix.
    extra: Bytes,
}

impl PublishTemplate {
    /// `reply_topic` is where answers to this client's Records go.
    pub fn new(version: Version, reply_topic: &str) -> Self {
        let mut extra = BytesMut::new();
        match version {
            Version::V5 => {
                extra.put_u8(prop::CONTENT_TYPE);
                put_str(&mut extra, USP_CONTENT_TYPE.as_bytes());
                extra.put_u8(prop::RESPONSE_TOPIC);
                put_str(&mut extra, reply_topic.as_bytes());
            }
            // R-MQTT.24/25: <topic>/reply-to=<reply topic with / as %2F>.
            Version::V311 => {
                extra.put_slice(b"/reply-to=");
                extra.put_slice(reply_topic.replace('/', "%2F").as_bytes());
            }
        }
        Self { version, extra: extra.freeze() }
    }

    /// Longest head `publish_head` writes for a topic of `topic_len` bytes.
    pub fn max_head_len(&self, topic_len: usize) -> usize {
        1 + 4 + 2 + topic_len + 2 + 4 + self.extra.len()
    }

    /// Encodes the head of a PUBLISH of `payload_len` bytes to `topic`; the payload follows it.
    pub fn publish_head(&self, buf: &mut BytesMut, topic: &[u8], qos: u8, packet_id: u16, payload_len: usize) {
        let (topic_len, props_len) = match self.version {
            Version::V5 => (topic.len(), varint_len(self.extra.len()) + self.extra.len()),
            Version::V311 => (topic.len() + self.extra.len(), 0),
        };
        let id_len = if qos > 0 { 2 } else { 0 };
        let remaining = 2 + topic_len + id_len + props_len + payload_len;
        buf.put_u8((kind::PUBLISH << 4) | (qos << 1));
        put_varint(buf, remaining);
        // Topics are well under 64 KiB: ours are `usp/v1/<endpoint id>`.
        buf.put_u16(topic_len as u16);
        buf.put_slice(topic);
        if self.version == Version::V311 {
            buf.put_slice(&self.extra);
        }
        if qos > 0 {
            buf.put_u16(packet_id);
        }
        if self.version.is_v5() {
            put_varint(buf, self.extra.len());
            buf.put_slice(&self.extra);
        }
    }
}

/// The acknowledgements a client sends: PUBACK, PUBREC, PUBCOMP (success, no properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names, reason = "the MQTT packet names")]
pub enum Ack {
    PubAck,
    PubRec,
    PubComp,
}

pub fn ack(buf: &mut BytesMut, ack: Ack, packet_id: u16) {
    let kind = match ack {
        Ack::PubAck => kind::PUBACK,
        Ack::PubRec => kind::PUBREC,
        Ack::PubComp => kind::PUBCOMP,
    };
    buf.put_slice(&[kind << 4, 2]);
    buf.put_u16(packet_id);
}

pub fn pingreq(buf: &mut BytesMut) {
    buf.put_slice(&[kind::PINGREQ << 4, 0]);
}

/// DISCONNECT, normal (reason code 0, which 5.0 lets us omit).
pub fn disconnect(buf: &mut BytesMut) {
    buf.put_slice(&[kind::DISCONNECT << 4, 0]);
}

/// A packet from the broker, as far as the generator cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    ConnAck {
        code: u8,
        /// 5.0 Receive Maximum: QoS 1/2 PUBLISHes we may have unacknowledged.
        receive_maximum: Option<u16>,
        /// The `subscribe-topic` user property usphub sends (TR-369 R-MQTT.15).
        subscribe_topic: Option<String>,
        reason: Option<String>,
    },
    Publish(Publish),
    PubAck {
        packet_id: u16,
        code: u8,
    },
    PubRel {
        packet_id: u16,
    },
    SubAck {
        packet_id: u16,
        code: u8,
    },
    PingResp,
    Disconnect {
        code: u8,
        reason: Option<String>,
    },
}

/// A received PUBLISH; topic and payload are slices of the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub qos: u8,
    pub packet_id: Option<u16>,
    pub topic: Bytes,
    /// 5.0 Response Topic.
    pub response_topic: Option<Bytes>,
    pub payload: Bytes,
}

/// Splits packets off a read buffer.
#[derive(Debug, Clone)]
pub struct Decoder {
    version: Version,
    max_packet: usize,
}

impl Decoder {
    pub fn new(version: Version, max_packet: usize) -> Self {
        Self { version, max_packet }
    }

    /// The next complete packet in `buf`, removed from it; `Ok(None)` if more bytes are needed.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Packet>, MqttError> {
        let Some((remaining, len_bytes)) = read_varint(&buf[buf.len().min(1)..])? else { return Ok(None) };
        let total = 1 + len_bytes + remaining;
        if total > self.max_packet {
            return Err(MqttError::TooLarge { len: total, max: self.max_packet });
        }
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        let first = buf[0];
        let mut body = buf.split_to(total).freeze();
        body.advance(1 + len_bytes);
        self.parse(first, body).map(Some)
    }

    fn parse(&self, first: u8, body: Bytes) -> Result<Packet, MqttError> {
        let v5 = self.version.is_v5();
        let mut r = Reader(body);
        match first >> 4 {
            kind::PUBLISH => {
                let qos = (first >> 1) & 0x03;
                if qos == 3 {
                    return Err(MqttError::Malformed("PUBLISH with QoS 3"));
                }
                let topic = r.string()?;
                let packet_id = if qos > 0 { Some(r.u16()?) } else { None };
                let mut response_topic = None;
                if v5 {
                    r.properties(|id, mut value| {
                        if id == prop::RESPONSE_TOPIC {
                            response_topic = Some(value.string()?);
                        }
                        Ok(())
                    })?;
                }
                Ok(Packet::Publish(Publish { qos, packet_id, topic, response_topic, payload: r.0 }))
            }
            kind::PUBACK => {
                let packet_id = r.u16()?;
                // 5.0 may omit the reason code (then 0, success) and the properties.
                let code = if r.0.has_remaining() { r.u8()? } else { 0 };
                Ok(Packet::PubAck { packet_id, code })
            }
            kind::PUBREL => Ok(Packet::PubRel { packet_id: r.u16()? }),
            kind::SUBACK => {
                let packet_id = r.u16()?;
                if v5 {
                    r.properties(|_, _| Ok(()))?;
                }
                Ok(Packet::SubAck { packet_id, code: r.u8()? })
            }
            kind::CONNACK => {
                let _session_present = r.u8()?;
                let code = r.u8()?;
                let (mut receive_maximum, mut subscribe_topic, mut reason) = (None, None, None);
                if v5 && r.0.has_remaining() {
                    r.properties(|id, mut value| {
                        match id {
                            prop::RECEIVE_MAXIMUM => receive_maximum = Some(value.u16()?),
                            prop::REASON_STRING => reason = Some(lossy(&value.string()?)),
                            prop::USER_PROPERTY => {
                                let (name, val) = (value.string()?, value.string()?);
                                if &name[..] == b"subscribe-topic" {
                                    subscribe_topic = Some(lossy(&val));
                                }
                            }
                            _ => {}
                        }
                        Ok(())
                    })?;
                }
                Ok(Packet::ConnAck { code, receive_maximum, subscribe_topic, reason })
            }
            kind::PINGRESP => Ok(Packet::PingResp),
            kind::DISCONNECT => {
                let code = if r.0.has_remaining() { r.u8()? } else { 0 };
                let mut reason = None;
                if v5 && r.0.has_remaining() {
                    r.properties(|id, mut value| {
                        if id == prop::REASON_STRING {
                            reason = Some(lossy(&value.string()?));
                        }
                        Ok(())
                    })?;
                }
                Ok(Packet::Disconnect { code, reason })
            }
            other => Err(MqttError::Unexpected(other)),
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A cursor over one packet's body.
struct Reader(Bytes);

impl Reader {
    fn need(&self, n: usize) -> Result<(), MqttError> {
        if self.0.remaining() < n { Err(MqttError::Malformed("packet shorter than its fields")) } else { Ok(()) }
    }

    fn u8(&mut self) -> Result<u8, MqttError> {
        self.need(1)?;
        Ok(self.0.get_u8())
    }

    fn u16(&mut self) -> Result<u16, MqttError> {
        self.need(2)?;
        Ok(self.0.get_u16())
    }

    fn varint(&mut self) -> Result<usize, MqttError> {
        match read_varint(&self.0)? {
            Some((value, len)) => {
                self.0.advance(len);
                Ok(value)
            }
            None => Err(MqttError::Malformed("truncated variable byte integer")),
        }
    }

    /// A length-prefixed string or binary field, uncopied.
    fn string(&mut self) -> Result<Bytes, MqttError> {
        let len = usize::from(self.u16()?);
        self.need(len)?;
        Ok(self.0.split_to(len))
    }

    fn take(&mut self, n: usize) -> Result<Reader, MqttError> {
        self.need(n)?;
        Ok(Reader(self.0.split_to(n)))
    }

    /// Walks a 5.0 property list, calling `each` with every property's identifier and a
    /// reader positioned on its value; values `each` leaves unread are skipped by type.
    fn properties(&mut self, mut each: impl FnMut(u8, Reader) -> Result<(), MqttError>) -> Result<(), MqttError> {
        let len = self.varint()?;
        let mut props = self.take(len)?;
        while props.0.has_remaining() {
            let id = props.u8()?;
            let value_len = match id {
                0x01 | 0x17 | 0x19 | 0x24 | 0x25 | 0x28 | 0x29 | 0x2A => 1,
                0x13 | 0x21 | 0x22 | 0x23 => 2,
                0x02 | 0x11 | 0x18 | 0x27 => 4,
                0x0B => match read_varint(&props.0)? {
                    Some((_, n)) => n,
                    None => return Err(MqttError::Malformed("truncated property")),
                },
                0x03 | 0x08 | 0x09 | 0x12 | 0x15 | 0x16 | 0x1A | 0x1C | 0x1F => prefixed_len(&props.0, 0)?,
                0x26 => {
                    let name = prefixed_len(&props.0, 0)?;
                    name + prefixed_len(&props.0, name)?
                }
                _ => return Err(MqttError::Malformed("unknown property identifier")),
            };
            each(id, props.take(value_len)?)?;
        }
        Ok(())
    }
}

/// Length, prefix included, of the length-prefixed field at `at`.
fn prefixed_len(bytes: &[u8], at: usize) -> Result<usize, MqttError> {
    match bytes.get(at..at + 2) {
        Some(&[hi, lo]) => Ok(2 + usize::from(u16::from_be_bytes([hi, lo]))),
        _ => Err(MqttError::Malformed("truncated property")),
    }
}

/// A Variable Byte Integer at the start of `bytes`: `(value, length)`, or `None` if more
/// bytes are needed.
fn read_varint(bytes: &[u8]) -> Result<Option<(usize, usize)>, MqttError> {
    let mut value = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(4) {
        value |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= 4 { Err(MqttError::Malformed("variable byte integer over 4 bytes")) } else { Ok(None) }
}

fn varint_len(value: usize) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

fn put_varint(buf: &mut BytesMut, mut value: usize) {
    loop {
        let byte = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            buf.put_u8(byte);
            return;
        }
        buf.put_u8(byte | 0x80);
    }
}

fn put_str(buf: &mut BytesMut, s: &[u8]) {
    buf.put_u16(s.len() as u16);
    buf.put_slice(s);
}

fn put_packet(buf: &mut BytesMut, first: u8, body: &[u8]) {
    buf.put_u8(first);
    put_varint(buf, body.len());
    buf.put_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(version: Version, wire: &[u8]) -> Vec<Packet> {
        let decoder = Decoder::new(version, 1 << 20);
        let mut buf = BytesMut::from(wire);
        let mut out = Vec::new();
        while let Some(p) = decoder.decode(&mut buf).unwrap() {
            out.push(p);
        }
        assert!(buf.is_empty(), "left over: {buf:?}");
        out
    }

    #[test]
    fn varints() {
        for v in [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455] {
            let mut b = BytesMut::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v));
            assert_eq!(read_varint(&b).unwrap(), Some((v, b.len())));
        }
        assert_eq!(read_varint(&[0x80, 0x80]).unwrap(), None);
        assert!(read_varint(&[0xFF; 5]).is_err());
    }

    #[test]
    fn connect_v5_matches_the_spec_layout() {
        let mut b = BytesMut::new();
        let o = ConnectOptions {
            version: Version::V5,
            client_id: "c",
            endpoint_id: Some("os::x"),
            keep_alive_s: 60,
            receive_maximum: 64,
        };
        connect(&mut b, &o);
        let expected_props: &[u8] = &[
            0x21, 0, 64, 0x26, 0, 15, b'u', b's', b'p', b'-', b'e', b'n', b'd', b'p', b'o', b'i', b'n', b't', b'-',
            b'i', b'd', 0, 5, b'o', b's', b':', b':', b'x',
        ];
        let mut expected = vec![0x10, 0];
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, expected_props.len() as u8];
        body.extend_from_slice(expected_props);
        body.extend_from_slice(&[0, 1, b'c']);
        expected[1] = body.len() as u8;
        expected.extend_from_slice(&body);
        assert_eq!(&b[..], &expected[..]);
    }

    #[test]
    fn publish_round_trips_through_the_decoder_v5_and_v311() {
        for version in [Version::V5, Version::V311] {
            let template = PublishTemplate::new(version, "usp/v1/self::c");
            let mut b = BytesMut::new();
            let payload = b"\x0a\x00record";
            template.publish_head(&mut b, b"usp/v1/os::a", 1, 7, payload.len());
            assert!(b.len() <= template.max_head_len(12));
            b.extend_from_slice(payload);
            let packets = decode_all(version, &b);
            let [Packet::Publish(p)] = &packets[..] else { panic!("{packets:?}") };
            assert_eq!((p.qos, p.packet_id, &p.payload[..]), (1, Some(7), &payload[..]));
            match version {
                Version::V5 => {
                    assert_eq!(&p.topic[..], b"usp/v1/os::a");
                    assert_eq!(p.response_topic.as_deref(), Some(&b"usp/v1/self::c"[..]));
                }
                Version::V311 => {
                    assert_eq!(&p.topic[..], b"usp/v1/os::a/reply-to=usp%2Fv1%2Fself::c");
                    assert_eq!(p.response_topic, None);
                }
            }
        }
    }

    #[test]
    fn broker_packets_decode() {
        // CONNACK 5.0: success, Receive Maximum 20, user property subscribe-topic=t/x.
        let mut props = vec![0x21, 0, 20, 0x26, 0, 15];
        props.extend_from_slice(b"subscribe-topic");
        props.extend_from_slice(&[0, 3, b't', b'/', b'x']);
        let mut connack = vec![0x20, (3 + props.len()) as u8, 0, 0, props.len() as u8];
        connack.extend_from_slice(&props);
        let wire = [
            &connack[..],
            &[0x40, 2, 0, 9],       // PUBACK, reason omitted
            &[0x40, 3, 0, 9, 0x10], // PUBACK, no matching subscribers
            &[0x90, 4, 0, 1, 0, 1], // SUBACK 5.0, granted QoS 1
            &[0x62, 2, 0, 5],       // PUBREL
            &[0xD0, 0],             // PINGRESP
            &[0xE0, 2, 0x8E, 0],    // DISCONNECT session taken over
        ]
        .concat();
        let packets = decode_all(Version::V5, &wire);
        assert_eq!(
            packets,
            vec![
                Packet::ConnAck {
                    code: 0,
                    receive_maximum: Some(20),
                    subscribe_topic: Some("t/x".into()),
                    reason: None
                },
                Packet::PubAck { packet_id: 9, code: 0 },
                Packet::PubAck { packet_id: 9, code: 0x10 },
                Packet::SubAck { packet_id: 1, code: 1 },
                Packet::PubRel { packet_id: 5 },
                Packet::PingResp,
                Packet::Disconnect { code: 0x8E, reason: None },
            ]
        );
        // 3.1.1 CONNACK and SUBACK have no properties.
        let packets = decode_all(Version::V311, &[0x20, 2, 0, 0, 0x90, 3, 0, 1, 0]);
        assert_eq!(packets[1], Packet::SubAck { packet_id: 1, code: 0 });
    }

    #[test]
    fn partial_packets_wait_and_bad_ones_fail() {
        let decoder = Decoder::new(Version::V5, 100);
        let mut buf = BytesMut::from(&[0x40, 2, 0][..]);
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 3);
        let mut big = BytesMut::from(&[0x30, 0xFF, 0x01][..]);
        assert!(matches!(decoder.decode(&mut big), Err(MqttError::TooLarge { .. })));
        let mut short = BytesMut::from(&[0x30, 1, 0][..]);
        assert!(matches!(decoder.decode(&mut short), Err(MqttError::Malformed(_))));
        let mut odd = BytesMut::from(&[0xB0, 0][..]);
        assert!(matches!(decoder.decode(&mut odd), Err(MqttError::Unexpected(11))));
    }
}
