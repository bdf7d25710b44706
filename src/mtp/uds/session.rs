//! One UDS connection, from the client's handshake to the close.
//!
//! One task runs it with `select!` over shutdown, replacement, outbound Records, input and the
//! handshake deadline. Before the handshake (R-UDS.16) the connection is not attached to the
//! router: Records are ignored (R-UDS.20) and nothing can be delivered to it. The client's
//! Handshake TLV names its endpoint; the hub answers with its own (R-UDS.17) and attaches.
//! Every TLV is then handled on its own (a frame may carry several): Records are routed, a
//! repeated Handshake is ignored (R-UDS.19), an Error TLV closes (R-UDS.25), unknown types are
//! skipped (R-UDS.15). A frame that cannot be decoded, or a Record that cannot be parsed, gets
//! an Error TLV and the connection is closed (R-UDS.23/24).

use std::{future::pending, sync::Arc, time::Duration};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::codec::Tlv;
use super::conn::{Conn, drop_reason};
use crate::router::{Delivery, DropReason, Router, Session};
use crate::usp::{EndpointId, Mtp};

/// Records written per flush at most, so one busy receiver still yields to its reads.
const WRITE_BATCH: usize = 64;

/// What every connection of the listener shares.
#[derive(Debug, Clone)]
pub struct UdsParams {
    /// Our Handshake TLV (R-UDS.17).
    pub server_eid: Arc<str>,
    pub handshake_timeout: Duration,
}

/// Why the session ends, and what the peer is told.
enum Ending {
    /// An Error TLV with this text, then close.
    Error(String),
    /// Close without a word (the peer sent an Error TLV).
    Close,
    /// The connection is already gone.
    Gone,
}

struct UdsSession<S> {
    conn: Conn<S>,
    router: Router,
    params: UdsParams,
    peer: String,
    /// `None` until the client's handshake.
    session: Option<Session>,
    /// The session's replacement token; a token nobody cancels before the handshake.
    replaced: CancellationToken,
}

pub async fn run<S>(conn: Conn<S>, router: Router, params: UdsParams, peer: String, shutdown: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut this = UdsSession { conn, router, params, peer, session: None, replaced: CancellationToken::new() };
    let ending = this.serve(shutdown).await;
    let eid = this.session.as_ref().map(|s| s.eid().clone());
    match ending {
        Ending::Error(text) => {
            debug!(?eid, peer = %this.peer, %text, "sending an Error TLV and closing");
            this.conn.fail(&text).await;
        }
        Ending::Close => this.conn.close().await,
        Ending::Gone => {}
    }
    if let Some(eid) = eid {
        info!(%eid, peer = %this.peer, "uds endpoint disconnected");
    }
    // Dropping `this.session` detaches it and re-routes anything still queued.
}

