//! A USP UDS test client, built on the hub's codec (the independent client is the Python
//! suite's hand-written one). It can also write raw bytes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use usphub::config::Config;
use usphub::mtp::uds::codec::{Decoder, Tlv, UdsFrame, encode_handshake, encode_record};

use super::{PATIENCE, QUIET};

/// A socket path in a fresh temporary directory, removed with it on drop.
pub struct TempSocket {
    dir: PathBuf,
    path: PathBuf,
}

impl std::ops::Deref for TempSocket {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempSocket {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh socket path (short: socket paths max out at 107 bytes).
pub fn temp_socket_path(name: &str) -> TempSocket {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("usphub-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sock"));
    TempSocket { dir, path }
}

/// `start_hub` tweak: UDS at `path`.
pub fn enable_uds(config: &mut Config, path: &Path) {
    config.uds.path = Some(path.to_owned());
}

pub struct UdsClient {
    pub name: String,
    stream: UnixStream,
    buf: BytesMut,
    decoder: Decoder,
}

impl UdsClient {
    pub async fn open(path: &Path, name: &str) -> UdsClient {
        let stream = UnixStream::connect(path).await.expect("connect to the hub's socket");
        UdsClient { name: name.into(), stream, buf: BytesMut::new(), decoder: Decoder::default() }
    }

    /// Connects and completes the handshake (R-UDS.16/17); returns the hub's endpoint ID.
    pub async fn connect(path: &Path, eid: &str) -> (UdsClient, String) {
        let mut c = Self::open(path, eid).await;
        let server = c.handshake(eid).await;
        (c, server)
    }

    pub async fn handshake(&mut self, eid: &str) -> String {
        let mut wire = BytesMut::new();
        encode_handshake(eid, &mut wire).unwrap();
        self.send_raw(&wire).await;
        match self.recv_tlv().await {
            Tlv::Handshake(server) => server,
            other => panic!("{}: expected the hub's handshake, got {other:?}", self.name),
        }
    }

    pub async fn send_record(&mut self, record: &[u8]) {
        let mut wire = BytesMut::new();
        encode_record(record, &mut wire).unwrap();
        self.send_raw(&wire).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    pub async fn shutdown_write(&mut self) {
        self.stream.shutdown().await.unwrap();
    }

    pub async fn recv_record(&mut self) -> Bytes {
        match self.recv_tlv().await {
            Tlv::Record(record) => record,
            other => panic!("{}: expected a Record, got {other:?}", self.name),
        }
    }

    /// Waits for an Error TLV followed by the close; returns its text.
    pub async fn expect_error(&mut self) -> String {
        let text = match self.recv_tlv().await {
            Tlv::Error(text) => text,
            other => panic!("{}: expected an Error TLV, got {other:?}", self.name),
        };
        self.expect_eof().await;
        text
    }

    pub async fn expect_eof(&mut self) {
        if let Some(frame) = self.next_frame(PATIENCE).await {
            panic!("{}: expected the connection to close, got {frame:?}", self.name);
        }
    }

    pub async fn expect_silence(&mut self) {
        if let Some(frame) = self.next_frame(QUIET).await {
            panic!("{}: expected nothing, got {frame:?}", self.name);
        }
    }

    /// The first TLV of the next frame (the hub sends one TLV per frame).
    pub async fn recv_tlv(&mut self) -> Tlv {
        let frame = self.next_frame(PATIENCE).await.unwrap_or_else(|| panic!("{}: no frame", self.name));
        assert_eq!(frame.tlvs.len(), 1, "{}: {frame:?}", self.name);
        frame.tlvs.into_iter().next().unwrap()
    }

    async fn next_frame(&mut self, wait: std::time::Duration) -> Option<UdsFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf).expect("the hub writes valid frames") {
                return Some(frame);
            }
            match tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf)).await.ok()? {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}
