//! [`MqttSession`]: what MQTT keeps for one ClientId, connected or not (§4.1).
//!
//! It is shared, not owned by the connection: publishers push into its queue under a short
//! lock and wake the connection, if there is one. A persistent session of a client that is
//! offline is the same object with nobody to wake, so keeping QoS 1/2 messages for offline
//! clients needs no second code path.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::message::Message;
use crate::mtp::mqtt::codec::{PacketId, Publish, QoS, SubscriptionOptions};
use crate::usp::EndpointId;

/// A message on its way to this client, with the QoS and flags of the subscription it matched.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub msg: Message,
    pub qos: QoS,
    pub retain: bool,
    pub sub_ids: Vec<u32>,
}

#[derive(Debug)]
enum Inflight {
    /// Sent; waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    Unacknowledged(Outgoing),
    /// PUBREL sent; waiting for PUBCOMP.
    Released,
}

/// What a resumed connection must send again first (§4.4).
#[derive(Debug)]
pub enum Resend {
    Publish(Publish),
    PubRel(PacketId),
}

#[derive(Debug)]
pub struct SessionState {
    pub eid: Option<EndpointId>,
    /// Filter → options and Subscription Identifier, mirrored in the broker's topic tree.
    pub subscriptions: Subscriptions,
    /// QoS 2 packet ids received and acknowledged with PUBREC, until PUBREL (§4.3.3). A set
    /// without hasher state: every idle session carries it, almost always empty.
    pub inbound_qos2: BTreeSet<u16>,
    /// How long the session outlives its connection.
    pub expiry: Duration,
    pub offline_since: Option<Instant>,
    queue: VecDeque<Outgoing>,
    inflight: BTreeMap<u16, Inflight>,
    next_id: u16,
    max_queued: usize,
    /// The connection that owns the session, and how to tell it to go.
    owner: Option<(u64, CancellationToken)>,
    /// Cancels a delayed Will when the client comes back in time (§3.1.3.2.2).
    pub pending_will: Option<CancellationToken>,
}

/// A client's subscriptions, mirrored in the broker's topic tree. A client has a handful, so a
/// plain Vec (one small allocation) serves better than a map: every idle session carries one.
#[derive(Debug, Default)]
pub struct Subscriptions(Vec<(Box<str>, SubscriptionOptions, Option<u32>)>);

impl Subscriptions {
    /// Adds `filter`, or replaces its options and identifier (§3.8.4).
    pub fn insert(&mut self, filter: Box<str>, options: SubscriptionOptions, id: Option<u32>) {
        match self.0.iter_mut().find(|(f, _, _)| *f == filter) {
            Some(entry) => (entry.1, entry.2) = (options, id),
            None => self.0.push((filter, options, id)),
        }
    }

    /// Whether `filter` was there.
    pub fn remove(&mut self, filter: &str) -> bool {
        let at = self.0.iter().position(|(f, _, _)| &**f == filter);
        at.map(|i| self.0.swap_remove(i)).is_some()
    }

    /// Empties the set, giving back the filters.
    pub fn take_filters(&mut self) -> Vec<Box<str>> {
        std::mem::take(&mut self.0).into_iter().map(|(f, _, _)| f).collect()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug)]
pub struct MqttSession {
    pub client_id: Arc<str>,
    state: Mutex<SessionState>,
    wake: Notify,
}

impl MqttSession {
    pub fn new(client_id: Arc<str>, eid: Option<EndpointId>, expiry: Duration, max_queued: usize) -> Self {
        let state = SessionState {
            eid,
            subscriptions: Subscriptions::default(),
            inbound_qos2: BTreeSet::new(),
            expiry,
            offline_since: None,
            queue: VecDeque::new(),
            inflight: BTreeMap::new(),
            next_id: 1,
            max_queued,
            owner: None,
            pending_will: None,
        };
        Self { client_id, state: Mutex::new(state), wake: Notify::new() }
    }

