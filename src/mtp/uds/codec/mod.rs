//! The USP UNIX-domain-socket MTP framing (TR-369 §UNIX Domain Socket, R-UDS.6–11, R-UDS.15) as
//! a pure codec over `bytes`: no sockets, no sessions. It exists because a bare length-prefix
//! codec is not enough: the `_USP` sync word must be validated, and a frame is a list of TLVs.
//!
//! ```text
//! | "_USP" 5F 55 53 50 | length u32 BE (bytes after these 8) | type u8 | len u32 BE | value | … |
//! ```
//!
//! - [`frame`]: [`Tlv`], [`UdsFrame`] and the encoders, including the header-only Record path.
//! - [`decoder`]: the [`Decoder`] with its length limit and typed errors.
//! - [`fuzz`]: an entry point that runs the decoder over arbitrary bytes.

pub mod decoder;
pub mod frame;
pub mod fuzz;

pub use decoder::{DecodeError, Decoder};
pub use frame::{
    EncodeError, Tlv, UdsFrame, encode_error, encode_handshake, encode_record, encode_record_header,
};
pub use fuzz::fuzz_decode;

/// The sync word that starts every frame (TR-369 §UDS framing, R-UDS.6–11).
pub const SYNC: [u8; 4] = *b"_USP";
/// Sync word plus the u32 length.
pub const FRAME_HEADER_LEN: usize = 8;
/// TLV type byte plus the u32 value length.
pub const TLV_HEADER_LEN: usize = 5;
/// What [`encode_record_header`] writes: a frame header and one Record TLV header.
pub const RECORD_HEADER_LEN: usize = FRAME_HEADER_LEN + TLV_HEADER_LEN;

/// TLV type 1: the sender's endpoint ID, UTF-8 (R-UDS.16/17).
pub const TLV_HANDSHAKE: u8 = 1;
/// TLV type 2: an error text, UTF-8; the receiver closes the connection (R-UDS.25).
pub const TLV_ERROR: u8 = 2;
/// TLV type 3: a protobuf USP Record.
pub const TLV_RECORD: u8 = 3;

/// The default largest length field: OB-USP-Agent's 5 MiB message cap plus room for the TLV
/// headers and a Handshake TLV beside the Record. USP itself sets no maximum (§10.1).
pub const DEFAULT_MAX_FRAME_LEN: usize = 5 * 1024 * 1024 + 4 * 1024;

#[cfg(test)]
mod tests;
