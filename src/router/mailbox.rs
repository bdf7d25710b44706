//! The bounded outbound queue of one session.
//!
//! Bounded twice, by records and by bytes, because either alone lets memory grow: 1,024 slots
//! of 5 MiB Records is 5 GiB. A full queue refuses the newest Record at once, so the sender is
//! never stalled by a slow receiver and a fast receiver never waits behind a slow one.
//!
//! A plain `VecDeque` under a mutex rather than a channel: an idle session then costs a few
//! dozen bytes (a channel pre-allocates a block of slots per session, ~2 KiB, which at 100k idle
//! connections is most of the budget), and the writer can take a burst under one lock. The
//! deque's storage is given back when a burst has drained.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::usp::EndpointId;

/// Storage kept by an empty queue; more is released once drained, so one burst does not pin
/// memory for the life of an idle connection.
const KEEP_CAPACITY: usize = 16;

/// One Record on its way to a receiver, with the endpoint it came from (MQTT and STOMP turn
/// that into a reply-to address). The Record bytes are those that arrived: never re-encoded.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub from: EndpointId,
    pub record: Bytes,
}

/// How much one session's queue may hold.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    pub max_records: usize,
    pub max_bytes: usize,
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Delivery>,
    bytes: usize,
    closed: bool,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer when the queue turns non-empty; a stored permit covers a push that
    /// lands between the writer's last look and its wait.
    ready: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock leaves a consistent queue: every method updates
        // `items` and `bytes` together before anything can panic.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Why a Delivery was not queued; the Delivery comes back so it can go elsewhere.
#[derive(Debug)]
pub enum PushError {
    Full(Delivery),
    Closed(Delivery),
}

/// The sending side, kept in the route.
#[derive(Debug, Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
    limits: QueueLimits,
}

/// The receiving side, owned by the session's writer.
#[derive(Debug)]
pub struct Inbox {
    shared: Arc<Shared>,
}

pub fn mailbox(limits: QueueLimits) -> (Outbox, Inbox) {
    let shared = Arc::new(Shared::default());
    (Outbox { shared: shared.clone(), limits }, Inbox { shared })
}

impl Outbox {
    pub fn push(&self, d: Delivery) -> Result<(), PushError> {
        let len = d.record.len();
        let mut q = self.shared.lock();
        if q.closed {
            return Err(PushError::Closed(d));
        }
        let queued = q.items.len();
        // One Record always fits an empty queue, whatever its size: the size cap is the MTP's.
        if queued >= self.limits.max_records || (queued > 0 && q.bytes + len > self.limits.max_bytes) {
            return Err(PushError::Full(d));
        }
        q.items.push_back(d);
        q.bytes += len;
        drop(q);
        if queued == 0 {
            self.shared.ready.notify_one();
        }
        Ok(())
    }

    /// Records and bytes waiting.
    pub fn depth(&self) -> (usize, usize) {
        let q = self.shared.lock();
        (q.items.len(), q.bytes)
    }
}

impl Inbox {
    /// The next Delivery; waits while the queue is empty. `None` once closed and drained.
    pub async fn recv(&mut self) -> Option<Delivery> {
        loop {
            {
                let mut q = self.shared.lock();
                if let Some(d) = take(&mut q) {
                    return Some(d);
                }
                if q.closed {
                    return None;
                }
            }
            self.shared.ready.notified().await;
        }
    }

    pub fn try_recv(&mut self) -> Option<Delivery> {
        take(&mut self.shared.lock())
    }

    /// Refuses further pushes; what is queued can still be taken.
    pub fn close(&mut self) {
        self.shared.lock().closed = true;
    }
}

fn take(q: &mut Queue) -> Option<Delivery> {
    let d = q.items.pop_front()?;
    q.bytes -= d.record.len();
    if q.items.is_empty() && q.items.capacity() > KEEP_CAPACITY {
        q.items = VecDeque::new();
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(n: usize) -> Delivery {
        Delivery { from: EndpointId::new("doc::a").unwrap(), record: Bytes::from(vec![0u8; n]) }
    }

    #[test]
    fn bounded_by_records() {
        let (out, mut inbox) = mailbox(QueueLimits { max_records: 2, max_bytes: 1 << 20 });
        out.push(delivery(1)).unwrap();
        out.push(delivery(1)).unwrap();
        assert!(matches!(out.push(delivery(1)), Err(PushError::Full(_))));
        inbox.try_recv().unwrap();
        out.push(delivery(1)).unwrap();
        assert_eq!(out.depth(), (2, 2));
    }

    #[test]
    fn bounded_by_bytes_but_one_record_always_fits() {
        let (out, mut inbox) = mailbox(QueueLimits { max_records: 100, max_bytes: 10 });
        out.push(delivery(50)).unwrap();
        assert!(matches!(out.push(delivery(1)), Err(PushError::Full(_))));
        inbox.try_recv().unwrap();
        out.push(delivery(6)).unwrap();
        out.push(delivery(4)).unwrap();
        assert!(matches!(out.push(delivery(1)), Err(PushError::Full(_))));
    }

    #[test]
    fn closed_inbox_returns_the_delivery() {
        let (out, mut inbox) = mailbox(QueueLimits { max_records: 2, max_bytes: 100 });
        inbox.close();
        assert!(matches!(out.push(delivery(3)), Err(PushError::Closed(d)) if d.record.len() == 3));
        assert_eq!(out.depth(), (0, 0));
    }

    #[tokio::test]
    async fn recv_wakes_on_a_push_from_elsewhere() {
        let (out, mut inbox) = mailbox(QueueLimits { max_records: 8, max_bytes: 1 << 20 });
        let pusher = tokio::spawn(async move {
            tokio::task::yield_now().await;
            out.push(delivery(7)).unwrap();
            out
        });
        let d = tokio::time::timeout(std::time::Duration::from_secs(5), inbox.recv()).await.unwrap();
        assert_eq!(d.unwrap().record.len(), 7);
        let out = pusher.await.unwrap();
        assert_eq!(out.depth(), (0, 0));
    }

    #[tokio::test]
    async fn closed_and_drained_inbox_ends() {
        let (out, mut inbox) = mailbox(QueueLimits { max_records: 8, max_bytes: 1 << 20 });
        out.push(delivery(1)).unwrap();
        inbox.close();
        assert!(inbox.recv().await.is_some());
        assert!(inbox.recv().await.is_none());
    }

    #[test]
    fn a_drained_burst_gives_its_storage_back() {
        let (out, mut inbox) = mailbox(QueueLimits { max_records: 1000, max_bytes: 1 << 20 });
        for _ in 0..500 {
            out.push(delivery(1)).unwrap();
        }
        while inbox.try_recv().is_some() {}
        assert!(out.shared.lock().items.capacity() <= KEEP_CAPACITY);
    }
}