    pub fn state(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves when something was queued for the connection to send.
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    /// Queues a message; `false` if it was dropped (queue full, or QoS 0 for an offline
    /// client, which MQTT lets a server discard).
    pub fn enqueue(&self, out: Outgoing) -> bool {
        {
            let mut st = self.state();
            let offline = st.owner.is_none();
            if st.queue.len() >= st.max_queued || (offline && out.qos == QoS::AtMostOnce) {
                return false;
            }
            st.queue.push_back(out);
        }
        self.wake.notify_one();
        true
    }

    /// Takes ownership for connection `owner`, telling any previous connection to go
    /// (Session Taken Over, §3.1.4). Cancels a pending delayed Will.
    pub fn claim(&self, owner: u64, kick: CancellationToken) {
        let mut st = self.state();
        if let Some((_, old)) = st.owner.replace((owner, kick)) {
            old.cancel();
        }
        if let Some(will) = st.pending_will.take() {
            will.cancel();
        }
        st.offline_since = None;
    }

    /// Gives up ownership if `owner` still has it; returns whether it did.
    pub fn release(&self, owner: u64, now: Instant) -> bool {
        let mut st = self.state();
        if st.owner.as_ref().is_some_and(|(o, _)| *o == owner) {
            st.owner = None;
            st.offline_since = Some(now);
            // QoS 0 messages are not kept for an offline client.
            st.queue.retain(|o| o.qos != QoS::AtMostOnce);
            true
        } else {
            false
        }
    }

    /// Whether the broker dropped this session object for a fresh one (a Clean Start by the
    /// same client), rather than handing it to a new connection.
    pub fn is_orphaned(&self) -> bool {
        self.state().owner.as_ref().is_some_and(|(o, _)| *o == 0)
    }

    pub fn is_owned_by(&self, owner: u64) -> bool {
        self.state().owner.as_ref().is_some_and(|(o, _)| *o == owner)
    }
}

impl SessionState {
    /// Messages that may go out now: everything queued at QoS 0, and QoS 1/2 while fewer than
    /// `window` are unacknowledged (the client's Receive Maximum, §4.9).
    pub fn take_sendable(&mut self, window: usize, now: Instant, out: &mut Vec<Publish>) {
        while let Some(front) = self.queue.front() {
            if front.msg.is_expired(now) {
                self.queue.pop_front();
                continue;
            }
            if front.qos != QoS::AtMostOnce && self.inflight.len() >= window {
                break;
            }
            let item = self.queue.pop_front().expect("front exists");
            let packet_id = match item.qos {
                QoS::AtMostOnce => None,
                _ => Some(self.allocate_id()),
            };
            out.push(item.msg.to_publish(item.qos, packet_id, item.retain, &item.sub_ids, now));
            if let Some(id) = packet_id {
                self.inflight.insert(id.get(), Inflight::Unacknowledged(item));
            }
        }
    }

    /// PUBACK: a QoS 1 delivery is complete.
    pub fn acknowledged(&mut self, id: PacketId) -> bool {
        match self.inflight.get(&id.get()) {
            Some(Inflight::Unacknowledged(o)) if o.qos == QoS::AtLeastOnce => {
                self.inflight.remove(&id.get());
                true
            }
            _ => false,
        }
    }

    /// PUBREC: a QoS 2 delivery reached the client; answer PUBREL.
    pub fn received(&mut self, id: PacketId) -> bool {
        match self.inflight.get_mut(&id.get()) {
            Some(slot @ Inflight::Unacknowledged(_)) => {
                *slot = Inflight::Released;
                true
            }
            Some(Inflight::Released) => true,
            None => false,
        }
    }

    /// PUBCOMP: a QoS 2 delivery is complete.
    pub fn completed(&mut self, id: PacketId) -> bool {
        matches!(self.inflight.get(&id.get()), Some(Inflight::Released)) && self.inflight.remove(&id.get()).is_some()
    }

