//! Load scenarios: who connects, what they send, and what is measured.
//!
//! A scenario is written against [`crate::transport`], never against one protocol, so that the
//! same traffic can be aimed at the hub and at a baseline and the two figures compared:
//!
//! - `ws-p2p`, `mqtt-p2p`, `stomp-p2p`: agent/controller pairs, Get → GetResp, on one MTP
//!   ([`p2p`]);
//! - `cross-mtp`: the same pairs with controllers on one MTP and agents on another, so every
//!   Record crosses the router between two MTPs;
//! - `mqtt-fanin`: many agents sending Notify to one controller ([`fanin`]).

use std::time::Duration;

use anyhow::{Context, ensure};
use clap::ValueEnum;
use futures_util::{StreamExt, TryStreamExt, stream};
use tokio::time::Interval;

use crate::report::Report;
use crate::stats::Live;
use crate::sut::SutProbe;
use crate::transport::{
    Connector, Endpoint,
    any::AnyConnector,
    mqtt::{MqttConnector, codec::Version},
    stomp::{Flavour, StompConnector},
    tcp::TcpConnector,
    ws::WsConnector,
};

pub mod fanin;
pub mod p2p;

/// Handshakes in flight at once while connecting.
const CONNECT_CONCURRENCY: usize = 64;
/// How often senders look for requests past their timeout.
const SWEEP_PERIOD: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Agent/controller pairs, Get → GetResp, over the hub's WebSocket MTP.
    #[value(name = "ws-p2p")]
    WsP2p,
    /// The same pairs over MQTT (`--mqtt-version`, `--qos`).
    #[value(name = "mqtt-p2p")]
    MqttP2p,
    /// The same pairs over STOMP 1.2.
    #[value(name = "stomp-p2p")]
    StompP2p,
    /// The same pairs, controllers on `--controller-mtp` (ws) and agents on `--agent-mtp` (mqtt).
    #[value(name = "cross-mtp")]
    CrossMtp,
    /// N agents sending Notify (no response) to one controller over MQTT.
    #[value(name = "mqtt-fanin")]
    MqttFanin,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::WsP2p => "ws-p2p",
            Self::MqttP2p => "mqtt-p2p",
            Self::StompP2p => "stomp-p2p",
            Self::CrossMtp => "cross-mtp",
            Self::MqttFanin => "mqtt-fanin",
        }
    }

    /// The MTPs of the controllers and of the agents.
    pub fn mtps(self, options: &MtpOptions) -> (Mtp, Mtp) {
        match self {
            Self::WsP2p => (Mtp::Ws, Mtp::Ws),
            Self::MqttP2p | Self::MqttFanin => (Mtp::Mqtt, Mtp::Mqtt),
            Self::StompP2p => (Mtp::Stomp, Mtp::Stomp),
            Self::CrossMtp => (options.controller_mtp, options.agent_mtp),
        }
    }

    /// Whether the scenario can run over `via`: plain brokers cannot route between MTPs, and
    /// the forwarder only pairs connections.
    pub fn allows(self, via: Via) -> bool {
        match via {
            Via::Hub => true,
            Via::Forwarder => self != Self::MqttFanin,
            Via::Mosquitto => matches!(self, Self::MqttP2p | Self::MqttFanin),
            Via::Rabbitmq => self == Self::StompP2p,
        }
    }
}

/// A USP Message Transfer Protocol of the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Mtp {
    Ws,
    Mqtt,
    Stomp,
}

impl Mtp {
    /// Where the hub listens for it by default.
    pub fn default_addr(self) -> &'static str {
        match self {
            Self::Ws => "127.0.0.1:8080",
            Self::Mqtt => "127.0.0.1:1883",
            Self::Stomp => "127.0.0.1:61613",
        }
    }
}

/// What carries the scenario's Records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// The scenario's own protocols, through usphub (or any USP broker).
    Hub,
    /// Length-prefixed Records over raw TCP through `usphub-bench forwarder`: the floor.
    Forwarder,
    /// A plain MQTT broker (mosquitto or any other): topics `usp/v1/<eid>`, no `to_id` routing.
    Mosquitto,
    /// RabbitMQ's STOMP plugin: destinations `/queue/usp.v1.<eid>`.
    Rabbitmq,
}

/// MQTT protocol level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MqttVersion {
    #[value(name = "5")]
    V5,
    #[value(name = "3", alias = "3.1.1")]
    V311,
}

/// Protocol choices that change the bytes on the wire, not the amount of load.
#[derive(Debug, Clone, Copy)]
pub struct MtpOptions {
    pub mqtt_version: MqttVersion,
    /// QoS of MQTT PUBLISHes and subscriptions, 0 or 1.
    pub qos: u8,
    /// cross-mtp: the controllers' MTP.
    pub controller_mtp: Mtp,
    /// cross-mtp: the agents' MTP.
    pub agent_mtp: Mtp,
}

