//! The command line: `run`, `forwarder`, `compare`.
//!
//! Load options are shared by `run` and `compare`, so a comparison is always reproducible as
//! plain `run`s with the same flags.

mod scale;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::ensure;
use clap::{Args, Parser, Subcommand};

use crate::scenario::{LoadSpec, MqttVersion, Mtp, MtpOptions, Scenario, Via};
use crate::systems::Baseline;
pub use scale::{ConnectArgs, CwmpArgs, ScaleArgs};

/// Load generator and side-by-side benchmark for usphub.
#[derive(Debug, Parser)]
#[command(name = "usphub-bench", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs one scenario against a system that is already running.
    Run(RunArgs),
    /// Bare TCP pair forwarder: the no-protocol ceiling to compare against.
    Forwarder(ForwarderArgs),
    /// Starts usphub and a baseline, runs the same load against each, prints both and the ratio.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// Where the system under test listens, host:port (cross-mtp: the controllers' listener)
    /// [default: the hub's default port of the scenario's MTP: ws 8080, mqtt 1883, stomp 61613].
    #[arg(long)]
    pub target: Option<String>,
    /// cross-mtp: where the agents connect, host:port [default: the hub's default port of
    /// --agent-mtp].
    #[arg(long)]
    pub agent_target: Option<String>,
    /// Through usphub, a plain broker (mosquitto: any MQTT broker, topics usp/v1/<eid>;
    /// rabbitmq: RabbitMQ STOMP, destinations /queue/usp.v1.<eid>), or length-prefixed over a
    /// `usphub-bench forwarder`.
    #[arg(long, value_enum, default_value_t = Via::Hub)]
    pub via: Via,
    /// The hub's WebSocket path.
    #[arg(long, default_value = "/usp")]
    pub path: String,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The system under test's process id, to sample its CPU and memory (idle-connections
    /// and cwmp-inform need it for RSS per connection or device).
    #[arg(long, value_name = "PID")]
    pub sut_pid: Option<u32>,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct ForwarderArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    pub listen: SocketAddr,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// The system usphub is measured against.
    #[arg(long, value_enum)]
    pub baseline: Baseline,
    /// Runs per system; they alternate, and the median counts.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// The usphub binary to start.
    #[arg(long, default_value = "target/release/usphub")]
    pub hub_bin: PathBuf,
    /// The mosquitto binary (Debian package mosquitto).
    #[arg(long, default_value = "mosquitto")]
    pub mosquitto_bin: PathBuf,
    /// RabbitMQ's own start script (Debian package rabbitmq-server); rabbitmq-plugins must be
    /// beside it.
    #[arg(long, default_value = "/usr/lib/rabbitmq/bin/rabbitmq-server")]
    pub rabbitmq_server: PathBuf,
    /// Pin each system under test to core 0 and this generator to core 1 (needed on 2 cores).
    #[arg(long)]
    pub pin: bool,
    /// Also write every run and the medians as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also draw the comparison as an SVG bar chart into this file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Agent/controller pairs.
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,
    /// Length of the measurement window.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub duration: Duration,
    /// Traffic before measuring starts.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub warmup: Duration,
    /// Record size to aim for, bytes (requests and answers alike).
    #[arg(long, default_value_t = 256)]
    pub size: usize,
    /// Requests per second per pair; 0 is closed loop (each answer triggers the next request).
    /// cwmp-inform: sessions per second over all devices.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Every Nth request of a controller is a Set (answered with a SetResp) instead of a Get;
    /// 0: Gets only.
    #[arg(long, default_value_t = 0)]
    pub set_every: u32,
    /// Outstanding requests per pair [default: 1 closed loop, 1024 open loop].
    #[arg(long)]
    pub window: Option<usize>,
    /// A request unanswered for this long counts as an error.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// MQTT protocol version of MQTT endpoints: 5 (5.0) or 3 (3.1.1).
    #[arg(long, value_enum, default_value = "5")]
    pub mqtt_version: MqttVersion,
    /// QoS of MQTT PUBLISHes and subscriptions.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub qos: u8,
    /// cross-mtp: the controllers' MTP.
    #[arg(long, value_enum, default_value = "ws")]
    pub controller_mtp: Mtp,
    /// cross-mtp: the agents' MTP.
    #[arg(long, value_enum, default_value = "mqtt")]
    pub agent_mtp: Mtp,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub scale: ScaleArgs,
    #[command(flatten)]
    pub cwmp: CwmpArgs,
}

/// Largest Record the hub accepts by default.
const MAX_SIZE: usize = 5 * 1024 * 1024;