    /// On a resumed session: unacknowledged PUBLISHes again with DUP set, and PUBRELs, in the
    /// order they were first sent [MQTT-4.4.0-1].
    pub fn resend(&self, now: Instant) -> Vec<Resend> {
        self.inflight
            .iter()
            .map(|(&id, state)| {
                let id = PacketId::new(id).expect("inflight ids are non-zero");
                match state {
                    Inflight::Unacknowledged(o) => {
                        let mut p = o.msg.to_publish(o.qos, Some(id), o.retain, &o.sub_ids, now);
                        p.dup = true;
                        Resend::Publish(p)
                    }
                    Inflight::Released => Resend::PubRel(id),
                }
            })
            .collect()
    }

    /// Drops an unacknowledged message that will never be sent (larger than the client's
    /// Maximum Packet Size, which a server must not exceed [MQTT-3.1.2-25]).
    pub fn forget(&mut self, id: PacketId) {
        self.inflight.remove(&id.get());
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    fn allocate_id(&mut self) -> PacketId {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            if !self.inflight.contains_key(&id) {
                return PacketId::new(id).expect("ids start at 1 and skip 0");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mtp::mqtt::codec::{Properties, Utf8Bytes};
    use bytes::Bytes;

    fn out(qos: QoS, tag: u8) -> Outgoing {
        let msg = Message {
            topic: Utf8Bytes::from("t"),
            payload: Bytes::from(vec![tag]),
            qos,
            retain: false,
            properties: Arc::new(Properties::default()),
            publisher: None,
            expires_at: None,
        };
        Outgoing { msg, qos, retain: false, sub_ids: vec![] }
    }

    fn session() -> MqttSession {
        let s = MqttSession::new("c".into(), None, Duration::ZERO, 3);
        s.claim(1, CancellationToken::new());
        s
    }

    #[test]
    fn receive_maximum_bounds_unacknowledged_messages() {
        let s = session();
        for i in 0..3 {
            assert!(s.enqueue(out(QoS::AtLeastOnce, i)));
        }
        assert!(!s.enqueue(out(QoS::AtLeastOnce, 9)), "max_queued");
        let mut sent = Vec::new();
        s.state().take_sendable(2, Instant::now(), &mut sent);
        assert_eq!(sent.len(), 2);
        assert!(s.state().acknowledged(sent[0].packet_id.unwrap()));
        s.state().take_sendable(2, Instant::now(), &mut sent);
        assert_eq!(sent.len(), 3);
    }

    #[test]
    fn qos2_goes_through_pubrec_and_pubcomp_and_survives_resume() {
        let s = session();
        s.enqueue(out(QoS::ExactlyOnce, 1));
        s.enqueue(out(QoS::ExactlyOnce, 2));
        let mut sent = Vec::new();
        s.state().take_sendable(10, Instant::now(), &mut sent);
        let (a, b) = (sent[0].packet_id.unwrap(), sent[1].packet_id.unwrap());
        assert!(!s.state().completed(a), "PUBCOMP before PUBREC is refused");
        assert!(s.state().received(a));
        let resend = s.state().resend(Instant::now());
        assert!(matches!(&resend[0], Resend::PubRel(id) if *id == a));
        assert!(matches!(&resend[1], Resend::Publish(p) if p.dup && p.packet_id == Some(b)));
        assert!(s.state().completed(a));
        assert_eq!(s.state().inflight(), 1);
    }

    #[test]
    fn offline_sessions_keep_only_qos1_and_2() {
        let s = session();
        s.enqueue(out(QoS::AtMostOnce, 0));
        s.enqueue(out(QoS::AtLeastOnce, 1));
        assert!(s.release(1, Instant::now()));
        assert!(!s.enqueue(out(QoS::AtMostOnce, 2)));
        assert_eq!(s.state().queued(), 1);
        assert!(!s.release(1, Instant::now()), "released once");
    }

    #[test]
    fn a_new_owner_kicks_the_old_one() {
        let s = MqttSession::new("c".into(), None, Duration::ZERO, 3);
        let first = CancellationToken::new();
        s.claim(1, first.clone());
        s.claim(2, CancellationToken::new());
        assert!(first.is_cancelled());
        assert!(!s.release(1, Instant::now()), "the old connection no longer owns it");
        assert!(s.is_owned_by(2));
    }
}
