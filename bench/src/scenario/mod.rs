//! Load scenarios: who connects, what they send, and what is measured.
//!
//! A scenario is written against [`crate::transport`], never against one protocol, so that the
//! same traffic can be aimed at the hub and at a baseline and the two figures compared:
//!
//! - `ws-p2p`, `mqtt-p2p`, `stomp-p2p`: agent/controller pairs, Get → GetResp, on one MTP
//!   ([`p2p`]);
//! - `cross-mtp`: the same pairs with controllers on one MTP and agents on another, so every
//!   Record crosses the router between two MTPs;
//! - `mqtt-fanin`: many agents sending Notify to one controller ([`fanin`]);
//! - `idle-connections`: memory per idle connection ([`idle`]);
//! - `reconnect-storm`: agents dropped and reconnecting at once, then checked for routing
//!   ([`storm`]);
//! - `cwmp-inform`: simulated TR-069 CPE running Inform sessions ([`cwmp_inform`]).

use std::{sync::Arc, time::Duration};

use anyhow::{bail, ensure};
use clap::ValueEnum;
use tokio::time::Interval;

use crate::outcome::Outcome;
use crate::source::{self, Sources};
use crate::sut::SutProbe;
use crate::sys;
use crate::transport::{
    any::AnyConnector,
    mqtt::{MqttConnector, RATE_RETRY_FOR, codec::Version},
    stomp::{Flavour, StompConnector},
    tcp::TcpConnector,
    ws::WsConnector,
};

pub mod cwmp_inform;
pub mod fanin;
pub mod idle;
pub mod p2p;
pub mod ramp;
mod spec;
pub mod storm;
mod window;

pub use spec::{CwmpSpec, LoadSpec, MqttVersion, Mtp, MtpOptions, ScaleSpec, Target, Via};

/// How often senders look for requests past their timeout.
const SWEEP_PERIOD: Duration = Duration::from_millis(100);
/// Descriptors the generator keeps for itself besides its connections.
const SPARE_FDS: u64 = 64;

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
    /// `--connections` idle connections on `--mtp`: memory per connection, connect latency.
    #[value(name = "idle-connections")]
    IdleConnections,
    /// `--connections` agents on `--mtp` dropped and reconnecting at once, `--rounds` times.
    #[value(name = "reconnect-storm")]
    ReconnectStorm,
    /// Simulated TR-069 CPE: Inform sessions against the hub's ACS.
    #[value(name = "cwmp-inform")]
    CwmpInform,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::WsP2p => "ws-p2p",
            Self::MqttP2p => "mqtt-p2p",
            Self::StompP2p => "stomp-p2p",
            Self::CrossMtp => "cross-mtp",
            Self::MqttFanin => "mqtt-fanin",
            Self::IdleConnections => "idle-connections",
            Self::ReconnectStorm => "reconnect-storm",
            Self::CwmpInform => "cwmp-inform",
        }
    }

    /// The MTPs of the controllers and of the agents.
    pub fn mtps(self, options: &MtpOptions) -> (Mtp, Mtp) {
        match self {
            Self::WsP2p => (Mtp::Ws, Mtp::Ws),
            Self::MqttP2p | Self::MqttFanin => (Mtp::Mqtt, Mtp::Mqtt),
            Self::StompP2p => (Mtp::Stomp, Mtp::Stomp),
            Self::CrossMtp => (options.controller_mtp, options.agent_mtp),
            Self::IdleConnections | Self::ReconnectStorm => (options.mtp, options.mtp),
            Self::CwmpInform => (Mtp::Cwmp, Mtp::Cwmp),
        }
    }

    /// Whether the scenario can run over `via`: plain brokers cannot route between MTPs, the
    /// forwarder only pairs connections, and only usphub speaks CWMP.
    pub fn allows(self, via: Via, options: &MtpOptions) -> bool {
        let (controllers, agents) = self.mtps(options);
        let one_mtp = |mtp| controllers == mtp && agents == mtp;
        match (self, via) {
            (_, Via::Hub) => true,
            (Self::CwmpInform, _) => false,
            (Self::MqttFanin | Self::ReconnectStorm, Via::Forwarder) => false,
            (_, Via::Forwarder) => true,
            (Self::MqttP2p | Self::MqttFanin, Via::Mosquitto) => true,
            (Self::IdleConnections | Self::ReconnectStorm, Via::Mosquitto) => one_mtp(Mtp::Mqtt),
            (Self::StompP2p, Via::Rabbitmq) => true,
            (Self::IdleConnections | Self::ReconnectStorm, Via::Rabbitmq) => one_mtp(Mtp::Stomp),
            _ => false,
        }
    }

    /// Connections the generator holds at once.
    pub fn connections(self, spec: &LoadSpec) -> usize {
        match self {
            Self::MqttFanin => spec.pairs + 1,
            Self::IdleConnections => spec.scale.connections,
            Self::ReconnectStorm => spec.scale.connections + 1,
            Self::CwmpInform => spec.cwmp.concurrency,
            _ => 2 * spec.pairs,
        }
    }
}

