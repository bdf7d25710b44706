//! `compare` for the connection scenarios (`idle-connections`, `reconnect-storm`), whose
//! headline is not throughput: memory per idle connection, or reconnects per second. The
//! tables show each run's [`Figure`]s and their medians; the ratio line says exactly which
//! figure it divides, and which way is better, on the line above it.

use std::{collections::BTreeMap, fmt::Write};

use serde::Serialize;

use super::{GENERATOR_CORE, SUT_CORE, median, write_chart};
use crate::chart::Panel;
use crate::cli::CompareArgs;
use crate::outcome::{Figure, Outcome};
use crate::scenario::{LoadSpec, Scenario};

/// What the ratio of a connection scenario is made of.
struct RatioRule {
    /// The figure divided (its column name).
    figure: &'static str,
    /// The line printed above the ratio.
    definition: &'static str,
    /// The second chart panel's figure and title.
    second: (&'static str, &'static str),
    first_title: &'static str,
}

fn rule(scenario: Scenario) -> RatioRule {
    match scenario {
        Scenario::ReconnectStorm => RatioRule {
            figure: "reconn/s",
            definition: "ratio = usphub reconnects/s ÷ baseline reconnects/s (median of runs; higher is better for usphub)",
            second: ("p99 ms", "reconnect p99 ms (lower is better)"),
            first_title: "reconnects/s (higher is better)",
        },
        _ => RatioRule {
            figure: "RSS B/conn",
            definition: "ratio = usphub RSS per idle connection ÷ baseline RSS per idle connection (median of runs; \
                         the slope over --steps when given, else (RSS after − RSS before) ÷ connections; lower is \
                         better for usphub, 0.50 = half the memory)",
            second: ("conn p99 µs", "connect p99 µs (lower is better)"),
            first_title: "RSS bytes per idle connection (lower is better)",
        },
    }
}

#[derive(Serialize)]
struct SystemFigures {
    name: String,
    pid: u32,
    runs: Vec<Outcome>,
    median: BTreeMap<&'static str, f64>,
}

#[derive(Serialize)]
struct Comparison<'a> {
    scenario: &'static str,
    baseline: &'static str,
    pinned: bool,
    systems: &'a [SystemFigures],
    ratio: f64,
    ratio_definition: &'static str,
}

/// Prints the tables, notes, the ratio's definition and, last, the ratio; writes JSON and the
/// chart when asked.
pub fn finish(
    args: &CompareArgs,
    spec: &LoadSpec,
    systems: Vec<(String, u32)>,
    runs: Vec<Vec<Outcome>>,
    notes: Vec<String>,
) -> anyhow::Result<()> {
    let rule = rule(args.scenario);
    let systems: Vec<SystemFigures> = systems
        .into_iter()
        .zip(runs)
        .map(|((name, pid), runs)| {
            let median = medians(&runs);
            SystemFigures { name, pid, runs, median }
        })
        .collect();
    let headline = |s: &SystemFigures| s.median.get(rule.figure).copied().unwrap_or(f64::NAN);
    let ratio = headline(&systems[0]) / headline(&systems[1]);
    let header = header(args.scenario, spec, args.runs);
    println!("\n{header}");
    println!(
        "{}",
        if args.pin {
            format!("pinned: systems under test on core {SUT_CORE}, generator on core {GENERATOR_CORE}")
        } else {
            "NOT pinned: systems and generator share every core; on 2 cores use --pin".to_owned()
        }
    );
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
            ratio_definition: rule.definition,
        };
        crate::report::write_json(path, &comparison)?;
    }
    if let Some(path) = &args.chart {
        let panel = |figure: &str, title: &str| Panel {
            title: title.into(),
            bars: systems.iter().map(|s| (s.name.clone(), s.median.get(figure).copied().unwrap_or(f64::NAN))).collect(),
        };
        let panels = [panel(rule.figure, rule.first_title), panel(rule.second.0, rule.second.1)];
        write_chart(path, args.scenario, &header, &panels)?;
    }
    println!("{}", rule.definition.replace("baseline", args.baseline.name()));
    println!("ratio usphub/{}: {ratio:.2}", args.baseline.name());
    Ok(())
}

/// Each figure's median over the runs.
fn medians(runs: &[Outcome]) -> BTreeMap<&'static str, f64> {
    let mut columns: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    for run in runs {
        for Figure { name, value, .. } in run.figures() {
            columns.entry(name).or_default().push(value);
        }
    }
    columns.into_iter().map(|(name, values)| (name, median(values))).collect()
}

fn header(scenario: Scenario, spec: &LoadSpec, runs: usize) -> String {
    let s = &spec.scale;
    let ramp = spec.ramp.rate.map_or(format!("{} handshakes at a time", spec.ramp.concurrency), |r| format!("{r}/s"));
    let shape = match scenario {
        Scenario::ReconnectStorm => format!(
            "{} agents over {}, {:.0} % dropped per storm, {} storm(s) per run, reconnecting {}",
            s.connections,
            format!("{:?}", spec.mtp.mtp).to_lowercase(),
            100.0 * s.fraction,
            s.rounds,
            s.reconnect_rate.map_or("all at once".to_owned(), |r| format!("{r}/s"))
        ),
        _ => format!(
            "{} connections over {}, held {:?} after {:?}",
            s.connections,
            format!("{:?}", spec.mtp.mtp).to_lowercase(),
            s.hold,
            s.settle
        ),
    };
    format!("{}: {shape}, connect ramp {ramp}, {runs} run(s) each, median shown", scenario.name())
}

fn table(system: &SystemFigures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{} (pid {})", system.name, system.pid);
    let Some(first) = system.runs.first() else {
        return out;
    };
    let figures = first.figures();
    let _ = write!(out, "{:<7}", "run");
    for f in &figures {
        let _ = write!(out, "{:>13}", f.name);
    }
    out.push('\n');
    for (i, run) in system.runs.iter().enumerate() {
        let _ = write!(out, "{:<7}", i + 1);
        for f in run.figures() {
            let _ = write!(out, "{:>13.*}", f.decimals, f.value);
        }
        out.push('\n');
    }
    let _ = write!(out, "{:<7}", "median");
    for f in &figures {
        let _ = write!(out, "{:>13.*}", f.decimals, system.median.get(f.name).copied().unwrap_or(f64::NAN));
    }
    out.push('\n');
    for run in &system.runs {
        if let Some(e) = first_error(run) {
            let _ = writeln!(out, "first error: {e}");
            break;
        }
    }
    out
}

fn first_error(run: &Outcome) -> Option<&str> {
    match run {
        Outcome::Idle(r) => r.failed.first.as_deref(),
        Outcome::Storm(r) => r.failed.first.as_deref(),
        _ => None,
    }
}
