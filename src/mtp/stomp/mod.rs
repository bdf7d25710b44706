//! The USP STOMP MTP (TR-369 §STOMP, STOMP 1.2 only): usphub is the STOMP server that agents and
//! controllers connect to as clients (R-STOMP.33).
//!
//! - [`codec`]: the STOMP 1.2 frame codec over `bytes`, with limits, and heart-beat negotiation.
//! - [`connect`]: judging STOMP/CONNECT and writing CONNECTED, as pure functions.
//! - [`conversation`]: what a connected client may do (SUBSCRIBE, SEND, …), as pure rules.
//! - [`message`]: MESSAGE heads written without copying the Record.
//! - [`conn`]: the shared framed connection (`crate::net::FramedConn`) with what STOMP writes.
//! - [`session`]: one connection's loop (Records, heart-beats, ERROR and close).
//! - this file: the listener that ties them to the router.

pub mod codec;
pub mod conn;
pub mod connect;
pub mod conversation;
pub mod message;
pub mod session;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::time::timeout;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{debug, info};

use crate::auth::Authenticator;
use crate::config::StompConfig;
use crate::net::{Listener, ListenerLimits, Stream};
use crate::router::Router;
use crate::usp::Mtp;
use codec::{DecoderLimits, HeartBeat};
use conn::{ReadError, describe};
use connect::ConnectPolicy;
use conversation::Conversation;
use session::SessionParams;

/// Settings shared by every connection of the listener.
struct Settings {
    policy: ConnectPolicy,
    auth: Arc<Authenticator>,
    limits: DecoderLimits,
    grace_factor: f64,
    handshake_timeout: Duration,
    write_timeout: Duration,
}

/// The bound STOMP listener.
pub struct StompListener {
    listener: Listener,
    settings: Settings,
}

impl StompListener {
    /// `auth` is the hub's authentication policy, shared with MQTT (`[auth]`, R-STOMP.34/35).
    pub async fn bind(addr: &str, config: &StompConfig, auth: Arc<Authenticator>) -> anyhow::Result<Self> {
        let tls = config.tls.as_ref().map(|t| crate::tls::acceptor(t, &[])).transpose().context("stomp TLS")?;
        let limits = ListenerLimits {
            max_connections: config.max_connections,
            handshake_timeout: config.handshake_timeout,
        };
        let listener = Listener::bind("stomp", addr, tls, limits)
            .await
            .with_context(|| format!("binding the STOMP listener on {addr}"))?;
        let settings = Settings {
            policy: ConnectPolicy {
                virtual_host: config.virtual_host.clone(),
                destination_prefix: config.destination_prefix.clone(),
                heartbeat: HeartBeat {
                    can_send_ms: millis(config.heartbeat_send),
                    wants_receive_ms: millis(config.heartbeat_receive),
                },
            },
            auth,
            limits: DecoderLimits {
                max_frame_size: config.max_frame_size,
                max_headers: config.max_headers,
                max_header_line: config.max_header_size,
                max_body_size: config.max_record_size,
            },
            grace_factor: config.heartbeat_grace_factor,
            handshake_timeout: config.handshake_timeout,
            write_timeout: config.write_timeout,
        };
        Ok(Self { listener, settings })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run(self, router: Router, shutdown: CancellationToken, tracker: TaskTracker) {
        let settings = Arc::new(self.settings);
        let conn_shutdown = shutdown.clone();
        self.listener
            .run(shutdown, tracker, move |stream, peer| {
                serve(stream, peer, router.clone(), settings.clone(), conn_shutdown.clone())
            })
            .await;
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

async fn serve(stream: Stream, peer: SocketAddr, router: Router, settings: Arc<Settings>, shutdown: CancellationToken) {
    let mut conn = conn::open(stream, settings.limits, settings.write_timeout);
    // The listener's own timeout covered TLS; this one covers the STOMP/CONNECT frame.
    let first = tokio::select! {
        _ = shutdown.cancelled() => return,
        first = timeout(settings.handshake_timeout, conn.read_frame()) => first,
    };
    let frame = match first {
        Ok(Ok(Some(frame))) => frame,
        Ok(Ok(None)) => return,
        Ok(Err(ReadError::Malformed(e))) => {
            let (reason, message) = describe(&e);
            router.count_drop(reason);
            debug!(%peer, error = %e, "bad first STOMP frame");
            conn.fail(&message, None).await;
            return;
        }
        Ok(Err(ReadError::Io(e))) => {
            debug!(%peer, error = %e, "read failed before CONNECT");
            return;
        }
        Err(_) => {
            debug!(%peer, "no STOMP/CONNECT frame in time");
            conn.fail("no STOMP or CONNECT frame in time", None).await;
            return;
        }
    };
    let accepted = match accept(frame, &settings).await {
        Ok(accepted) => accepted,
        Err(refusal) => {
            info!(%peer, %refusal, "stomp connection refused");
            conn.fail_with(refusal.error_frame()).await;
            return;
        }
    };
    conn.queue(&connect::connected_frame(&accepted));
    if let Err(e) = conn.flush().await {
        debug!(%peer, error = %e, "could not send CONNECTED");
        return;
    }
    let eid = accepted.eid.clone();
    info!(%eid, %peer, heartbeats = ?accepted.heartbeats, "stomp endpoint connected");
    let session = router.attach(eid.clone(), Mtp::Stomp, peer.to_string());
    let params = SessionParams {
        destination_prefix: settings.policy.destination_prefix.clone(),
        heartbeats: accepted.heartbeats,
        grace_factor: settings.grace_factor,
    };
    session::run(conn, session, Conversation::new(accepted.destination), params, shutdown).await;
    info!(%eid, %peer, "stomp endpoint disconnected");
}

/// Judges the opening frame. A `login` means a password check, which may cost milliseconds of
/// PBKDF2 the first time: that runs on the blocking pool, not on the connection threads.
async fn accept(frame: codec::Frame, settings: &Arc<Settings>) -> Result<connect::Accepted, connect::Refusal> {
    if settings.auth.is_open() || frame.headers.get("login").is_none() {
        return connect::accept(&frame, &settings.policy, &settings.auth);
    }
    let settings = settings.clone();
    match tokio::task::spawn_blocking(move || connect::accept(&frame, &settings.policy, &settings.auth)).await {
        Ok(judged) => judged,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(connect::Refusal::ShuttingDown),
    }
}
