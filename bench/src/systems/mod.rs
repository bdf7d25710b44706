//! The systems `compare` starts: usphub, and the baselines it is measured against.
//!
//! Each module writes its system's configuration into the run's log directory and returns a
//! [`Launch`]: usphub with the listeners the scenario needs; the bare TCP forwarder (the
//! no-protocol ceiling); mosquitto, the MQTT broker most people run; RabbitMQ with its STOMP
//! plugin, the STOMP server most people run. Every one listens on free loopback ports, so a
//! comparison never touches a system someone else runs on this machine.

mod hub;
mod mosquitto;
mod rabbitmq;

use std::{path::Path, process::Command, time::Duration};

use anyhow::Context;
use clap::ValueEnum;

pub use hub::hub;

use crate::scenario::{LoadSpec, Via};
use crate::sut::{self, Launch, Listeners, LogCheck, Readiness};

/// What usphub is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    /// `usphub-bench forwarder`: the same Records, length-prefixed over paired raw TCP.
    Forwarder,
    /// mosquitto, for the MQTT scenarios.
    Mosquitto,
    /// RabbitMQ with its STOMP plugin, for stomp-p2p.
    Rabbitmq,
}

impl Baseline {
    pub fn name(self) -> &'static str {
        match self {
            Self::Forwarder => "forwarder",
            Self::Mosquitto => "mosquitto",
            Self::Rabbitmq => "rabbitmq",
        }
    }

    /// How the generator talks to it.
    pub fn via(self) -> Via {
        match self {
            Self::Forwarder => Via::Forwarder,
            Self::Mosquitto => Via::Mosquitto,
            Self::Rabbitmq => Via::Rabbitmq,
        }
    }
}

/// Where the baselines' programs are.
#[derive(Debug, Clone)]
pub struct Programs {
    pub mosquitto: std::path::PathBuf,
    /// RabbitMQ's own start script (not Debian's `/usr/sbin` wrapper, which switches user and
    /// drops the environment that points the node at its private directories).
    pub rabbitmq_server: std::path::PathBuf,
}

/// The launch of `baseline`, configured for `spec`, logging into `logs`. `pin` is where the
/// system under test runs, for the helpers it starts itself.
pub async fn baseline(
    baseline: Baseline,
    spec: &LoadSpec,
    programs: &Programs,
    pin: Option<usize>,
    logs: &Path,
) -> anyhow::Result<Launch> {
    match baseline {
        Baseline::Forwarder => forwarder(logs),
        Baseline::Mosquitto => mosquitto::mosquitto(&programs.mosquitto, spec, logs),
        Baseline::Rabbitmq => rabbitmq::rabbitmq(&programs.rabbitmq_server, pin, logs).await,
    }
}

fn forwarder(logs: &Path) -> anyhow::Result<Launch> {
    let addr = sut::free_port()?;
    let exe = std::env::current_exe().context("locating usphub-bench itself")?;
    let mut command = Command::new(exe);
    command.args(["forwarder", "--listen", &addr.to_string()]);
    let log = logs.join("forwarder.log");
    Ok(Launch {
        name: "forwarder".into(),
        command,
        listeners: Listeners { raw: Some(addr), ..Listeners::default() },
        admin: None,
        ready: Readiness::Accepts(addr),
        ready_timeout: Duration::from_secs(15),
        checks: vec![LogCheck { path: log.clone(), markers: &["forwarder:"] }],
        log,
        helpers: Vec::new(),
        scratch: None,
    })
}

/// Per-session queue limit given to usphub and mosquitto alike: generous, so that neither
/// drops under a burst the other would absorb.
const MAX_QUEUED: usize = 100_000;
/// QoS 1 messages in flight towards one client, both brokers: usphub's default
/// `mqtt.max_inflight` (and its Receive Maximum).
const MAX_INFLIGHT: usize = 64;
