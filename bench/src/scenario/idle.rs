//! `idle-connections`: what an idle connection costs the system under test.
//!
//! Most of an operator's CPE sit connected and silent most of the time, so memory per idle
//! connection decides how many devices one hub can carry. The scenario samples the system's
//! resident memory, opens `--connections` connections over `--mtp` (each a complete MTP
//! session: MQTT CONNECT with `usp-endpoint-id` and SUBSCRIBE, a WebSocket upgrade, or STOMP
//! CONNECT and SUBSCRIBE; through the forwarder, a parked raw TCP connection) at the ramp's
//! pace, lets them settle, holds them idle (each connection keeps reading, so keep-alives go
//! out and pings are answered), and samples memory again. RSS per connection is
//! (RSS after the hold − RSS before) ÷ connections that connected: everything the system
//! allocated for them, whoever holds it (sockets' kernel buffers are not in RSS).

use std::{
    fmt,
    sync::{Arc, atomic::Ordering::Relaxed},
    time::{Duration, Instant},
};

use anyhow::Context;
use serde::Serialize;
use tokio::{task::JoinSet, time::sleep};
use tokio_util::sync::CancellationToken;

use super::{
    LoadSpec,
    ramp::{Failures, connect_each},
};
use crate::progress::Progress;
use crate::report::{Latency, mib};
use crate::stats::{ErrorKind, Live, new_histogram};
use crate::sut::SutProbe;
use crate::sys::{self, Memory};
use crate::transport::{Connector, Endpoint, RecordLink};

#[derive(Debug, Clone, Serialize)]
pub struct IdleReport {
    pub scenario: &'static str,
    pub target: String,
    /// Connections asked for.
    pub connections: usize,
    pub connected: usize,
    pub failed: Failures,
    /// From the first connect to the last handshake.
    pub ramp_s: f64,
    pub connects_per_s: f64,
    /// Connect + MTP handshake, per connection.
    pub connect_latency_us: Latency,
    pub settle_s: f64,
    pub hold_s: f64,
    /// Connections that closed or failed while held.
    pub lost_during_hold: u64,
    /// Unexpected input on an idle connection (a Record, say).
    pub unexpected: u64,
    pub sut: Option<IdleSut>,
    /// The generator's own resident memory per connection, bytes.
    pub generator_bytes_per_connection: f64,
}

/// The system under test's memory around the connections.
/// The system's memory with this many connections open.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Step {
    pub connections: usize,
    pub rss_kib: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdleSut {
    pub pid: u32,
    pub rss_before_kib: u64,
    /// After the last connect and the settle time.
    pub rss_settled_kib: u64,
    /// At the end of the hold.
    pub rss_held_kib: u64,
    pub peak_rss_kib: u64,
    /// (RSS at the end of the hold − RSS before) ÷ connected, bytes.
    pub bytes_per_connection: f64,
    /// With `--steps`: RSS after each step (connections held so far, settled).
    pub steps: Vec<Step>,
    /// With two steps or more: the least-squares slope of RSS over connections, bytes per
    /// connection: the cost of one more connection, without the fixed costs of the first.
    pub slope_bytes_per_connection: Option<f64>,
    /// Its CPU over the hold, in % of one core: what keeping idle connections costs.
    pub hold_core_pct: f64,
}

