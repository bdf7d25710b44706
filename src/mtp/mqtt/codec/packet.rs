//! [`Packet`]: every MQTT Control Packet, and the one place that turns a packet type into the
//! right body decoder or encoder and writes the fixed header (§2.1).

use bytes::{BufMut, Bytes, BytesMut};

use super::ack::PubResponse;
use super::connack::ConnAck;
use super::connect::Connect;
use super::disconnect::{Auth, Disconnect};
use super::error::{DecodeErrorKind, EncodeError};
use super::publish::Publish;
use super::subscribe::{SubAck, Subscribe};
use super::types::{PacketType, ProtocolVersion, Role};
use super::unsubscribe::{UnsubAck, Unsubscribe};
use super::wire::{self, Reader};

/// An MQTT Control Packet of either version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// Boxed: with two property blocks it is twice any other packet, and it comes once.
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(PubResponse),
    PubRec(PubResponse),
    PubRel(PubResponse),
    PubComp(PubResponse),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(UnsubAck),
    PingReq,
    PingResp,
    Disconnect(Disconnect),
    /// 5.0 only.
    Auth(Auth),
}

impl Packet {
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Connect(_) => PacketType::Connect,
            Self::ConnAck(_) => PacketType::ConnAck,
            Self::Publish(_) => PacketType::Publish,
            Self::PubAck(_) => PacketType::PubAck,
            Self::PubRec(_) => PacketType::PubRec,
            Self::PubRel(_) => PacketType::PubRel,
            Self::PubComp(_) => PacketType::PubComp,
            Self::Subscribe(_) => PacketType::Subscribe,
            Self::SubAck(_) => PacketType::SubAck,
            Self::Unsubscribe(_) => PacketType::Unsubscribe,
            Self::UnsubAck(_) => PacketType::UnsubAck,
            Self::PingReq => PacketType::PingReq,
            Self::PingResp => PacketType::PingResp,
            Self::Disconnect(_) => PacketType::Disconnect,
            Self::Auth(_) => PacketType::Auth,
        }
    }

    /// Decodes a body whose fixed header the decoder has already checked. `version` is the
    /// connection's; CONNECT ignores it and reads its own.
    pub(super) fn decode_body(
        packet_type: PacketType,
        flags: u8,
        body: Bytes,
        version: ProtocolVersion,
        role: Role,
    ) -> Result<Self, DecodeErrorKind> {
        let v = version;
        Ok(match packet_type {
            PacketType::Connect => Self::Connect(Box::new(Connect::decode(body)?)),
            PacketType::ConnAck => Self::ConnAck(ConnAck::decode(body, v)?),
            PacketType::Publish => Self::Publish(Publish::decode(flags, body, v, role)?),
            PacketType::PubAck => Self::PubAck(PubResponse::decode(packet_type, body, v)?),
            PacketType::PubRec => Self::PubRec(PubResponse::decode(packet_type, body, v)?),
            PacketType::PubRel => Self::PubRel(PubResponse::decode(packet_type, body, v)?),
            PacketType::PubComp => Self::PubComp(PubResponse::decode(packet_type, body, v)?),
            PacketType::Subscribe => Self::Subscribe(Subscribe::decode(body, v)?),
            PacketType::SubAck => Self::SubAck(SubAck::decode(body, v)?),
            PacketType::Unsubscribe => Self::Unsubscribe(Unsubscribe::decode(body, v)?),
            PacketType::UnsubAck => Self::UnsubAck(UnsubAck::decode(body, v)?),
            PacketType::PingReq => {
                Reader::new(body).finish()?;
                Self::PingReq
            }
            PacketType::PingResp => {
                Reader::new(body).finish()?;
                Self::PingResp
            }
            PacketType::Disconnect => Self::Disconnect(Disconnect::decode(body, v)?),
            PacketType::Auth => Self::Auth(Auth::decode(body)?),
        })
    }

    /// The version this packet is written in: CONNECT's own, otherwise the connection's.
    fn wire_version(&self, version: ProtocolVersion) -> Result<ProtocolVersion, EncodeError> {
        match self {
            Self::Connect(connect) => Ok(connect.protocol_version),
            Self::Auth(_) if !version.is_v5() => Err(EncodeError::NotInVersion {
                packet: PacketType::Auth,
                version,
            }),
            _ => Ok(version),
        }
    }

    fn first_byte(&self) -> u8 {
        match self {
            Self::Publish(publish) => publish.first_byte(),
            other => {
                let packet_type = other.packet_type();
                (packet_type as u8) << 4 | packet_type.fixed_flags().unwrap_or(0)
            }
        }
    }

    fn remaining_len(&self, v: ProtocolVersion) -> Result<usize, EncodeError> {
        match self {
            Self::Connect(p) => p.remaining_len(),
            Self::ConnAck(p) => p.remaining_len(v),
            Self::Publish(p) => p.remaining_len(v),
            Self::PubAck(p) | Self::PubRec(p) | Self::PubRel(p) | Self::PubComp(p) => {
                p.remaining_len(v)
            }
            Self::Subscribe(p) => p.remaining_len(v),
            Self::SubAck(p) => p.remaining_len(v),
            Self::Unsubscribe(p) => p.remaining_len(v),
            Self::UnsubAck(p) => p.remaining_len(v),
            Self::PingReq | Self::PingResp => Ok(0),
            Self::Disconnect(p) => p.remaining_len(v),
            Self::Auth(p) => p.remaining_len(),
        }
    }

    fn put_body(&self, v: ProtocolVersion, dst: &mut BytesMut) {
        match self {
            Self::Connect(p) => p.put_body(dst),
            Self::ConnAck(p) => p.put_body(v, dst),
            Self::Publish(p) => p.put_body(v, dst),
            Self::PubAck(p) | Self::PubRec(p) | Self::PubRel(p) | Self::PubComp(p) => {
                p.put_body(v, dst)
            }
            Self::Subscribe(p) => p.put_body(v, dst),
            Self::SubAck(p) => p.put_body(v, dst),
            Self::Unsubscribe(p) => p.put_body(v, dst),
            Self::UnsubAck(p) => p.put_body(v, dst),
            Self::PingReq | Self::PingResp => {}
            Self::Disconnect(p) => p.put_body(v, dst),
            Self::Auth(p) => p.put_body(dst),
        }
    }

    /// The packet's size on the wire in `version`, fixed header included: what the peer's
    /// Maximum Packet Size is compared with (§3.1.2.11.4).
    pub fn encoded_len(&self, version: ProtocolVersion) -> Result<usize, EncodeError> {
        let remaining = self.remaining_len(self.wire_version(version)?)?;
        Ok(1 + wire::checked_varint_len(remaining)? + remaining)
    }

    /// Appends the packet to `dst` as `version` writes it (CONNECT uses its own version).
    /// What `version` cannot carry is dropped: properties and reason codes on 3.1.1. Nothing
    /// is written if an error is returned. A PUBLISH payload is copied into `dst` here; see
    /// [`Publish::encode_header`] for the path that avoids it.
    pub fn encode(&self, version: ProtocolVersion, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let version = self.wire_version(version)?;
        let remaining = self.remaining_len(version)?;
        let total = 1 + wire::checked_varint_len(remaining)? + remaining;
        dst.reserve(total);
        let start = dst.len();
        dst.put_u8(self.first_byte());
        wire::put_varint(dst, remaining);
        self.put_body(version, dst);
        debug_assert_eq!(
            dst.len() - start,
            total,
            "length computation disagrees with encoding"
        );
        Ok(())
    }
}

impl From<Connect> for Packet {
    fn from(connect: Connect) -> Self {
        Self::Connect(Box::new(connect))
    }
}

/// `From` for every packet with its own body type; the four `PubResponse` packets share one,
/// so they are built by variant.
macro_rules! from_body {
    ($($body:ident),*) => {$(
        impl From<$body> for Packet {
            fn from(body: $body) -> Self {
                Self::$body(body)
            }
        }
    )*};
}

from_body!(
    ConnAck,
    Publish,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth
);
