//! `compare`: the same load against usphub and against a baseline, side by side.
//!
//! A throughput figure alone says little on a shared 2-core machine; the same figure next to a
//! baseline measured minutes apart under the same conditions says a lot. So `compare` starts
//! both systems itself (fresh processes, free ports, optionally pinned to one core while the
//! generator keeps the other), runs them alternately so that drift in the machine hits both,
//! takes the median of each, and ends with one line a script can read:
//! `ratio usphub/<baseline>: X.XX` (throughput; for the connection scenarios the figure
//! [`scale`] names). The systems themselves are in [`crate::systems`].

mod scale;

use anyhow::{Context, ensure};
use serde::Serialize;

use crate::chart::{self, Panel};
use crate::cli::CompareArgs;
use crate::outcome::Outcome;
use crate::report::{Report, mib};
use crate::scenario::{self, LoadSpec, Mtp, Scenario, Target, Via};
use crate::sut::{self, Sut};
use crate::sys::{self, CpuSet};
use crate::systems::{self, Programs};

/// The core systems under test get with `--pin`.
pub(crate) const SUT_CORE: usize = 0;
/// The core the generator keeps with `--pin`.
pub(crate) const GENERATOR_CORE: usize = 1;

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
    /// The hub's median SUT CPU per Record over the baseline's (lower is better).
    cpu_per_record_ratio: f64,
}

pub async fn run(args: CompareArgs) -> anyhow::Result<()> {
    let spec = args.load.to_spec()?;
    ensure!(args.runs >= 1, "--runs must be at least 1");
    ensure!(
        args.scenario != Scenario::CwmpInform,
        "cwmp-inform has no baseline to compare with: no other ACS is installable here (GenieACS needs \
         Node.js and MongoDB), and a TCP forwarder speaks no CWMP; measure usphub alone with \
         `usphub-bench run cwmp-inform` (see bench/README.md)"
    );
    let baseline_via = args.baseline.via();
    ensure!(
        args.scenario.allows(baseline_via, &spec.mtp),
        "{} cannot be compared with {} (mqtt-p2p and mqtt-fanin: mosquitto; stomp-p2p: rabbitmq; \
         p2p scenarios: forwarder; idle-connections: forwarder, or mosquitto with --mtp mqtt, rabbitmq \
         with --mtp stomp; reconnect-storm: mosquitto with --mtp mqtt, rabbitmq with --mtp stomp)",
        args.scenario.name(),
        args.baseline.name()
    );
    let pin = args.pin.then_some(SUT_CORE);
    let logs = sut::log_dir()?;
    eprintln!("logs and generated configurations: {}", logs.display());
    let programs = Programs { mosquitto: args.mosquitto_bin.clone(), rabbitmq_server: args.rabbitmq_server.clone() };

    let start = |i: usize| {
        let (args, spec, programs, logs) = (&args, &spec, &programs, &logs);
        async move {
            let launch = match i {
                0 => systems::hub(&args.hub_bin, spec, logs)?,
                _ => systems::baseline(args.baseline, spec, programs, pin, logs).await?,
            };
            let name = launch.name.clone();
            Sut::start(launch, pin).await.with_context(|| format!("starting {name}"))
        }
    };
    // Memory a process freed stays in its RSS and is reused by the next run's connections, so
    // a memory figure is only honest from a fresh process: restart the systems for every run.
    let fresh = args.scenario == Scenario::IdleConnections;
    let mut suts = vec![Some(start(0).await?), Some(start(1).await?)];
    let vias = [Via::Hub, baseline_via];
    let mut runs: Vec<Vec<Outcome>> = vec![Vec::new(); suts.len()];
    let mut names = vec![(String::new(), 0); suts.len()];
    let mut notes = Vec::new();
    for round in 0..args.runs {
        // Alternate the order so that a trend in the machine does not favour one system.
        let order: Vec<usize> = if round % 2 == 0 { vec![0, 1] } else { vec![1, 0] };
        for i in order {
            let sut = match &mut suts[i] {
                Some(sut) => sut,
                slot => slot.insert(start(i).await?),
            };
            names[i] = (sut.name.clone(), sut.pid());
            eprintln!("== {} run {}/{} ==", sut.name, round + 1, args.runs);
            let target = target_of(sut, vias[i], args.scenario, &spec)?;
            let dropped_before = sut.dropped_records().await;
            let mut outcome = scenario::run(args.scenario, &spec, &target, Some(&sut.probe()))
                .await
                .with_context(|| format!("{} run {}", sut.name, round + 1))?;
            sut.check_alive()?;
            if let (Outcome::Traffic(Report { sut: Some(s), .. }), Some(before), Some(after)) =
                (&mut outcome, dropped_before, sut.dropped_records().await)
            {
                s.dropped = Some(after.saturating_sub(before));
            }
            eprintln!("{outcome}");
            runs[i].push(outcome);
            if fresh {
                notes.extend(stop_all(suts[i].take().into_iter().collect()).await);
            }
        }
    }
    notes.extend(stop_all(suts.into_iter().flatten().collect()).await);
    notes.dedup();
    if !matches!(runs[0].first(), Some(Outcome::Traffic(_))) {
        return scale::finish(&args, &spec, names, runs, notes);
    }
    let runs = runs.into_iter().map(|r| r.into_iter().filter_map(|o| o.traffic().cloned()).collect::<Vec<_>>());
    let systems: Vec<SystemRuns> = names
        .into_iter()
        .zip(runs)
        .map(|((name, pid), runs)| SystemRuns { name, pid, median: medians(&runs), runs })
        .collect();
    if systems.iter().all(|s| s.median.generator_core_pct >= crate::report::SATURATED_CORE_PCT) {
        notes.push(
            "the generator saturated its core for every system: the ratio is the generator's ceiling, not theirs; \
             compare sut µs/rec, or add --window 8 so the generator batches"
                .to_owned(),
        );
    }
    let ratio = ratio(&systems[0].median, &systems[1].median);
    let cpu_ratio = systems[0].median.sut_us_per_record / systems[1].median.sut_us_per_record;
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
            cpu_per_record_ratio: cpu_ratio,
        };
        crate::report::write_json(path, &comparison)?;
    }
    if let Some(path) = &args.chart {
        let panels = vec![
            chart_panel("records/s (higher is better)", &systems, |m| m.records_per_s),
            chart_panel("p99 round trip µs (lower is better)", &systems, |m| m.p99_us),
        ];
        write_chart(path, args.scenario, &header_line(args.scenario, &spec, args.runs), &panels)?;
    }
    // The efficiency figure, which stays meaningful when throughput is capped elsewhere (an
    // open-loop --rate, or a saturated generator); then the throughput ratio, always last.
    println!("sut cpu per record usphub/{}: {cpu_ratio:.2}", args.baseline.name());
    println!("ratio usphub/{}: {ratio:.2}", args.baseline.name());
    Ok(())
}

