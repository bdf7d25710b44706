//! The MQTT wire format, 3.1.1 and 5.0 (and 3.1's CONNECT), for both ends of a connection, as a
//! pure state machine over `bytes`: no sockets, no sessions, no broker logic. The session feeds
//! received bytes to a [`Decoder`] and writes what [`Packet::encode`] or
//! [`Publish::encode_header`] produce; everything else about MQTT lives above this module.
//!
//! - Nothing is copied on the way in: a decoded PUBLISH payload, topic or user property is a
//!   slice of the receive buffer ([`Utf8Bytes`] for strings, validated once).
//! - Every refusal is a [`DecodeError`] carrying the MQTT 5.0 [`ReasonCode`] to answer with,
//!   and whether it was the CONNECT (answer CONNACK) or a later packet (answer DISCONNECT).
//! - Normative statements are cited as [MQTT-x.y.z-n] where enforced: 5.0 numbering unless
//!   marked "of 3.1.1".
//!
//! Files: [`types`] (versions, QoS, packet types), [`reason`], [`property`] (the property
//! table), [`properties`] and `property_reader`, [`utf8`], [`topic`], `wire` (§1.5 data types),
//! one file per packet family, [`packet`] (dispatch and fixed header), [`decoder`], [`error`],
//! [`fuzz`].

mod ack;
mod connack;
mod connect;
pub mod decoder;
mod disconnect;
pub mod error;
pub mod fuzz;
pub mod packet;
pub mod properties;
pub mod property;
mod property_reader;
mod publish;
pub mod reason;
mod subscribe;
pub mod topic;
pub mod types;
mod unsubscribe;
pub mod utf8;
mod wire;

#[cfg(test)]
mod tests;

pub use ack::PubResponse;
pub use connack::ConnAck;
pub use connect::{Connect, Will};
pub use decoder::Decoder;
pub use disconnect::{Auth, Disconnect};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use fuzz::fuzz_decode;
pub use packet::Packet;
pub use properties::{PayloadFormat, Properties, UserProperty};
pub use property::{PropertyId, PropertyScope};
pub use publish::Publish;
pub use reason::ReasonCode;
pub use subscribe::{RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions};
pub use types::{PacketId, PacketType, ProtocolVersion, QoS, Role};
pub use unsubscribe::{UnsubAck, Unsubscribe};
pub use utf8::Utf8Bytes;
pub use wire::MAX_VARINT as MAX_REMAINING_LENGTH;
