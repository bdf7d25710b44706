//! The STOMP 1.2 wire format as a pure codec over `bytes`: no sockets, no sessions. usphub is a
//! STOMP server that USP endpoints connect to (TR-369 §STOMP, R-STOMP.33), so this module reads
//! client frames and writes server frames, but handles every command both ways for tests.
//!
//! - [`command`]: the fifteen commands and which ones escape headers or carry bodies.
//! - [`headers`]: ordered headers, first occurrence wins, `\r \n \c \\` escaping.
//! - [`frame`]: [`Frame`] and its encoder, including the head-only path for zero-copy writes.
//! - [`decoder`]: the resumable [`Decoder`] with its size limits and typed errors.
//! - [`heartbeat`]: the `heart-beat` header and its negotiation.
//! - [`fuzz`]: an entry point that runs the decoder over arbitrary bytes.

pub mod command;
pub mod decoder;
pub mod frame;
pub mod fuzz;
pub mod headers;
pub mod heartbeat;

pub use command::Command;
pub use decoder::{DecodeError, Decoder, DecoderLimits, Item};
pub use frame::{CONTENT_LENGTH, FRAME_END, Frame, HEARTBEAT, encode_heartbeat};
pub use fuzz::fuzz_decode;
pub use headers::{Headers, encode_text};
pub use heartbeat::{HeartBeat, HeartBeatError, HeartBeatIntervals, negotiate};

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod rejections;
#[cfg(test)]
mod tests;
