//! The accept loop shared by every TCP listener.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{debug, warn};

use super::Stream;

#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    /// Connections open at once; further ones are closed on accept.
    pub max_connections: usize,
    /// The TLS handshake must finish within this time.
    pub handshake_timeout: Duration,
}

/// Connections the kernel may queue before we accept them. tokio's default (1,024) overflowed
/// when 5,000 clients reconnected at once (a reconnect storm after a network blip): each overflow
/// costs the client a SYN retransmit, a second or more. The kernel caps it at somaxconn.
const BACKLOG: u32 = 8192;

/// `TcpListener::bind` with a larger accept queue, trying each address `addr` resolves to.
async fn bind_with_backlog(addr: &str) -> std::io::Result<TcpListener> {
    let mut last_error = None;
    for candidate in tokio::net::lookup_host(addr).await? {
        let socket = match candidate {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        // As TcpListener::bind does: a restarted hub can bind while old connections linger.
        socket.set_reuseaddr(true)?;
        match socket.bind(candidate).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "address resolves to nothing")))
}

/// A bound TCP listener with its TLS acceptor and limits.
pub struct Listener {
    name: &'static str,
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    limits: ListenerLimits,
}

impl Listener {
    pub async fn bind(
        name: &'static str,
        addr: &str,
        tls: Option<TlsAcceptor>,
        limits: ListenerLimits,
    ) -> std::io::Result<Self> {
        let tcp = bind_with_backlog(addr).await?;
        Ok(Self { name, tcp, tls, limits })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Accepts until `shutdown`, running `handle` for each connection on `tracker`.
    pub async fn run<H, F>(self, shutdown: CancellationToken, tracker: TaskTracker, handle: H)
    where
        H: Fn(Stream, SocketAddr) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let permits = Arc::new(Semaphore::new(self.limits.max_connections));
        let handle = Arc::new(handle);
        loop {
            let accepted = tokio::select! {
                _ = shutdown.cancelled() => break,
                a = self.tcp.accept() => a,
            };
            let (tcp, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or similar: back off instead of spinning.
                    warn!(listener = self.name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                debug!(listener = self.name, %peer, "connection limit reached; closing");
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let tls = self.tls.clone();
            let handle = handle.clone();
            let timeout = self.limits.handshake_timeout;
            let name = self.name;
            tracker.spawn(async move {
                let _permit = permit;
                let stream = match tls {
                    None => Stream::Plain(tcp),
                    // Boxed: a TLS handshake's state is large and needed briefly; inline it
                    // would size this task for the connection's whole life.
                    Some(acceptor) => match Box::pin(tokio::time::timeout(timeout, acceptor.accept(tcp))).await {
                        Ok(Ok(s)) => Stream::Tls(Box::new(s)),
                        Ok(Err(e)) => {
                            debug!(listener = name, %peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            debug!(listener = name, %peer, "TLS handshake timed out");
                            return;
                        }
                    },
                };
                handle(stream, peer).await;
            });
        }
    }
}
