//! Any transport behind one type, so that a scenario can put its agents on one MTP and its
//! controllers on another (cross-MTP) without a generic instance per combination. One match
//! per call costs nothing next to a system call.

use bytes::Bytes;

use super::{
    Connector, Endpoint, LinkError, RecordLink,
    mqtt::{MqttConnector, MqttLink},
    stomp::{StompConnector, StompLink},
    tcp::{TcpConnector, TcpLink},
    ws::{WsConnector, WsLink},
};

pub enum AnyConnector {
    Ws(WsConnector),
    Mqtt(MqttConnector),
    Stomp(StompConnector),
    Tcp(TcpConnector),
}

pub enum AnyLink {
    Ws(WsLink),
    Mqtt(MqttLink),
    Stomp(StompLink),
    Tcp(TcpLink),
}

impl Connector for AnyConnector {
    type Link = AnyLink;

    async fn connect(&self, endpoint: &Endpoint) -> Result<AnyLink, LinkError> {
        Ok(match self {
            Self::Ws(c) => AnyLink::Ws(c.connect(endpoint).await?),
            Self::Mqtt(c) => AnyLink::Mqtt(c.connect(endpoint).await?),
            Self::Stomp(c) => AnyLink::Stomp(c.connect(endpoint).await?),
            Self::Tcp(c) => AnyLink::Tcp(c.connect(endpoint).await?),
        })
    }

    fn describe(&self) -> String {
        match self {
            Self::Ws(c) => c.describe(),
            Self::Mqtt(c) => c.describe(),
            Self::Stomp(c) => c.describe(),
            Self::Tcp(c) => c.describe(),
        }
    }
}

/// Forwards a call to whichever link this is.
macro_rules! each {
    ($self:expr, $link:ident => $call:expr) => {
        match $self {
            AnyLink::Ws($link) => $call,
            AnyLink::Mqtt($link) => $call,
            AnyLink::Stomp($link) => $call,
            AnyLink::Tcp($link) => $call,
        }
    };
}

impl RecordLink for AnyLink {
    async fn feed(&mut self, record: Bytes) -> Result<(), LinkError> {
        each!(self, l => l.feed(record).await)
    }

    async fn feed_to(&mut self, to: &str, record: Bytes) -> Result<(), LinkError> {
        each!(self, l => l.feed_to(to, record).await)
    }

    async fn feed_reply(&mut self, record: Bytes) -> Result<(), LinkError> {
        each!(self, l => l.feed_reply(record).await)
    }

    async fn flush(&mut self) -> Result<(), LinkError> {
        each!(self, l => l.flush().await)
    }

    async fn recv(&mut self) -> Result<Option<Bytes>, LinkError> {
        each!(self, l => l.recv().await)
    }

    fn try_recv(&mut self) -> Option<Result<Option<Bytes>, LinkError>> {
        each!(self, l => l.try_recv())
    }

    async fn close(self) {
        each!(self, l => l.close().await)
    }
}
