//! The MQTT listener's settings, resolved once from `[mqtt]` into the types the broker uses.

use std::time::Duration;

use super::broker::acl::Acl;
use super::codec::QoS;
use crate::config::MqttConfig;

#[derive(Debug, Clone)]
pub struct MqttSettings {
    pub topic_prefix: String,
    pub usp_qos: QoS,
    pub max_packet_size: u32,
    pub receive_maximum: u16,
    pub max_inflight: u16,
    pub max_session_expiry: Duration,
    pub max_keep_alive: Duration,
    pub topic_alias_maximum: u16,
    pub connect_timeout: Duration,
    pub write_timeout: Duration,
    pub connect_rate_per_ip: u32,
    pub acl: Acl,
}

impl MqttSettings {
    pub fn from_config(c: &MqttConfig) -> Self {
        Self {
            topic_prefix: c.topic_prefix.trim_end_matches('/').to_owned(),
            usp_qos: QoS::from_bits(c.usp_qos.min(2)).unwrap_or(QoS::AtLeastOnce),
            max_packet_size: c.max_packet_size,
            receive_maximum: c.receive_maximum.max(1),
            max_inflight: c.max_inflight.max(1),
            max_session_expiry: c.max_session_expiry,
            max_keep_alive: c.max_keep_alive,
            topic_alias_maximum: c.topic_alias_maximum,
            connect_timeout: c.connect_timeout,
            write_timeout: c.write_timeout,
            connect_rate_per_ip: c.connect_rate_per_ip,
            acl: Acl { subscribe: c.acl_subscribe.clone(), publish: c.acl_publish.clone() },
        }
    }
}