/// Runs `scenario` once against `target`. `sut`, when given, is the process to charge CPU and
/// memory to.
pub async fn run(
    scenario: Scenario,
    spec: &LoadSpec,
    target: &Target,
    sut: Option<&SutProbe>,
) -> anyhow::Result<Outcome> {
    ensure!(scenario.allows(target.via, &spec.mtp), "{} cannot run via {:?}", scenario.name(), target.via);
    let connections = scenario.connections(spec);
    check_descriptors(connections)?;
    let sources = Arc::new(Sources::new(spec.sources.resolve(connections)));
    source::check_capacity(sources.addrs(), connections)?;
    if !sources.addrs().is_empty() {
        let addrs = sources.addrs();
        eprintln!(
            "{}: connecting from {} source address(es), {} … {}",
            scenario.name(),
            addrs.len(),
            addrs[0],
            addrs[addrs.len() - 1]
        );
    }
    let run_id = run_id();
    if scenario == Scenario::CwmpInform {
        return cwmp_inform::run(spec, target, sources, sut).await.map(Outcome::Cwmp);
    }
    let (controller_mtp, agent_mtp) = scenario.mtps(&spec.mtp);
    let controllers = connector(controller_mtp, &target.addr, target, spec, run_id, &sources)?;
    let agent_addr = target.agent_addr.as_deref().unwrap_or(&target.addr);
    let agents = connector(agent_mtp, agent_addr, target, spec, run_id, &sources)?;
    let name = scenario.name();
    Ok(match scenario {
        Scenario::MqttFanin => Outcome::Traffic(fanin::run(name, agents, controllers, spec, run_id, sut).await?),
        Scenario::IdleConnections => Outcome::Idle(idle::run(agents, spec, sut).await?),
        Scenario::ReconnectStorm => {
            // Refusals are what a storm counts: no quiet retries inside the connector.
            let agents = match agents {
                AnyConnector::Mqtt(c) => AnyConnector::Mqtt(MqttConnector { rate_retry: Duration::ZERO, ..c }),
                other => other,
            };
            Outcome::Storm(storm::run(agents, controllers, spec, run_id, sut).await?)
        }
        _ => Outcome::Traffic(p2p::run(name, agents, controllers, spec, run_id, sut).await?),
    })
}

/// Raises this process's open-files limit to its hard limit and fails, clearly, if
/// `connections` cannot fit under it.
fn check_descriptors(connections: usize) -> anyhow::Result<()> {
    let limit = sys::raise_nofile_limit()?;
    let needed = connections as u64 + SPARE_FDS;
    if needed > limit {
        bail!(
            "{connections} connections need about {needed} open files in this generator, and RLIMIT_NOFILE \
             allows {limit} (the hard limit; only root can raise it, and not at all in some containers). \
             The system under test needs as many. Use fewer connections, or a machine with a higher limit \
             (ulimit -Hn)."
        );
    }
    Ok(())
}

/// The connector for endpoints on `mtp` at `addr`.
fn connector(
    mtp: Mtp,
    addr: &str,
    target: &Target,
    spec: &LoadSpec,
    run_id: u32,
    sources: &Arc<Sources>,
) -> anyhow::Result<AnyConnector> {
    let (target_addr, sources) = (addr.to_owned(), sources.clone());
    Ok(match (target.via, mtp) {
        (_, Mtp::Cwmp) => bail!("CWMP is not a USP MTP: no USP endpoint connects over it"),
        (Via::Forwarder, _) => AnyConnector::Tcp(TcpConnector { target: target_addr, run: run_id, sources }),
        (_, Mtp::Ws) => AnyConnector::Ws(WsConnector { target: target_addr, path: target.path.clone(), sources }),
        (_, Mtp::Mqtt) => AnyConnector::Mqtt(MqttConnector {
            target: target_addr,
            version: match spec.mtp.mqtt_version {
                MqttVersion::V5 => Version::V5,
                MqttVersion::V311 => Version::V311,
            },
            qos: spec.mtp.qos,
            sources,
            rate_retry: RATE_RETRY_FOR,
        }),
        (Via::Rabbitmq, Mtp::Stomp) => {
            AnyConnector::Stomp(StompConnector { target: target_addr, flavour: Flavour::RabbitMq, sources })
        }
        (_, Mtp::Stomp) => AnyConnector::Stomp(StompConnector { target: target_addr, flavour: Flavour::Hub, sources }),
    })
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
