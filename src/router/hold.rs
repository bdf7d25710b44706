//! The offline hold: Records for endpoints that are not connected right now.
//!
//! Agents reconnect after Wi-Fi drops, reboots and firmware upgrades, and a controller that
//! restarts should still get the Notify sent meanwhile. The hold keeps a bounded number of
//! Records per endpoint for a bounded time, plus a global byte cap, because `to_id` comes from
//! the peer and a hold without a cap would let anyone fill the hub's memory.
//!
//! It is a trait so that a disk-backed store (surviving `kill -9`) can replace the in-memory one
//! without touching the router or any MTP.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::mailbox::Delivery;
use crate::usp::EndpointId;

/// What became of a Record offered to the hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldOutcome {
    Held,
    /// Held, and the endpoint's oldest Record was dropped to make room.
    HeldDroppedOldest,
    /// Not held: the store is at its byte cap, or holding is disabled.
    Refused,
}

/// The Records taken for an endpoint that has connected.
#[derive(Debug, Default)]
pub struct Taken {
    pub records: Vec<Delivery>,
    /// Records that had outlived the TTL, dropped instead of delivered.
    pub expired: usize,
}

/// Totals, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HoldStats {
    pub endpoints: usize,
    pub records: usize,
    pub bytes: usize,
}

/// A place to keep Records for endpoints that are offline.
pub trait OfflineStore: Send {
    fn hold(&mut self, to: &str, d: Delivery, now: Instant) -> HoldOutcome;
    /// Removes and returns everything held for `to`, oldest first.
    fn take(&mut self, to: &str, now: Instant) -> Taken;
    /// Drops what has outlived the TTL; returns how many Records that was.
    fn sweep(&mut self, now: Instant) -> usize;
    fn stats(&self) -> HoldStats;
}

/// How much the hold keeps.
#[derive(Debug, Clone, Copy)]
pub struct HoldLimits {
    /// Records per endpoint; 0 disables the hold.
    pub max_records: usize,
    pub ttl: Duration,
    /// Bytes across all endpoints.
    pub max_bytes: usize,
}

/// The in-memory [`OfflineStore`].
#[derive(Debug)]
pub struct MemoryHold {
    limits: HoldLimits,
    queues: HashMap<EndpointId, VecDeque<(Instant, Delivery)>>,
    records: usize,
    bytes: usize,
}

impl MemoryHold {
    pub fn new(limits: HoldLimits) -> Self {
        Self { limits, queues: HashMap::new(), records: 0, bytes: 0 }
    }

    fn forget(&mut self, d: &Delivery) {
        self.records -= 1;
        self.bytes -= d.record.len();
    }
}

impl OfflineStore for MemoryHold {
    fn hold(&mut self, to: &str, d: Delivery, now: Instant) -> HoldOutcome {
        let len = d.record.len();
        if self.limits.max_records == 0 || self.bytes + len > self.limits.max_bytes {
            return HoldOutcome::Refused;
        }
        let Ok(to) = EndpointId::new(to) else { return HoldOutcome::Refused };
        let queue = self.queues.entry(to).or_default();
        let mut outcome = HoldOutcome::Held;
        let mut evicted = None;
        if queue.len() >= self.limits.max_records {
            evicted = queue.pop_front();
            outcome = HoldOutcome::HeldDroppedOldest;
        }
        queue.push_back((now, d));
        if let Some((_, old)) = evicted {
            self.forget(&old);
        }
        self.records += 1;
        self.bytes += len;
        outcome
    }

    fn take(&mut self, to: &str, now: Instant) -> Taken {
        let Some(queue) = self.queues.remove(to) else { return Taken::default() };
        let mut taken = Taken::default();
        for (at, d) in queue {
            self.forget(&d);
            if now.duration_since(at) > self.limits.ttl {
                taken.expired += 1;
            } else {
                taken.records.push(d);
            }
        }
        taken
    }

    fn sweep(&mut self, now: Instant) -> usize {
        let ttl = self.limits.ttl;
        let mut expired = Vec::new();
        self.queues.retain(|_, queue| {
            // Oldest first, so expired Records are at the front.
            while queue.front().is_some_and(|(at, _)| now.duration_since(*at) > ttl) {
                expired.push(queue.pop_front().unwrap().1);
            }
            !queue.is_empty()
        });
        for d in &expired {
            self.forget(d);
        }
        expired.len()
    }

    fn stats(&self) -> HoldStats {
        HoldStats { endpoints: self.queues.len(), records: self.records, bytes: self.bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn d(tag: u8) -> Delivery {
        Delivery { from: EndpointId::new("doc::c").unwrap(), record: Bytes::from(vec![tag; 10]) }
    }

    fn limits() -> HoldLimits {
        HoldLimits { max_records: 2, ttl: Duration::from_secs(10), max_bytes: 1000 }
    }

    #[test]
    fn keeps_newest_records_per_endpoint() {
        let mut hold = MemoryHold::new(limits());
        let t = Instant::now();
        assert_eq!(hold.hold("doc::a", d(1), t), HoldOutcome::Held);
        assert_eq!(hold.hold("doc::a", d(2), t), HoldOutcome::Held);
        assert_eq!(hold.hold("doc::a", d(3), t), HoldOutcome::HeldDroppedOldest);
        let taken = hold.take("doc::a", t);
        let tags: Vec<u8> = taken.records.iter().map(|d| d.record[0]).collect();
        assert_eq!(tags, [2, 3]);
        assert_eq!(hold.stats(), HoldStats::default());
    }

    #[test]
    fn expires_after_ttl() {
        let mut hold = MemoryHold::new(limits());
        let t = Instant::now();
        hold.hold("doc::a", d(1), t);
        hold.hold("doc::b", d(2), t + Duration::from_secs(8));
        assert_eq!(hold.sweep(t + Duration::from_secs(11)), 1);
        assert_eq!(hold.stats().endpoints, 1);
        let taken = hold.take("doc::b", t + Duration::from_secs(19));
        assert_eq!((taken.records.len(), taken.expired), (0, 1));
    }

    #[test]
    fn global_byte_cap_refuses() {
        let mut hold = MemoryHold::new(HoldLimits { max_bytes: 25, ..limits() });
        let t = Instant::now();
        assert_eq!(hold.hold("doc::a", d(1), t), HoldOutcome::Held);
        assert_eq!(hold.hold("doc::b", d(1), t), HoldOutcome::Held);
        assert_eq!(hold.hold("doc::c", d(1), t), HoldOutcome::Refused);
    }
}
