//! The MQTT broker: sessions by ClientId, subscriptions by topic, retained messages.
//!
//! This is plain MQTT, what users of mosquitto expect: it knows nothing of USP. The USP side
//! (endpoint IDs, `to_id` routing across MTPs) lives in the connection, which uses the broker
//! for topic delivery and the router for everything addressed by endpoint.
//!
//! Locks are short and never held across `.await`: the topic tree under a read lock while
//! collecting subscribers, then each target session's own lock while queueing.

pub mod acl;
pub mod message;
pub mod retained;
pub mod session;
pub mod topic_tree;

use std::sync::{Arc, Mutex, RwLock, atomic::{AtomicU64, Ordering::Relaxed}};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use tokio_util::sync::CancellationToken;

use crate::mtp::mqtt::codec::{QoS, RetainHandling, SubscriptionOptions};
use crate::usp::EndpointId;
pub use message::Message;
use retained::{RetainOutcome, Retained};
pub use session::{MqttSession, Outgoing, Resend};
use topic_tree::TopicTree;

/// How much the broker keeps.
#[derive(Debug, Clone, Copy)]
pub struct BrokerLimits {
    /// Messages queued per session (connected or offline).
    pub max_queued: usize,
    pub max_retained: usize,
}

#[derive(Debug, Clone, Copy)]
struct Subscriber {
    options: SubscriptionOptions,
    id: Option<u32>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct BrokerStats {
    pub published: AtomicU64,
    pub delivered: AtomicU64,
    pub dropped: AtomicU64,
    pub expired_sessions: AtomicU64,
}

/// A session attached to a new connection.
#[derive(Debug)]
pub struct Attached {
    pub session: Arc<MqttSession>,
    /// The connection's ownership token.
    pub owner: u64,
    /// CONNACK Session Present (§3.2.2.1.1).
    pub session_present: bool,
}

pub struct Broker {
    limits: BrokerLimits,
    sessions: DashMap<Arc<str>, Arc<MqttSession>>,
    tree: RwLock<TopicTree<Arc<str>, Subscriber>>,
    retained: Mutex<Retained>,
    /// Sessions that outlived their connection, for [`Broker::expire_sessions`] to check, so
    /// the periodic sweep does not walk every connected session (100k idle clients would
    /// otherwise cost 100k lock/unlock pairs a second). Entries whose client came back are
    /// dropped by the next sweep.
    offline: Mutex<Vec<Arc<MqttSession>>>,
    next_owner: AtomicU64,
    pub stats: BrokerStats,
}

impl Attached {
    /// Whether another connection now owns this same session (a takeover that resumed it,
    /// rather than a Clean Start that replaced it).
    pub fn session_present_for_new_owner(&self) -> bool {
        !self.session.is_owned_by(self.owner) && !self.session.is_orphaned()
    }
}

impl Broker {
    pub fn new(limits: BrokerLimits) -> Self {
        Self {
            limits,
            sessions: DashMap::new(),
            tree: RwLock::new(TopicTree::default()),
            retained: Mutex::new(Retained::new(limits.max_retained)),
            offline: Mutex::new(Vec::new()),
            next_owner: AtomicU64::new(1),
            stats: BrokerStats::default(),
        }
    }

    /// Attaches a connection to the session of `client_id`: resumed unless `clean_start`
    /// [MQTT-3.1.2-4/5], and taken over from any connection that had it. `kicked` is cancelled
    /// when another connection takes the session.
    pub fn open(
        &self,
        client_id: Arc<str>,
        clean_start: bool,
        expiry: Duration,
        eid: Option<EndpointId>,
        kicked: CancellationToken,
    ) -> Attached {
        let owner = self.next_owner.fetch_add(1, Relaxed);
        let existing = self.sessions.get(&client_id).map(|s| s.clone());
        let (session, session_present) = match existing {
            Some(old) if !clean_start => (old, true),
            old => {
                if let Some(old) = old {
                    // Kick the old connection before its subscriptions go.
                    old.claim(0, CancellationToken::new());
                    self.forget_subscriptions(&old);
                }
                let fresh = Arc::new(MqttSession::new(client_id.clone(), None, expiry, self.limits.max_queued));
                self.sessions.insert(client_id, fresh.clone());
                (fresh, false)
            }
        };
        session.claim(owner, kicked);
        {
            let mut st = session.state();
            st.expiry = expiry;
            st.eid = eid;
        }
        Attached { session, owner, session_present }
    }