pub async fn run<C: Connector>(connector: C, spec: &LoadSpec, sut: Option<&SutProbe>) -> anyhow::Result<IdleReport> {
    let n = spec.scale.connections;
    let target = connector.describe();
    if let Some(limit) = sut.and_then(|p| sys::nofile_limit_of(p.pid).ok()) {
        if (n as u64) + 32 > limit {
            eprintln!(
                "idle-connections: WARNING: the system under test may open {limit} files: it cannot hold {n} connections"
            );
        }
    }
    let live = Arc::new(Live::default());
    let before = sut.map(SutProbe::memory).transpose()?;
    let generator_before = own_memory()?;
    eprintln!("idle-connections: opening {n} connections to {target}");
    let steps = if spec.scale.steps.is_empty() { vec![n] } else { spec.scale.steps.clone() };
    let done = CancellationToken::new();
    let mut holders = JoinSet::new();
    let (mut latency, mut failed, mut ramp_time, mut count) = (new_histogram(), Failures::default(), Duration::ZERO, 0);
    let mut ladder = Vec::new();
    let mut from = 0;
    for &to in &steps {
        let progress = Progress::connections(format!("idle-connections ramp to {to}"), live.clone(), n);
        let connected = connect_each(&connector, (from..to).map(Endpoint::agent), &live, spec.ramp).await;
        progress.finish().await;
        ramp_time += connected.elapsed;
        latency.add(&connected.latency).context("merging histograms")?;
        failed.merge(&connected.failed);
        count += connected.links.len();
        for (_, link) in connected.links {
            holders.spawn(hold(link, done.clone(), live.clone()));
        }
        if steps.len() > 1 {
            sleep(spec.scale.settle).await;
            if let Some(memory) = sut.map(SutProbe::memory).transpose()? {
                ladder.push(Step { connections: count, rss_kib: memory.rss_kib });
            }
        }
        eprintln!(
            "idle-connections: {count} connected ({:.1} s ramping so far), {} failed ({}){}",
            ramp_time.as_secs_f64(),
            failed.total,
            failed.breakdown(),
            ladder.last().map_or(String::new(), |s| format!("; RSS {:.1} MiB", mib(s.rss_kib)))
        );
        from = to;
    }
    eprintln!("idle-connections: settling {:?}, holding {:?}", spec.scale.settle, spec.scale.hold);
    sleep(spec.scale.settle).await;
    let settled = sut.map(SutProbe::memory).transpose()?;
    let hold_start = Instant::now();
    let cpu_start = sut.map(SutProbe::cpu_time).transpose()?;
    let progress = Progress::connections("idle-connections hold", live.clone(), n);
    sleep(spec.scale.hold).await;
    progress.finish().await;
    let held = sut.map(SutProbe::memory).transpose()?;
    let cpu = match (sut, cpu_start) {
        (Some(p), Some(start)) => Some(p.cpu_time()?.saturating_sub(start)),
        _ => None,
    };
    let hold_wall = hold_start.elapsed();
    let generator_held = own_memory()?;
    let still_open = live.connections.load(Relaxed);
    done.cancel();
    while holders.join_next().await.is_some() {}

    let per_connection = |after: u64, before: u64| {
        if count == 0 { 0.0 } else { (after as f64 - before as f64) * 1024.0 / count as f64 }
    };
    let sut = match (sut, before, settled, held) {
        (Some(p), Some(before), Some(settled), Some(held)) => Some(IdleSut {
            pid: p.pid,
            rss_before_kib: before.rss_kib,
            rss_settled_kib: settled.rss_kib,
            rss_held_kib: held.rss_kib,
            peak_rss_kib: held.peak_rss_kib,
            bytes_per_connection: per_connection(held.rss_kib, before.rss_kib),
            slope_bytes_per_connection: slope(&ladder),
            steps: ladder,
            hold_core_pct: cpu.map_or(0.0, |c| 100.0 * c.as_secs_f64() / hold_wall.as_secs_f64().max(1e-9)),
        }),
        _ => None,
    };
    Ok(IdleReport {
        scenario: "idle-connections",
        target,
        connections: n,
        connected: count,
        ramp_s: ramp_time.as_secs_f64(),
        connects_per_s: count as f64 / ramp_time.as_secs_f64().max(1e-9),
        connect_latency_us: Latency::from_histogram_ns(&latency),
        failed,
        settle_s: spec.scale.settle.as_secs_f64(),
        hold_s: spec.scale.hold.as_secs_f64(),
        lost_during_hold: count.saturating_sub(still_open) as u64,
        unexpected: live.errors_by_kind().get(ErrorKind::Unexpected.as_str()).copied().unwrap_or(0),
        sut,
        generator_bytes_per_connection: per_connection(generator_held.rss_kib, generator_before.rss_kib),
    })
}

impl IdleSut {
    /// The figure to compare: the slope when there is one, else the average.
    pub fn headline_bytes_per_connection(&self) -> f64 {
        self.slope_bytes_per_connection.unwrap_or(self.bytes_per_connection)
    }
}

