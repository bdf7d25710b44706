//! `compare`: the same load against usphub and against a baseline, side by side.
//!
//! A throughput figure alone says little on a shared 2-core machine; the same figure next to a
//! baseline measured minutes apart under the same conditions says a lot. So `compare` starts
//! both systems itself (fresh processes, free ports, optionally pinned to one core while the
//! generator keeps the other), runs them alternately so that drift in the machine hits both,
//! takes the median of each, and ends with one line a script can read:
//! `ratio usphub/<baseline>: X.XX` (throughput).

use std::{path::PathBuf, process::Command};

use anyhow::{Context, ensure};
use clap::ValueEnum;
use serde::Serialize;

use crate::cli::CompareArgs;
use crate::report::{Report, mib};
use crate::scenario::{self, LoadSpec, Scenario, Target, Via};
use crate::sut::{self, Readiness, Sut};
use crate::sys::{self, CpuSet};

/// The core systems under test get with `--pin`.
const SUT_CORE: usize = 0;
/// The core the generator keeps with `--pin`.
const GENERATOR_CORE: usize = 1;

/// What usphub is compared with. (MQTT and STOMP brokers join when their scenarios do.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    /// `usphub-bench forwarder`: the same Records, length-prefixed over paired raw TCP.
    Forwarder,
}

impl Baseline {
    fn name(self) -> &'static str {
        match self {
            Self::Forwarder => "forwarder",
        }
    }
}

/// Pins this process (every thread created from now on) to the generator's core. Call before
/// the runtime starts.
pub fn pin_generator() -> anyhow::Result<()> {
    let allowed = sys::allowed_cpus().context("reading this process's CPU affinity")?;
    ensure!(
        allowed.contains(&SUT_CORE) && allowed.contains(&GENERATOR_CORE),
        "--pin needs cores {SUT_CORE} and {GENERATOR_CORE}; this process may use {allowed:?}"
    );
    CpuSet::single(GENERATOR_CORE).apply_to_current_thread().context("pinning the generator")
}

/// One system's runs.
#[derive(Serialize)]
struct SystemRuns {
    name: String,
    pid: u32,
    runs: Vec<Report>,
    median: Medians,
}

/// The median of each figure over the runs (each column on its own).
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Medians {
    records_per_s: f64,
    round_trips_per_s: f64,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    p999_us: f64,
    errors: f64,
    generator_core_pct: f64,
    sut_core_pct: f64,
    sut_us_per_record: f64,
    sut_rss_mib: f64,
    /// Records the hub dropped per run; NaN when the system does not say.
    dropped: f64,
}

#[derive(Serialize)]
struct Comparison<'a> {
    scenario: &'static str,
    baseline: &'static str,
    pinned: bool,
    systems: &'a [SystemRuns],
    ratio: f64,
}

pub async fn run(args: CompareArgs) -> anyhow::Result<()> {
    let spec = args.load.to_spec()?;
    ensure!(args.runs >= 1, "--runs must be at least 1");
    let pin = args.pin.then_some(SUT_CORE);
    let logs = sut::log_dir()?;

    let mut suts = vec![start_hub(&args.hub_bin, pin, &logs).await?, start_baseline(args.baseline, pin, &logs).await?];
    let vias = [Via::Hub, Via::Forwarder];
    let mut runs: Vec<Vec<Report>> = vec![Vec::new(); suts.len()];
    for round in 0..args.runs {
        // Alternate the order so that a trend in the machine does not favour one system.
        let order: Vec<usize> = if round % 2 == 0 { vec![0, 1] } else { vec![1, 0] };
        for i in order {
            let sut = &mut suts[i];
            eprintln!("== {} run {}/{} ==", sut.name, round + 1, args.runs);
            let target = Target { addr: sut.addr.to_string(), path: "/usp".into(), via: vias[i] };
            let dropped_before = sut.dropped_records().await;
            let mut report = scenario::run(args.scenario, &spec, &target, Some(&sut.probe()))
                .await
                .with_context(|| format!("{} run {}", sut.name, round + 1))?;
            sut.check_alive()?;
            if let (Some(s), Some(before), Some(after)) =
                (report.sut.as_mut(), dropped_before, sut.dropped_records().await)
            {
                s.dropped = Some(after.saturating_sub(before));
            }
            eprintln!("{report}");
            runs[i].push(report);
        }
    }

    let systems: Vec<SystemRuns> = suts
        .iter()
        .zip(runs)
        .map(|(sut, runs)| SystemRuns { name: sut.name.clone(), pid: sut.pid(), median: medians(&runs), runs })
        .collect();
    let mut notes = Vec::new();
    for sut in suts {
        let (name, log) = (sut.name.clone(), sut.log.clone());
        if let Err(e) = sut.stop().await {
            notes.push(format!("{e}"));
        }
        let (count, first) = sut::log_problems(&log);
        if count > 0 {
            notes.push(format!(
                "{name} logged {count} warning/error line(s) ({}); first: {}",
                log.display(),
                first.join(" | ")
            ));
        }
    }

    if systems.iter().all(|s| s.median.generator_core_pct >= crate::report::SATURATED_CORE_PCT) {
        notes.push(
            "the generator saturated its core for every system: the ratio is the generator's ceiling, not theirs; \
             compare sut µs/rec, or add --window 8 so the generator batches"
                .to_owned(),
        );
    }
    let ratio = ratio(&systems[0].median, &systems[1].median);
    print!("{}", header(args.scenario, &spec, args.runs, args.pin));
    for system in &systems {
        print!("{}", table(system));
    }
    for note in &notes {
        println!("note: {note}");
    }
    if let Some(path) = &args.json {
        let comparison = Comparison {
            scenario: args.scenario.name(),
            baseline: args.baseline.name(),
            pinned: args.pin,
            systems: &systems,
            ratio,
        };
        crate::report::write_json(path, &comparison)?;
    }
    println!("ratio usphub/{}: {ratio:.2}", args.baseline.name());
    Ok(())
}

