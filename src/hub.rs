//! Wiring: builds the router and every listener from a [`Config`], runs them, and shuts them
//! down in order.
//!
//! Tests and benches start a hub in-process through [`start`], with port 0 listeners; the
//! binary does the same from the command line.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{info, warn};

use crate::admin::{AdminListener, AdminState, ApiGuard, CwmpSlot, Readiness};
use crate::auth::Authenticator;
use crate::config::Config;
use crate::mtp::mqtt::MqttListener;
use crate::mtp::stomp::StompListener;
use crate::mtp::uds::UdsListener;
use crate::mtp::ws::WsListener;
use crate::router::{HoldLimits, QueueLimits, Router, RouterLimits};
use crate::telemetry::MetricsSources;

/// A running hub.
pub struct RunningHub {
    pub router: Router,
    /// Where the WebSocket listener is bound, if enabled.
    pub ws_addr: Option<SocketAddr>,
    /// Where the MQTT listener is bound, if enabled.
    pub mqtt_addr: Option<SocketAddr>,
    /// Where the STOMP listener is bound, if enabled.
    pub stomp_addr: Option<SocketAddr>,
    /// Where the CWMP (TR-069 ACS) listener is bound, if enabled.
    pub cwmp_addr: Option<SocketAddr>,
    /// The Unix domain socket's path, if enabled.
    pub uds_path: Option<PathBuf>,
    /// Where the admin listener is bound, if enabled.
    pub admin_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    grace: Duration,
}

/// Binds every enabled listener and starts serving.
pub async fn start(config: Config) -> anyhow::Result<RunningHub> {
    let router = Router::new(router_limits(&config));
    let auth = Arc::new(match &config.auth.credentials_file {
        Some(path) => Authenticator::from_file(path, config.auth.allow_anonymous)?,
        None if config.auth.allow_anonymous => Authenticator::allow_all(),
        None => Authenticator::new(Vec::new(), false),
    });
    let shutdown = CancellationToken::new();
    let tracker = TaskTracker::new();
    let ready = Readiness::default();
    let sources = MetricsSources::default();
    // Filled when the CWMP gateway has started; until then (or with CWMP off) its API is 404.
    let cwmp_slot = CwmpSlot::default();

    // Admin first, so probes see 503 rather than a refused connection while the rest binds.
    let admin_addr = match config.admin.listen.as_addr() {
        Some(addr) => {
            let admin = AdminListener::bind(addr)
                .await
                .with_context(|| format!("binding the admin listener on {addr}"))?;
            let local = admin.local_addr()?;
            let state = AdminState {
                router: router.clone(),
                sources: sources.clone(),
                ready: ready.clone(),
                cwmp: cwmp_slot.clone(),
                guard: ApiGuard::new(config.admin.api_token.as_deref()),
            };
            tracker.spawn(admin.run(state, shutdown.clone(), tracker.clone()));
            info!(addr = %local, "admin listening (/healthz, /metrics, /api/v1/endpoints, /api/v1/cwmp/devices)");
            Some(local)
        }
        None => None,
    };

    let mut mqtt_shared = None;
    let mqtt_addr = match config.mqtt.listen.as_addr() {
        Some(addr) => {
            let mqtt = MqttListener::bind(addr, &config.mqtt, router.clone(), auth.clone()).await?;
            let local = mqtt.local_addr()?;
            sources.add(mqtt.shared());
            mqtt_shared = Some(mqtt.shared());
            tracker.spawn(mqtt.run(shutdown.clone(), tracker.clone()));
            let scheme = if config.mqtt.tls.is_some() { "mqtts" } else { "mqtt" };
            info!(addr = %local, "mqtt listening on {scheme}://{local}");
            Some(local)
        }
        None => None,
    };

    let ws_addr = match config.ws.listen.as_addr() {
        Some(addr) => {
            // MQTT over WebSocket rides on this listener when the broker runs.
            let mqtt_over_ws = mqtt_shared.clone().zip(config.mqtt.ws_path.clone());
            let ws = WsListener::bind(addr, &config.ws, auth.clone(), mqtt_over_ws).await?;
            let local = ws.local_addr()?;
            tracker.spawn(ws.run(router.clone(), shutdown.clone(), tracker.clone()));
            let scheme = if config.ws.tls.is_some() { "wss" } else { "ws" };
            info!(addr = %local, "websocket listening on {scheme}://{local}{}", config.ws.path);
            Some(local)
        }
        None => None,
    };

    let stomp_addr = match config.stomp.listen.as_addr() {
        Some(addr) => {
            let stomp = StompListener::bind(addr, &config.stomp, auth.clone()).await?;
            let local = stomp.local_addr()?;
            tracker.spawn(stomp.run(router.clone(), shutdown.clone(), tracker.clone()));
            let tls = if config.stomp.tls.is_some() { " (TLS)" } else { "" };
            info!(addr = %local, "stomp listening on {local}{tls}");
            Some(local)
        }
        None => None,
    };

    let uds_path = match &config.uds.path {
        Some(path) => {
            let uds = UdsListener::bind(path, &config.uds)?;
            tracker.spawn(uds.run(router.clone(), shutdown.clone(), tracker.clone()));
            info!(path = %path.display(), "uds listening");
            Some(path.clone())
        }
        None => None,
    };

    let cwmp_addr = match config.cwmp.listen.as_addr() {
        Some(addr) => {
            let translator = Arc::new(crate::cwmp::engine::TranslateBridge { config: config.cwmp.translate.clone() });
            let gateway = crate::cwmp::gateway::start(addr, &config.cwmp, router.clone(), translator, shutdown.clone(), tracker.clone());
            let gateway = gateway.await?;
            sources.add(Arc::new(gateway.engine.clone()));
            cwmp_slot.set(Arc::new(gateway.engine.clone()));
            Some(gateway.addr)
        }
        None => None,
    };

    tracker.spawn(sweep_hold(router.clone(), shutdown.clone()));
    ready.set_ready();
    Ok(RunningHub {
        router,
        ws_addr,
        mqtt_addr,
        stomp_addr,
        cwmp_addr,
        uds_path,
        admin_addr,
        shutdown,
        tracker,
        grace: config.shutdown_grace,
    })
}

impl RunningHub {
    /// Stops accepting, lets sessions drain their queues and close with their MTP's code, and
    /// waits for them up to the configured grace period.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.tracker.close();
        if tokio::time::timeout(self.grace, self.tracker.wait()).await.is_err() {
            warn!(grace = ?self.grace, "shutdown grace period over; cutting remaining connections");
        }
    }

    /// Resolves when [`RunningHub::shutdown`] has been called.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

fn router_limits(config: &Config) -> RouterLimits {
    let r = &config.router;
    RouterLimits {
        queue: QueueLimits { max_records: r.queue_max_records, max_bytes: r.queue_max_bytes },
        hold: HoldLimits { max_records: r.hold_max_records, ttl: r.hold_ttl, max_bytes: r.hold_max_bytes },
    }
}

async fn sweep_hold(router: Router, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => router.sweep_hold(),
        }
    }
}
