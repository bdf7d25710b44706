//! The USP WebSocket MTP (TR-369 §WebSocket): usphub is the server that agents and controllers
//! both connect to as clients.
//!
//! - [`handshake`]: the opening handshake as pure functions (subprotocol, endpoint ID).
//! - [`session`]: one connection's loop (Records, pings, idle timeout, close codes).
//! - this file: the listener that ties them to the router.

pub mod handshake;
pub mod session;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{
    handshake::server::{ErrorResponse, Request, Response},
    protocol::WebSocketConfig,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{debug, info};

use crate::config::WsConfig;
use crate::net::{Listener, ListenerLimits, Stream};
use crate::router::Router;
use crate::usp::Mtp;
use handshake::{HandshakePolicy, Negotiated};
use session::SessionTimers;

/// Settings shared by every connection of the listener.
#[derive(Debug)]
struct Settings {
    policy: HandshakePolicy,
    websocket: WebSocketConfig,
    timers: SessionTimers,
    handshake_timeout: Duration,
}

/// The bound WebSocket listener.
pub struct WsListener {
    listener: Listener,
    settings: Arc<Settings>,
}

impl WsListener {
    pub async fn bind(addr: &str, config: &WsConfig) -> anyhow::Result<Self> {
        let tls = config
            .tls
            .as_ref()
            .map(|t| crate::tls::acceptor(t, &[b"http/1.1"]))
            .transpose()
            .context("ws TLS")?;
        let limits = ListenerLimits {
            max_connections: config.max_connections,
            handshake_timeout: config.handshake_timeout,
        };
        let listener = Listener::bind("ws", addr, tls, limits)
            .await
            .with_context(|| format!("binding the WebSocket listener on {addr}"))?;
        let websocket = WebSocketConfig::default()
            .max_message_size(Some(config.max_record_size))
            .max_frame_size(Some(config.max_record_size))
            // Small until a connection is busy: idle connections are most of a fleet.
            .read_buffer_size(8 * 1024)
            .write_buffer_size(64 * 1024);
        let settings = Arc::new(Settings {
            policy: HandshakePolicy { path: config.path.clone(), server_eid: config.server_eid.clone() },
            websocket,
            timers: SessionTimers {
                ping_interval: config.ping_interval,
                idle_timeout: config.idle_timeout,
                write_timeout: config.write_timeout,
            },
            handshake_timeout: config.handshake_timeout,
        });
        Ok(Self { listener, settings })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run(self, router: Router, shutdown: CancellationToken, tracker: TaskTracker) {
        let settings = self.settings;
        let conn_shutdown = shutdown.clone();
        self.listener
            .run(shutdown, tracker, move |stream, peer| {
                serve(stream, peer, router.clone(), settings.clone(), conn_shutdown.clone())
            })
            .await;
    }
}

async fn serve(stream: Stream, peer: SocketAddr, router: Router, settings: Arc<Settings>, shutdown: CancellationToken) {
    let mut negotiated: Option<Negotiated> = None;
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        match handshake::negotiate(req, &settings.policy) {
            Ok(n) => {
                let resp = handshake::answer(resp, &n, &settings.policy);
                negotiated = Some(n);
                Ok(resp)
            }
            Err(refusal) => {
                debug!(%peer, %refusal, "websocket handshake refused");
                Err(refusal.into_response())
            }
        }
    };
    let accept = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(settings.websocket));
    let ws = match timeout(settings.handshake_timeout, accept).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            debug!(%peer, error = %e, "websocket handshake failed");
            return;
        }
        Err(_) => {
            debug!(%peer, "websocket handshake timed out");
            return;
        }
    };
    let Some(negotiated) = negotiated else { return };
    info!(eid = %negotiated.eid, %peer, "websocket endpoint connected");
    let session = router.attach(negotiated.eid.clone(), Mtp::WebSocket, peer.to_string());
    session::run(ws, session, settings.timers, shutdown).await;
    info!(eid = %negotiated.eid, %peer, "websocket endpoint disconnected");
}