async fn start_hub(bin: &PathBuf, pin: Option<usize>, logs: &std::path::Path) -> anyhow::Result<Sut> {
    ensure!(
        bin.exists(),
        "no usphub binary at {} (build it: cargo build --release -p usphub, or pass --hub-bin)",
        bin.display()
    );
    let (ws, admin) = (sut::free_port()?, sut::free_port()?);
    let mut command = Command::new(bin);
    command.args([
        "--ws",
        &ws.to_string(),
        "--admin",
        &admin.to_string(),
        "--mqtt",
        "off",
        "--stomp",
        "off",
        "--cwmp",
        "off",
    ]);
    command.env("NO_COLOR", "1");
    Sut::start("usphub", command, ws, Some(admin), Readiness::Healthz(admin), pin, logs.join("usphub.log")).await
}

async fn start_baseline(baseline: Baseline, pin: Option<usize>, logs: &std::path::Path) -> anyhow::Result<Sut> {
    match baseline {
        Baseline::Forwarder => {
            let addr = sut::free_port()?;
            let exe = std::env::current_exe().context("locating usphub-bench itself")?;
            let mut command = Command::new(exe);
            command.args(["forwarder", "--listen", &addr.to_string()]);
            Sut::start("forwarder", command, addr, None, Readiness::Accepts(addr), pin, logs.join("forwarder.log"))
                .await
        }
    }
}

fn medians(runs: &[Report]) -> Medians {
    let m = |f: fn(&Report) -> f64| median(runs.iter().map(f).collect());
    Medians {
        records_per_s: m(|r| r.records_per_s),
        round_trips_per_s: m(|r| r.round_trips_per_s),
        p50_us: m(|r| r.latency_us.p50),
        p90_us: m(|r| r.latency_us.p90),
        p99_us: m(|r| r.latency_us.p99),
        p999_us: m(|r| r.latency_us.p999),
        errors: m(|r| r.errors_total as f64),
        generator_core_pct: m(|r| r.generator.core_pct),
        sut_core_pct: m(|r| r.sut.map_or(f64::NAN, |s| s.cpu.core_pct)),
        sut_us_per_record: m(|r| r.sut.map_or(f64::NAN, |s| s.cpu.us_per_record)),
        sut_rss_mib: m(|r| r.sut.map_or(f64::NAN, |s| mib(s.rss_kib))),
        dropped: m(|r| r.sut.and_then(|s| s.dropped).map_or(f64::NAN, |d| d as f64)),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn ratio(hub: &Medians, baseline: &Medians) -> f64 {
    if baseline.records_per_s > 0.0 { hub.records_per_s / baseline.records_per_s } else { f64::NAN }
}

fn header(scenario: Scenario, spec: &LoadSpec, runs: usize, pinned: bool) -> String {
    let load = match spec.rate {
        None => format!("closed loop, window {}", spec.window),
        Some(r) => format!("open loop {r} req/s per pair, window {}", spec.window),
    };
    let pinning = if pinned {
        format!("pinned: systems under test on core {SUT_CORE}, generator on core {GENERATOR_CORE}")
    } else {
        "NOT pinned: systems and generator share every core; on 2 cores use --pin".to_owned()
    };
    format!(
        "\n{}: {} pairs, {load}, ~{} B Records, {:?} measured after {:?} warm-up, {runs} run(s) each, median shown\n{pinning}\n",
        scenario.name(),
        spec.pairs,
        spec.size,
        spec.duration,
        spec.warmup,
    )
}

fn table(system: &SystemRuns) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "\n{} (pid {})", system.name, system.pid);
    let _ = writeln!(
        out,
        "{:<7}{:>11}{:>10}{:>9}{:>9}{:>9}{:>10}{:>8}{:>9}{:>9}{:>11}{:>9}{:>9}",
        "run",
        "records/s",
        "rt/s",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "p99.9 µs",
        "errors",
        "gen cpu",
        "sut cpu",
        "sut µs/rec",
        "sut MiB",
        "dropped"
    );
    let row = |out: &mut String, label: &str, m: &Medians| {
        let dropped = if m.dropped.is_nan() { "-".to_owned() } else { format!("{:.0}", m.dropped) };
        let _ = writeln!(
            out,
            "{label:<7}{:>11.0}{:>10.0}{:>9.1}{:>9.1}{:>9.1}{:>10.1}{:>8.0}{:>8.0}%{:>8.0}%{:>11.2}{:>9.1}{:>9}",
            m.records_per_s,
            m.round_trips_per_s,
            m.p50_us,
            m.p90_us,
            m.p99_us,
            m.p999_us,
            m.errors,
            m.generator_core_pct,
            m.sut_core_pct,
            m.sut_us_per_record,
            m.sut_rss_mib,
            dropped,
        );
    };
    for (i, run) in system.runs.iter().enumerate() {
        row(&mut out, &(i + 1).to_string(), &medians(std::slice::from_ref(run)));
    }
    row(&mut out, "median", &system.median);
    let saturated: Vec<String> = system
        .runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.generator.saturated)
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !saturated.is_empty() {
        let _ = writeln!(
            out,
            "WARNING: the generator used >= {:.0} % of a core in run(s) {}: it may have capped these figures",
            crate::report::SATURATED_CORE_PCT,
            saturated.join(", ")
        );
    }
    if let Some(e) = system.runs.iter().find_map(|r| r.first_error.as_deref()) {
        let _ = writeln!(out, "first error: {e}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }
}
