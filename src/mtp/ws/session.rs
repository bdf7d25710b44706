//! One WebSocket connection after the handshake: Records in, Records out, keep-alive, close.
//!
//! One task runs the whole connection with `select!`, so reading, writing, pings, replacement
//! and shutdown never race each other for the socket. Each binary message is one Record
//! (R-WS.14); tungstenite reassembles fragmented ones (R-WS.14b) and answers Pings.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, interval_at, timeout};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Error as WsError, Message,
        error::CapacityError,
        protocol::{CloseFrame, frame::coding::CloseCode},
    },
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::router::{DropReason, IngressError, Session};

/// Timing of one connection.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimers {
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub write_timeout: Duration,
}

/// Records written per flush at most, so one busy receiver still yields to its reads.
const WRITE_BATCH: usize = 64;
/// How long we wait for the peer's Close after sending ours.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Why the session ends, and what it tells the peer.
struct Ending {
    code: CloseCode,
    reason: &'static str,
}

impl Ending {
    fn new(code: CloseCode, reason: &'static str) -> Option<Self> {
        Some(Self { code, reason })
    }
}

pub async fn run<S>(
    mut ws: WebSocketStream<S>,
    mut session: Session,
    timers: SessionTimers,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = Instant::now() + timers.ping_interval;
    let mut ticks = interval_at(start, timers.ping_interval);
    // Whether anything arrived since the last tick. A flag, not a timestamp: reading the clock
    // for every message showed up in profiles, and tick granularity is all the idle check needs.
    let mut heard = false;
    let mut silent_for = Duration::ZERO;
    let eid = session.eid().clone();
    let replaced = session.replaced();

    // `None`: the connection is already gone (I/O error or the peer closed), nothing to send.
    let ending: Option<Ending> = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                // Drain what is already queued for this peer, then say goodbye.
                let pending = std::iter::from_fn(|| session.try_recv()).map(|d| Message::Binary(d.record));
                let mut pending = futures_util::stream::iter(pending.map(Ok));
                let _ = timeout(timers.write_timeout, ws.send_all(&mut pending)).await;
                break Ending::new(CloseCode::Away, "server shutting down");
            }
            _ = replaced.cancelled() => {
                break Ending::new(CloseCode::Normal, "replaced by a newer session of this endpoint");
            }
            Some(first) = session.recv() => {
                let write = async {
                    ws.feed(Message::Binary(first.record)).await?;
                    for _ in 1..WRITE_BATCH {
                        let Some(d) = session.try_recv() else { break };
                        ws.feed(Message::Binary(d.record)).await?;
                    }
                    ws.flush().await
                };
                match timeout(timers.write_timeout, write).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        debug!(%eid, error = %e, "write failed");
                        break None;
                    }
                    Err(_) => break Ending::new(CloseCode::Away, "write timed out"),
                }
            }
            msg = ws.next() => {
                heard = true;
                match msg {
                    Some(Ok(Message::Binary(record))) => match session.ingress(record) {
                        Ok(_) => {}
                        Err(IngressError::Malformed(e)) => {
                            info!(%eid, error = %e, "unparsable record; closing with 1003");
                            break Ending::new(CloseCode::Unsupported, "record cannot be parsed");
                        }
                        Err(e @ IngressError::ForgedFromId { .. }) => {
                            info!(%eid, error = %e, "forged from_id; closing with 1008");
                            break Ending::new(CloseCode::Policy, "from_id does not match the connection's endpoint ID");
                        }
                    },
                    Some(Ok(Message::Text(_))) => {
                        session.count_drop(DropReason::Malformed);
                        break Ending::new(CloseCode::Unsupported, "text messages are not USP records");
                    }
                    Some(Ok(Message::Close(_))) | None => break None,
                    Some(Ok(_)) => {} // Ping (answered by tungstenite), Pong
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                        session.count_drop(DropReason::Oversize);
                        info!(%eid, size, max_size, "record too large; closing with 1009");
                        break Ending::new(CloseCode::Size, "record exceeds the maximum size");
                    }
                    Some(Err(WsError::Capacity(_))) => {
                        session.count_drop(DropReason::Oversize);
                        break Ending::new(CloseCode::Size, "frame exceeds the maximum size");
                    }
                    Some(Err(WsError::Protocol(e))) => {
                        debug!(%eid, error = %e, "WebSocket protocol error");
                        break Ending::new(CloseCode::Protocol, "WebSocket protocol error");
                    }
                    Some(Err(e)) => {
                        debug!(%eid, error = %e, "read failed");
                        break None;
                    }
                }
            }
            _ = ticks.tick() => {
                silent_for = if std::mem::take(&mut heard) { Duration::ZERO } else { silent_for + timers.ping_interval };
                let silent = silent_for;
                if silent >= timers.idle_timeout {
                    break Ending::new(CloseCode::Away, "idle timeout");
                }
                if silent >= timers.ping_interval
                    && timeout(timers.write_timeout, ws.send(Message::Ping(Default::default()))).await.is_err()
                {
                    break Ending::new(CloseCode::Away, "write timed out");
                }
            }
        }
    };

    if let Some(ending) = ending {
        close(&mut ws, ending).await;
    }
    debug!(%eid, "websocket session ended");
    // Dropping `session` detaches it and re-routes anything still queued.
}

/// Sends Close and waits briefly for the peer's, so the code reaches it before the FIN.
async fn close<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>, ending: Ending) {
    let frame = CloseFrame { code: ending.code, reason: ending.reason.into() };
    let _ = timeout(CLOSE_WAIT, async {
        if ws.close(Some(frame)).await.is_ok() {
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
}