impl LoadArgs {
    pub fn to_spec(&self) -> anyhow::Result<LoadSpec> {
        ensure!(self.pairs >= 1, "--pairs must be at least 1");
        ensure!(!self.duration.is_zero(), "--duration must be more than 0");
        ensure!(self.rate.is_finite() && self.rate >= 0.0, "--rate must be 0 (closed loop) or a positive number");
        ensure!(self.window != Some(0), "--window must be at least 1");
        ensure!(self.size <= MAX_SIZE, "--size must be at most {MAX_SIZE} bytes");
        ensure!(!self.timeout.is_zero(), "--timeout must be more than 0");
        let rate = (self.rate > 0.0).then_some(self.rate);
        let window = self.window.unwrap_or(if rate.is_some() { 1024 } else { 1 });
        Ok(LoadSpec {
            pairs: self.pairs,
            warmup: self.warmup,
            duration: self.duration,
            size: self.size,
            set_every: self.set_every,
            rate,
            window,
            timeout: self.timeout,
            mtp: MtpOptions {
                mqtt_version: self.mqtt_version,
                qos: self.qos,
                controller_mtp: self.controller_mtp,
                agent_mtp: self.agent_mtp,
                mtp: self.scale.mtp,
            },
            ramp: self.connect.ramp()?,
            sources: self.connect.source_addrs.clone(),
            scale: self.scale.to_spec()?,
            cwmp: self.cwmp.to_spec(rate)?,
        })
    }
}

impl RunArgs {
    /// The target: the given addresses, or the hub's default ports for the scenario's MTPs.
    pub fn to_target(&self, spec: &LoadSpec) -> anyhow::Result<crate::scenario::Target> {
        ensure!(
            self.scenario.allows(self.via, &spec.mtp),
            "{} cannot run via {:?} (see bench/README.md for which scenario runs against which system)",
            self.scenario.name(),
            self.via
        );
        let (controllers, agents) = self.scenario.mtps(&spec.mtp);
        let addr = self.target.clone().unwrap_or_else(|| controllers.default_addr().to_owned());
        let agent_addr = match (&self.agent_target, controllers == agents) {
            (Some(a), _) => Some(a.clone()),
            (None, true) => None,
            (None, false) => Some(agents.default_addr().to_owned()),
        };
        Ok(crate::scenario::Target { addr, agent_addr, path: self.path.clone(), via: self.via })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let cli = Cli::try_parse_from(["usphub-bench", "run", "ws-p2p"]).unwrap();
        let Command::Run(run) = cli.command else { panic!("not run") };
        let spec = run.load.to_spec().unwrap();
        assert_eq!((spec.pairs, spec.window, spec.rate, spec.size), (100, 1, None, 256));
        assert_eq!((spec.duration, spec.warmup), (Duration::from_secs(10), Duration::from_secs(2)));
        assert_eq!(run.to_target(&spec).unwrap().addr, "127.0.0.1:8080");
        assert_eq!((spec.mtp.qos, spec.mtp.mqtt_version), (0, MqttVersion::V5));
    }

    #[test]
    fn mqtt_and_cross_mtp_flags() {
        let cli = Cli::try_parse_from([
            "usphub-bench",
            "run",
            "mqtt-p2p",
            "--qos",
            "1",
            "--mqtt-version",
            "3",
            "--via",
            "mosquitto",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else { panic!("not run") };
        let spec = run.load.to_spec().unwrap();
        assert_eq!((spec.mtp.qos, spec.mtp.mqtt_version), (1, MqttVersion::V311));
        let target = run.to_target(&spec).unwrap();
        assert_eq!((target.addr.as_str(), target.agent_addr), ("127.0.0.1:1883", None));
        assert!(Cli::try_parse_from(["usphub-bench", "run", "mqtt-p2p", "--qos", "2"]).is_err());

        let cli = Cli::try_parse_from(["usphub-bench", "run", "cross-mtp", "--agent-mtp", "stomp"]).unwrap();
        let Command::Run(run) = cli.command else { panic!("not run") };
        let target = run.to_target(&run.load.to_spec().unwrap()).unwrap();
        assert_eq!((target.addr.as_str(), target.agent_addr.as_deref()), ("127.0.0.1:8080", Some("127.0.0.1:61613")));

        let cli = Cli::try_parse_from(["usphub-bench", "run", "stomp-p2p", "--via", "mosquitto"]).unwrap();
        let Command::Run(run) = cli.command else { panic!("not run") };
        assert!(run.to_target(&run.load.to_spec().unwrap()).is_err());
    }

    #[test]
    fn open_loop_gets_a_wide_window() {
        let cli =
            Cli::try_parse_from(["usphub-bench", "run", "ws-p2p", "--rate", "500", "--via", "forwarder"]).unwrap();
        let Command::Run(run) = cli.command else { panic!("not run") };
        let spec = run.load.to_spec().unwrap();
        assert_eq!((spec.rate, spec.window), (Some(500.0), 1024));
        assert_eq!(run.via, Via::Forwarder);
    }

    #[test]
    fn compare_flags() {
        let cli = Cli::try_parse_from([
            "usphub-bench",
            "compare",
            "ws-p2p",
            "--baseline",
            "forwarder",
            "--duration",
            "5s",
            "--pairs",
            "50",
            "--runs",
            "3",
            "--pin",
        ])
        .unwrap();
        let Command::Compare(c) = cli.command else { panic!("not compare") };
        assert!(c.pin);
        assert_eq!((c.runs, c.load.pairs, c.load.duration), (3, 50, Duration::from_secs(5)));
        let Command::Run(zero) =
            Cli::try_parse_from(["usphub-bench", "run", "ws-p2p", "--pairs", "0"]).unwrap().command
        else {
            panic!("not run")
        };
        assert!(zero.load.to_spec().is_err());
    }
}
