//! Packets from the client, after CONNECT: PUBLISH and its acknowledgements in both directions,
//! SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT.

use std::time::{Duration, Instant};

use super::route::UspVerdict;
use super::{Connection, Ending};
use crate::mtp::mqtt::broker::Message;
use crate::mtp::mqtt::broker::acl::Identity;
use crate::mtp::mqtt::codec::{
    Disconnect, Packet, PacketId, PubResponse, Publish, QoS, ReasonCode, SubAck, Subscribe, UnsubAck, Unsubscribe,
    Utf8Bytes, topic,
};
use crate::router::DropReason;

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Connection<S> {
    pub(super) fn handle(&mut self, packet: Packet) -> Option<Ending> {
        match packet {
            Packet::Publish(p) => return self.on_publish(p),
            Packet::PubAck(r) => {
                self.attached.session.state().acknowledged(r.packet_id);
            }
            Packet::PubRec(r) => {
                let known = self.attached.session.state().received(r.packet_id);
                self.send(Packet::PubRel(response(r.packet_id, known)));
            }
            Packet::PubComp(r) => {
                self.attached.session.state().completed(r.packet_id);
            }
            Packet::PubRel(r) => {
                let known = self.attached.session.state().inbound_qos2.remove(&r.packet_id.get());
                self.send(Packet::PubComp(response(r.packet_id, known)));
            }
            Packet::Subscribe(s) => self.on_subscribe(s),
            Packet::Unsubscribe(u) => self.on_unsubscribe(u),
            Packet::PingReq => self.send(Packet::PingResp),
            Packet::Disconnect(d) => return Some(self.on_disconnect(d)),
            // We offer no enhanced authentication (§4.12).
            Packet::Auth(_) => return Some(Ending::Refused(ReasonCode::BadAuthenticationMethod)),
            // The server decoder refuses every other packet type itself.
            _ => return Some(Ending::Refused(ReasonCode::ProtocolError)),
        }
        None
    }

    fn on_publish(&mut self, p: Publish) -> Option<Ending> {
        let id = p.packet_id;
        if p.qos == QoS::ExactlyOnce {
            let st = self.attached.session.state();
            let id = id.expect("QoS 2 carries a packet id");
            if st.inbound_qos2.contains(&id.get()) {
                // A retransmission of a message we already have: acknowledge, don't deliver twice.
                drop(st);
                self.send(Packet::PubRec(PubResponse::new(id)));
                return None;
            }
            if st.inbound_qos2.len() >= usize::from(self.shared.settings.receive_maximum) {
                return Some(Ending::Refused(ReasonCode::ReceiveMaximumExceeded)); // [MQTT-3.3.4-9]
            }
        }
        let topic = match self.resolve_topic(&p) {
            Ok(t) => t,
            Err(code) => return Some(Ending::Refused(code)),
        };
        if !self.shared.settings.acl.may_publish(&self.identity(), topic.as_str()) {
            self.acknowledge(p.qos, id, ReasonCode::NotAuthorized);
            return None;
        }
        let verdict = self.inspect(&p, topic.as_str());
        let to_id = match verdict {
            UspVerdict::NotUsp => None,
            UspVerdict::Record { to_id } => Some(to_id),
            UspVerdict::Malformed => {
                self.shared.router.count_drop(DropReason::Malformed);
                self.acknowledge(p.qos, id, ReasonCode::PayloadFormatInvalid);
                return None;
            }
            UspVerdict::Forged => {
                self.shared.router.count_drop(DropReason::ForgedFromId);
                return Some(Ending::Refused(ReasonCode::NotAuthorized));
            }
        };
        let (qos, record) = (p.qos, p.payload.clone());
        let msg = Message::from_publish(p, topic, Some(self.n.client_id.clone()), Instant::now());
        let subscribers = self.shared.broker.publish(&msg);
        // A Record is routed even when no topic subscriber took it.
        let code = if subscribers.is_empty() && to_id.is_none() {
            ReasonCode::NoMatchingSubscribers
        } else {
            ReasonCode::Success
        };
        if let Some(to_id) = to_id {
            self.route_unless_covered(record, &to_id, &subscribers);
        }
        self.acknowledge(qos, id, code);
        None
    }

    /// The topic of a PUBLISH, resolving and recording Topic Aliases (§3.3.2.3.4).
    fn resolve_topic(&mut self, p: &Publish) -> Result<Utf8Bytes, ReasonCode> {
        match p.properties.topic_alias {
            None => Ok(p.topic.clone()),
            Some(alias) if alias > self.shared.settings.topic_alias_maximum => Err(ReasonCode::TopicAliasInvalid),
            Some(alias) if p.topic.is_empty() => self.aliases.as_ref().and_then(|a| a.get(&alias)).cloned().ok_or(ReasonCode::ProtocolError),
            Some(alias) => {
                // Copied: an alias outlives the receive buffer the topic was sliced from.
                let topic = Utf8Bytes::from(p.topic.as_str());
                self.aliases.get_or_insert_default().insert(alias, topic.clone());
                Ok(topic)
            }
        }
    }

    fn acknowledge(&mut self, qos: QoS, id: Option<PacketId>, code: ReasonCode) {
        let Some(id) = id else { return };
        let mut r = PubResponse::new(id);
        r.reason_code = code;
        match qos {
            QoS::AtMostOnce => {}
            QoS::AtLeastOnce => self.send(Packet::PubAck(r)),
            QoS::ExactlyOnce => {
                if !code.is_error() {
                    self.attached.session.state().inbound_qos2.insert(id.get());
                }
                self.send(Packet::PubRec(r));
            }
        }
    }

    fn on_subscribe(&mut self, s: Subscribe) {
        let sub_id = s.properties.subscription_identifiers.first().copied();
        let now = Instant::now();
        let mut reason_codes = Vec::with_capacity(s.subscriptions.len());
        for sub in &s.subscriptions {
            let filter = sub.filter.as_str();
            let code = if !topic::is_valid_topic_filter(filter) {
                ReasonCode::TopicFilterInvalid
            } else if topic::shared_subscription(filter).is_some() {
                ReasonCode::SharedSubscriptionsNotSupported
            } else if !self.shared.settings.acl.may_subscribe(&self.identity(), filter) {
                ReasonCode::NotAuthorized
            } else {
                self.shared.broker.subscribe(&self.attached.session, filter, sub.options, sub_id, now);
                granted(sub.options.qos)
            };
            reason_codes.push(code);
        }
        self.send(Packet::SubAck(SubAck { packet_id: s.packet_id, properties: Default::default(), reason_codes }));
    }

    fn on_unsubscribe(&mut self, u: Unsubscribe) {
        let reason_codes = u
            .filters
            .iter()
            .map(|f| {
                if self.shared.broker.unsubscribe(&self.attached.session, f.as_str()) {
                    ReasonCode::Success
                } else {
                    ReasonCode::NoSubscriptionExisted
                }
            })
            .collect();
        self.send(Packet::UnsubAck(UnsubAck { packet_id: u.packet_id, properties: Default::default(), reason_codes }));
    }

    fn on_disconnect(&mut self, d: Disconnect) -> Ending {
        if let Some(secs) = d.properties.session_expiry_interval {
            // A session that was to end with its connection cannot be made to outlive it
            // [MQTT-3.14.2-2].
            if self.n.session_expiry.is_zero() && secs > 0 {
                return Ending::Refused(ReasonCode::ProtocolError);
            }
            let expiry = Duration::from_secs(u64::from(secs)).min(self.shared.settings.max_session_expiry);
            self.n.session_expiry = expiry;
            self.attached.session.state().expiry = expiry;
        }
        if d.reason_code == ReasonCode::DisconnectWithWillMessage { Ending::WithWill } else { Ending::Normal }
    }

    fn identity(&self) -> Identity<'_> {
        Identity {
            eid: self.n.eid.as_ref().map(|e| e.as_str()),
            client_id: &self.n.client_id,
            username: self.n.username.as_deref(),
        }
    }
}

fn response(id: PacketId, known: bool) -> PubResponse {
    let mut r = PubResponse::new(id);
    if !known {
        r.reason_code = ReasonCode::PacketIdentifierNotFound;
    }
    r
}

fn granted(qos: QoS) -> ReasonCode {
    match qos {
        QoS::AtMostOnce => ReasonCode::GRANTED_QOS_0,
        QoS::AtLeastOnce => ReasonCode::GrantedQoS1,
        QoS::ExactlyOnce => ReasonCode::GrantedQoS2,
    }
}
