//! One MQTT client connection: CONNECT, then packets both ways until it ends.
//!
//! A single task owns the socket and `select!`s over: bytes from the client, messages queued in
//! its [`MqttSession`] by the broker, Records routed to its endpoint by the router, session
//! takeover, shutdown and the keep-alive deadline. Everything to send is gathered in
//! [`Segments`] and written once per turn of the loop, payloads uncopied.

mod connect;
mod inbound;
mod route;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::time::{sleep_until, timeout};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::broker::{Attached, Broker, Message, MqttSession};
use super::codec::{Decoder, Disconnect, Packet, ProtocolVersion, Publish, ReasonCode, Utf8Bytes};
use super::settings::MqttSettings;
use crate::net::{Segments, read_lazily};
use crate::router::{DropReason, Router};
use connect::Negotiated;
use route::Endpoint;

/// Routed Records taken per turn of the loop at most, so reads still get their turn.
const ROUTED_BATCH: usize = 64;
/// A turn that wrote less than this is a quiet one: the write scratch is given back after it.
const LIGHT_TURN: usize = 512;

/// What every connection of the listener shares.
pub struct Shared {
    pub broker: Broker,
    /// New connections per source address, for the TCP and the WebSocket listener alike.
    pub rate: crate::net::ConnectRate,
    pub auth: Arc<crate::auth::Authenticator>,
    pub router: Router,
    pub settings: MqttSettings,
}

/// Why a connection ends, which decides the last packet and the Will (§3.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// DISCONNECT 0x00 from the client: no Will.
    Normal,
    /// DISCONNECT 0x04, a network error, or a timeout: the Will is published.
    WithWill,
    /// We refuse the client: DISCONNECT with this code (5.0), then close; Will published.
    Refused(ReasonCode),
    /// Another connection took the session or the endpoint (0x8E); Will published.
    TakenOver,
    /// The hub is stopping (0x8B): no Will, the client did nothing wrong.
    Shutdown,
}

struct Connection<S> {
    stream: S,
    peer: SocketAddr,
    buf: BytesMut,
    decoder: Decoder,
    out: Segments,
    n: Negotiated,
    attached: Attached,
    endpoint: Option<Endpoint>,
    /// Topic Aliases the client set (§3.3.2.3.4).
    /// Boxed when first used: most clients never set one.
    aliases: Option<Box<HashMap<u16, Utf8Bytes>>>,
    last_heard: Instant,
    /// Cancelled by shutdown, or when another connection takes the session or the endpoint.
    stop: CancellationToken,
    shared: Arc<Shared>,
}

/// Serves one client over any byte stream (TCP, TLS, or WebSocket messages); `allowed` is
/// false when its address is over the connect rate.
///
/// The CONNECT exchange and the session are two futures awaited one after the other, so the
/// task of an established connection carries none of the handshake's state: at 100k idle
/// connections every byte of a task counts.
pub async fn serve<S>(stream: S, peer: SocketAddr, shared: Arc<Shared>, shutdown: CancellationToken, allowed: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    // Boxed: its state (timers, the CONNECT, the negotiation) is needed for a moment only, and
    // inline it would size the task of every connection for as long as it lives.
    let Some(mut conn) = Box::pin(handshake(stream, peer, shared, &shutdown, allowed)).await else { return };
    let ending = conn.run(&shutdown).await;
    conn.finish(ending).await;
}