    /// The connection is gone. A session with no expiry goes with it [MQTT-3.1.2-23]; others
    /// wait for their client (see [`Broker::expire_sessions`]).
    pub fn close(&self, attached: &Attached, now: Instant) {
        let session = &attached.session;
        if !session.release(attached.owner, now) {
            return; // taken over: the new owner decides
        }
        if session.state().expiry.is_zero() {
            self.remove_session(session);
        } else {
            self.offline.lock().unwrap_or_else(|e| e.into_inner()).push(session.clone());
        }
    }

    /// Removes sessions whose client stayed away longer than their expiry.
    pub fn expire_sessions(&self, now: Instant) {
        let mut expired = Vec::new();
        {
            let mut offline = self.offline.lock().unwrap_or_else(|e| e.into_inner());
            // A session that went offline twice since the last sweep is listed twice.
            offline.sort_unstable_by_key(|s| Arc::as_ptr(s));
            offline.dedup_by(|a, b| Arc::ptr_eq(a, b));
            offline.retain(|s| {
                let st = s.state();
                match st.offline_since {
                    None => false, // its client is back
                    Some(since) if now.duration_since(since) >= st.expiry => {
                        expired.push(s.clone());
                        false
                    }
                    Some(_) => true,
                }
            });
        }
        for s in expired {
            self.stats.expired_sessions.fetch_add(1, Relaxed);
            self.remove_session(&s);
        }
    }

    fn remove_session(&self, session: &Arc<MqttSession>) {
        self.forget_subscriptions(session);
        self.sessions.remove_if(&session.client_id, |_, s| Arc::ptr_eq(s, session));
    }

    fn forget_subscriptions(&self, session: &MqttSession) {
        let filters = session.state().subscriptions.take_filters();
        let mut tree = self.tree.write().unwrap_or_else(|e| e.into_inner());
        for f in filters {
            tree.remove(&f, &session.client_id);
        }
    }

    /// Subscribes `session` to `filter` and queues the retained messages its Retain Handling
    /// asks for (§3.3.1.3).
    pub fn subscribe(&self, session: &MqttSession, filter: &str, options: SubscriptionOptions, id: Option<u32>, now: Instant) {
        let existed = self
            .tree
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(filter, session.client_id.clone(), Subscriber { options, id })
            .is_some();
        session.state().subscriptions.insert(filter.into(), options, id);
        let send_retained = match options.retain_handling {
            RetainHandling::SendAtSubscribe => true,
            RetainHandling::SendIfNewSubscription => !existed,
            RetainHandling::DoNotSend => false,
        };
        if send_retained {
            let retained = self.retained.lock().unwrap_or_else(|e| e.into_inner()).matching(filter, now);
            for msg in retained {
                let qos = msg.qos.min(options.qos);
                // Retained messages keep RETAIN set when sent for a new subscription [MQTT-3.3.1-9].
                session.enqueue(Outgoing { msg, qos, retain: true, sub_ids: id.into_iter().collect() });
            }
        }
    }

    pub fn unsubscribe(&self, session: &MqttSession, filter: &str) -> bool {
        session.state().subscriptions.remove(filter);
        self.tree.write().unwrap_or_else(|e| e.into_inner()).remove(filter, &session.client_id).is_some()
    }

