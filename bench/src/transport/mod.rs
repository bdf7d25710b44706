//! How a generated endpoint reaches its peer: one trait for "send a Record, receive a Record",
//! and one implementation per path: the hub's WebSocket MTP, MQTT (usphub's broker or any plain
//! MQTT broker), STOMP (usphub or RabbitMQ), and the bare TCP forwarder.
//!
//! Scenarios are written once against [`RecordLink`] and [`Connector`], so every system under
//! test carries exactly the same encoded Records and the comparison is about the path alone.
//! [`any`] erases the transport type, so that one scenario can mix them (cross-MTP).

use std::future::Future;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Error as WsError;

pub mod any;
pub mod mqtt;
mod outbox;
pub mod stomp;
pub mod tcp;
mod wire;
pub mod ws;

/// Which side of a pair an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Controller,
}

/// One generated endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub role: Role,
    /// The pair it belongs to, `0..pairs`.
    pub pair: usize,
    /// Its USP endpoint ID.
    pub eid: String,
    /// The endpoint ID its own Records (not answers) go to. Brokers that do not route by
    /// `to_id` need it to choose a topic or destination; the WebSocket hub and the forwarder
    /// ignore it.
    pub to: Option<String>,
}

impl Endpoint {
    /// Agent `pair` of a p2p scenario: it only answers.
    pub fn agent(pair: usize) -> Self {
        Self { role: Role::Agent, pair, eid: agent_eid(pair), to: None }
    }

    /// Controller `pair` of a p2p scenario: it sends to agent `pair`.
    pub fn controller(pair: usize) -> Self {
        Self { role: Role::Controller, pair, eid: format!("self::bench-ctrl-{pair}"), to: Some(agent_eid(pair)) }
    }
}

fn agent_eid(pair: usize) -> String {
    format!("os::BENCH-agent-{pair}")
}

/// Why a link failed. Each message is complete on its own (no `source` chain), because the
/// first one is quoted in reports as it is.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("connecting to {target}: {error}")]
    Connect { target: String, error: std::io::Error },
    #[error("WebSocket handshake with {target}: {error}")]
    Handshake { target: String, error: Box<WsError> },
    #[error("{target} refused the WebSocket upgrade with {status}: {reason}")]
    Refused { target: String, status: u16, reason: String },
    #[error("WebSocket: {0}")]
    Ws(Box<WsError>),
    #[error("the peer sent a text message, which is not a USP Record")]
    Text,
    #[error("the peer closed the connection")]
    Closed,
    #[error("{0}")]
    Mqtt(#[from] mqtt::codec::MqttError),
    #[error("{0}")]
    Stomp(#[from] stomp::codec::StompError),
    #[error("no {what} from {target} within the handshake timeout")]
    Timeout { target: String, what: &'static str },
    #[error("this endpoint has no peer to send to")]
    NoDestination,
    #[error("{0}")]
    Io(std::io::Error),
}

impl From<WsError> for LinkError {
    fn from(e: WsError) -> Self {
        Self::Ws(Box::new(e))
    }
}

impl From<std::io::Error> for LinkError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// A connected endpoint: Records out, Records in.
///
/// Writes are split into `feed` and `flush` and reads offer `try_recv`, so that an endpoint
/// with several Records to handle at once pays one system call for all of them, as a real
/// busy endpoint would: otherwise the generator, not the system under test, would be the first
/// to run out of CPU.
pub trait RecordLink: Send + 'static {
    /// Queues one Record to the endpoint's peer ([`Endpoint::to`]); it may be written now or
    /// at the next `flush`.
    fn feed(&mut self, record: Bytes) -> impl Future<Output = Result<(), LinkError>> + Send;
    /// Queues one Record to endpoint `to` rather than to the link's own peer: one controller
    /// talking to many agents. Paths that route by `to_id` (the hub's WebSocket) need no
    /// address: for them this is `feed`.
    fn feed_to(&mut self, to: &str, record: Bytes) -> impl Future<Output = Result<(), LinkError>> + Send {
        let _ = to;
        self.feed(record)
    }
    /// Queues the answer to the Record `recv` or `try_recv` returned last, to that Record's
    /// reply address (MQTT Response Topic, STOMP `reply-to-dest`). Paths that route by `to_id`
    /// or by pairing need no address: for them this is `feed`.
    fn feed_reply(&mut self, record: Bytes) -> impl Future<Output = Result<(), LinkError>> + Send {
        self.feed(record)
    }
    /// Writes everything queued.
    fn flush(&mut self) -> impl Future<Output = Result<(), LinkError>> + Send;
    /// The next Record; `Ok(None)` once the peer has closed. Cancel-safe, because scenarios
    /// race it against timers in `select!`.
    fn recv(&mut self) -> impl Future<Output = Result<Option<Bytes>, LinkError>> + Send;
    /// What `recv` would return right now, if that needs no waiting; `None` otherwise.
    fn try_recv(&mut self) -> Option<Result<Option<Bytes>, LinkError>>;
    /// Closes politely; best effort, bounded in time.
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// Opens links to one system under test.
pub trait Connector: Send + Sync + 'static {
    type Link: RecordLink;
    fn connect(&self, endpoint: &Endpoint) -> impl Future<Output = Result<Self::Link, LinkError>> + Send;
    /// Names the path in reports, e.g. `ws://127.0.0.1:8080/usp`.
    fn describe(&self) -> String;
}

/// Sets `TCP_NODELAY`, as the hub does on its side: a Record is a message, not a stream chunk.
pub(crate) fn tune(stream: &tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
}

/// How long a polite close may take before we just drop the socket.
pub(crate) const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
