//! The MQTT MTP (TR-369 §MQTT): usphub is itself the MQTT 5.0 / 3.1.1 broker that agents and
//! controllers connect to as clients.
//!
//! - [`codec`]: the wire format of every packet, both versions, both directions, as a pure
//!   state machine over `bytes`.
//! - [`broker`]: plain MQTT: sessions, subscriptions, retained messages, ACLs.
//! - [`usp`]: what TR-369 adds: endpoint topics, reply-to, content types.

pub mod broker;
pub mod codec;
pub mod connection;
mod metrics;
pub mod settings;
pub mod usp;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::config::MqttConfig;
use crate::net::{ConnectRate, Listener, ListenerLimits};
use crate::router::Router;
use broker::{Broker, BrokerLimits};
use connection::Shared;
use settings::MqttSettings;

/// The bound MQTT listener and the broker behind it.
pub struct MqttListener {
    listener: Listener,
    shared: Arc<Shared>,
}

impl MqttListener {
    pub async fn bind(addr: &str, config: &MqttConfig, router: Router, auth: Arc<crate::auth::Authenticator>) -> anyhow::Result<Self> {
        let tls = config.tls.as_ref().map(|t| crate::tls::acceptor(t, &[b"mqtt"])).transpose().context("mqtt TLS")?;
        let limits = ListenerLimits { max_connections: config.max_connections, handshake_timeout: config.connect_timeout };
        let listener = Listener::bind("mqtt", addr, tls, limits)
            .await
            .with_context(|| format!("binding the MQTT listener on {addr}"))?;
        let broker = Broker::new(BrokerLimits { max_queued: config.max_queued, max_retained: config.max_retained });
        let settings = MqttSettings::from_config(config);
        let rate = ConnectRate::new(config.connect_rate_per_ip);
        Ok(Self { listener, shared: Arc::new(Shared { broker, rate, auth, router, settings }) })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The broker, for metrics.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    pub async fn run(self, shutdown: CancellationToken, tracker: TaskTracker) {
        tracker.spawn(expire_sessions(self.shared.clone(), shutdown.clone()));
        let (shared, conn_shutdown) = (self.shared, shutdown.clone());
        self.listener
            .run(shutdown, tracker, move |stream, peer| {
                let allowed = shared.rate.allow(peer.ip(), std::time::Instant::now());
                connection::serve(stream, peer, shared.clone(), conn_shutdown.clone(), allowed)
            })
            .await;
    }
}

async fn expire_sessions(shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => shared.broker.expire_sessions(std::time::Instant::now()),
        }
    }
}
