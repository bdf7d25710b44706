//! One WebSocket connection after the handshake: Records in, Records out, keep-alive, close.
//!
//! One task runs the whole connection with `select!`, so reading, writing, pings, replacement
//! and shutdown never race each other for the socket. Framing is [`super::codec`] over a
//! [`FramedConn`]: each binary message is one Record (R-WS.14), split off the read buffer
//! without a copy (fragmented ones, R-WS.14b, are reassembled), and each routed Record goes out
//! as a 2-10 byte header followed by the Record's own `Bytes` in one vectored write. The read
//! buffer and write scratch exist only while there is something to read or write.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, interval_at};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::codec::{CloseCode, DecodeError, Decoder, Incoming, OpCode, encode_close, encode_control, encode_header};
use crate::net::{FramedConn, Segments, WriteError};
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
/// Input handled before the task yields. Tokio's cooperative budget counts reads, not bytes,
/// and one read can be a whole large Record (the decoder makes room for the frame it waits
/// for): without this a fast sender could route hundreds of Records before the receivers'
/// tasks on the same worker run, and overflow their bounded queues.
const YIELD_AFTER: usize = 64 * 1024;

/// Why the session ends, and what it tells the peer.
enum Ending {
    /// We close, with this code and reason.
    Close(CloseCode, &'static str),
    /// The peer closed: echo its code (§5.5.1), or send an empty Close if it gave none.
    Echo(Option<CloseCode>),
    /// The connection is already gone (I/O error or EOF): nothing to send.
    Gone,
}

type Conn<S> = FramedConn<S, Decoder>;

pub async fn run<S>(stream: S, max_record_size: usize, mut session: Session, timers: SessionTimers, shutdown: CancellationToken)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = FramedConn::new(stream, Decoder::new(max_record_size), timers.write_timeout);
    let start = Instant::now() + timers.ping_interval;
    let mut ticks = interval_at(start, timers.ping_interval);
    // Whether anything arrived since the last tick. A flag, not a timestamp: reading the clock
    // for every message showed up in profiles, and tick granularity is all the idle check needs.
    let mut heard = false;
    let mut silent_for = Duration::ZERO;
    let mut unyielded = 0;
    let eid = session.eid().clone();
    let replaced = session.replaced();

    let ending = loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                // Drain what is already queued for this peer, then say goodbye.
                while let Some(d) = session.try_recv() {
                    queue_record(conn.out(), d.record);
                }
                let _ = conn.flush().await;
                break Ending::Close(CloseCode::AWAY, "server shutting down");
            }
            _ = replaced.cancelled() => {
                break Ending::Close(CloseCode::NORMAL, "replaced by a newer session of this endpoint");
            }
            Some(first) = session.recv() => {
                queue_record(conn.out(), first.record);
                for _ in 1..WRITE_BATCH {
                    let Some(d) = session.try_recv() else { break };
                    queue_record(conn.out(), d.record);
                }
                if let Some(ending) = flush(&mut conn, &eid).await {
                    break ending;
                }
            }
            read = conn.read_more() => {
                heard = true;
                match read {
                    Ok(0) | Err(_) => break Ending::Gone,
                    Ok(n) => unyielded += n,
                }
                if let Some(ending) = handle_input(&mut conn, &mut session, &eid) {
                    break ending;
                }
                // Pongs answering the Pings just read.
                if conn.has_output() {
                    if let Some(ending) = flush(&mut conn, &eid).await {
                        break ending;
                    }
                }
                if unyielded >= YIELD_AFTER {
                    unyielded = 0;
                    tokio::task::yield_now().await;
                }
            }
            _ = ticks.tick() => {
                silent_for = if std::mem::take(&mut heard) { Duration::ZERO } else { silent_for + timers.ping_interval };
                if silent_for >= timers.idle_timeout {
                    break Ending::Close(CloseCode::AWAY, "idle timeout");
                }
                if silent_for >= timers.ping_interval {
                    queue_control(conn.out(), OpCode::Ping, &[]);
                    if let Some(ending) = flush(&mut conn, &eid).await {
                        break ending;
                    }
                }
            }
        }
    };

    // Boxed: closing nests two timeouts, and inline it would size the task for its whole life.
    Box::pin(close(&mut conn, ending)).await;
    debug!(%eid, "websocket session ended");
    // Dropping `session` detaches it and re-routes anything still queued.
}