/// CONNECT in, CONNACK out: the connection, or `None` when it was refused or went away.
async fn handshake<S>(
    mut stream: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
    shutdown: &CancellationToken,
    allowed: bool,
) -> Option<Connection<S>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let settings = &shared.settings;
    let mut buf = BytesMut::with_capacity(1024);
    let mut decoder = Decoder::server(settings.max_packet_size);
    let mut out = Segments::new();

    let connect = match timeout(settings.connect_timeout, read_connect(&mut stream, &mut buf, &mut decoder)).await {
        Ok(Ok(c)) => c,
        Ok(Err(Some((code, version)))) => {
            debug!(%peer, ?code, "CONNECT refused");
            let _ = out.push_encoded(|b| Packet::ConnAck(connect::refuse(code)).encode(version, b));
            let _ = timeout(settings.write_timeout, out.write_to(&mut stream)).await;
            return None;
        }
        Ok(Err(None)) | Err(_) => return None,
    };
    let version = connect.protocol_version;
    let verdict = if !allowed {
        Err(ReasonCode::ConnectionRateExceeded)
    } else if shared.auth.may_be_slow(connect.username.as_ref().map(|u| u.as_str())) {
        // A first login costs a PBKDF2 verification: keep it off the connection threads.
        let task_shared = shared.clone();
        tokio::task::spawn_blocking(move || {
            connect::negotiate(*connect, &task_shared.settings, &task_shared.auth, assign_client_id)
        })
        .await
        .unwrap_or(Err(ReasonCode::UnspecifiedError))
    } else {
        connect::negotiate(*connect, settings, &shared.auth, assign_client_id)
    };
    let negotiated = match verdict {
        Ok(n) => n,
        Err(code) => {
            debug!(%peer, ?code, "CONNECT refused");
            let _ = out.push_encoded(|b| Packet::ConnAck(connect::refuse(code)).encode(version, b));
            let _ = timeout(settings.write_timeout, out.write_to(&mut stream)).await;
            return None;
        }
    };

    // One token ends the session whatever the cause (shutdown, session or endpoint taken over),
    // so the loop waits on one future; the cause is told apart when it fires.
    let stop = shutdown.child_token();
    let attached = shared.broker.open(
        negotiated.client_id.clone(),
        negotiated.clean_start,
        negotiated.session_expiry,
        negotiated.eid.clone(),
        stop.clone(),
    );
    let endpoint =
        negotiated.eid.clone().map(|eid| Endpoint::attach(&shared.router, eid, peer, stop.clone()));
    let ack = connect::accept(&negotiated, attached.session_present, settings);
    info!(client_id = %negotiated.client_id, eid = ?negotiated.eid, %peer, version = ?negotiated.version,
          session_present = attached.session_present, "mqtt client connected");

    let mut conn = Connection {
        stream,
        peer,
        buf,
        decoder,
        out,
        n: negotiated,
        attached,
        endpoint,
        aliases: None,
        last_heard: Instant::now(),
        stop,
        shared: shared.clone(),
    };
    conn.send(Packet::ConnAck(ack));
    conn.resend_inflight();
    Some(conn)
}

/// Reads until the first packet, which the server decoder insists is a CONNECT. `Err(Some)`:
/// refuse with this CONNACK code in this version; `Err(None)`: just close.
async fn read_connect<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut BytesMut,
    decoder: &mut Decoder,
) -> Result<Box<super::codec::Connect>, Option<(ReasonCode, ProtocolVersion)>> {
    loop {
        match decoder.decode(buf) {
            Ok(Some(Packet::Connect(c))) => return Ok(c),
            Ok(Some(_)) => return Err(None),
            Ok(None) => {}
            Err(e) => {
                // A CONNECT we could read far enough to know its version gets a CONNACK.
                return Err(e.in_connect().then_some(e.connect_version).flatten().map(|v| (e.reason_code(), v)));
            }
        }
        match stream.read_buf(buf).await {
            Ok(0) | Err(_) => return Err(None),
            Ok(_) => {}
        }
    }
}

