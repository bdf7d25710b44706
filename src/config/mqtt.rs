//! `[mqtt]`: the MQTT 5.0 / 3.1.1 broker.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Listen, TlsConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttConfig {
    pub listen: Listen,
    /// Path on the `[ws]` listener where MQTT over WebSocket is served (subprotocol `mqtt`);
    /// unset: not served. Needs the MQTT listener on.
    pub ws_path: Option<String>,
    /// Endpoint topics are `<topic_prefix>/<endpoint id>` (CONNACK `subscribe-topic`).
    pub topic_prefix: String,
    /// QoS of the Records the hub publishes to MQTT endpoints.
    pub usp_qos: u8,
    /// Largest packet accepted, headers included (announced as Maximum Packet Size).
    pub max_packet_size: u32,
    /// QoS 1/2 PUBLISHes a client may have unacknowledged towards us (Receive Maximum).
    pub receive_maximum: u16,
    /// QoS 1/2 messages we keep unacknowledged towards one client, at most.
    pub max_inflight: u16,
    /// Messages queued per session, connected or offline; beyond it new ones are dropped.
    pub max_queued: usize,
    /// Longest Session Expiry granted; 3.1.1 persistent sessions (Clean Session 0) get this.
    #[serde(with = "humantime_serde")]
    pub max_session_expiry: Duration,
    /// Longest Keep Alive accepted; a client asking for more (or for 0) is told this one in
    /// Server Keep Alive (5.0) and held to it.
    #[serde(with = "humantime_serde")]
    pub max_keep_alive: Duration,
    pub topic_alias_maximum: u16,
    pub max_retained: usize,
    /// CONNECT must arrive within this time of the TCP (and TLS) connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    pub max_connections: usize,
    /// New connections per second accepted from one IP address (bursts of twice that).
    pub connect_rate_per_ip: u32,
    /// Topic filters a client may subscribe to; `%e` is its endpoint ID, `%c` its ClientId,
    /// `%u` its user name.
    pub acl_subscribe: Vec<String>,
    /// Topics a client may publish to (same substitutions).
    pub acl_publish: Vec<String>,
    pub tls: Option<TlsConfig>,
}

impl Default for MqttConfig {
    fn default() -> Self {
        Self {
            listen: Listen::addr("127.0.0.1:1883"),
            ws_path: Some("/mqtt".into()),
            topic_prefix: "usp/v1".into(),
            usp_qos: 1,
            max_packet_size: (5 << 20) + (64 << 10),
            receive_maximum: 64,
            max_inflight: 64,
            max_queued: 1000,
            max_session_expiry: Duration::from_secs(24 * 3600),
            max_keep_alive: Duration::from_secs(600),
            topic_alias_maximum: 64,
            max_retained: 10_000,
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            max_connections: 100_000,
            connect_rate_per_ip: 100,
            acl_subscribe: vec!["usp/v1/%e/#".into(), "+/%e/#".into(), "+/+/%e/#".into()],
            acl_publish: vec!["#".into()],
            tls: None,
        }
    }
}
