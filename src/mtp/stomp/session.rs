//! One STOMP connection after CONNECTED: frames in, MESSAGEs out, heart-beats both ways.
//!
//! One task runs the whole connection with `select!`, so reading, writing, heart-beats,
//! replacement and shutdown never race each other for the socket. Records for the endpoint
//! stay in its router queue until it has SUBSCRIBEd (and while it is unsubscribed), so nothing
//! is lost between CONNECTED and SUBSCRIBE. Every fatal problem ends in an ERROR frame whose
//! `message` says what was wrong, then a close (R-STOMP.7); other connections are unaffected.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::codec::{Command, Frame, HeartBeatIntervals, Item};
use super::conn::{Conn, describe};
use super::conversation::{Conversation, Step, announced_destination};
use crate::router::{DropReason, IngressError, Session};
use crate::usp::RecordKind;

/// Records written per flush at most, so one busy receiver still yields to its reads.
const WRITE_BATCH: usize = 64;
/// Stands in for "never" on a disabled timer.
const NEVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// What the session needs beyond its connection.
#[derive(Debug, Clone)]
pub struct SessionParams {
    /// The destination prefix: `reply-to-dest` is `<prefix>/<sender eid>`.
    pub destination_prefix: String,
    pub heartbeats: HeartBeatIntervals,
    /// A client silent for this many of its negotiated intervals is dropped.
    pub grace_factor: f64,
}

/// Why the session ends, and what the peer is told.
enum Ending {
    /// ERROR with this message (and the offending frame's receipt), then close.
    Error { message: String, receipt: Option<String> },
    /// DISCONNECT: its RECEIPT is already queued; close quietly.
    Disconnect,
    /// The connection is already gone: nothing to send.
    Gone,
}

impl Ending {
    fn error(message: impl Into<String>) -> Self {
        Ending::Error { message: message.into(), receipt: None }
    }
}

struct StompSession<S> {
    conn: Conn<S>,
    session: Session,
    conversation: Conversation,
    params: SessionParams,
    next_message_id: u64,
    /// When we last wrote: a heart-beat is due one interval after it.
    last_write: Instant,
}

pub async fn run<S>(
    conn: Conn<S>,
    session: Session,
    conversation: Conversation,
    params: SessionParams,
    shutdown: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut this = StompSession { conn, session, conversation, params, next_message_id: 1, last_write: Instant::now() };
    let ending = this.serve(shutdown).await;
    let eid = this.session.eid().clone();
    match ending {
        Ending::Error { message, receipt } => {
            debug!(%eid, %message, "sending ERROR and closing");
            this.conn.fail(&message, receipt.as_deref()).await;
        }
        Ending::Disconnect => this.conn.close().await,
        Ending::Gone => {}
    }
    debug!(%eid, "stomp session ended");
    // Dropping `this.session` detaches it and re-routes anything still queued.
}