fn assign_client_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("usphub-{:x}-{}", nanos as u64, NEXT.fetch_add(1, Ordering::Relaxed))
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Connection<S> {
    async fn run(&mut self, shutdown: &CancellationToken) -> Ending {
        let session = self.attached.session.clone();
        let stop = self.stop.clone();
        // Packets that arrived in the same read as the CONNECT.
        if let Some(ending) = self.handle_received() {
            return ending;
        }
        // One timer for the keep-alive, moved only when it fires early: resetting it on every
        // packet would touch the timer wheel once per packet.
        let keep_alive = sleep_until(self.idle_deadline().unwrap_or_else(far_future));
        tokio::pin!(keep_alive);
        loop {
            self.take_sendable(&session);
            if !self.out.is_empty() {
                let light = self.out.len() < LIGHT_TURN;
                match timeout(self.shared.settings.write_timeout, self.out.write_to(&mut self.stream)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) | Err(_) => return Ending::WithWill,
                }
                if light {
                    // A quiet connection keeps no write scratch between packets.
                    self.out.release_spare();
                }
            }
            tokio::select! {
                biased;
                _ = stop.cancelled() => {
                    return if shutdown.is_cancelled() { Ending::Shutdown } else { Ending::TakenOver };
                }
                read = read_lazily(&mut self.stream, &mut self.buf) => match read {
                    Ok(0) | Err(_) => return Ending::WithWill,
                    Ok(_) => {
                        self.last_heard = Instant::now();
                        if let Some(ending) = self.handle_received() {
                            return ending;
                        }
                    }
                },
                _ = session.notified() => {}
                Some(delivery) = route::next_delivery(&mut self.endpoint) => {
                    self.queue_record(delivery);
                    // Take what else the router queued, so a burst leaves in one write.
                    for _ in 1..ROUTED_BATCH {
                        let Some(more) = self.endpoint.as_mut().and_then(Endpoint::try_next) else { break };
                        self.queue_record(more);
                    }
                }
                () = &mut keep_alive, if self.n.idle_limit.is_some() => {
                    match self.idle_deadline() {
                        Some(deadline) if deadline > tokio::time::Instant::now() => keep_alive.as_mut().reset(deadline),
                        _ => return Ending::Refused(ReasonCode::KeepAliveTimeout),
                    }
                }
            }
        }
    }

    /// When the client's silence becomes too long, if it has a Keep Alive.
    fn idle_deadline(&self) -> Option<tokio::time::Instant> {
        self.n.idle_limit.map(|l| tokio::time::Instant::from_std(self.last_heard + l))
    }

    /// Decodes every complete packet received so far.
    fn handle_received(&mut self) -> Option<Ending> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(packet)) => {
                    if let Some(ending) = self.handle(packet) {
                        return Some(ending);
                    }
                }
                Ok(None) => return None,
                Err(e) => {
                    debug!(client_id = %self.n.client_id, peer = %self.peer, error = %e, "bad packet");
                    self.shared.router.count_drop(DropReason::Malformed);
                    return Some(Ending::Refused(e.reason_code()));
                }
            }
        }
    }

    /// Moves what the session may send now into the output.
    fn take_sendable(&mut self, session: &MqttSession) {
        let mut publishes = Vec::new();
        session.state().take_sendable(self.n.out_window, Instant::now(), &mut publishes);
        for p in publishes {
            self.send_publish(p);
        }
    }

    fn resend_inflight(&mut self) {
        let resend = self.attached.session.state().resend(Instant::now());
        for r in resend {
            match r {
                super::broker::Resend::Publish(p) => self.send_publish(p),
                super::broker::Resend::PubRel(id) => self.send(Packet::PubRel(super::codec::PubResponse::new(id))),
            }
        }
    }

    fn send_publish(&mut self, p: Publish) {
        let version = self.n.version;
        match p.encoded_len(version) {
            Ok(len) if len <= self.n.out_max_packet as usize => {
                if self.out.push_encoded(|b| p.encode_header(version, b)).is_ok() {
                    self.out.push(p.payload);
                }
            }
            _ => {
                // Too large for this client: never sent [MQTT-3.1.2-25].
                if let Some(id) = p.packet_id {
                    self.attached.session.state().forget(id);
                }
                self.shared.router.count_drop(DropReason::Oversize);
            }
        }
    }

    fn send(&mut self, packet: Packet) {
        let version = self.n.version;
        if let Err(e) = self.out.push_encoded(|b| packet.encode(version, b)) {
            debug!(error = %e, "packet not encodable; not sent");
        }
    }

    /// Says goodbye, publishes the Will if due, and gives the session back to the broker.
    async fn finish(&mut self, ending: Ending) {
        let code = match ending {
            Ending::Refused(code) => Some(code),
            Ending::TakenOver => Some(ReasonCode::SessionTakenOver),
            Ending::Shutdown => Some(ReasonCode::ServerShuttingDown),
            Ending::Normal | Ending::WithWill => None,
        };
        // Shutdown drains what is already queued for the client first.
        if ending == Ending::Shutdown {
            self.take_sendable(&self.attached.session.clone());
        }
        if let (Some(code), true) = (code, self.n.version.is_v5()) {
            self.send(Packet::Disconnect(Disconnect { reason_code: code, ..Disconnect::default() }));
        }
        if !self.out.is_empty() {
            let _ = timeout(self.shared.settings.write_timeout, self.out.write_to(&mut self.stream)).await;
        }
        let now = Instant::now();
        if !matches!(ending, Ending::Normal | Ending::Shutdown) {
            self.publish_will(now, ending == Ending::TakenOver);
        }
        self.shared.broker.close(&self.attached, now);
        info!(client_id = %self.n.client_id, peer = %self.peer, ?ending, "mqtt client disconnected");
        // Dropping `self.endpoint` detaches it from the router.
    }

    /// Publishes the Will now, or after its delay unless the client comes back (§3.1.3.2.2).
    fn publish_will(&mut self, now: Instant, taken_over: bool) {
        let Some(will) = self.n.will.take().map(|w| *w) else { return };
        let delay = std::time::Duration::from_secs(u64::from(will.properties.will_delay_interval.unwrap_or(0)));
        if taken_over && !delay.is_zero() && self.attached.session_present_for_new_owner() {
            // The client is already back on a new connection that continues this session:
            // a delayed Will is not sent (§3.1.3.2.2).
            return;
        }
        let publish = Publish {
            dup: false,
            qos: will.qos,
            retain: will.retain,
            topic: will.topic.clone(),
            packet_id: None,
            properties: will.properties,
            payload: will.payload,
        };
        let msg = Message::from_publish(publish, will.topic, Some(self.n.client_id.clone()), now);
        // The Will goes at the earlier of its delay and the end of the session.
        let delay = delay.min(self.n.session_expiry);
        if delay.is_zero() {
            self.shared.broker.publish(&msg);
            return;
        }
        let cancel = CancellationToken::new();
        self.attached.session.state().pending_will = Some(cancel.clone());
        let shared = self.shared.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = cancel.cancelled() => {}
                _ = tokio::time::sleep(delay) => {
                    shared.broker.publish(&msg);
                }
            }
        });
    }
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86400 * 365)
}
