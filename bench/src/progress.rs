//! The live line on stderr, once a second: phase, rates, connections, errors, generator CPU.
//!
//! A benchmark that prints nothing for ten seconds hides stalls and early disconnects; this
//! shows them as they happen. On a terminal the line redraws in place; into a file or a pipe it
//! is one line per second, so logs stay readable.

use std::{
    io::{IsTerminal, Write},
    sync::{Arc, atomic::Ordering::Relaxed},
    time::{Duration, Instant},
};

use tokio::{task::JoinHandle, time::MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::stats::{Clock, Live};
use crate::sys;

/// A running progress line; [`Progress::finish`] ends it.
pub struct Progress {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Progress {
    /// `records_per_round_trip`: 2 for request/response, 1 for one-way traffic (where
    /// `Live::round_trips` counts deliveries).
    pub fn start(
        label: &'static str,
        live: Arc<Live>,
        clock: Clock,
        connections: usize,
        records_per_round_trip: u32,
    ) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(show(label, live, clock, connections, records_per_round_trip, stop.clone()));
        Self { stop, task }
    }

    /// A line for a connection phase: connections open out of `total`, errors, generator CPU.
    pub fn connections(label: impl Into<String>, live: Arc<Live>, total: usize) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(show_connections(label.into(), live, total, stop.clone()));
        Self { stop, task }
    }

    pub async fn finish(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

async fn show(
    label: &'static str,
    live: Arc<Live>,
    clock: Clock,
    connections: usize,
    records_per_round_trip: u32,
    stop: CancellationToken,
) {
    let tty = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval_at((clock.start + Duration::from_secs(1)).into(), Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut last_at, mut last_rt, mut last_cpu) = (clock.start, 0, sys::own_cpu_time().unwrap_or_default());
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let round_trips = live.round_trips.load(Relaxed);
        let cpu = sys::own_cpu_time().unwrap_or_default();
        let secs = now.duration_since(last_at).as_secs_f64().max(1e-9);
        let rt_rate = (round_trips - last_rt) as f64 / secs;
        let cpu_pct = 100.0 * cpu.saturating_sub(last_cpu).as_secs_f64() / secs;
        (last_at, last_rt, last_cpu) = (now, round_trips, cpu);
        let (phase, at) = if now < clock.measure_start {
            ("warm-up", now.duration_since(clock.start))
        } else if now < clock.measure_end {
            ("measure", now.duration_since(clock.measure_start))
        } else {
            ("drain", now.duration_since(clock.measure_end))
        };
        let line = format!(
            "[{label} {phase} {:>4.1}s] {:>8.0} rt/s {:>8.0} rec/s  conns {}/{connections}  errors {}  gen cpu {:.0}%",
            at.as_secs_f64(),
            rt_rate,
            f64::from(records_per_round_trip) * rt_rate,
            live.connections.load(Relaxed),
            live.errors_total(),
            cpu_pct,
        );
        let mut err = std::io::stderr().lock();
        let _ = if tty { write!(err, "\r\x1b[K{line}") } else { writeln!(err, "{line}") };
    }
    if tty {
        let _ = writeln!(std::io::stderr());
    }
}

async fn show_connections(label: String, live: Arc<Live>, total: usize, stop: CancellationToken) {
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut tick = tokio::time::interval_at((start + Duration::from_secs(1)).into(), Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut last_at, mut last_cpu) = (start, sys::own_cpu_time().unwrap_or_default());
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let (now, cpu) = (Instant::now(), sys::own_cpu_time().unwrap_or_default());
        let cpu_pct = 100.0 * cpu.saturating_sub(last_cpu).as_secs_f64() / now.duration_since(last_at).as_secs_f64();
        (last_at, last_cpu) = (now, cpu);
        let line = format!(
            "[{label} {:>5.1}s] conns {}/{total}  errors {}  gen cpu {cpu_pct:.0}%",
            now.duration_since(start).as_secs_f64(),
            live.connections.load(Relaxed),
            live.errors_total(),
        );
        let mut err = std::io::stderr().lock();
        let _ = if tty { write!(err, "\r\x1b[K{line}") } else { writeln!(err, "{line}") };
    }
    if tty {
        let _ = writeln!(std::io::stderr());
    }
}
