//! Builds the CWMP gateway from `[cwmp]`: the device registry, the engine with an actor per
//! registered CPE, the connection requester, and the ACS listener in front of them.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::info;

use crate::config::CwmpConfig;
use crate::cwmp::acs::AcsListener;
use crate::cwmp::connreq::ConnectionRequester;
use crate::cwmp::engine::translator::Translator;
use crate::cwmp::engine::{Engine, EngineSettings, NotifyRetry};
use crate::cwmp::registry::{Credentials, Registry};
use crate::router::Router;
use crate::usp::EndpointId;

/// A started gateway.
pub struct Gateway {
    /// Where the ACS listens.
    pub addr: SocketAddr,
    /// The device engine: its figures for `/metrics`, its devices for the admin API.
    pub engine: Engine,
}

/// Opens the registry, starts every registered CPE's virtual agent and binds the ACS on
/// `addr`.
pub async fn start(
    addr: &str,
    config: &CwmpConfig,
    router: Router,
    translator: Arc<dyn Translator>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) -> anyhow::Result<Gateway> {
    let path = config.database.clone();
    let registry = tokio::task::spawn_blocking(move || Registry::open(&path))
        .await?
        .with_context(|| format!("opening the device registry {}", config.database.display()))?;
    let cr = &config.connection_request;
    let notify_controllers = config
        .notify_controllers
        .iter()
        .map(|eid| EndpointId::new(eid))
        .collect::<Result<Vec<_>, _>>()
        .context("cwmp.notify_controllers")?;
    let settings = EngineSettings {
        endpoint_scheme: config.endpoint_scheme,
        session_timeout: config.session_timeout,
        request_timeout: config.request_timeout,
        notify_controllers,
        connection_request_min_interval: cr.min_interval,
        connection_request_retry: cr.retry_interval,
        connection_request_credentials: cr
            .username
            .clone()
            .zip(cr.password.clone())
            .map(|(u, p)| Credentials::new(u, p)),
        notify_retry: NotifyRetry {
            min_wait: config.notify_retry.min_wait,
            multiplier: f64::from(config.notify_retry.interval_multiplier) / 1000.0,
            max_attempts: config.notify_retry.max_attempts,
        },
    };
    let requester = ConnectionRequester::new(cr.rate_per_second, cr.timeout);
    let engine = Engine::start(router, registry, translator, requester, settings, shutdown.clone(), tracker.clone())
        .context("loading the device registry")?;
    let devices = engine.device_count();
    let acs = AcsListener::bind(addr, config, engine.clone()).await?;
    let local = acs.local_addr()?;
    tracker.spawn(acs.run(shutdown, tracker.clone()));
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    info!(addr = %local, devices, "cwmp ACS listening on {scheme}://{local}{}", config.path);
    Ok(Gateway { addr: local, engine })
}
