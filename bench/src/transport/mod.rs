//! How a generated endpoint reaches its peer: one trait for "send a Record, receive a Record",
//! and one implementation per path (the hub's WebSocket MTP, the bare TCP forwarder; MQTT and
//! STOMP later).
//!
//! Scenarios are written once against [`RecordLink`] and [`Connector`], so every system under
//! test carries exactly the same encoded Records and the comparison is about the path alone.

use std::future::Future;

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Error as WsError;

pub mod tcp;
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
}

impl Endpoint {
    pub fn agent(pair: usize) -> Self {
        Self { role: Role::Agent, pair, eid: format!("os::BENCH-agent-{pair}") }
    }

    pub fn controller(pair: usize) -> Self {
        Self { role: Role::Controller, pair, eid: format!("self::bench-ctrl-{pair}") }
    }
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
    /// Queues one Record; it may be written now or at the next `flush`.
    fn feed(&mut self, record: Bytes) -> impl Future<Output = Result<(), LinkError>> + Send;
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