    /// Publishes to every matching subscription. Returns the sessions that took it.
    pub fn publish(&self, msg: &Message) -> Vec<Arc<MqttSession>> {
        self.stats.published.fetch_add(1, Relaxed);
        if msg.retain && self.retained.lock().unwrap_or_else(|e| e.into_inner()).apply(msg) == RetainOutcome::Full {
            tracing::debug!(topic = msg.topic.as_str(), "retained store full; not retained");
        }
        // One copy per client, at the highest QoS of its matching subscriptions (§3.3.4). The
        // matches are gathered in one Vec and merged per client after sorting: most topics
        // have one or two subscribers, and a map per publish cost more than the delivery.
        let mut matches: Vec<(Arc<str>, Subscriber)> = Vec::new();
        self.tree.read().unwrap_or_else(|e| e.into_inner()).for_each_match(msg.topic.as_str(), |client, sub| {
            if !(sub.options.no_local && msg.publisher.as_deref() == Some(&**client)) {
                matches.push((client.clone(), *sub));
            }
        });
        if matches.len() > 1 {
            matches.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        let mut delivered = Vec::with_capacity(matches.len());
        let mut rest = matches.as_slice();
        while let Some(((client, _), _)) = rest.split_first() {
            let same = rest.iter().take_while(|(c, _)| c == client).count();
            let (group, tail) = rest.split_at(same);
            rest = tail;
            let qos = group.iter().map(|(_, s)| s.options.qos).max().unwrap_or(QoS::AtMostOnce);
            let retain_as_published = group.iter().any(|(_, s)| s.options.retain_as_published);
            let sub_ids = group.iter().filter_map(|(_, s)| s.id).collect();
            let Some(session) = self.sessions.get(client).map(|s| s.clone()) else { continue };
            let out = Outgoing { msg: msg.clone(), qos: msg.qos.min(qos), retain: msg.retain && retain_as_published, sub_ids };
            if session.enqueue(out) {
                self.stats.delivered.fetch_add(1, Relaxed);
                delivered.push(session);
            } else {
                self.stats.dropped.fetch_add(1, Relaxed);
            }
        }
        delivered
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    pub fn subscription_count(&self) -> usize {
        self.tree.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn retained_count(&self) -> usize {
        self.retained.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker() -> Broker {
        Broker::new(BrokerLimits { max_queued: 16, max_retained: 16 })
    }

    fn open(b: &Broker, id: &str, clean: bool, expiry: Duration) -> Attached {
        b.open(id.into(), clean, expiry, None, CancellationToken::new())
    }

    #[test]
    fn offline_sessions_expire_and_returning_ones_do_not() {
        let b = broker();
        let t0 = Instant::now();
        let gone = open(&b, "gone", true, Duration::from_secs(10));
        let back = open(&b, "back", true, Duration::from_secs(10));
        let online = open(&b, "online", true, Duration::from_secs(10));
        let none = open(&b, "no-expiry", true, Duration::ZERO);
        b.close(&gone, t0);
        b.close(&back, t0);
        b.close(&none, t0);
        assert_eq!(b.session_count(), 3, "a session without expiry goes with its connection");
        let _back_again = open(&b, "back", false, Duration::from_secs(10));

        b.expire_sessions(t0 + Duration::from_secs(5));
        assert_eq!(b.session_count(), 3, "nothing expires early");
        b.expire_sessions(t0 + Duration::from_secs(11));
        assert_eq!(b.session_count(), 2);
        assert_eq!(b.stats.expired_sessions.load(Relaxed), 1);
        assert!(b.sessions.contains_key("back") && b.sessions.contains_key("online"));
        assert!(b.offline.lock().unwrap().is_empty(), "the sweep keeps only sessions still offline");
        drop(online);
    }

    #[test]
    fn a_session_offline_twice_is_expired_once() {
        let b = broker();
        let t0 = Instant::now();
        let first = open(&b, "twice", true, Duration::from_secs(1));
        b.close(&first, t0);
        let second = open(&b, "twice", false, Duration::from_secs(1));
        b.close(&second, t0);
        b.expire_sessions(t0 + Duration::from_secs(2));
        assert_eq!(b.session_count(), 0);
        assert_eq!(b.stats.expired_sessions.load(Relaxed), 1);
    }
}
