//! USP over WebSocket (TR-369 WebSocket MTP) as a client: `ws://target/usp?eid=<eid>`,
//! subprotocol `v1.usp`, one binary message per Record.

use bytes::Bytes;
use futures_util::{FutureExt, SinkExt, StreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    WebSocketStream, client_async_with_config,
    tungstenite::{Error as WsError, Message, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig},
};

use std::sync::Arc;

use crate::source::Sources;

use super::{CLOSE_TIMEOUT, Connector, Endpoint, LinkError, RecordLink, tune};

const SUBPROTOCOL: &str = "v1.usp";
/// Characters left as they are in `?eid=`: RFC 3986 unreserved.
const EID_KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Connects endpoints to a hub's WebSocket listener.
pub struct WsConnector {
    /// `host:port`.
    pub target: String,
    /// The hub's USP path, `/usp` by default.
    pub path: String,
    pub sources: Arc<Sources>,
}

impl Connector for WsConnector {
    type Link = WsLink;

    async fn connect(&self, endpoint: &Endpoint) -> Result<WsLink, LinkError> {
        let tcp = self
            .sources
            .dial(&self.target)
            .await
            .map_err(|error| LinkError::Connect { target: self.target.clone(), error })?;
        tune(&tcp);
        let eid = utf8_percent_encode(&endpoint.eid, EID_KEEP);
        let url = format!("ws://{}{}?eid={eid}", self.target, self.path);
        let mut request = url.as_str().into_client_request().map_err(|e| handshake_error(&url, e))?;
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static(SUBPROTOCOL));
        // tungstenite checks that the server chose the subprotocol we offered.
        let (ws, _) =
            client_async_with_config(request, tcp, Some(ws_config())).await.map_err(|e| handshake_error(&url, e))?;
        Ok(WsLink { ws })
    }

    fn describe(&self) -> String {
        format!("ws://{}{}", self.target, self.path)
    }
}

/// tungstenite zero-fills `read_buffer_size` bytes before every read (128 KiB by default),
/// which alone cost the generator about 15 % of its CPU. 8 KiB, as the hub and the
/// forwarder's copy buffer use, still reads a typical Record in one call; larger ones simply
/// take more reads.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(8 * 1024)
}

/// A refused upgrade carries the hub's plain-text reason in its body: keep it.
fn handshake_error(target: &str, error: WsError) -> LinkError {
    match error {
        WsError::Http(response) => LinkError::Refused {
            target: target.to_owned(),
            status: response.status().as_u16(),
            reason: response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).trim().to_owned())
                .unwrap_or_default(),
        },
        error => LinkError::Handshake { target: target.to_owned(), error: Box::new(error) },
    }
}

/// One WebSocket connection.
pub struct WsLink {
    ws: WebSocketStream<TcpStream>,
}

impl RecordLink for WsLink {
    async fn feed(&mut self, record: Bytes) -> Result<(), LinkError> {
        Ok(self.ws.feed(Message::Binary(record)).await?)
    }

    async fn flush(&mut self) -> Result<(), LinkError> {
        Ok(self.ws.flush().await?)
    }

    async fn recv(&mut self) -> Result<Option<Bytes>, LinkError> {
        loop {
            if let Some(received) = record_of(self.ws.next().await) {
                return received;
            }
        }
    }

    fn try_recv(&mut self) -> Option<Result<Option<Bytes>, LinkError>> {
        loop {
            if let Some(received) = record_of(self.ws.next().now_or_never()?) {
                return Some(received);
            }
        }
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
            let _ = self.ws.close(None).await;
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}

/// What a WebSocket message means to a [`RecordLink`] reader; `None` for control frames,
/// which tungstenite answers itself.
fn record_of(message: Option<Result<Message, WsError>>) -> Option<Result<Option<Bytes>, LinkError>> {
    match message {
        Some(Ok(Message::Binary(record))) => Some(Ok(Some(record))),
        Some(Ok(Message::Close(_))) | None => Some(Ok(None)),
        Some(Ok(Message::Text(_))) => Some(Err(LinkError::Text)),
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => None,
        Some(Err(e)) => Some(Err(e.into())),
    }
}
