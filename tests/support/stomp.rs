//! A STOMP 1.2 test client over TCP, built on the hub's codec (the independent client is the
//! Python suite's stomp.py). It can also write raw bytes, to send what a real client would not.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use usphub::config::{Config, Listen};
use usphub::mtp::stomp::codec::{Command, Decoder, Frame, Item};

use super::{PATIENCE, QUIET};

pub const USP_CONTENT_TYPE: &str = "application/vnd.bbf.usp.msg";

/// `start_hub` tweak: STOMP on an ephemeral loopback port.
pub fn enable_stomp(config: &mut Config) {
    config.stomp.listen = Listen::addr("127.0.0.1:0");
}

/// Any byte stream: plain TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub struct StompClient {
    pub eid: String,
    tcp: Box<dyn Io>,
    buf: BytesMut,
    decoder: Decoder,
    /// Heart-beats received so far.
    pub heartbeats: usize,
}

/// What the hub answered to a connection attempt.
pub enum Opened {
    Connected(Box<StompClient>, Frame),
    Refused(Frame),
}

impl StompClient {
    /// Opens a TCP connection without sending anything.
    pub async fn open(addr: SocketAddr, eid: &str) -> StompClient {
        Self::over(TcpStream::connect(addr).await.unwrap(), eid)
    }

    /// A client on an already connected stream (e.g. TLS).
    pub fn over(stream: impl Io + 'static, eid: &str) -> StompClient {
        StompClient {
            eid: eid.into(),
            tcp: Box::new(stream),
            buf: BytesMut::new(),
            decoder: Decoder::default(),
            heartbeats: 0,
        }
    }

    /// Connects as OB-USP-Agent does: STOMP, accept-version 1.2, the EID escaped (R-STOMP.4),
    /// no heart-beats. Panics unless CONNECTED comes back.
    pub async fn connect(addr: SocketAddr, eid: &str) -> (StompClient, Frame) {
        match Self::try_connect(addr, eid, &[]).await {
            Opened::Connected(c, f) => (*c, f),
            Opened::Refused(f) => panic!("{eid}: refused: {f:?}"),
        }
    }

    /// Connects and subscribes to the `subscribe-dest` it is given, with a receipt.
    pub async fn connect_subscribed(addr: SocketAddr, eid: &str) -> StompClient {
        let (mut c, connected) = Self::connect(addr, eid).await;
        let dest = connected.headers.get("subscribe-dest").expect("subscribe-dest").to_owned();
        c.send_frame(
            Frame::new(Command::Subscribe)
                .with_header("id", "0")
                .with_header("destination", dest)
                .with_header("ack", "auto")
                .with_header("receipt", "sub-0"),
        )
        .await;
        let receipt = c.recv_frame().await;
        assert_eq!(receipt.command, Command::Receipt, "{receipt:?}");
        assert_eq!(receipt.headers.get("receipt-id"), Some("sub-0"));
        c
    }

    /// Sends STOMP with `endpoint-id` and `extra` headers; returns CONNECTED or the ERROR.
    pub async fn try_connect(addr: SocketAddr, eid: &str, extra: &[(&str, &str)]) -> Opened {
        Self::open(addr, eid).await.stomp(extra).await
    }

    /// Sends the STOMP frame on this connection; returns CONNECTED or the ERROR.
    pub async fn stomp(mut self, extra: &[(&str, &str)]) -> Opened {
        let eid = self.eid.clone();
        let mut frame = Frame::new(Command::Stomp)
            .with_header("accept-version", "1.2")
            .with_header("host", "usp")
            .with_header("endpoint-id", eid.as_str());
        for (n, v) in extra {
            frame.headers.push(*n, *v);
        }
        self.send_frame(frame).await;
        let answer = self.recv_frame().await;
        match answer.command {
            Command::Connected => Opened::Connected(Box::new(self), answer),
            Command::Error => Opened::Refused(answer),
            _ => panic!("{eid}: unexpected answer {answer:?}"),
        }
    }

    pub async fn send_frame(&mut self, frame: Frame) {
        let mut wire = BytesMut::new();
        frame.encode(&mut wire);
        self.send_raw(&wire).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).await.expect("write");
    }

    /// Ends our side of the connection (FIN), keeping the read side open.
    pub async fn shutdown_write(&mut self) {
        self.tcp.shutdown().await.unwrap();
    }

    /// SENDs a Record as OB-USP-Agent does (R-STOMP.18–22).
    pub async fn send_record(&mut self, destination: &str, record: Bytes) {
        let reply_to = format!("/usp/v1/{}", self.eid);
        self.send_frame(
            Frame::new(Command::Send)
                .with_header("destination", destination)
                .with_header("content-type", USP_CONTENT_TYPE)
                .with_header("reply-to-dest", reply_to)
                .with_body(record),
        )
        .await;
    }

    /// The next frame, skipping heart-beats; panics on EOF or after [`PATIENCE`].
    pub async fn recv_frame(&mut self) -> Frame {
        match self.next_frame(PATIENCE).await {
            Some(frame) => frame,
            None => panic!("{}: no frame", self.eid),
        }
    }

    /// The body of the next MESSAGE, checking its USP headers.
    pub async fn recv_record(&mut self) -> (Frame, Bytes) {
        let frame = self.recv_frame().await;
        assert_eq!(frame.command, Command::Message, "{}: {frame:?}", self.eid);
        assert_eq!(frame.headers.get("content-type"), Some(USP_CONTENT_TYPE));
        let body = frame.body.clone();
        (frame, body)
    }

    /// Waits for an ERROR frame followed by the close; returns its `message`.
    pub async fn expect_error(&mut self) -> String {
        let frame = self.recv_frame().await;
        assert_eq!(frame.command, Command::Error, "{}: expected ERROR, got {frame:?}", self.eid);
        self.expect_eof().await;
        frame.headers.get("message").unwrap_or_default().to_owned()
    }

    /// Asserts the hub closes the connection soon, without sending another frame.
    pub async fn expect_eof(&mut self) {
        if let Some(frame) = self.next_frame(PATIENCE).await {
            panic!("{}: expected the connection to close, got {frame:?}", self.eid);
        }
    }

    /// Asserts no frame arrives for a little while (heart-beats do not count).
    pub async fn expect_silence(&mut self) {
        if let Some(frame) = self.next_frame(QUIET).await {
            panic!("{}: expected nothing, got {frame:?}", self.eid);
        }
    }

    /// `None` on EOF or when `wait` runs out.
    async fn next_frame(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.decoder.decode(&mut self.buf).expect("the hub writes valid STOMP") {
                Some(Item::Frame(frame)) => return Some(frame),
                Some(Item::Heartbeat) => {
                    self.heartbeats += 1;
                    continue;
                }
                None => {}
            }
            let read = tokio::time::timeout_at(deadline, self.tcp.read_buf(&mut self.buf)).await.ok()?;
            match read {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}