/// Least-squares slope of RSS (bytes) over connections; `None` below two distinct points.
pub fn slope(steps: &[Step]) -> Option<f64> {
    let n = steps.len() as f64;
    let (xs, ys) = (steps.iter().map(|s| s.connections as f64), steps.iter().map(|s| s.rss_kib as f64 * 1024.0));
    let (mx, my) = (xs.clone().sum::<f64>() / n, ys.clone().sum::<f64>() / n);
    let sxx: f64 = xs.clone().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = xs.zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    (steps.len() >= 2 && sxx > 0.0).then(|| sxy / sxx)
}

fn own_memory() -> anyhow::Result<Memory> {
    Ok(sys::process_memory(std::process::id())?)
}

/// Keeps one connection open and reading (keep-alives, pings) until `done`.
async fn hold<L: RecordLink>(mut link: L, done: CancellationToken, live: Arc<Live>) {
    loop {
        tokio::select! {
            _ = done.cancelled() => break,
            received = link.recv() => match received {
                Ok(Some(_)) => live.error_with(ErrorKind::Unexpected, "a Record on an idle connection"),
                Ok(None) => {
                    live.error_with(ErrorKind::Disconnected, "the peer closed an idle connection");
                    live.connections.fetch_sub(1, Relaxed);
                    return;
                }
                Err(e) => {
                    live.error_with(ErrorKind::Disconnected, format_args!("idle connection: {e}"));
                    live.connections.fetch_sub(1, Relaxed);
                    return;
                }
            },
        }
    }
    link.close().await;
    live.connections.fetch_sub(1, Relaxed);
}

impl fmt::Display for IdleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario     {} -> {}", self.scenario, self.target)?;
        writeln!(
            f,
            "connections  {} of {} connected in {:.1} s ({:.0}/s); failed {} ({})",
            self.connected,
            self.connections,
            self.ramp_s,
            self.connects_per_s,
            self.failed.total,
            self.failed.breakdown()
        )?;
        if let Some(e) = &self.failed.first {
            writeln!(f, "first error  {e}")?;
        }
        let l = &self.connect_latency_us;
        writeln!(f, "connect µs   p50 {:.0}  p90 {:.0}  p99 {:.0}  max {:.0}", l.p50, l.p90, l.p99, l.max)?;
        writeln!(
            f,
            "held         {:.1} s after {:.1} s settling; {} lost meanwhile, {} unexpected Records",
            self.hold_s, self.settle_s, self.lost_during_hold, self.unexpected
        )?;
        if let Some(s) = &self.sut {
            writeln!(
                f,
                "system       pid {}: RSS {:.1} MiB before, {:.1} MiB settled, {:.1} MiB after the hold (peak {:.1}); CPU {:.1} % of a core while idle",
                s.pid,
                mib(s.rss_before_kib),
                mib(s.rss_settled_kib),
                mib(s.rss_held_kib),
                mib(s.peak_rss_kib),
                s.hold_core_pct
            )?;
            for step in &s.steps {
                writeln!(f, "step         {:>6} connections: RSS {:.1} MiB", step.connections, mib(step.rss_kib))?;
            }
            writeln!(
                f,
                "RSS/conn     {:.0} bytes ({:.2} KiB) per idle connection on average (RSS after − before, ÷ connections)",
                s.bytes_per_connection,
                s.bytes_per_connection / 1024.0
            )?;
            if let Some(slope) = s.slope_bytes_per_connection {
                writeln!(
                    f,
                    "slope        {slope:.0} bytes ({:.2} KiB) per additional connection (least squares over the steps)",
                    slope / 1024.0
                )?;
            }
        } else {
            writeln!(f, "RSS/conn     unknown: pass --sut-pid PID to sample the system's memory")?;
        }
        writeln!(f, "generator    {:.0} bytes RSS per connection", self.generator_bytes_per_connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_removes_the_fixed_cost() {
        let step = |connections, mib: u64| Step { connections, rss_kib: mib * 1024 };
        // 10 MiB fixed, 2 KiB per connection.
        let steps = [step(1024, 12), step(5120, 20), step(10240, 30)];
        assert!((slope(&steps).unwrap() - 2048.0).abs() < 1e-6);
        assert_eq!(slope(&steps[..1]), None);
        assert_eq!(slope(&[step(5, 1), step(5, 2)]), None);
    }
}