/// Stops every system and returns what went wrong with them: a slow stop, warnings or
/// errors in their logs.
async fn stop_all(suts: Vec<Sut>) -> Vec<String> {
    let mut notes = Vec::new();
    for sut in suts {
        let (name, checks) = (sut.name.clone(), sut.checks.clone());
        if let Err(e) = sut.stop().await {
            notes.push(format!("{e}"));
        }
        for check in &checks {
            let (count, first) = sut::log_problems(check);
            if count > 0 {
                notes.push(format!(
                    "{name} logged {count} warning/error line(s) ({}); first: {}",
                    check.path.display(),
                    first.join(" | ")
                ));
            }
        }
    }

    notes
}

fn chart_panel(title: &str, systems: &[SystemRuns], figure: fn(&Medians) -> f64) -> Panel {
    Panel { title: title.into(), bars: systems.iter().map(|s| (s.name.clone(), figure(&s.median))).collect() }
}

/// Writes the comparison chart (SVG) to `path`.
fn write_chart(path: &std::path::Path, scenario: Scenario, subtitle: &str, panels: &[Panel]) -> anyhow::Result<()> {
    let svg = chart::svg(&format!("{}: usphub vs baseline (medians)", scenario.name()), subtitle, panels);
    std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("chart written to {}", path.display());
    Ok(())
}

/// The header's first line, without line breaks: a chart subtitle.
fn header_line(scenario: Scenario, spec: &LoadSpec, runs: usize) -> String {
    header(scenario, spec, runs, true).trim().lines().next().unwrap_or_default().to_owned()
}

/// Where `scenario` finds `sut`: the listeners of the scenario's MTPs (or the forwarder's).
fn target_of(sut: &Sut, via: Via, scenario: Scenario, spec: &LoadSpec) -> anyhow::Result<Target> {
    let l = &sut.listeners;
    let addr_of = |mtp: Mtp| {
        let addr = match (via, mtp) {
            (Via::Forwarder, _) => l.raw,
            (_, Mtp::Ws) => l.ws,
            (_, Mtp::Mqtt) => l.mqtt,
            (_, Mtp::Stomp) => l.stomp,
            (_, Mtp::Cwmp) => l.cwmp,
        };
        addr.map(|a| a.to_string()).with_context(|| format!("{} has no {mtp:?} listener", sut.name))
    };
    let (controllers, agents) = scenario.mtps(&spec.mtp);
    Ok(Target { addr: addr_of(controllers)?, agent_addr: Some(addr_of(agents)?), path: "/usp".into(), via })
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

pub fn median(mut values: Vec<f64>) -> f64 {
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
    let (controllers, agents) = scenario.mtps(&spec.mtp);
    let mqtt = if controllers == Mtp::Mqtt || agents == Mtp::Mqtt {
        let version = match spec.mtp.mqtt_version {
            crate::scenario::MqttVersion::V5 => "5.0",
            crate::scenario::MqttVersion::V311 => "3.1.1",
        };
        format!(", MQTT {version} QoS {}", spec.mtp.qos)
    } else {
        String::new()
    };
    let shape = if scenario == Scenario::MqttFanin {
        format!("{} agents -> 1 controller", spec.pairs)
    } else if controllers != agents {
        format!("{} pairs, controllers {controllers:?} <-> agents {agents:?}", spec.pairs)
    } else {
        format!("{} pairs", spec.pairs)
    };
    let pinning = if pinned {
        format!("pinned: systems under test on core {SUT_CORE}, generator on core {GENERATOR_CORE}")
    } else {
        "NOT pinned: systems and generator share every core; on 2 cores use --pin".to_owned()
    };
    format!(
        "\n{}: {shape}, {load}{mqtt}, ~{} B Records, {:?} measured after {:?} warm-up, {runs} run(s) each, median shown\n{pinning}\n",
        scenario.name(),
        spec.size,
        spec.duration,
        spec.warmup,
    )
}

fn table(system: &SystemRuns) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "\n{} (pid {})", system.name, system.pid);
    // One-way traffic: each delivery is one Record, and latency is one-way.
    let one_way = system.runs.first().is_some_and(|r| r.one_way);
    let _ = writeln!(
        out,
        "{:<7}{:>11}{:>10}{:>9}{:>9}{:>9}{:>10}{:>8}{:>9}{:>9}{:>11}{:>9}{:>9}",
        "run",
        "records/s",
        if one_way { "deliv/s" } else { "rt/s" },
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
