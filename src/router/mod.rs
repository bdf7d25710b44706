//! The router: moves USP Records to the endpoint named by their `to_id`.
//!
//! It knows endpoints and routes, never transports. An MTP session attaches under the endpoint
//! ID it authenticated, hands every Record it reads to [`Session::ingress`], and writes whatever
//! [`Session::recv`] yields in its own framing. Between the two, the router
//! - checks that the Record's `from_id` is the session's endpoint ID (no forged identities);
//! - looks `to_id` up in the registry and pushes the same `Bytes` onto that session's bounded
//!   queue, or into the offline hold when the endpoint is not connected;
//! - keeps one session per endpoint ID: the newest replaces the older, which is told to close;
//! - publishes presence events and counts everything.
//!
//! A route today is a local queue. A cluster node or a persistent store stands behind the
//! same two seams later: [`Route`] and [`OfflineStore`].

pub mod hold;
pub mod mailbox;
pub mod metrics;
pub mod presence;
mod session;

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering::Relaxed},
};
use std::time::{Instant, SystemTime};

use dashmap::DashMap;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use hold::{HoldLimits, HoldOutcome, HoldStats, MemoryHold, OfflineStore};
pub use mailbox::{Delivery, QueueLimits};
pub use metrics::{DropReason, EndpointStats, RouterMetrics};
pub use presence::{PresenceChange, PresenceEvent};
pub use session::{IngressError, Routed, Session};

use crate::usp::{EndpointId, Mtp};
use mailbox::{Outbox, PushError};

/// What became of a Record handed to the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// On the receiver's queue.
    Queued,
    /// The receiver is offline; the Record waits in the hold.
    Held,
    Dropped(DropReason),
}

/// Everything known about one attached session, shared by its route and the session itself.
#[derive(Debug)]
pub struct SessionInfo {
    pub eid: EndpointId,
    pub mtp: Mtp,
    /// The peer's transport address, as the MTP describes it.
    pub peer: String,
    pub since: SystemTime,
    pub stats: EndpointStats,
}

/// Where an endpoint can be reached now: a local session's queue.
#[derive(Debug)]
struct Route {
    conn: u64,
    outbox: Outbox,
    /// Cancelled when a newer session of the same endpoint attaches.
    replaced: CancellationToken,
    info: Arc<SessionInfo>,
}

/// One row of the endpoint listing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EndpointSnapshot {
    pub eid: EndpointId,
    pub mtp: Mtp,
    pub peer: String,
    #[serde(with = "humantime_serde")]
    pub connected_since: SystemTime,
    pub records_in: u64,
    pub bytes_in: u64,
    pub records_out: u64,
    pub bytes_out: u64,
    pub dropped: u64,
    pub queued_records: usize,
    pub queued_bytes: usize,
}

/// How the router is sized.
#[derive(Debug, Clone, Copy)]
pub struct RouterLimits {
    pub queue: QueueLimits,
    pub hold: HoldLimits,
}

/// A cheap handle to the shared router.
#[derive(Clone)]
pub struct Router(Arc<Shared>);

struct Shared {
    routes: DashMap<EndpointId, Route>,
    /// Also serialises "is it connected? else hold" against "attach, then drain the hold", so a
    /// Record can never be held just after its receiver's hold was drained.
    hold: Mutex<Box<dyn OfflineStore>>,
    presence: broadcast::Sender<PresenceEvent>,
    metrics: RouterMetrics,
    next_conn: AtomicU64,
    limits: RouterLimits,
}

impl Router {
    pub fn new(limits: RouterLimits) -> Self {
        Self::with_store(limits, Box::new(MemoryHold::new(limits.hold)))
    }

    pub fn with_store(limits: RouterLimits, store: Box<dyn OfflineStore>) -> Self {
        Self(Arc::new(Shared {
            routes: DashMap::new(),
            hold: Mutex::new(store),
            presence: broadcast::channel(4096).0,
            metrics: RouterMetrics::default(),
            next_conn: AtomicU64::new(1),
            limits,
        }))
    }

    /// Attaches a session for `eid`. A session already attached under that ID is told to close
    /// (newest wins, as OB-USP-Agent and TP-469 7.2 expect), and Records held while the endpoint
    /// was offline are queued to the new session before anything newer.
    pub fn attach(&self, eid: EndpointId, mtp: Mtp, peer: impl Into<String>) -> Session {
        self.attach_with(eid, mtp, peer, CancellationToken::new())
    }

    /// [`attach`](Self::attach), cancelling `replaced` when a newer session takes the endpoint.
    /// A connection that already has a token for its own ending passes it here, so its loop
    /// waits on one token rather than one per cause.
    pub fn attach_with(&self, eid: EndpointId, mtp: Mtp, peer: impl Into<String>, replaced: CancellationToken) -> Session {
        let shared = &self.0;
        let conn = shared.next_conn.fetch_add(1, Relaxed);
        let (outbox, inbox) = mailbox::mailbox(shared.limits.queue);
        let info = Arc::new(SessionInfo {
            eid: eid.clone(),
            mtp,
            peer: peer.into(),
            since: SystemTime::now(),
            stats: EndpointStats::default(),
        });
        let route = Route { conn, outbox: outbox.clone(), replaced: replaced.clone(), info: info.clone() };
        let counters = shared.metrics.mtp(mtp);
        counters.sessions.fetch_add(1, Relaxed);
        counters.sessions_total.fetch_add(1, Relaxed);

        let mut hold = shared.hold.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = shared.routes.insert(eid.clone(), route) {
            old.replaced.cancel();
            shared.metrics.replaced.fetch_add(1, Relaxed);
            self.announce(&old.info.eid, old.info.mtp, PresenceChange::Replaced);
        }
        let taken = hold.take(eid.as_str(), Instant::now());
        shared.metrics.drop(DropReason::HoldExpired, taken.expired as u64);
        for d in taken.records {
            if outbox.push(d).is_err() {
                shared.metrics.drop(DropReason::QueueFull, 1);
            }
        }
        drop(hold);
        self.announce(&eid, mtp, PresenceChange::Connected);
        Session::new(self.clone(), conn, info, inbox, replaced)
    }

