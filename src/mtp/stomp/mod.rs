//! The USP STOMP MTP (TR-369 §STOMP, STOMP 1.2 only): usphub is the STOMP server that agents and
//! controllers connect to as clients (R-STOMP.33).
//!
//! - [`codec`]: the STOMP 1.2 frame codec over `bytes`, with limits, and heart-beat negotiation.

pub mod codec;
