//! RFC 6455 framing for the server side, as a pure state machine over `bytes`: client frames are
//! decoded from the connection's read buffer, server frames are encoded as a header only.
//!
//! It replaces tungstenite's framing for two reasons. Memory: an idle connection must hold no
//! read or write buffer, and tungstenite zero-fills its read buffer and keeps a write buffer per
//! connection. Copies: a payload is unmasked in place and handed out as a `Bytes` split off the
//! read buffer, and an outgoing payload is queued after its 2-10 byte header for a vectored
//! write, never copied into a send buffer.
//!
//! - [`frame`]: opcodes, close codes, header encoding, unmasking.
//! - [`decoder`]: the client-frame decoder (a [`crate::net::FrameDecoder`]) and its errors.

pub mod decoder;
pub mod frame;
mod fuzz;
#[cfg(test)]
mod tests;

pub use decoder::{CloseFrame, DecodeError, Decoder, Incoming};
pub use frame::{CloseCode, OpCode, encode_close, encode_control, encode_header, header_bytes, header_len};
pub use fuzz::{encode_client_frame, fuzz_decode};
