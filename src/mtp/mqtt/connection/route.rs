//! The USP side of an MQTT connection (TR-369 §MQTT).
//!
//! A client with an endpoint ID is also attached to the router. Records the router delivers to
//! it are published on the topic it told us about: the `subscribed_topic` of its MQTTConnect
//! Record, the Response Topic (5.0) or `/reply-to=` (3.1.1) of its last Record, else its
//! canonical topic. Each carries a reply address that leads back to the sender: the sender's
//! canonical topic, where a reply is routed by `to_id` like any other Record.
//!
//! A Record the client publishes goes to the topic's subscribers like any MQTT message; it also
//! goes through the router unless the endpoint named by its `to_id` is among those subscribers,
//! so nobody gets it twice.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use prost::Message as _;
use tokio_util::sync::CancellationToken;

use super::Connection;
use crate::mtp::mqtt::broker::{Message, MqttSession, Outgoing};
use crate::mtp::mqtt::codec::{Properties, ProtocolVersion, Publish, Utf8Bytes};
use crate::mtp::mqtt::usp;
use crate::router::{Delivery, DropReason, Router, Session};
use crate::usp::proto::record::{Record, record::RecordType};
use crate::usp::{EndpointId, Mtp, RecordHeader, RecordKind};

/// A connected endpoint.
pub struct Endpoint {
    session: Session,
    /// Where this endpoint receives Records, once it told us; its canonical topic until then
    /// (not stored: most endpoints never say, and every idle connection would carry it).
    reply_topic: Option<Box<str>>,
    /// The last sender's reply address, reused while the same peer keeps talking.
    last_sender: Option<(EndpointId, Utf8Bytes, Arc<Properties>)>,
}

impl Endpoint {
    /// Attaches `eid` to the router; `replaced` is cancelled when a newer session takes it.
    pub fn attach(router: &Router, eid: EndpointId, peer: SocketAddr, replaced: CancellationToken) -> Self {
        let session = router.attach_with(eid, Mtp::Mqtt, peer.to_string(), replaced);
        Self { session, reply_topic: None, last_sender: None }
    }

    pub fn eid(&self) -> &EndpointId {
        self.session.eid()
    }

    /// The next routed Record if one is already queued.
    pub fn try_next(&mut self) -> Option<Delivery> {
        self.session.try_recv()
    }

    fn learn_reply_topic(&mut self, topic: &str) {
        if !topic.is_empty() && !topic.contains(['+', '#']) && self.reply_topic.as_deref() != Some(topic) {
            self.reply_topic = Some(topic.into());
            self.last_sender = None;
        }
    }

    /// The MQTT message that carries a routed Record to this endpoint.
    fn message_for(
        &mut self,
        d: Delivery,
        version: ProtocolVersion,
        qos: crate::mtp::mqtt::codec::QoS,
        prefix: &str,
    ) -> Message {
        let cached = self.last_sender.as_ref().filter(|(from, _, _)| *from == d.from);
        let (topic, properties) = match cached {
            Some((_, topic, props)) => (topic.clone(), props.clone()),
            None => {
                let reply = usp::canonical_topic(prefix, d.from.as_str());
                let own = match &self.reply_topic {
                    Some(t) => Utf8Bytes::from(&**t),
                    None => Utf8Bytes::from(usp::canonical_topic(prefix, self.session.eid().as_str())),
                };
                let (topic, props) = if version.is_v5() {
                    let props = Properties {
                        content_type: Some(Utf8Bytes::from_static(usp::CONTENT_TYPE)),
                        response_topic: Some(reply.into()),
                        ..Properties::default()
                    };
                    (own, props)
                } else {
                    (Utf8Bytes::from(usp::with_reply_to(own.as_str(), &reply)), Properties::default())
                };
                let entry = (d.from.clone(), topic, Arc::new(props));
                let out = (entry.1.clone(), entry.2.clone());
                self.last_sender = Some(entry);
                out
            }
        };
        Message { topic, payload: d.record, qos, retain: false, properties, publisher: None, expires_at: None }
    }
}

/// The next Record the router has for this connection's endpoint, if it is one.
pub async fn next_delivery(endpoint: &mut Option<Endpoint>) -> Option<Delivery> {
    match endpoint {
        Some(e) => e.session.recv().await,
        None => std::future::pending().await,
    }
}

/// What an incoming PUBLISH is, from USP's point of view.
pub enum UspVerdict {
    /// Not a USP Record: plain MQTT traffic (Bulk Data reports, anything else).
    NotUsp,
    /// A Record from this endpoint, to be routed to `to_id` unless a subscriber covers it.
    Record { to_id: String },
    /// Marked as USP but not a parsable Record.
    Malformed,
    /// A Record whose `from_id` is not this client's endpoint ID (or the client has none).
    Forged,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Connection<S> {
    /// Queues a routed Record for the client.
    pub(super) fn queue_record(&mut self, d: Delivery) {
        let (version, qos) = (self.n.version, self.shared.settings.usp_qos);
        let Some(endpoint) = self.endpoint.as_mut() else { return };
        let msg = endpoint.message_for(d, version, qos, &self.shared.settings.topic_prefix);
        if !self.attached.session.enqueue(Outgoing { msg, qos, retain: false, sub_ids: Vec::new() }) {
            self.shared.router.count_drop(DropReason::QueueFull);
        }
    }

    /// Classifies a PUBLISH and learns the endpoint's reply topic from it.
    pub(super) fn inspect(&mut self, p: &Publish, topic: &str) -> UspVerdict {
        let marked = p.properties.content_type.as_ref().map(|ct| usp::is_usp_content_type(ct.as_str()));
        let header = RecordHeader::parse(&p.payload);
        let header = match (marked, header) {
            (Some(false), _) | (None, Err(_)) => return UspVerdict::NotUsp,
            (Some(true), Err(_)) => return UspVerdict::Malformed,
            (_, Ok(h)) => h,
        };
        let Some(endpoint) = self.endpoint.as_mut() else { return UspVerdict::Forged };
        if header.from_id != endpoint.eid().as_str() {
            return UspVerdict::Forged;
        }
        // R-MQTT.26: answer on the Response Topic (5.0) or the /reply-to= topic (3.1.1).
        match &p.properties.response_topic {
            Some(rt) => endpoint.learn_reply_topic(rt.as_str()),
            None => {
                if let (_, Some(reply)) = usp::split_reply_to(topic) {
                    endpoint.learn_reply_topic(&reply);
                }
            }
        }
        if header.kind == RecordKind::MqttConnect {
            if let Some(t) = subscribed_topic(&p.payload) {
                endpoint.learn_reply_topic(&t);
            }
        }
        UspVerdict::Record { to_id: header.to_id.to_owned() }
    }

    /// Routes a Record by `to_id` unless one of `subscribers` is that endpoint.
    pub(super) fn route_unless_covered(&self, record: Bytes, to_id: &str, subscribers: &[Arc<MqttSession>]) {
        let covered = subscribers.iter().any(|s| s.state().eid.as_ref().is_some_and(|e| e.as_str() == to_id));
        if covered {
            return;
        }
        if let Some(endpoint) = &self.endpoint {
            // Identity was checked in `inspect`; ingress counts and routes.
            let _ = endpoint.session.ingress(record);
        }
    }
}

/// The `subscribed_topic` of an MQTTConnect Record (tiny and rare, so decoding it is cheap).
fn subscribed_topic(record: &Bytes) -> Option<String> {
    match Record::decode(record.clone()).ok()?.record_type? {
        RecordType::MqttConnect(c) if !c.subscribed_topic.is_empty() => Some(c.subscribed_topic),
        _ => None,
    }
}
