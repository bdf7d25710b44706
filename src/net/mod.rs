//! What every TCP listener shares: accepting, the connection cap, the TLS handshake, a stream
//! type that is either plain or TLS, and zero-copy vectored output.
//!
//! MTP sessions are written once against [`Stream`], so TLS is a listener option, not a second
//! code path in each MTP.

mod listener;
mod rate;
mod segments;
mod stream;

pub use listener::{Listener, ListenerLimits};
pub use rate::ConnectRate;
pub use segments::Segments;
pub use stream::Stream;
