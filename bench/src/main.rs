//! `usphub-bench`: load generator and side-by-side benchmark for usphub.
//!
//! - `run <scenario>`: drive one scenario against a running system and report throughput,
//!   latency percentiles, errors and who spent the CPU.
//! - `forwarder`: a bare TCP pair forwarder, the no-protocol ceiling on this machine.
//! - `compare <scenario> --baseline <system>`: start usphub and the baseline (the forwarder,
//!   mosquitto or RabbitMQ), run the same load against each, print both; the last line is
//!   `ratio usphub/<baseline>: X.XX`.
//!
//! See bench/README.md for what the numbers mean and how to get trustworthy ones.

mod chart;
mod cli;
mod compare;
mod cwmp;
mod forwarder;
mod outcome;
mod progress;
mod report;
mod scenario;
mod source;
mod stats;
mod sut;
mod sys;
mod systems;
mod transport;
mod usp;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, RunArgs};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Pinning must precede the runtime: its worker threads inherit the mask, and it sizes
    // itself from the cores the mask allows.
    if let Command::Compare(args) = &cli.command {
        if args.pin {
            if let Err(e) = compare::pin_generator() {
                eprintln!("usphub-bench: {e:#}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("usphub-bench: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("usphub-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run(args) => run(args).await,
        Command::Forwarder(args) => forwarder::serve(args.listen).await,
        Command::Compare(args) => compare::run(args).await,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let spec = args.load.to_spec()?;
    let target = args.to_target(&spec)?;
    let probe = args.sut_pid.map(sut::SutProbe::of).transpose()?;
    let report = scenario::run(args.scenario, &spec, &target, probe.as_ref()).await?;
    print!("{report}");
    if let Some(path) = &args.json {
        report.write_json(path)?;
    }
    Ok(())
}
