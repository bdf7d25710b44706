//! The router's side of one MTP connection: how a session hands Records in and takes them out.

use std::sync::{Arc, atomic::Ordering::Relaxed};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::{Delivery, DropReason, Outcome, Router, SessionInfo, mailbox::Inbox};
use crate::usp::{EndpointId, HeaderError, RecordHeader, RecordKind};

/// Why a Record from a session was not routed. Each closes the offending connection with the
/// MTP's own error.
#[derive(Debug, thiserror::Error)]
pub enum IngressError {
    #[error("record cannot be parsed: {0}")]
    Malformed(#[from] HeaderError),
    #[error("from_id {claimed:?} is not this connection's endpoint ID")]
    ForgedFromId { claimed: String },
}

/// What the router did with one Record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routed {
    pub kind: RecordKind,
    pub outcome: Outcome,
}

/// An attached endpoint. Dropping it detaches the endpoint; Records still queued for it are
/// routed again, to a newer session of the same endpoint or into the offline hold, so a
/// reconnect loses only what was already written to the old socket.
pub struct Session {
    router: Router,
    conn: u64,
    info: Arc<SessionInfo>,
    inbox: Inbox,
    replaced: CancellationToken,
}

impl Session {
    pub(super) fn new(
        router: Router,
        conn: u64,
        info: Arc<SessionInfo>,
        inbox: Inbox,
        replaced: CancellationToken,
    ) -> Self {
        Self { router, conn, info, inbox, replaced }
    }

    pub fn eid(&self) -> &EndpointId {
        &self.info.eid
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Routes one Record read from this session's connection. The bytes are forwarded as they
    /// are; only the header is read.
    pub fn ingress(&self, record: Bytes) -> Result<Routed, IngressError> {
        let metrics = self.router.metrics();
        let header = match RecordHeader::parse(&record) {
            Ok(h) => h,
            Err(e) => {
                metrics.drop(DropReason::Malformed, 1);
                return Err(e.into());
            }
        };
        if header.from_id != self.info.eid.as_str() {
            metrics.drop(DropReason::ForgedFromId, 1);
            return Err(IngressError::ForgedFromId { claimed: header.from_id.to_owned() });
        }
        let len = record.len() as u64;
        let counters = metrics.mtp(self.info.mtp);
        counters.records_in.fetch_add(1, Relaxed);
        counters.bytes_in.fetch_add(len, Relaxed);
        self.info.stats.records_in.fetch_add(1, Relaxed);
        self.info.stats.bytes_in.fetch_add(len, Relaxed);
        let kind = header.kind;
        let delivery = Delivery { from: self.info.eid.clone(), record: record.clone() };
        let outcome = self.router.deliver(header.to_id, delivery);
        Ok(Routed { kind, outcome })
    }

    /// The next Record to write to this session's peer.
    pub async fn recv(&mut self) -> Option<Delivery> {
        let d = self.inbox.recv().await?;
        self.count_out(&d);
        Some(d)
    }

    /// The next Record if one is queued: lets a writer batch several into one flush.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        let d = self.inbox.try_recv()?;
        self.count_out(&d);
        Some(d)
    }

    /// Cancelled when a newer session of the same endpoint has attached. A token rather than a
    /// future, so a select loop can wait on it while also calling [`Session::recv`].
    pub fn replaced(&self) -> CancellationToken {
        self.replaced.clone()
    }

    pub fn is_replaced(&self) -> bool {
        self.replaced.is_cancelled()
    }

    /// Counts a Record this session refused before routing (oversize, unparsable).
    pub fn count_drop(&self, reason: DropReason) {
        self.router.count_drop(reason);
    }

    fn count_out(&self, d: &Delivery) {
        let len = d.record.len() as u64;
        let counters = self.router.metrics().mtp(self.info.mtp);
        counters.records_out.fetch_add(1, Relaxed);
        counters.bytes_out.fetch_add(len, Relaxed);
        self.info.stats.records_out.fetch_add(1, Relaxed);
        self.info.stats.bytes_out.fetch_add(len, Relaxed);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.router.detach(&self.info, self.conn);
        self.inbox.close();
        while let Some(d) = self.inbox.try_recv() {
            self.router.deliver(self.info.eid.as_str(), d);
        }
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("eid", &self.info.eid)
            .field("mtp", &self.info.mtp)
            .field("conn", &self.conn)
            .finish()
    }
}
