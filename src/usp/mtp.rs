//! The names of the Message Transfer Protocols a hub serves.
//!
//! Only a label: the router counts and reports by it but never branches on it, which keeps it
//! ignorant of transports.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mtp {
    WebSocket,
    Mqtt,
    Stomp,
    Uds,
    Cwmp,
}

impl Mtp {
    pub const ALL: [Mtp; 5] = [Mtp::WebSocket, Mtp::Mqtt, Mtp::Stomp, Mtp::Uds, Mtp::Cwmp];

    pub fn as_str(self) -> &'static str {
        match self {
            Mtp::WebSocket => "websocket",
            Mtp::Mqtt => "mqtt",
            Mtp::Stomp => "stomp",
            Mtp::Uds => "uds",
            Mtp::Cwmp => "cwmp",
        }
    }

    /// A dense index, for per-MTP counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Mtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