impl<S: AsyncRead + AsyncWrite + Unpin> StompSession<S> {
    async fn serve(&mut self, shutdown: CancellationToken) -> Ending {
        let replaced = self.session.replaced();
        // R-STOMP.8–11 / STOMP 1.2 §Heart-beating: anything received proves the client alive;
        // we send an EOL whenever we have written nothing for our negotiated interval.
        let silence_limit = self.params.heartbeats.client_to_server().map(|d| d.mul_f64(self.params.grace_factor));
        let heartbeat_every = self.params.heartbeats.server_to_client();
        let silence = sleep(silence_limit.unwrap_or(NEVER));
        let heartbeat_due = sleep(heartbeat_every.unwrap_or(NEVER));
        tokio::pin!(silence, heartbeat_due);

        // Frames pipelined behind STOMP/CONNECT are already buffered.
        if let Some(ending) = self.process_input().await {
            return ending;
        }
        loop {
            if let Some(every) = heartbeat_every {
                heartbeat_due.as_mut().reset(self.last_write + every);
            }
            let subscribed = self.conversation.subscription().is_some();
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => {
                    // Write out what is already queued for this client, then say why we go.
                    if subscribed {
                        while let Some(d) = self.session.try_recv() {
                            self.queue_message(d);
                        }
                    }
                    return Ending::error("server shutting down");
                }
                _ = replaced.cancelled() => {
                    return Ending::error("replaced by a newer session of this endpoint");
                }
                Some(first) = self.session.recv(), if subscribed => {
                    self.queue_message(first);
                    for _ in 1..WRITE_BATCH {
                        let Some(d) = self.session.try_recv() else { break };
                        self.queue_message(d);
                    }
                    if let Err(e) = self.flush().await {
                        debug!(eid = %self.session.eid(), error = %e, "write failed");
                        return Ending::Gone;
                    }
                }
                read = self.conn.read_more() => {
                    match read {
                        Ok(0) => return self.at_eof(),
                        Ok(_) => {}
                        Err(e) => {
                            debug!(eid = %self.session.eid(), error = %e, "read failed");
                            return Ending::Gone;
                        }
                    }
                    if let Some(limit) = silence_limit {
                        silence.as_mut().reset(Instant::now() + limit);
                    }
                    if let Some(ending) = self.process_input().await {
                        return ending;
                    }
                }
                _ = &mut silence, if silence_limit.is_some() => {
                    let limit = silence_limit.unwrap_or(NEVER);
                    info!(eid = %self.session.eid(), ?limit, "stomp client silent past its heart-beat; dropping");
                    return Ending::error(format!("no frame or heart-beat received for {} ms", limit.as_millis()));
                }
                _ = &mut heartbeat_due, if heartbeat_every.is_some() => {
                    self.conn.queue_heartbeat();
                    if self.flush().await.is_err() {
                        return Ending::Gone;
                    }
                }
            }
        }
    }

    async fn flush(&mut self) -> Result<(), super::conn::WriteError> {
        self.conn.flush().await?;
        self.last_write = Instant::now();
        Ok(())
    }

    /// Handles every complete frame in the read buffer, then writes the receipts they asked for.
    async fn process_input(&mut self) -> Option<Ending> {
        loop {
            match self.conn.decode() {
                Ok(None) => break,
                Ok(Some(Item::Heartbeat)) => {}
                Ok(Some(Item::Frame(frame))) => {
                    if let Some(ending) = self.on_frame(frame) {
                        return Some(ending);
                    }
                }
                Err(e) => {
                    let (reason, message) = describe(&e);
                    self.session.count_drop(reason);
                    info!(eid = %self.session.eid(), error = %e, "bad STOMP frame; sending ERROR");
                    return Some(Ending::error(message));
                }
            }
        }
        if self.conn.has_output() {
            if let Err(e) = self.flush().await {
                debug!(eid = %self.session.eid(), error = %e, "write failed");
                return Some(Ending::Gone);
            }
        }
        None
    }

    /// The peer closed its side: fine between frames, a malformed frame in the middle of one.
    fn at_eof(&mut self) -> Ending {
        match self.conn.decode_eof() {
            Err(e) => {
                let (reason, message) = describe(&e);
                self.session.count_drop(reason);
                Ending::error(message)
            }
            Ok(_) => Ending::Gone,
        }
    }

    fn on_frame(&mut self, frame: Frame) -> Option<Ending> {
        let receipt = frame.headers.get("receipt").map(str::to_owned);
        let command = frame.command;
        let step = match self.conversation.on_frame(frame) {
            Ok(step) => step,
            Err(violation) => {
                if command == Command::Send {
                    self.session.count_drop(DropReason::Malformed);
                }
                info!(eid = %self.session.eid(), %violation, "STOMP protocol violation; sending ERROR");
                return Some(Ending::Error { message: violation.to_string(), receipt });
            }
        };
        match step {
            Step::Route(record) => {
                if let Err(e) = self.route(record) {
                    info!(eid = %self.session.eid(), error = %e, "record refused; sending ERROR");
                    return Some(Ending::Error { message: e.to_string(), receipt });
                }
            }
            Step::Subscribed | Step::Unsubscribed => {
                let destination = self.conversation.subscription().map(|s| s.destination().to_owned());
                debug!(eid = %self.session.eid(), ?destination, "stomp subscription changed");
            }
            Step::Nothing => {}
            Step::Disconnect => {
                if let Some(id) = &receipt {
                    self.conn.queue_receipt(id);
                }
                return Some(Ending::Disconnect);
            }
        }
        if let Some(id) = &receipt {
            self.conn.queue_receipt(id);
        }
        None
    }

    /// Routes a SEND body by its Record's `to_id`, whatever the SEND's destination was. A
    /// STOMPConnect Record also tells us where the sender receives (R-MTP.6).
    fn route(&mut self, record: bytes::Bytes) -> Result<(), IngressError> {
        let routed = self.session.ingress(record.clone())?;
        if routed.kind == RecordKind::StompConnect {
            if let Some(destination) = announced_destination(&record) {
                debug!(
                    eid = %self.session.eid(),
                    %destination,
                    reply_to_dest = ?self.conversation.reply_to_dest(),
                    "STOMPConnect record: endpoint announced its destination"
                );
                self.conversation.announce(destination);
            }
        }
        Ok(())
    }

    fn queue_message(&mut self, delivery: crate::router::Delivery) {
        let Some(subscription) = self.conversation.subscription() else { return };
        let id = self.next_message_id;
        self.next_message_id += 1;
        subscription.queue_message(self.conn.out(), id, &self.params.destination_prefix, delivery);
    }
}
