//! The result of one run: what was measured, in a form for people (text) and for tools (JSON).
//!
//! Every figure says what it counts: a *record* is one USP Record through the system under
//! test, a *round trip* is a request and its answer (two Records). CPU is reported per record
//! and as a share of one core, for the generator too, because a generator that saturates its
//! core caps the figures and the run says nothing about the system under test.

use std::{collections::BTreeMap, fmt, path::Path, time::Duration};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::Serialize;

/// At or above this share of one core, the generator is called saturated.
pub const SATURATED_CORE_PCT: f64 = 90.0;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    /// The path the Records took, e.g. `ws://127.0.0.1:8080/usp`.
    pub target: String,
    pub pairs: usize,
    /// Outstanding requests per pair (closed loop) or the most allowed (open loop).
    pub window: usize,
    /// Requests per second per pair; `None` is closed loop.
    pub rate_per_pair: Option<f64>,
    pub request_bytes: usize,
    pub response_bytes: usize,
    pub warmup_s: f64,
    /// Length of the measurement window.
    pub duration_s: f64,
    /// Round trips completed within the measurement window.
    pub round_trips: u64,
    pub round_trips_per_s: f64,
    /// Records through the system under test per second: a request and an answer per round trip.
    pub records_per_s: f64,
    pub latency_us: Latency,
    /// Errors over the whole run (warm-up and drain included), by kind.
    pub errors: BTreeMap<&'static str, u64>,
    pub errors_total: u64,
    /// The first error with a story, to start looking from.
    pub first_error: Option<String>,
    /// Open-loop sends skipped because the window was full.
    pub late_sends: u64,
    pub generator: CpuUse,
    /// The system under test, when this tool started it and could watch it.
    pub sut: Option<SutUse>,
    /// One-way traffic (fan-in): `round_trips` counts Records delivered to the controller,
    /// each one Record, and latency is from send to delivery.
    pub one_way: bool,
}

/// Round-trip latency percentiles, microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    pub fn from_histogram_ns(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let us = |ns: u64| ns as f64 / 1000.0;
        Self {
            p50: us(h.value_at_quantile(0.50)),
            p90: us(h.value_at_quantile(0.90)),
            p99: us(h.value_at_quantile(0.99)),
            p999: us(h.value_at_quantile(0.999)),
            max: us(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

impl Latency {
    /// The same percentiles in milliseconds (from microseconds).
    pub fn in_ms(self) -> Self {
        let ms = |us: f64| us / 1000.0;
        Self {
            p50: ms(self.p50),
            p90: ms(self.p90),
            p99: ms(self.p99),
            p999: ms(self.p999),
            max: ms(self.max),
            mean: ms(self.mean),
        }
    }
}

/// CPU a process spent over the measurement window.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuUse {
    pub cpu_s: f64,
    /// CPU time over wall time, in % of one core (200 = two cores busy).
    pub core_pct: f64,
    /// CPU time per record moved, microseconds.
    pub us_per_record: f64,
    /// Cores the process may run on.
    pub cores: usize,
    /// At least [`SATURATED_CORE_PCT`] % of one core.
    pub saturated: bool,
}

impl CpuUse {
    pub fn new(cpu: Duration, wall: Duration, records: u64, cores: usize) -> Self {
        let core_pct = 100.0 * cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9);
        Self {
            cpu_s: cpu.as_secs_f64(),
            core_pct,
            us_per_record: if records == 0 { 0.0 } else { cpu.as_secs_f64() * 1e6 / records as f64 },
            cores,
            saturated: core_pct >= SATURATED_CORE_PCT,
        }
    }
}

/// The system under test's share of the run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SutUse {
    pub pid: u32,
    pub cpu: CpuUse,
    /// VmRSS at the end of the window, KiB.
    pub rss_kib: u64,
    /// VmHWM (peak RSS) at the end of the window, KiB.
    pub peak_rss_kib: u64,
    /// Records the hub reported dropped over the run (its /metrics), when it has that.
    pub dropped: Option<u64>,
}

/// Writes any report as pretty JSON.
pub fn write_json(path: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let load = match self.rate_per_pair {
            None => format!("closed loop, window {}", self.window),
            Some(r) => format!("open loop, {r} req/s per pair, window {}", self.window),
        };
        writeln!(f, "scenario     {} -> {}", self.scenario, self.target)?;
        if self.one_way {
            writeln!(f, "load         {} agents -> 1 controller, {load}, Notify {} B", self.pairs, self.request_bytes)?;
        } else {
            writeln!(
                f,
                "load         {} pairs, {load}, request {} B, answer {} B",
                self.pairs, self.request_bytes, self.response_bytes
            )?;
        }
        writeln!(f, "window       {:.1} s measured after {:.1} s warm-up", self.duration_s, self.warmup_s)?;
        if self.one_way {
            writeln!(
                f,
                "throughput   {:.0} records/s delivered to the controller ({} Records)",
                self.records_per_s, self.round_trips
            )?;
        } else {
            writeln!(
                f,
                "throughput   {:.0} records/s  ({:.0} round trips/s, {} round trips)",
                self.records_per_s, self.round_trips_per_s, self.round_trips
            )?;
        }
        let l = &self.latency_us;
        writeln!(
            f,
            "latency µs   {}p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  mean {:.1}",
            if self.one_way { "one-way " } else { "" },
            l.p50,
            l.p90,
            l.p99,
            l.p999,
            l.max,
            l.mean
        )?;
        let breakdown = self.errors.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
        writeln!(
            f,
            "errors       {}{}",
            self.errors_total,
            if breakdown.is_empty() { String::new() } else { format!(" ({breakdown})") }
        )?;
        if let Some(e) = &self.first_error {
            writeln!(f, "first error  {e}")?;
        }
        if self.late_sends > 0 {
            writeln!(f, "late sends   {} (window full: the target did not keep up with the rate)", self.late_sends)?;
        }
        let g = &self.generator;
        writeln!(
            f,
            "generator    {:.2} µs CPU/record, {:.0} % of one core ({} core(s) allowed)",
            g.us_per_record, g.core_pct, g.cores
        )?;
        if g.saturated {
            writeln!(
                f,
                "             WARNING: the generator used >= {SATURATED_CORE_PCT:.0} % of a core: it may be the bottleneck, not the system under test"
            )?;
        }
        if let Some(s) = &self.sut {
            write!(
                f,
                "system       pid {}: {:.2} µs CPU/record, {:.0} % of one core, RSS {:.1} MiB (peak {:.1} MiB)",
                s.pid,
                s.cpu.us_per_record,
                s.cpu.core_pct,
                mib(s.rss_kib),
                mib(s.peak_rss_kib)
            )?;
            match s.dropped {
                Some(d) => writeln!(f, ", {d} dropped")?,
                None => writeln!(f)?,
            }
        }
        Ok(())
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