impl Default for MtpOptions {
    fn default() -> Self {
        Self { mqtt_version: MqttVersion::V5, qos: 0, controller_mtp: Mtp::Ws, agent_mtp: Mtp::Mqtt }
    }
}

/// How much load, for how long.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Agent/controller pairs; for fan-in, agents.
    pub pairs: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// Record size to aim for, bytes.
    pub size: usize,
    /// Requests (or Notifies) per second per pair; `None` is closed loop.
    pub rate: Option<f64>,
    /// Outstanding requests per pair: kept full in closed loop, a ceiling in open loop.
    pub window: usize,
    /// A request not answered within this counts as an error.
    pub timeout: Duration,
    pub mtp: MtpOptions,
}

/// Where the system under test listens.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` the controllers connect to (everyone, in a one-MTP scenario).
    pub addr: String,
    /// `host:port` the agents connect to, when it differs (cross-mtp).
    pub agent_addr: Option<String>,
    /// The WebSocket path.
    pub path: String,
    pub via: Via,
}

/// Runs `scenario` once against `target`. `sut`, when given, is the process to charge CPU and
/// memory to.
pub async fn run(
    scenario: Scenario,
    spec: &LoadSpec,
    target: &Target,
    sut: Option<&SutProbe>,
) -> anyhow::Result<Report> {
    ensure!(scenario.allows(target.via), "{} cannot run via {:?}", scenario.name(), target.via);
    let run_id = run_id();
    let (controller_mtp, agent_mtp) = scenario.mtps(&spec.mtp);
    let controllers = connector(controller_mtp, &target.addr, target, spec, run_id);
    let agents = connector(agent_mtp, target.agent_addr.as_deref().unwrap_or(&target.addr), target, spec, run_id);
    match scenario {
        Scenario::MqttFanin => fanin::run(scenario.name(), agents, controllers, spec, run_id, sut).await,
        _ => p2p::run(scenario.name(), agents, controllers, spec, run_id, sut).await,
    }
}

/// The connector for endpoints on `mtp` at `addr`.
fn connector(mtp: Mtp, addr: &str, target: &Target, spec: &LoadSpec, run_id: u32) -> AnyConnector {
    let addr = addr.to_owned();
    match (target.via, mtp) {
        (Via::Forwarder, _) => AnyConnector::Tcp(TcpConnector { target: addr, run: run_id }),
        (_, Mtp::Ws) => AnyConnector::Ws(WsConnector { target: addr, path: target.path.clone() }),
        (_, Mtp::Mqtt) => AnyConnector::Mqtt(MqttConnector {
            target: addr,
            version: match spec.mtp.mqtt_version {
                MqttVersion::V5 => Version::V5,
                MqttVersion::V311 => Version::V311,
            },
            qos: spec.mtp.qos,
        }),
        (Via::Rabbitmq, Mtp::Stomp) => AnyConnector::Stomp(StompConnector { target: addr, flavour: Flavour::RabbitMq }),
        (_, Mtp::Stomp) => AnyConnector::Stomp(StompConnector { target: addr, flavour: Flavour::Hub }),
    }
}

/// Opens one link per endpoint, a bounded number of handshakes at a time; fails on the first
/// endpoint that cannot connect.
async fn connect_all<C: Connector>(
    connector: &C,
    endpoints: impl Iterator<Item = Endpoint>,
    live: &Live,
) -> anyhow::Result<Vec<(Endpoint, C::Link)>> {
    stream::iter(endpoints)
        .map(|endpoint| async move {
            let link = connector.connect(&endpoint).await.with_context(|| format!("connecting {}", endpoint.eid))?;
            live.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            anyhow::Ok((endpoint, link))
        })
        .buffered(CONNECT_CONCURRENCY)
        .try_collect()
        .await
}

/// How a sender paces its Records.
#[derive(Debug, Clone, Copy)]
struct Pacing {
    window: usize,
    /// Time between two sends of one pair; `None` is closed loop.
    period: Option<Duration>,
    timeout: Duration,
}

impl Pacing {
    fn new(spec: &LoadSpec) -> Self {
        let period = spec.rate.map(|r| Duration::from_secs_f64(1.0 / r));
        Self { window: spec.window.max(1), period, timeout: spec.timeout }
    }

    /// When sender `index` of `count` first sends: open-loop senders are spread over one
    /// period rather than all firing together.
    fn offset(&self, index: usize, count: usize) -> Duration {
        self.period.map_or(Duration::ZERO, |p| p.mul_f64(index as f64 / count.max(1) as f64))
    }
}

/// The next tick of an open-loop pace; never, in closed loop.
async fn next_tick(pace: &mut Option<Interval>) {
    match pace {
        Some(pace) => _ = pace.tick().await,
        None => std::future::pending().await,
    }
}

/// Distinguishes this run's messages from a previous run's late ones.
fn run_id() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (nanos.as_nanos() as u32) ^ std::process::id().rotate_left(16)
}
