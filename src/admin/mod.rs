//! The admin listener: health, Prometheus metrics and the endpoint listing.
//!
//! Plain hyper on its own port, so that scraping and probing never share a queue with device
//! traffic, and so that it can answer "not ready" while the other listeners are still binding.

mod prometheus;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode, header::CONTENT_TYPE, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::debug;

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

    pub async fn run(
        self,
        router: Router,
        sources: MetricsSources,
        ready: Readiness,
        shutdown: CancellationToken,
        tracker: TaskTracker,
    ) {
        loop {
            let (tcp, _) = tokio::select! {
                _ = shutdown.cancelled() => break,
                a = self.tcp.accept() => match a {
                    Ok(a) => a,
                    Err(_) => continue,
                },
            };
            let (router, sources, ready, shutdown) = (router.clone(), sources.clone(), ready.clone(), shutdown.clone());
            tracker.spawn(async move {
                let service = service_fn(move |req| {
                    let resp = respond(&req, &router, &sources, &ready);
                    async move { Ok::<_, Infallible>(resp) }
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

fn respond<B>(req: &Request<B>, router: &Router, sources: &MetricsSources, ready: &Readiness) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".into());
    }
    match req.uri().path() {
        "/healthz" if ready.is_ready() => text(StatusCode::OK, "ok\n".into()),
        "/healthz" => text(StatusCode::SERVICE_UNAVAILABLE, "starting\n".into()),
        "/metrics" => {
            let mut body = prometheus::render(router);
            sources.render(&mut body);
            let mut resp = text(StatusCode::OK, body);
            resp.headers_mut()
                .insert(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8".parse().unwrap());
            resp
        }
        "/api/v1/endpoints" => {
            let body = serde_json::to_vec(&router.endpoints()).unwrap_or_default();
            let mut resp = Response::new(Full::new(Bytes::from(body)));
            resp.headers_mut().insert(CONTENT_TYPE, "application/json".parse().unwrap());
            resp
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n".into()),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp
}
