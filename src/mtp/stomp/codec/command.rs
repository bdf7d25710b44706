//! The STOMP 1.2 commands, as a closed enum, so that an unknown command is rejected while
//! framing (before any header is buffered) rather than by the session.

use std::fmt;

/// A STOMP 1.2 frame command: the client frames (CONNECT … DISCONNECT) and the server frames
/// (CONNECTED, MESSAGE, RECEIPT, ERROR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    // Client frames.
    Connect,
    /// The 1.2 spelling of CONNECT; USP clients must use it (R-STOMP.2).
    Stomp,
    Send,
    Subscribe,
    Unsubscribe,
    Ack,
    Nack,
    Begin,
    Commit,
    Abort,
    Disconnect,
    // Server frames.
    Connected,
    Message,
    Receipt,
    Error,
}

impl Command {
    /// Every command, for tests and for building lookup tables.
    pub const ALL: [Command; 15] = [
        Command::Connect,
        Command::Stomp,
        Command::Send,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Ack,
        Command::Nack,
        Command::Begin,
        Command::Commit,
        Command::Abort,
        Command::Disconnect,
        Command::Connected,
        Command::Message,
        Command::Receipt,
        Command::Error,
    ];

    /// The longest command name ("UNSUBSCRIBE"): a command line longer than this (plus an
    /// optional CR) cannot be valid, which lets the decoder reject garbage before its EOL.
    pub const MAX_LEN: usize = 11;

    /// The command as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Connect => "CONNECT",
            Command::Stomp => "STOMP",
            Command::Send => "SEND",
            Command::Subscribe => "SUBSCRIBE",
            Command::Unsubscribe => "UNSUBSCRIBE",
            Command::Ack => "ACK",
            Command::Nack => "NACK",
            Command::Begin => "BEGIN",
            Command::Commit => "COMMIT",
            Command::Abort => "ABORT",
            Command::Disconnect => "DISCONNECT",
            Command::Connected => "CONNECTED",
            Command::Message => "MESSAGE",
            Command::Receipt => "RECEIPT",
            Command::Error => "ERROR",
        }
    }

    /// Parses a command line (without its EOL). Commands are case-sensitive.
    pub fn from_bytes(line: &[u8]) -> Option<Command> {
        Command::ALL
            .into_iter()
            .find(|c| c.as_str().as_bytes() == line)
    }

    /// Whether a client sends this frame (as opposed to a server).
    pub fn is_client_frame(self) -> bool {
        !self.is_server_frame()
    }

    /// Whether a server sends this frame.
    pub fn is_server_frame(self) -> bool {
        matches!(
            self,
            Command::Connected | Command::Message | Command::Receipt | Command::Error
        )
    }

    /// Only SEND, MESSAGE and ERROR may carry a body (STOMP 1.2 §Body). The encoder always
    /// writes `content-length` for these, so binary USP Records survive (R-STOMP.19).
    pub fn may_have_body(self) -> bool {
        matches!(self, Command::Send | Command::Message | Command::Error)
    }

    /// STOMP 1.2 §Value Encoding: CONNECT and CONNECTED headers are not escaped, because the
    /// protocol version is not yet agreed when they are written. The `STOMP` frame is escaped,
    /// which is why an endpoint ID arrives with its colons as `\c` (R-STOMP.4).
    pub fn escapes_headers(self) -> bool {
        !matches!(self, Command::Connect | Command::Connected)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
