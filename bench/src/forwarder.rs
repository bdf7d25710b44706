//! The bare TCP forwarder: the ceiling a USP hub is measured against on this machine.
//!
//! Two connections that announce the same pair id are joined and their bytes copied both ways
//! with `tokio::io::copy_bidirectional`, nothing else: no framing, no parsing, no routing
//! table. Anything a hub does costs more than this, so "usphub / forwarder" says how much of
//! the machine's raw loopback capacity the hub keeps.
//!
//! Protocol: a client's first bytes are one line `PAIR <id> <A|B>\n`; after that, raw bytes.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
};

/// Longest `PAIR` line accepted.
const MAX_HELLO: usize = 128;
/// Time a client has to send its `PAIR` line.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// Which end of a pair a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// Why a connection's `PAIR` line was refused.
#[derive(Debug, thiserror::Error)]
pub enum HelloError {
    #[error("reading the PAIR line: {0}")]
    Io(#[from] std::io::Error),
    #[error("no PAIR line within {HELLO_TIMEOUT:?}")]
    Timeout,
    #[error("PAIR line longer than {MAX_HELLO} bytes")]
    TooLong,
    #[error("expected `PAIR <id> <A|B>`, got {0:?}")]
    Malformed(String),
}

/// Connections waiting for their other half, by pair id.
type Waiting = Arc<Mutex<HashMap<String, (Side, TcpStream)>>>;

/// Serves until SIGINT or SIGTERM.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
    eprintln!("forwarder listening on {}", listener.local_addr()?);
    let waiting = Waiting::default();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(join(stream, waiting.clone()));
                }
                // Out of descriptors and the like: wait a little rather than spin.
                Err(e) => {
                    eprintln!("forwarder: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    Ok(())
}

/// Reads a connection's `PAIR` line, then either parks it or joins it with its other half.
async fn join(mut stream: TcpStream, waiting: Waiting) {
    let _ = stream.set_nodelay(true);
    let (id, side) = match tokio::time::timeout(HELLO_TIMEOUT, read_hello(&mut stream)).await {
        Ok(Ok(hello)) => hello,
        Ok(Err(HelloError::Io(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => return, // a readiness probe
        Ok(Err(e)) => return eprintln!("forwarder: {e}"),
        Err(_) => return eprintln!("forwarder: {}", HelloError::Timeout),
    };
    let other = {
        let mut parked = waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match parked.remove(&id) {
            Some((other_side, other)) if other_side != side => other,
            // First of its pair, or a newer connection for the same side: it waits.
            _ => {
                parked.insert(id, (side, stream));
                return;
            }
        }
    };
    let (mut a, mut b) = (stream, other);
    // Either side closing or failing ends the pair; nothing to report.
    let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
}

/// Reads `PAIR <id> <A|B>\n` byte by byte, so that nothing after the line is consumed: the
/// bytes that follow belong to the peer.
async fn read_hello(stream: &mut TcpStream) -> Result<(String, Side), HelloError> {
    let mut line = Vec::with_capacity(32);
    loop {
        match stream.read_u8().await? {
            b'\n' => break,
            _ if line.len() == MAX_HELLO => return Err(HelloError::TooLong),
            byte => line.push(byte),
        }
    }
    parse_hello(&String::from_utf8_lossy(&line))
}

fn parse_hello(line: &str) -> Result<(String, Side), HelloError> {
    let malformed = || HelloError::Malformed(line.to_owned());
    let mut words = line.trim_end_matches('\r').split(' ');
    let (Some("PAIR"), Some(id), Some(side), None) = (words.next(), words.next(), words.next(), words.next()) else {
        return Err(malformed());
    };
    let side = match side {
        "A" => Side::A,
        "B" => Side::B,
        _ => return Err(malformed()),
    };
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id.to_owned(), side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn hello_lines() {
        assert_eq!(parse_hello("PAIR 12-3 A").unwrap(), ("12-3".into(), Side::A));
        assert_eq!(parse_hello("PAIR x B\r").unwrap(), ("x".into(), Side::B));
        for bad in ["PAIR x", "PAIR x C", "PAIR  A", "PEER x A", "PAIR x A extra"] {
            assert!(parse_hello(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn pairs_and_copies_including_bytes_sent_before_the_peer_arrived() {
        let port = crate::sut::free_port().unwrap();
        tokio::spawn(serve(port));
        let connect = || async {
            for _ in 0..100 {
                if let Ok(s) = TcpStream::connect(port).await {
                    return s;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("forwarder did not start");
        };
        let mut a = connect().await;
        a.write_all(b"PAIR t A\nearly").await.unwrap();
        let mut b = connect().await;
        b.write_all(b"PAIR t B\n").await.unwrap();
        let mut buf = [0; 5];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"early");
        b.write_all(b"back").await.unwrap();
        let mut buf = [0; 4];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"back");
    }
}
