//! The admin listener: health, Prometheus metrics, the endpoint listing, and the CWMP device
//! API (`/api/v1/cwmp/…`, see [`cwmp`]).
//!
//! Plain hyper on its own port, so that scraping and probing never share a queue with device
//! traffic, and so that it can answer "not ready" while the other listeners are still binding.

pub mod cwmp;
mod guard;
mod prometheus;
mod reply;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode, header::CONTENT_TYPE, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::debug;

pub use cwmp::{CwmpAdmin, CwmpSlot};
pub use guard::ApiGuard;
use reply::Reply;

use crate::router::Router;
use crate::telemetry::MetricsSources;

/// Set once every listener is bound; `/healthz` answers 503 until then.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Everything the admin routes read from or act on.
#[derive(Clone)]
pub struct AdminState {
    pub router: Router,
    pub sources: MetricsSources,
    pub ready: Readiness,
    /// The CWMP gateway, once started.
    pub cwmp: CwmpSlot,
    pub guard: ApiGuard,
}

pub struct AdminListener {
    tcp: TcpListener,
}

impl AdminListener {
    pub async fn bind(addr: &str) -> std::io::Result<Self> {
        Ok(Self { tcp: TcpListener::bind(addr).await? })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    pub async fn run(self, state: AdminState, shutdown: CancellationToken, tracker: TaskTracker) {
        loop {
            let (tcp, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                a = self.tcp.accept() => match a {
                    Ok(a) => a,
                    Err(_) => continue,
                },
            };
            let (state, shutdown) = (state.clone(), shutdown.clone());
            tracker.spawn(async move {
                let service = service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(respond(req, peer, &state).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(std::time::Duration::from_secs(10))
                    .serve_connection(TokioIo::new(tcp), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => if let Err(e) = r { debug!(error = %e, "admin connection") },
                    _ = shutdown.cancelled() => conn.as_mut().graceful_shutdown(),
                }
            });
        }
    }
}

async fn respond(req: Request<Incoming>, peer: SocketAddr, state: &AdminState) -> Reply {
    if cwmp::is_cwmp_path(req.uri().path()) {
        return cwmp::handle(req, peer.ip(), &state.cwmp, &state.guard).await;
    }
    let known = matches!(req.uri().path(), "/healthz" | "/metrics" | "/api/v1/endpoints");
    if !known {
        return reply::text(StatusCode::NOT_FOUND, "not found\n".into());
    }
    if req.method() != Method::GET {
        return reply::text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
    }
    match req.uri().path() {
        "/healthz" if state.ready.is_ready() => reply::text(StatusCode::OK, "ok\n".into()),
        "/healthz" => reply::text(StatusCode::SERVICE_UNAVAILABLE, "starting\n".into()),
        "/metrics" => {
            let mut body = prometheus::render(&state.router);
            state.sources.render(&mut body);
            let mut resp = reply::text(StatusCode::OK, body);
            resp.headers_mut()
                .insert(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8".parse().unwrap());
            resp
        }
        _ => reply::json(&state.router.endpoints()),
    }
}
