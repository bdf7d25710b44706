//! The ACS front: the HTTP/1.1 server CPE call in to (plain or TLS, through [`crate::net`]).
//!
//! It owns everything HTTP: methods and paths, body limits, authentication ([`auth`]), and
//! which session a POST belongs to ([`sessions`]). The CWMP rules of a session live in the
//! pure [`session`] state machine, run by each device's actor in [`crate::cwmp::engine`]:
//! the front hands each POST to the device and writes back its answer.

pub mod auth;
mod http;
pub mod session;
pub mod sessions;

#[cfg(test)]
mod session_tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::config::CwmpConfig;
use crate::cwmp::engine::Engine;
use crate::net::{Listener, ListenerLimits, Stream};
use auth::CpeAuth;
use sessions::SessionTable;

/// What every request handler shares.
pub(crate) struct Front {
    path: String,
    max_body: usize,
    /// Reading one request body must finish within this time.
    read_timeout: Duration,
    auth: CpeAuth,
    sessions: SessionTable,
    engine: Engine,
}

/// The bound ACS listener.
pub struct AcsListener {
    listener: Listener,
    front: Arc<Front>,
    session_timeout: Duration,
}

impl AcsListener {
    pub async fn bind(addr: &str, config: &CwmpConfig, engine: Engine) -> anyhow::Result<Self> {
        let tls =
            config.tls.as_ref().map(|t| crate::tls::acceptor(t, &[b"http/1.1"])).transpose().context("cwmp TLS")?;
        let limits =
            ListenerLimits { max_connections: config.max_connections, handshake_timeout: config.session_timeout };
        let listener = Listener::bind("cwmp", addr, tls, limits)
            .await
            .with_context(|| format!("binding the CWMP listener on {addr}"))?;
        let front = Arc::new(Front {
            path: config.path.clone(),
            max_body: config.max_body,
            read_timeout: config.session_timeout,
            auth: CpeAuth::new(config, engine.registry().clone()),
            sessions: SessionTable::default(),
            engine,
        });
        Ok(Self { listener, front, session_timeout: config.session_timeout })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run(self, shutdown: CancellationToken, tracker: TaskTracker) {
        let (front, idle) = (self.front, self.session_timeout);
        tracker.spawn(sweep_sessions(front.clone(), idle, shutdown.clone()));
        let conn_shutdown = shutdown.clone();
        self.listener
            .run(shutdown, tracker, move |stream, peer| serve(stream, peer, front.clone(), idle, conn_shutdown.clone()))
            .await;
    }
}

/// One TCP connection: HTTP/1.1 keep-alive, requests one at a time (CPE do not pipeline).
async fn serve(stream: Stream, peer: SocketAddr, front: Arc<Front>, idle: Duration, shutdown: CancellationToken) {
    let bound = http::ConnectionSession::default();
    let service = service_fn(move |request| {
        let (front, bound) = (front.clone(), bound.clone());
        async move { Ok::<_, std::convert::Infallible>(http::handle(front, peer, bound, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(idle);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "cwmp connection ended");
            }
        }
        _ = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Drops the front's record of sessions their devices have long forgotten.
async fn sweep_sessions(front: Arc<Front>, idle: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(idle);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => front.sessions.sweep(idle * 2),
        }
    }
}
