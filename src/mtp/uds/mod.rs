//! The USP UNIX domain socket MTP (TR-369 §UNIX Domain Socket), for endpoints on the same
//! device: usphub is the UDS server (R-UDS.2/3) that agents and USP services connect to.
//!
//! - [`codec`]: the `_USP` sync + length + TLV framing over `bytes`.
//! - [`socket_file`]: binding the socket file with its mode, stale files, clean-up.
//! - [`conn`]: the shared framed connection (`crate::net::FramedConn`) with what UDS writes.
//! - [`session`]: one connection's loop (handshake, Records, Error TLVs).
//! - this file: the listener that ties them to the router.

pub mod codec;
pub mod conn;
pub mod session;
pub mod socket_file;

use std::{path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{debug, warn};

use crate::config::UdsConfig;
use crate::router::Router;
use session::UdsParams;
use socket_file::SocketFile;

/// The bound UDS listener. Dropping it (or the end of [`UdsListener::run`]) removes the socket
/// file, if it is still ours.
pub struct UdsListener {
    listener: UnixListener,
    file: SocketFile,
    params: UdsParams,
    max_frame_size: usize,
    write_timeout: Duration,
    max_connections: usize,
}

impl UdsListener {
    pub fn bind(path: &Path, config: &UdsConfig) -> anyhow::Result<Self> {
        let (listener, file) = SocketFile::bind(path, config.mode)
            .with_context(|| format!("binding the UDS listener on {}", path.display()))?;
        Ok(Self {
            listener,
            file,
            params: UdsParams {
                server_eid: Arc::from(config.server_eid.as_str()),
                handshake_timeout: config.handshake_timeout,
            },
            max_frame_size: config.max_frame_size,
            write_timeout: config.write_timeout,
            max_connections: config.max_connections,
        })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Accepts until `shutdown`, one task per connection on `tracker`.
    pub async fn run(self, router: Router, shutdown: CancellationToken, tracker: TaskTracker) {
        let permits = Arc::new(Semaphore::new(self.max_connections));
        loop {
            let accepted = tokio::select! {
                _ = shutdown.cancelled() => break,
                a = self.listener.accept() => a,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors or similar: back off instead of spinning.
                    warn!(listener = "uds", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                debug!(listener = "uds", "connection limit reached; closing");
                continue;
            };
            let peer = describe_peer(&stream);
            let conn = conn::open(stream, self.max_frame_size, self.write_timeout);
            let (router, params, shutdown) = (router.clone(), self.params.clone(), shutdown.clone());
            tracker.spawn(async move {
                let _permit = permit;
                session::run(conn, router, params, peer, shutdown).await;
            });
        }
        // `self.file` drops here: the socket file goes away with the listener.
    }
}

/// Who is on the other end, for logs and the endpoint listing: clients of a Unix socket have
/// no address, but the kernel knows their process and user.
fn describe_peer(stream: &UnixStream) -> String {
    match stream.peer_cred() {
        Ok(cred) => match cred.pid() {
            Some(pid) => format!("uds:pid={pid},uid={}", cred.uid()),
            None => format!("uds:uid={}", cred.uid()),
        },
        Err(_) => "uds".into(),
    }
}