    /// Delivers `d` to the endpoint `to`: queued if it is connected, else held.
    pub fn deliver(&self, to: &str, d: Delivery) -> Outcome {
        // Push under the registry's read guard: the push never waits, and cloning the route
        // would cost several reference-count updates per Record.
        let d = match self.0.routes.get(to) {
            Some(route) => match self.push(&route, d) {
                Ok(outcome) => return outcome,
                // The session is going away: treat the endpoint as offline.
                Err(d) => d,
            },
            None => d,
        };
        self.deliver_offline(to, d)
    }

    fn push(&self, route: &Route, d: Delivery) -> Result<Outcome, Delivery> {
        match route.outbox.push(d) {
            Ok(()) => Ok(Outcome::Queued),
            Err(PushError::Full(_)) => {
                route.info.stats.dropped.fetch_add(1, Relaxed);
                self.0.metrics.drop(DropReason::QueueFull, 1);
                Ok(Outcome::Dropped(DropReason::QueueFull))
            }
            Err(PushError::Closed(d)) => Err(d),
        }
    }

    /// The slow path, under the hold lock: look again (the endpoint may just have attached),
    /// then hold.
    fn deliver_offline(&self, to: &str, d: Delivery) -> Outcome {
        let shared = &self.0;
        let mut hold = shared.hold.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(route) = shared.routes.get(to) {
            drop(hold);
            return self.push(&route, d).unwrap_or(Outcome::Dropped(DropReason::QueueFull));
        }
        match hold.hold(to, d, Instant::now()) {
            HoldOutcome::Held => {
                shared.metrics.held.fetch_add(1, Relaxed);
                Outcome::Held
            }
            HoldOutcome::HeldDroppedOldest => {
                shared.metrics.held.fetch_add(1, Relaxed);
                shared.metrics.drop(DropReason::HoldOverflow, 1);
                Outcome::Held
            }
            HoldOutcome::Refused => {
                shared.metrics.drop(DropReason::HoldRefused, 1);
                Outcome::Dropped(DropReason::HoldRefused)
            }
        }
    }

    /// Removes the route of session `conn` if it is still the current one for `eid`.
    fn detach(&self, info: &SessionInfo, conn: u64) {
        let removed = self.0.routes.remove_if(&info.eid, |_, r| r.conn == conn).is_some();
        self.0.metrics.mtp(info.mtp).sessions.fetch_sub(1, Relaxed);
        if removed {
            self.announce(&info.eid, info.mtp, PresenceChange::Disconnected);
        }
    }

    fn announce(&self, eid: &EndpointId, mtp: Mtp, change: PresenceChange) {
        // No receiver is fine: presence is for whoever listens.
        let _ = self.0.presence.send(PresenceEvent {
            eid: eid.clone(),
            mtp,
            change,
            at: SystemTime::now(),
        });
    }

    /// Drops held Records that outlived the TTL. The hub calls this periodically.
    pub fn sweep_hold(&self) {
        let expired = self.0.hold.lock().unwrap_or_else(|e| e.into_inner()).sweep(Instant::now());
        self.0.metrics.drop(DropReason::HoldExpired, expired as u64);
    }

    pub fn hold_stats(&self) -> HoldStats {
        self.0.hold.lock().unwrap_or_else(|e| e.into_inner()).stats()
    }

    pub fn subscribe_presence(&self) -> broadcast::Receiver<PresenceEvent> {
        self.0.presence.subscribe()
    }

    pub fn metrics(&self) -> &RouterMetrics {
        &self.0.metrics
    }

    /// Counts a Record that an MTP refused before it reached the router (oversize, unparsable).
    pub fn count_drop(&self, reason: DropReason) {
        self.0.metrics.drop(reason, 1);
    }

    pub fn is_connected(&self, eid: &str) -> bool {
        self.0.routes.contains_key(eid)
    }

    /// Records and bytes queued towards connected endpoints, per MTP.
    pub fn queue_depths(&self) -> [(usize, usize); Mtp::ALL.len()] {
        let mut depths = [(0, 0); Mtp::ALL.len()];
        for r in self.0.routes.iter() {
            let (n, b) = r.outbox.depth();
            let slot = &mut depths[r.info.mtp.index()];
            slot.0 += n;
            slot.1 += b;
        }
        depths
    }

    pub fn endpoints(&self) -> Vec<EndpointSnapshot> {
        let mut list: Vec<EndpointSnapshot> = self
            .0
            .routes
            .iter()
            .map(|r| {
                let s = &r.info.stats;
                let (queued_records, queued_bytes) = r.outbox.depth();
                EndpointSnapshot {
                    eid: r.info.eid.clone(),
                    mtp: r.info.mtp,
                    peer: r.info.peer.clone(),
                    connected_since: r.info.since,
                    records_in: s.records_in.load(Relaxed),
                    bytes_in: s.bytes_in.load(Relaxed),
                    records_out: s.records_out.load(Relaxed),
                    bytes_out: s.bytes_out.load(Relaxed),
                    dropped: s.dropped.load(Relaxed),
                    queued_records,
                    queued_bytes,
                }
            })
            .collect();
        list.sort_by(|a, b| a.eid.cmp(&b.eid));
        list
    }
}

#[cfg(test)]
mod tests;