impl<S: AsyncRead + AsyncWrite + Unpin> UdsSession<S> {
    async fn serve(&mut self, shutdown: CancellationToken) -> Ending {
        let handshake_deadline = sleep(self.params.handshake_timeout);
        tokio::pin!(handshake_deadline);
        loop {
            let replaced = self.replaced.clone();
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    // Write out what is already queued for this endpoint, then say why we go.
                    if let Some(session) = &mut self.session {
                        while let Some(d) = session.try_recv() {
                            if self.conn.queue_record(d.record).is_err() {
                                break;
                            }
                        }
                    }
                    return Ending::Error("server shutting down".into());
                }
                _ = replaced.cancelled() => {
                    return Ending::Error("replaced by a newer session of this endpoint".into());
                }
                Some(first) = next_delivery(&mut self.session) => {
                    if let Some(ending) = self.write_batch(first).await {
                        return ending;
                    }
                }
                read = self.conn.read_more() => match read {
                    Ok(0) => return self.at_eof(),
                    Ok(_) => {
                        if let Some(ending) = self.process_input().await {
                            return ending;
                        }
                    }
                    Err(e) => {
                        debug!(peer = %self.peer, error = %e, "read failed");
                        return Ending::Gone;
                    }
                },
                _ = &mut handshake_deadline, if self.session.is_none() => {
                    info!(peer = %self.peer, timeout = ?self.params.handshake_timeout, "no uds handshake in time");
                    return Ending::Error(format!(
                        "no handshake within {} s", self.params.handshake_timeout.as_secs_f64()
                    ));
                }
            }
        }
    }

    async fn write_batch(&mut self, first: Delivery) -> Option<Ending> {
        let session = self.session.as_mut()?;
        let mut next = Some(first);
        for _ in 0..WRITE_BATCH {
            let Some(d) = next.take().or_else(|| session.try_recv()) else { break };
            if let Err(e) = self.conn.queue_record(d.record) {
                // Only a Record over 4 GiB, which no listener accepts.
                debug!(eid = %session.eid(), error = %e, "record too large for UDS framing; dropped");
                session.count_drop(DropReason::Oversize);
            }
        }
        match self.conn.flush().await {
            Ok(()) => None,
            Err(e) => {
                debug!(peer = %self.peer, error = %e, "write failed");
                Some(Ending::Gone)
            }
        }
    }

    /// Handles every complete frame in the read buffer, then writes what that queued.
    async fn process_input(&mut self) -> Option<Ending> {
        loop {
            match self.conn.decode() {
                Ok(None) => break,
                Ok(Some(frame)) => {
                    for tlv in frame.tlvs {
                        if let Some(ending) = self.on_tlv(tlv) {
                            return Some(ending);
                        }
                    }
                }
                Err(e) => {
                    self.router.count_drop(drop_reason(&e));
                    info!(peer = %self.peer, error = %e, "bad uds frame; sending an Error TLV");
                    return Some(Ending::Error(e.to_string()));
                }
            }
        }
        if self.conn.has_output() {
            if let Err(e) = self.conn.flush().await {
                debug!(peer = %self.peer, error = %e, "write failed");
                return Some(Ending::Gone);
            }
        }
        None
    }

    fn at_eof(&mut self) -> Ending {
        match self.conn.decode_eof() {
            Err(e) => {
                self.router.count_drop(drop_reason(&e));
                Ending::Error(e.to_string())
            }
            Ok(_) => Ending::Gone,
        }
    }

    fn on_tlv(&mut self, tlv: Tlv) -> Option<Ending> {
        match (tlv, &self.session) {
            (Tlv::Handshake(claimed), None) => self.on_handshake(&claimed),
            (Tlv::Handshake(claimed), Some(session)) => {
                debug!(eid = %session.eid(), %claimed, "repeated handshake ignored (R-UDS.19)");
                None
            }
            (Tlv::Record(record), Some(session)) => match session.ingress(record) {
                Ok(_) => None,
                Err(e) => {
                    info!(eid = %session.eid(), error = %e, "record refused; sending an Error TLV");
                    Some(Ending::Error(e.to_string()))
                }
            },
            (Tlv::Record(_), None) => {
                debug!(peer = %self.peer, "record before the handshake ignored (R-UDS.20)");
                None
            }
            (Tlv::Error(text), _) => {
                info!(peer = %self.peer, %text, "peer sent an Error TLV; closing (R-UDS.25)");
                Some(Ending::Close)
            }
            (Tlv::Unknown { tlv_type, .. }, _) => {
                debug!(peer = %self.peer, tlv_type, "unknown TLV ignored (R-UDS.15)");
                None
            }
        }
    }

    /// The client's Handshake TLV: answer with ours and attach (R-UDS.16/17), or refuse with an
    /// Error TLV when its endpoint ID is unusable (R-UDS.21).
    fn on_handshake(&mut self, claimed: &str) -> Option<Ending> {
        let eid = match EndpointId::new(claimed) {
            Ok(eid) => eid,
            Err(e) => {
                info!(peer = %self.peer, error = %e, "uds handshake refused");
                return Some(Ending::Error(format!("handshake refused: {e}")));
            }
        };
        if let Err(e) = self.conn.queue_handshake(&self.params.server_eid) {
            return Some(Ending::Error(e.to_string()));
        }
        info!(%eid, peer = %self.peer, "uds endpoint connected");
        let session = self.router.attach(eid, Mtp::Uds, self.peer.clone());
        self.replaced = session.replaced();
        self.session = Some(session);
        None
    }
}

/// The next Record for the endpoint, or never before the handshake.
async fn next_delivery(session: &mut Option<Session>) -> Option<Delivery> {
    match session {
        Some(session) => session.recv().await,
        None => pending().await,
    }
}
