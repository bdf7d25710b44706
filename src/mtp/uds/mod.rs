//! The USP UNIX domain socket MTP (TR-369 §UNIX Domain Socket), for endpoints on the same
//! device.
//!
//! - [`codec`]: the `_USP` sync + length + TLV framing over `bytes`.

pub mod codec;
