//! The command line: `run`, `forwarder`, `compare`.
//!
//! Load options are shared by `run` and `compare`, so a comparison is always reproducible as
//! plain `run`s with the same flags.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::ensure;
use clap::{Args, Parser, Subcommand};

use crate::compare::Baseline;
use crate::scenario::{LoadSpec, Scenario, Via};

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
    /// Where the system under test listens, host:port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub target: String,
    /// Through the hub's protocol, or length-prefixed over a `usphub-bench forwarder`.
    #[arg(long, value_enum, default_value_t = Via::Hub)]
    pub via: Via,
    /// The hub's WebSocket path.
    #[arg(long, default_value = "/usp")]
    pub path: String,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
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
    /// Pin each system under test to core 0 and this generator to core 1 (needed on 2 cores).
    #[arg(long)]
    pub pin: bool,
    /// Also write every run and the medians as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
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
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Outstanding requests per pair [default: 1 closed loop, 1024 open loop].
    #[arg(long)]
    pub window: Option<usize>,
    /// A request unanswered for this long counts as an error.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
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
            rate,
            window,
            timeout: self.timeout,
        })
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
        assert_eq!(run.target, "127.0.0.1:8080");
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
