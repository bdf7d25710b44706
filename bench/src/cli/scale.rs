//! Options of the connection scenarios (`idle-connections`, `reconnect-storm`), of
//! `cwmp-inform`, and of how every scenario connects (ramp, source addresses). Kept apart from
//! the traffic options so that each group reads as one thing.

use std::time::Duration;

use anyhow::ensure;
use clap::Args;

use crate::scenario::{CwmpSpec, Mtp, ScaleSpec, ramp::Ramp};
use crate::source::{self, SourceSpec};

#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// New connections per second at most while connecting (every scenario); 0: as fast as
    /// --connect-concurrency allows.
    #[arg(long, default_value_t = 0.0)]
    pub connect_rate: f64,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,
    /// Source addresses of the generator's connections, round-robin: `auto` (none below
    /// 25,000 connections, else 127.0.0.1 … as many as needed), a count K (127.0.0.1 …
    /// 127.0.0.K), a range `127.0.0.1-127.0.0.16`, or a list. Loopback only.
    #[arg(long, default_value = "auto", value_parser = source::parse_arg)]
    pub source_addrs: SourceSpec,
}

#[derive(Debug, Clone, Args)]
pub struct ScaleArgs {
    /// idle-connections: connections to open; reconnect-storm: agents.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// idle-connections: sample memory at these counts while connecting (comma-separated,
    /// ascending, e.g. 1000,5000,10000,19000; the last one replaces --connections) and report
    /// the slope of RSS over connections.
    #[arg(long, value_delimiter = ',')]
    pub steps: Vec<usize>,
    /// idle-connections, reconnect-storm: the MTP everyone connects over.
    #[arg(long, value_enum, default_value = "mqtt")]
    pub mtp: Mtp,
    /// idle-connections: how long the connections stay open and idle once all are up.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub hold: Duration,
    /// Pause after the last connect (and after each storm) before measuring or checking.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub settle: Duration,
    /// reconnect-storm: share of the agents dropped in each storm, 0 < F <= 1.
    #[arg(long, default_value_t = 1.0)]
    pub fraction: f64,
    /// reconnect-storm: storms per run.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// reconnect-storm: reconnects per second after a drop; 0: all at once.
    #[arg(long, default_value_t = 0.0)]
    pub reconnect_rate: f64,
}

#[derive(Debug, Clone, Args)]
pub struct CwmpArgs {
    /// cwmp-inform: simulated CPE (each registers with one BOOTSTRAP/BOOT session first).
    #[arg(long, default_value_t = 1000)]
    pub devices: usize,
    /// cwmp-inform: sessions in flight at once (closed loop: always; open loop --rate: at most).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// cwmp-inform: open a new TCP connection for every session (default: each worker keeps
    /// one HTTP/1.1 connection alive across sessions).
    #[arg(long)]
    pub new_connection_per_session: bool,
    /// cwmp-inform: the ACS path.
    #[arg(long, default_value = "/")]
    pub acs_path: String,
}

impl ConnectArgs {
    pub fn ramp(&self) -> anyhow::Result<Ramp> {
        ensure!(self.connect_rate.is_finite() && self.connect_rate >= 0.0, "--connect-rate must be 0 or positive");
        ensure!(self.connect_concurrency >= 1, "--connect-concurrency must be at least 1");
        Ok(Ramp { rate: (self.connect_rate > 0.0).then_some(self.connect_rate), concurrency: self.connect_concurrency })
    }
}

impl ScaleArgs {
    pub fn to_spec(&self) -> anyhow::Result<ScaleSpec> {
        ensure!(self.steps.windows(2).all(|w| w[0] < w[1]), "--steps must be ascending");
        ensure!(self.steps.first() != Some(&0), "--steps must be positive");
        let connections = self.steps.last().copied().unwrap_or(self.connections);
        ensure!(connections >= 1, "--connections must be at least 1");
        ensure!(self.mtp != Mtp::Cwmp, "--mtp must be ws, mqtt or stomp");
        ensure!(self.fraction > 0.0 && self.fraction <= 1.0, "--fraction must be more than 0 and at most 1");
        ensure!(self.rounds >= 1, "--rounds must be at least 1");
        ensure!(
            self.reconnect_rate.is_finite() && self.reconnect_rate >= 0.0,
            "--reconnect-rate must be 0 or positive"
        );
        Ok(ScaleSpec {
            connections,
            steps: self.steps.clone(),
            hold: self.hold,
            settle: self.settle,
            fraction: self.fraction,
            rounds: self.rounds,
            reconnect_rate: (self.reconnect_rate > 0.0).then_some(self.reconnect_rate),
        })
    }
}

impl CwmpArgs {
    /// `rate`: the common --rate, here sessions per second over all devices.
    pub fn to_spec(&self, rate: Option<f64>) -> anyhow::Result<CwmpSpec> {
        ensure!(self.devices >= 1, "--devices must be at least 1");
        ensure!(self.concurrency >= 1, "--concurrency must be at least 1");
        ensure!(self.acs_path.starts_with('/'), "--acs-path must start with /");
        Ok(CwmpSpec {
            devices: self.devices,
            concurrency: self.concurrency,
            rate,
            new_connection_per_session: self.new_connection_per_session,
            path: self.acs_path.clone(),
        })
    }
}
