//! Load scenarios: who connects, what they send, and what is measured.
//!
//! A scenario is written against [`crate::transport`], never against one protocol, so that the
//! same traffic can be aimed at the hub and at a baseline and the two figures compared. Today:
//! `ws-p2p`; the MQTT, STOMP, cross-MTP, idle, reconnect and CWMP scenarios join this list.

use std::time::Duration;

use clap::ValueEnum;

use crate::report::Report;
use crate::sut::SutProbe;
use crate::transport::{tcp::TcpConnector, ws::WsConnector};

pub mod ws_p2p;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Agent/controller pairs, Get → GetResp, over the hub's WebSocket MTP.
    #[value(name = "ws-p2p")]
    WsP2p,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Self::WsP2p => "ws-p2p",
        }
    }
}

/// What carries the scenario's Records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// The scenario's own protocol, through usphub (or any USP broker).
    Hub,
    /// Length-prefixed Records over raw TCP through `usphub-bench forwarder`: the floor.
    Forwarder,
}

/// How much load, for how long.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub pairs: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// Record size to aim for, bytes.
    pub size: usize,
    /// Requests per second per pair; `None` is closed loop.
    pub rate: Option<f64>,
    /// Outstanding requests per pair: kept full in closed loop, a ceiling in open loop.
    pub window: usize,
    /// A request not answered within this counts as an error.
    pub timeout: Duration,
}

/// Where the system under test listens.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`.
    pub addr: String,
    /// The WebSocket path, for `Via::Hub`.
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
    let run_id = run_id();
    match (scenario, target.via) {
        (Scenario::WsP2p, Via::Hub) => {
            let connector = WsConnector { target: target.addr.clone(), path: target.path.clone() };
            ws_p2p::run(connector, spec, run_id, sut).await
        }
        (Scenario::WsP2p, Via::Forwarder) => {
            let connector = TcpConnector { target: target.addr.clone(), run: run_id };
            ws_p2p::run(connector, spec, run_id, sut).await
        }
    }
}

/// Distinguishes this run's messages from a previous run's late ones.
fn run_id() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (nanos.as_nanos() as u32) ^ std::process::id().rotate_left(16)
}
