//! The USP WebSocket MTP (TR-369 §WebSocket): usphub is the server that agents and controllers
//! both connect to as clients.
//!
//! - [`handshake`]: the opening handshake as pure functions (subprotocol, endpoint ID).
//! - [`upgrade`]: reading the HTTP request head off the socket.
//! - [`codec`]: RFC 6455 framing as a pure state machine (client frames in, server headers out).
//! - [`session`]: one connection's loop (Records, pings, idle timeout, close codes).
//! - [`bytestream`]: the connection as a byte stream, for MQTT over WebSocket.
//! - this file: the listener that ties them to the router.

pub mod bytestream;
pub mod codec;
pub mod handshake;
mod prefixed;
pub mod session;
pub mod upgrade;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::time::timeout;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{debug, info};

use crate::config::WsConfig;
use crate::mtp::mqtt::connection::Shared as MqttShared;
use crate::net::{Listener, ListenerLimits, Stream};
use crate::router::Router;
use crate::usp::Mtp;
use handshake::{HandshakePolicy, Negotiated, Refusal};
use session::SessionTimers;

/// Settings shared by every connection of the listener.
struct Settings {
    policy: HandshakePolicy,
    auth: Arc<crate::auth::Authenticator>,
    /// The broker behind MQTT over WebSocket, when the MQTT MTP runs.
    mqtt: Option<Arc<MqttShared>>,
    /// Largest message accepted (a Record, or a run of MQTT bytes).
    max_message: usize,
    timers: SessionTimers,
    handshake_timeout: Duration,
}

/// The bound WebSocket listener.
pub struct WsListener {
    listener: Listener,
    settings: Arc<Settings>,
}

impl WsListener {
    /// Binds the listener; with `mqtt` (the broker and the path to serve it on), MQTT over
    /// WebSocket is served beside USP.
    pub async fn bind(
        addr: &str,
        config: &WsConfig,
        auth: Arc<crate::auth::Authenticator>,
        mqtt: Option<(Arc<MqttShared>, String)>,
    ) -> anyhow::Result<Self> {
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
        let settings = Arc::new(Settings {
            policy: HandshakePolicy {
                path: config.path.clone(),
                server_eid: config.server_eid.clone(),
                mqtt_path: mqtt.as_ref().map(|(_, path)| path.clone()),
            },
            auth,
            mqtt: mqtt.map(|(shared, _)| shared),
            max_message: config.max_record_size,
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
    // The handshake (and all of an MQTT connection) runs in a box of its own: a task is as
    // large as its largest state for as long as it lives, and both are larger than an idle USP
    // session, which is most of a fleet.
    let opening = Box::pin(handshake(stream, peer, &settings, &shutdown));
    let Some((stream, negotiated)) = opening.await else { return };
    info!(eid = %negotiated.eid, %peer, "websocket endpoint connected");
    let session = router.attach(negotiated.eid.clone(), Mtp::WebSocket, peer.to_string());
    session::run(stream, settings.max_message, session, settings.timers, shutdown).await;
    info!(eid = %negotiated.eid, %peer, "websocket endpoint disconnected");
}

/// Opens the connection: the USP stream and what was negotiated, or `None` once a refused,
/// failed or MQTT connection is over.
async fn handshake(
    mut stream: Stream,
    peer: SocketAddr,
    settings: &Settings,
    shutdown: &CancellationToken,
) -> Option<(prefixed::Prefixed<Stream>, Negotiated)> {
    let opened = timeout(settings.handshake_timeout, open(&mut stream, &settings.policy, &settings.auth)).await;
    match opened {
        Ok(Ok((Opened::Usp(negotiated), rest))) => Some((prefixed::Prefixed::new(stream, rest), negotiated)),
        Ok(Ok((Opened::Mqtt, rest))) => {
            let mqtt = settings.mqtt.clone()?;
            let ws = bytestream::WsByteStream::new(stream, rest, settings.max_message);
            let allowed = mqtt.rate.allow(peer.ip(), std::time::Instant::now());
            crate::mtp::mqtt::connection::serve(ws, peer, mqtt, shutdown.clone(), allowed).await;
            None
        }
        Ok(Err(Some(refusal))) => {
            debug!(%peer, %refusal, "websocket handshake refused");
            let _ = timeout(settings.handshake_timeout, async {
                stream.write_all(refusal.response().as_bytes()).await?;
                stream.shutdown().await
            })
            .await;
            None
        }
        Ok(Err(None)) => None,
        Err(_) => {
            debug!(%peer, "websocket handshake timed out");
            None
        }
    }
}

/// HTTP Basic against the credentials file, binding the user to the endpoint it claims. A
/// first login costs a PBKDF2 verification, so it runs on the blocking pool.
async fn authenticate(
    auth: &Arc<crate::auth::Authenticator>,
    credentials: Option<(String, Vec<u8>)>,
    eid: &str,
) -> Result<(), Refusal> {
    let (user, password) = match credentials {
        Some((u, p)) => (Some(u), Some(p)),
        None => (None, None),
    };
    let check = {
        let (auth, eid) = (auth.clone(), eid.to_owned());
        move || auth.check(user.as_deref(), password.as_deref(), Some(&eid))
    };
    let verdict = if auth.is_open() {
        check()
    } else {
        tokio::task::spawn_blocking(check).await.unwrap_or(Err(crate::auth::Denied::BadCredentials))
    };
    verdict.map_err(Refusal::Unauthorized)
}

/// Which protocol a connection opened.
enum Opened {
    Usp(Negotiated),
    Mqtt,
}

/// Reads and checks the upgrade request and sends the 101. `Err(None)`: the peer went away.
async fn open(
    stream: &mut Stream,
    policy: &HandshakePolicy,
    auth: &Arc<crate::auth::Authenticator>,
) -> Result<(Opened, bytes::BytesMut), Option<Refusal>> {
    let (request, rest) = upgrade::read_head(stream).await.map_err(|e| match e {
        upgrade::HeadError::Gone => None,
        upgrade::HeadError::Refused(r) => Some(r),
    })?;
    let accept = handshake::check_upgrade(&request)?;
    let (opened, response) = if handshake::is_mqtt(&request, policy) {
        let subprotocol = handshake::negotiate_mqtt(&request)?;
        (Opened::Mqtt, handshake::switching_to_mqtt(&accept, subprotocol))
    } else {
        let negotiated = handshake::negotiate(&request, policy)?;
        authenticate(auth, handshake::basic_credentials(&request), negotiated.eid.as_str()).await?;
        let response = handshake::switching_protocols(&accept, &negotiated, policy);
        (Opened::Usp(negotiated), response)
    };
    stream.write_all(response.as_bytes()).await.map_err(|_| None)?;
    stream.flush().await.map_err(|_| None)?;
    Ok((opened, rest))
}
