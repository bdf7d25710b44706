//! The MQTT MTP (TR-369 §MQTT): usphub is itself the MQTT 5.0 / 3.1.1 broker that agents and
//! controllers connect to as clients.
//!
//! - [`codec`]: the wire format of every packet, both versions, both directions, as a pure
//!   state machine over `bytes`.
//! - [`broker`]: plain MQTT: sessions, subscriptions, retained messages, ACLs.
//! - [`usp`]: what TR-369 adds: endpoint topics, reply-to, content types.

pub mod broker;
pub mod codec;
pub mod usp;
