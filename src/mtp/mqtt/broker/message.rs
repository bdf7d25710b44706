//! An application message as the broker keeps it between one PUBLISH in and many out.
//!
//! Cloning shares the payload and the properties, so fanning a message out to a thousand
//! subscribers copies neither.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::mtp::mqtt::codec::{PacketId, Properties, Publish, QoS, Utf8Bytes};

#[derive(Debug, Clone)]
pub struct Message {
    pub topic: Utf8Bytes,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// Only the properties that travel with the message (§3.3.2.3): never a Topic Alias or a
    /// Subscription Identifier, which belong to one hop.
    pub properties: Arc<Properties>,
    /// The ClientId that published it, for No Local (§3.8.3.1).
    pub publisher: Option<Arc<str>>,
    /// When a Message Expiry Interval runs out (§3.3.2.3.3).
    pub expires_at: Option<Instant>,
}

impl Message {
    /// Keeps what a received PUBLISH says about the message; `topic` has any alias resolved.
    pub fn from_publish(publish: Publish, topic: Utf8Bytes, publisher: Option<Arc<str>>, now: Instant) -> Self {
        let p = publish.properties;
        let expires_at = p
            .message_expiry_interval
            .map(|s| now + std::time::Duration::from_secs(u64::from(s)));
        let properties = Properties {
            payload_format_indicator: p.payload_format_indicator,
            message_expiry_interval: p.message_expiry_interval,
            content_type: p.content_type,
            response_topic: p.response_topic,
            correlation_data: p.correlation_data,
            user_properties: p.user_properties,
            ..Properties::default()
        };
        Self {
            topic,
            payload: publish.payload,
            qos: publish.qos,
            retain: publish.retain,
            properties: Arc::new(properties),
            publisher,
            expires_at,
        }
    }

    pub fn is_expired(&self, now: Instant) -> bool {
        self.expires_at.is_some_and(|t| now >= t)
    }

    /// The PUBLISH that carries this message to one subscriber. The remaining expiry is sent
    /// rather than the original interval [MQTT-3.3.2-6].
    pub fn to_publish(&self, qos: QoS, packet_id: Option<PacketId>, retain: bool, sub_ids: &[u32], now: Instant) -> Publish {
        let mut properties = (*self.properties).clone();
        if let Some(at) = self.expires_at {
            properties.message_expiry_interval = Some(at.saturating_duration_since(now).as_secs().max(1) as u32);
        }
        properties.subscription_identifiers = sub_ids.to_vec();
        Publish {
            dup: false,
            qos,
            retain,
            topic: self.topic.clone(),
            packet_id,
            properties,
            payload: self.payload.clone(),
        }
    }
}
