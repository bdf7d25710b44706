//! `[ws]`: the USP WebSocket listener.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Listen, TlsConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsConfig {
    pub listen: Listen,
    /// The HTTP path of the USP WebSocket resource.
    pub path: String,
    /// Largest Record accepted, in bytes (OB-USP-Agent's own cap is 5 MiB).
    pub max_record_size: usize,
    /// How often the hub pings an idle client.
    #[serde(with = "humantime_serde")]
    pub ping_interval: Duration,
    /// A connection from which nothing (not even a Pong) arrives for this long is closed.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// The TLS and HTTP upgrade handshake must finish within this time.
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// A write that cannot finish within this time closes the connection (a stuck peer).
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    pub max_connections: usize,
    /// If set, answered as `bbf-usp-protocol; eid="..."` to clients that send that extension.
    /// Leave unset unless every agent is configured with this controller EID: OB-USP-Agent
    /// drops the session when the answered eid differs from its controller's.
    pub server_eid: Option<String>,
    pub tls: Option<TlsConfig>,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            listen: Listen::addr("127.0.0.1:8080"),
            path: "/usp".into(),
            max_record_size: 5 << 20,
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            handshake_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_connections: 100_000,
            server_eid: None,
            tls: None,
        }
    }
}
