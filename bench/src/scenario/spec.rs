//! What a run is asked to do: the MTPs and systems it goes through, and how much load (the
//! traffic scenarios' pairs and rates, the connection scenarios' counts and storms, the CWMP
//! scenario's devices and sessions). Built from the command line by [`crate::cli`].

use std::time::Duration;

use clap::ValueEnum;

pub use super::ramp::Ramp;
use crate::source::SourceSpec;

/// A USP Message Transfer Protocol of the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Mtp {
    Ws,
    Mqtt,
    Stomp,
    /// Not a USP MTP: the hub's TR-069 ACS, which cwmp-inform talks to.
    #[value(skip)]
    Cwmp,
}

impl Mtp {
    /// Where the hub listens for it by default.
    pub fn default_addr(self) -> &'static str {
        match self {
            Self::Ws => "127.0.0.1:8080",
            Self::Mqtt => "127.0.0.1:1883",
            Self::Stomp => "127.0.0.1:61613",
            Self::Cwmp => "127.0.0.1:7547",
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
    /// idle-connections and reconnect-storm: everyone's MTP.
    pub mtp: Mtp,
}

impl Default for MtpOptions {
    fn default() -> Self {
        Self { mqtt_version: MqttVersion::V5, qos: 0, controller_mtp: Mtp::Ws, agent_mtp: Mtp::Mqtt, mtp: Mtp::Mqtt }
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
    /// Every Nth request is a Set rather than a Get; 0: Gets only.
    pub set_every: u32,
    /// Requests (or Notifies) per second per pair; `None` is closed loop.
    pub rate: Option<f64>,
    /// Outstanding requests per pair: kept full in closed loop, a ceiling in open loop.
    pub window: usize,
    /// A request not answered within this counts as an error.
    pub timeout: Duration,
    pub mtp: MtpOptions,
    /// How endpoints connect.
    pub ramp: Ramp,
    /// Source addresses of the generator's connections.
    pub sources: SourceSpec,
    /// idle-connections and reconnect-storm.
    pub scale: ScaleSpec,
    /// cwmp-inform.
    pub cwmp: CwmpSpec,
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

/// idle-connections and reconnect-storm: how many connections, how long, how stormy.
#[derive(Debug, Clone)]
pub struct ScaleSpec {
    /// Connections (idle-connections) or agents (reconnect-storm).
    pub connections: usize,
    /// idle-connections: connection counts (ascending, the last = `connections`) at which
    /// memory is sampled while connections accumulate; empty: only before and after.
    pub steps: Vec<usize>,
    /// idle-connections: how long every connection stays open and idle once all are up.
    pub hold: Duration,
    /// Time after the last connect (and after each storm) before memory is sampled or
    /// Records are checked.
    pub settle: Duration,
    /// reconnect-storm: the share of agents dropped per round, 0 < f <= 1.
    pub fraction: f64,
    /// reconnect-storm: storms in a run.
    pub rounds: usize,
    /// reconnect-storm: reconnects per second after a drop; `None`: all at once.
    pub reconnect_rate: Option<f64>,
}

/// cwmp-inform: simulated CPE and their sessions.
#[derive(Debug, Clone)]
pub struct CwmpSpec {
    /// Devices registered (each one Inform with BOOTSTRAP and BOOT), then cycled through.
    pub devices: usize,
    /// Sessions in flight at once (closed loop: always this many; open loop: at most).
    pub concurrency: usize,
    /// Open loop: sessions per second over all devices; `None`: closed loop.
    pub rate: Option<f64>,
    /// A new TCP connection per session instead of one kept-alive connection per worker.
    pub new_connection_per_session: bool,
    /// The ACS path.
    pub path: String,
}
