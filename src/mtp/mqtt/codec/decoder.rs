//! [`Decoder`]: turns a receive buffer into packets, one at a time, with no I/O of its own.
//! It judges each packet from its fixed header before waiting for the body, so a peer cannot
//! make us buffer more than the Maximum Packet Size, and it tracks the one piece of connection
//! state the wire format needs: the protocol version, which the CONNECT packet declares.

use bytes::{Buf, BytesMut};

use super::connect::Connect;
use super::error::{DecodeError, DecodeErrorKind};
use super::packet::Packet;
use super::types::{PacketType, ProtocolVersion, Role};
use super::wire;

/// How much buffer space to reserve ahead for a packet's body. Reserving a whole announced
/// packet would let a peer that sends 5 bytes claiming a large packet hold that much memory;
/// past this the buffer grows only as bytes actually arrive.
const RESERVE_AHEAD: usize = 64 * 1024;

/// Decodes the packets one end of a connection receives.
#[derive(Debug, Clone)]
pub struct Decoder {
    role: Role,
    version: Option<ProtocolVersion>,
    max_packet_size: u32,
}

impl Decoder {
    /// A decoder for the server end, expecting a CONNECT first [MQTT-3.1.0-1]. The CONNECT
    /// it decodes sets the version for the rest of the connection.
    pub fn server(max_packet_size: u32) -> Self {
        Self {
            role: Role::Server,
            version: None,
            max_packet_size,
        }
    }

    /// A decoder for the client end, which knows the version it sent in its CONNECT.
    pub fn client(version: ProtocolVersion, max_packet_size: u32) -> Self {
        Self {
            role: Role::Client,
            version: Some(version),
            max_packet_size,
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The connection's version; `None` on a server until a CONNECT has been decoded.
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.version
    }

    /// Overrides the version. Decoding a CONNECT already sets it, so a session needs this
    /// only to build a decoder for a connection whose CONNECT was read elsewhere.
    pub fn set_version(&mut self, version: ProtocolVersion) {
        self.version = Some(version);
    }

    /// The largest packet accepted, fixed header included, in bytes.
    pub fn max_packet_size(&self) -> u32 {
        self.max_packet_size
    }

    pub fn set_max_packet_size(&mut self, max_packet_size: u32) {
        self.max_packet_size = max_packet_size;
    }

    /// Decodes one packet from the front of `buf`, consuming exactly its bytes. `Ok(None)`
    /// means more bytes are needed; nothing is consumed then. After an error the connection
    /// must be closed (§4.13); the bytes of a refused packet may have been consumed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Packet>, DecodeError> {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let packet_type = self.packet_type(first)?;
        let fail = |kind| DecodeError::new(kind, Some(packet_type));

        let flags = first & 0x0F;
        if packet_type
            .fixed_flags()
            .is_some_and(|required| flags != required)
        {
            return Err(fail(DecodeErrorKind::InvalidFlags { flags })); // [MQTT-2.1.3-1]
        }
        let Some((remaining, varint_len)) = wire::parse_varint(&buf[1..]).map_err(fail)? else {
            return Ok(None);
        };
        let header_len = 1 + varint_len;
        let total = header_len + remaining as usize;
        if total > self.max_packet_size as usize {
            return Err(fail(DecodeErrorKind::PacketTooLarge {
                size: total,
                max: self.max_packet_size,
            }));
        }
        if buf.len() < total {
            buf.reserve((total - buf.len()).min(RESERVE_AHEAD));
            return Ok(None);
        }

        let mut body = buf.split_to(total).freeze();
        body.advance(header_len);
        // Before CONNECT the version is unknown, but CONNECT reads its own.
        let version = self.version.unwrap_or(ProtocolVersion::V5);
        let connect_body = (packet_type == PacketType::Connect).then(|| body.clone());
        match Packet::decode_body(packet_type, flags, body, version, self.role) {
            Ok(packet) => {
                if let Packet::Connect(connect) = &packet {
                    self.version = Some(connect.protocol_version);
                }
                Ok(Some(packet))
            }
            Err(kind) => {
                let mut error = fail(kind);
                error.connect_version = connect_body.and_then(Connect::peek_version);
                Err(error)
            }
        }
    }

    /// The packet type of a first byte, if it may arrive now: not reserved in this version,
    /// sent in this direction, and CONNECT exactly first on a server.
    fn packet_type(&self, first: u8) -> Result<PacketType, DecodeError> {
        let nibble = first >> 4;
        let reserved = || DecodeError::new(DecodeErrorKind::ReservedPacketType(nibble), None);
        let packet_type = PacketType::from_nibble(nibble).ok_or_else(reserved)?;
        let fail = |kind| Err(DecodeError::new(kind, Some(packet_type)));
        match self.version {
            None if packet_type == PacketType::Connect => Ok(packet_type),
            None => fail(DecodeErrorKind::ExpectedConnect), // [MQTT-3.1.0-1]
            // Type 15 is reserved before 5.0 (§2.2.1 of 3.1.1).
            Some(version) if packet_type == PacketType::Auth && !version.is_v5() => Err(reserved()),
            Some(_) if packet_type == PacketType::Connect && self.role == Role::Server => {
                fail(DecodeErrorKind::SecondConnect) // [MQTT-3.1.0-2]
            }
            Some(version) if !packet_type.may_receive(self.role, version) => {
                fail(DecodeErrorKind::WrongDirection(packet_type))
            }
            Some(_) => Ok(packet_type),
        }
    }
}