/// Routes every whole message buffered; `Some` when the connection must end.
fn handle_input<S>(conn: &mut Conn<S>, session: &mut Session, eid: &impl std::fmt::Display) -> Option<Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match conn.decode() {
            Ok(None) => return None,
            Ok(Some(Incoming::Binary(record))) => match session.ingress(record) {
                Ok(_) => {}
                Err(IngressError::Malformed(e)) => {
                    info!(%eid, error = %e, "unparsable record; closing with 1003");
                    return Some(Ending::Close(CloseCode::UNSUPPORTED, "record cannot be parsed"));
                }
                Err(e @ IngressError::ForgedFromId { .. }) => {
                    info!(%eid, error = %e, "forged from_id; closing with 1008");
                    return Some(Ending::Close(CloseCode::POLICY, "from_id does not match the connection's endpoint ID"));
                }
            },
            Ok(Some(Incoming::Ping(payload))) => queue_control(conn.out(), OpCode::Pong, &payload),
            Ok(Some(Incoming::Pong(_))) => {}
            Ok(Some(Incoming::Close(frame))) => return Some(Ending::Echo(frame.map(|f| f.code))),
            Err(e) => return Some(refuse(e, session, eid)),
        }
    }
}

/// The close that answers a frame we cannot accept.
fn refuse(e: DecodeError, session: &mut Session, eid: &impl std::fmt::Display) -> Ending {
    let reason = match &e {
        DecodeError::TooBig { size, max } => {
            session.count_drop(DropReason::Oversize);
            info!(%eid, size, max, "record too large; closing with 1009");
            "record exceeds the maximum size"
        }
        DecodeError::Text => {
            session.count_drop(DropReason::Malformed);
            "text messages are not USP records"
        }
        DecodeError::CloseReasonNotUtf8 => "close reason is not UTF-8",
        e => {
            debug!(%eid, error = %e, "WebSocket protocol error");
            "WebSocket protocol error"
        }
    };
    Ending::Close(e.close_code(), reason)
}

/// Queues a Record as a binary frame: our header, then the Record's own bytes.
fn queue_record(out: &mut Segments, record: Bytes) {
    queue(out, |b| encode_header(OpCode::Binary, true, record.len(), b));
    out.push(record);
}

fn queue_control(out: &mut Segments, opcode: OpCode, payload: &[u8]) {
    queue(out, |b| encode_control(opcode, payload, b));
}

fn queue(out: &mut Segments, encode: impl FnOnce(&mut bytes::BytesMut)) {
    let _ = out.push_encoded(|b| {
        encode(b);
        Ok::<_, Infallible>(())
    });
}

/// Writes what is queued; `Some` when the connection must end.
async fn flush<S>(conn: &mut Conn<S>, eid: &impl std::fmt::Display) -> Option<Ending>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match conn.flush().await {
        Ok(()) => None,
        Err(WriteError::TimedOut) => Some(Ending::Close(CloseCode::AWAY, "write timed out")),
        Err(WriteError::Io(e)) => {
            debug!(%eid, error = %e, "write failed");
            Some(Ending::Gone)
        }
    }
}

/// Sends our Close behind anything still queued, then FIN, and drains briefly until the peer
/// closes too, so the code reaches it before the connection is torn down.
async fn close<S>(conn: &mut Conn<S>, ending: Ending)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match ending {
        Ending::Close(code, reason) => queue(conn.out(), |b| encode_close(code, reason, b)),
        Ending::Echo(Some(code)) => queue(conn.out(), |b| encode_close(code, "", b)),
        Ending::Echo(None) => queue_control(conn.out(), OpCode::Close, &[]),
        Ending::Gone => return,
    }
    conn.close().await;
}
