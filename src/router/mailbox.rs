//! The bounded outbound queue of one session.
//!
//! Bounded twice, by records and by bytes, because either alone lets memory grow: 1,024 slots
//! of 5 MiB Records is 5 GiB. A full queue refuses the newest Record at once, so the sender is
//! never stalled by a slow receiver and a fast receiver never waits behind a slow one. The
//! writer side is a plain channel, so a session's writer loop sleeps until there is work.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering::Relaxed},
};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::usp::EndpointId;

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
struct Depth {
    records: AtomicUsize,
    bytes: AtomicUsize,
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
    tx: mpsc::UnboundedSender<Delivery>,
    depth: Arc<Depth>,
    limits: QueueLimits,
}

/// The receiving side, owned by the session's writer.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Delivery>,
    depth: Arc<Depth>,
}

pub fn mailbox(limits: QueueLimits) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let depth = Arc::new(Depth::default());
    (Outbox { tx, depth: depth.clone(), limits }, Inbox { rx, depth })
}

impl Outbox {
    pub fn push(&self, d: Delivery) -> Result<(), PushError> {
        let len = d.record.len();
        let queued = self.depth.records.fetch_add(1, Relaxed);
        let bytes = self.depth.bytes.fetch_add(len, Relaxed);
        // One Record always fits an empty queue, whatever its size: the size cap is the MTP's.
        let over = queued >= self.limits.max_records
            || (queued > 0 && bytes + len > self.limits.max_bytes);
        if over {
            self.release(len);
            return Err(PushError::Full(d));
        }
        self.tx.send(d).map_err(|e| {
            self.release(len);
            PushError::Closed(e.0)
        })
    }

    /// Records and bytes waiting.
    pub fn depth(&self) -> (usize, usize) {
        (self.depth.records.load(Relaxed), self.depth.bytes.load(Relaxed))
    }

    fn release(&self, len: usize) {
        self.depth.records.fetch_sub(1, Relaxed);
        self.depth.bytes.fetch_sub(len, Relaxed);
    }
}

impl Inbox {
    pub async fn recv(&mut self) -> Option<Delivery> {
        let d = self.rx.recv().await?;
        self.taken(&d);
        Some(d)
    }

    pub fn try_recv(&mut self) -> Option<Delivery> {
        let d = self.rx.try_recv().ok()?;
        self.taken(&d);
        Some(d)
    }

    /// Refuses further pushes; what is queued can still be taken.
    pub fn close(&mut self) {
        self.rx.close();
    }

    fn taken(&self, d: &Delivery) {
        self.depth.records.fetch_sub(1, Relaxed);
        self.depth.bytes.fetch_sub(d.record.len(), Relaxed);
    }
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
}
