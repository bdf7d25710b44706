//! What every TCP listener shares: accepting, the connection cap, the TLS handshake, and a
//! stream type that is either plain or TLS.
//!
//! MTP sessions are written once against [`Stream`], so TLS is a listener option, not a second
//! code path in each MTP.

mod listener;
mod stream;

pub use listener::{Listener, ListenerLimits};
pub use stream::Stream;
