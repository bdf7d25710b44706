//! What every connection-oriented MTP shares: accepting, the connection cap, the TLS handshake,
//! a stream type that is either plain or TLS, zero-copy vectored output, and the framed
//! connection (read buffer, decoder, output) that STOMP and UDS are written on.
//!
//! MTP sessions are written once against [`Stream`], so TLS is a listener option, not a second
//! code path in each MTP.

mod framed;
mod listener;
mod rate;
mod segments;
pub mod split_check;
mod stream;

pub use framed::{FrameDecoder, FramedConn, ReadError, WriteError, poll_read_lazily, read_lazily};
pub use listener::{Listener, ListenerLimits};
pub use rate::ConnectRate;
pub use segments::Segments;
pub use stream::Stream;
