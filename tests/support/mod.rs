//! Shared helpers for the integration tests: an in-process hub on ephemeral ports, a
//! WebSocket USP client, and builders for real USP Records.

#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use prost::Message as _;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, protocol::frame::coding::CloseCode},
};
use usphub::config::{Config, Listen};
use usphub::hub::RunningHub;
use usphub::usp::proto::{msg, record};

/// How long a test waits for something that should happen.
pub const PATIENCE: Duration = Duration::from_secs(5);
/// How long a test waits to be confident something does not happen.
pub const QUIET: Duration = Duration::from_millis(300);

/// A hub with the WebSocket and admin listeners on ephemeral loopback ports, others off.
pub async fn start_hub(tweak: impl FnOnce(&mut Config)) -> RunningHub {
    let mut config = Config::default();
    config.ws.listen = Listen::addr("127.0.0.1:0");
    config.admin.listen = Listen::addr("127.0.0.1:0");
    config.mqtt.listen = Listen::Off;
    config.stomp.listen = Listen::Off;
    config.cwmp.listen = Listen::Off;
    config.shutdown_grace = Duration::from_millis(500);
    tweak(&mut config);
    usphub::hub::start(config).await.expect("hub starts")
}

pub fn percent_encode(eid: &str) -> String {
    percent_encoding::utf8_percent_encode(eid, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub struct WsClient {
    pub eid: String,
    pub ws: WebSocketStream<TcpStream>,
}

/// Connects as `eid` with `?eid=` and subprotocol `v1.usp`, as OB-USP-Agent does.
pub async fn connect(addr: SocketAddr, eid: &str) -> WsClient {
    let url = format!("ws://{addr}/usp?eid={}", percent_encode(eid));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "v1.usp".parse().unwrap());
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (ws, resp) = tokio_tungstenite::client_async(req, tcp).await.expect("handshake");
    assert_eq!(resp.headers()["Sec-WebSocket-Protocol"], "v1.usp");
    WsClient { eid: eid.to_owned(), ws }
}

impl WsClient {
    pub async fn send(&mut self, record: Bytes) {
        self.ws.send(Message::Binary(record)).await.expect("send");
    }

    /// The next binary message, skipping pings and pongs.
    pub async fn recv(&mut self) -> Bytes {
        match self.next_data(PATIENCE).await {
            Some(Message::Binary(b)) => b,
            other => panic!("{}: expected a Record, got {other:?}", self.eid),
        }
    }

    /// Asserts nothing arrives for a little while.
    pub async fn expect_silence(&mut self) {
        if let Some(m) = self.next_data(QUIET).await {
            panic!("{}: expected nothing, got {m:?}", self.eid);
        }
    }

    /// Waits for the server's Close frame and returns its code.
    pub async fn expect_close(&mut self) -> CloseCode {
        match self.next_data(PATIENCE).await {
            Some(Message::Close(Some(frame))) => frame.code,
            other => panic!("{}: expected a Close frame, got {other:?}", self.eid),
        }
    }

    async fn next_data(&mut self, wait: Duration) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()?;
            match next {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(m)) => return Some(m),
                Some(Err(e)) => panic!("{}: websocket error {e}", self.eid),
                None => return None,
            }
        }
    }
}

/// A NoSessionContext Record carrying `msg`.
pub fn record(from: &str, to: &str, msg: &msg::Msg) -> Bytes {
    let rec = record::Record {
        version: "1.4".into(),
        to_id: to.into(),
        from_id: from.into(),
        record_type: Some(record::record::RecordType::NoSessionContext(record::NoSessionContextRecord {
            payload: msg.encode_to_vec().into(),
        })),
        ..Default::default()
    };
    rec.encode_to_vec().into()
}

/// The WebSocketConnect Record an agent sends first (R-MTP.6).
pub fn ws_connect_record(from: &str, to: &str) -> Bytes {
    let rec = record::Record {
        version: "1.3".into(),
        to_id: to.into(),
        from_id: from.into(),
        record_type: Some(record::record::RecordType::WebsocketConnect(record::WebSocketConnectRecord {})),
        ..Default::default()
    };
    rec.encode_to_vec().into()
}

pub fn get(msg_id: &str, paths: &[&str]) -> msg::Msg {
    msg::Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::Get as i32 }),
        body: Some(msg::Body {
            msg_body: Some(msg::body::MsgBody::Request(msg::Request {
                req_type: Some(msg::request::ReqType::Get(msg::Get {
                    param_paths: paths.iter().map(|p| p.to_string()).collect(),
                    max_depth: 0,
                })),
            })),
        }),
    }
}

pub fn get_resp(msg_id: &str, path: &str, params: &[(&str, &str)]) -> msg::Msg {
    use msg::get_resp::{RequestedPathResult, ResolvedPathResult};
    msg::Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::GetResp as i32 }),
        body: Some(msg::Body {
            msg_body: Some(msg::body::MsgBody::Response(msg::Response {
                resp_type: Some(msg::response::RespType::GetResp(msg::GetResp {
                    req_path_results: vec![RequestedPathResult {
                        requested_path: path.into(),
                        err_code: 0,
                        err_msg: String::new(),
                        resolved_path_results: vec![ResolvedPathResult {
                            resolved_path: path.into(),
                            result_params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                        }],
                    }],
                })),
            })),
        }),
    }
}

/// Decodes the Msg inside a NoSessionContext Record.
pub fn msg_of(rec: &[u8]) -> (record::Record, msg::Msg) {
    let rec = record::Record::decode(rec).expect("a Record");
    let Some(record::record::RecordType::NoSessionContext(ctx)) = &rec.record_type else {
        panic!("not a NoSessionContext record: {rec:?}");
    };
    let m = msg::Msg::decode(ctx.payload.clone()).expect("a Msg");
    (rec, m)
}

/// Reads one counter line from `/metrics`, e.g. `usphub_records_dropped_total{reason="malformed"}`.
pub async fn metric(hub: &RunningHub, series: &str) -> f64 {
    let body = http_get(hub.admin_addr.unwrap(), "/metrics").await;
    body.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no series {series} in /metrics"))
}

/// A minimal HTTP/1.1 GET, so the tests need no HTTP client crate.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tcp.read_to_string(&mut out).await.unwrap();
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

/// Waits until `cond` holds, failing the test after [`PATIENCE`].
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "condition not met in time");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub mod cpe;
mod cpe_tree;
pub mod stomp;
pub mod uds;
