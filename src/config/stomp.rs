//! `[stomp]`: the USP STOMP 1.2 listener (TR-369 §STOMP), where usphub is the STOMP server.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Listen, TlsConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StompConfig {
    pub listen: Listen,
    /// If set, a client whose `host` header differs is refused with ERROR (R-STOMP.5);
    /// unset accepts any host.
    pub virtual_host: Option<String>,
    /// Each endpoint is told to subscribe to `<destination_prefix>/<endpoint id>`
    /// (`subscribe-dest` in CONNECTED, R-STOMP.6); MESSAGEs carry the sender's as `reply-to-dest`.
    pub destination_prefix: String,
    /// Largest Record (SEND body) accepted, in bytes (OB-USP-Agent's own cap is 5 MiB).
    pub max_record_size: usize,
    /// Largest frame accepted, in bytes: command, headers, body and NUL.
    pub max_frame_size: usize,
    /// Header lines per frame.
    pub max_headers: usize,
    /// Bytes in one header line, before unescaping.
    pub max_header_size: usize,
    /// How often the hub can send heart-beats (the first number of its `heart-beat`); 0 = never.
    #[serde(with = "humantime_serde")]
    pub heartbeat_send: Duration,
    /// How often the hub wants heart-beats from clients (the second number); 0 = never.
    #[serde(with = "humantime_serde")]
    pub heartbeat_receive: Duration,
    /// A client that sends nothing for this many negotiated client intervals is dropped.
    pub heartbeat_grace_factor: f64,
    /// The TLS handshake and the STOMP/CONNECT frame must arrive within this time.
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// A write that cannot finish within this time closes the connection (a stuck peer).
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    pub max_connections: usize,
    pub tls: Option<TlsConfig>,
}

impl Default for StompConfig {
    fn default() -> Self {
        let max_record_size = 5 << 20;
        Self {
            listen: Listen::addr("127.0.0.1:61613"),
            virtual_host: None,
            destination_prefix: "/usp/v1".into(),
            max_record_size,
            max_frame_size: max_record_size + (64 << 10),
            max_headers: 64,
            max_header_size: 8 << 10,
            heartbeat_send: Duration::from_secs(10),
            heartbeat_receive: Duration::from_secs(10),
            heartbeat_grace_factor: 2.0,
            handshake_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_connections: 100_000,
            tls: None,
        }
    }
}

impl StompConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(format!("stomp.{m}")));
        let prefix = &self.destination_prefix;
        if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains(char::is_control) {
            return bad("destination_prefix must start with '/' and not end with one");
        }
        if self.virtual_host.as_deref().is_some_and(str::is_empty) {
            return bad("virtual_host must not be empty (leave it unset to accept any host)");
        }
        if self.max_record_size == 0 || self.max_frame_size == 0 {
            return bad("max_record_size and max_frame_size must be positive");
        }
        if self.max_headers == 0 || self.max_header_size == 0 {
            return bad("max_headers and max_header_size must be positive");
        }
        if self.heartbeat_grace_factor.is_nan() || self.heartbeat_grace_factor < 1.0 {
            return bad("heartbeat_grace_factor must be at least 1");
        }
        if self.tls.as_ref().is_some_and(|t| t.require_client_cert && t.client_ca.is_none()) {
            return bad("tls.require_client_cert needs stomp.tls.client_ca");
        }
        Ok(())
    }
}
