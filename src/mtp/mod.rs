//! The Message Transfer Protocols: one folder each, holding that MTP's framing, its session
//! (handshake, identity, keep-alive) and its listener. Sessions talk to the router only through
//! [`crate::router::Session`].

pub mod ws;
pub mod mqtt;
pub mod stomp;
pub mod uds;
