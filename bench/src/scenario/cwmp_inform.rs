//! `cwmp-inform`: a fleet of simulated TR-069 CPE calling in to the hub's ACS.
//!
//! Legacy CPE reach USP controllers through the hub's CWMP gateway, and what they do most is
//! call in: a BOOTSTRAP/BOOT session the first time, then a PERIODIC one every interval. Each
//! session is an Inform (DeviceId unique per device, events, a handful of parameters including
//! the ConnectionRequestURL), the InformResponse, an empty POST with the session cookie, and
//! the ACS's 204. An ACS that answers the empty POST with a request of its own is reported as
//! an error (`acs request <Method>`): a load CPE has no data model to answer from.
//!
//! Two phases. *Registration*: every one of `--devices` devices runs its first session
//! (`--concurrency` at a time); the hub's RSS before and after gives memory per registered
//! device. *Periodic*: PERIODIC sessions over the devices in turn, after `--warmup`, for
//! `--duration`: closed loop (`--concurrency` sessions always in flight) or open loop
//! (`--rate` sessions per second in all, at most `--concurrency` in flight; a session that
//! starts after its slot has passed counts as late). Sessions are timed from the Inform's
//! write to the 204.

use std::{
    fmt,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use serde::Serialize;
use tokio::{task::JoinSet, time::sleep_until};

use super::{LoadSpec, Target, window::Window};
use crate::cwmp::{
    cpe::{Cpe, Errors, Fleet},
    soap::Events,
};
use crate::progress::Progress;
use crate::report::{CpuUse, Latency, mib};
use crate::source::Sources;
use crate::stats::{Clock, Live, SharedHistogram};
use crate::sut::SutProbe;

#[derive(Debug, Clone, Serialize)]
pub struct CwmpReport {
    pub scenario: &'static str,
    pub target: String,
    pub devices: usize,
    pub concurrency: usize,
    /// Open loop: sessions per second asked for.
    pub rate: Option<f64>,
    pub new_connection_per_session: bool,
    pub register: Phase,
    pub periodic: Phase,
    /// Open loop: sessions that started after their slot had passed.
    pub late_sessions: u64,
    pub errors: Errors,
    pub generator: CpuUse,
    pub sut: Option<CwmpSut>,
}

/// One phase's sessions.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phase {
    pub sessions: u64,
    pub seconds: f64,
    pub sessions_per_s: f64,
    pub latency_ms: Latency,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct CwmpSut {
    pub pid: u32,
    pub rss_before_kib: u64,
    pub rss_registered_kib: u64,
    pub rss_end_kib: u64,
    pub peak_rss_kib: u64,
    /// (RSS after registration − RSS before) ÷ devices registered.
    pub bytes_per_device: f64,
    /// CPU per periodic session, and share of a core, over the measurement window.
    pub periodic: CpuUse,
}

pub async fn run(
    spec: &LoadSpec,
    target: &Target,
    sources: Arc<Sources>,
    sut: Option<&SutProbe>,
) -> anyhow::Result<CwmpReport> {
    let c = spec.cwmp.clone();
    let live = Arc::new(Live::default());
    let shared = Arc::new(Fleet {
        spec: c.clone(),
        target: target.addr.clone(),
        sources,
        timeout: spec.timeout,
        next_id: AtomicU64::new(1),
        errors: Mutex::default(),
        live: live.clone(),
    });
    let describe = format!("http://{}{} (CWMP ACS)", target.addr, c.path);
    let before = sut.map(SutProbe::memory).transpose()?;

    eprintln!("cwmp-inform: registering {} devices ({} sessions at a time) at {describe}", c.devices, c.concurrency);
    let register_clock = Clock::new(Instant::now(), Duration::ZERO, Duration::from_secs(86_400));
    let progress = Progress::start("cwmp-inform register", live.clone(), register_clock, c.concurrency, 1);
    let histogram = SharedHistogram::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..c.concurrency.min(c.devices) {
        let (mut cpe, next, mut latencies) =
            (Cpe { conn: None, shared: shared.clone() }, next.clone(), histogram.recorder());
        let devices = c.devices;
        workers.spawn(async move {
            let mut done = 0;
            loop {
                let index = next.fetch_add(1, Relaxed);
                if index >= devices {
                    return (done, cpe);
                }
                match cpe.session(index, Events::Bootstrap).await {
                    Ok(took) => {
                        latencies.record(took);
                        cpe.shared.live.round_trips.fetch_add(1, Relaxed);
                        done += 1;
                    }
                    Err(e) => cpe.shared.error(&e),
                }
            }
        });
    }
    let mut registered = 0;
    let mut cpes = Vec::new();
    while let Some(joined) = workers.join_next().await {
        let (done, cpe) = joined?;
        registered += done;
        cpes.push(cpe);
    }
    let register = phase(registered, started.elapsed(), &histogram);
    progress.finish().await;
    eprintln!(
        "cwmp-inform: {registered} devices registered in {:.1} s ({:.0} sessions/s); settling {:?}",
        register.seconds, register.sessions_per_s, spec.scale.settle
    );
    tokio::time::sleep(spec.scale.settle).await;
    let registered_mem = sut.map(SutProbe::memory).transpose()?;

    let clock = Clock::new(Instant::now(), spec.warmup, spec.duration);
    let progress = Progress::start("cwmp-inform periodic", live.clone(), clock, c.concurrency, 1);
    let histogram = SharedHistogram::new();
    let late = Arc::new(AtomicU64::new(0));
    let workers_n = cpes.len().max(1);
    for (w, mut cpe) in cpes.into_iter().enumerate() {
        let (mut latencies, late, c) = (histogram.recorder(), late.clone(), c.clone());
        workers.spawn(async move {
            let mut measured = 0;
            for slot in (w..).step_by(workers_n) {
                if let Some(rate) = c.rate {
                    let due = clock.start + Duration::from_secs_f64(slot as f64 / rate);
                    if Instant::now() > due + Duration::from_secs_f64(workers_n as f64 / rate) {
                        late.fetch_add(1, Relaxed);
                    }
                    sleep_until(due.into()).await;
                }
                if Instant::now() >= clock.measure_end {
                    break;
                }
                match cpe.session(slot % c.devices, Events::Periodic).await {
                    Ok(took) => {
                        cpe.shared.live.round_trips.fetch_add(1, Relaxed);
                        if clock.measures(Instant::now()) {
                            latencies.record(took);
                            measured += 1;
                        }
                    }
                    Err(e) => cpe.shared.error(&e),
                }
            }
            cpe.drop_connection();
            (measured, cpe)
        });
    }
    let window = Window::measure(clock, sut).await?;
    let mut sessions = 0;
    while let Some(joined) = workers.join_next().await {
        sessions += joined?.0;
    }
    progress.finish().await;
    let end = sut.map(SutProbe::memory).transpose()?;
    let periodic = phase(sessions, spec.duration, &histogram);
    let sut = match (sut, before, registered_mem, end, window.sut(sessions)) {
        (Some(p), Some(before), Some(reg), Some(end), Some(used)) => Some(CwmpSut {
            pid: p.pid,
            rss_before_kib: before.rss_kib,
            rss_registered_kib: reg.rss_kib,
            rss_end_kib: end.rss_kib,
            peak_rss_kib: end.peak_rss_kib,
            bytes_per_device: (reg.rss_kib as f64 - before.rss_kib as f64) * 1024.0 / registered.max(1) as f64,
            periodic: used.cpu,
        }),
        _ => None,
    };
    let errors = shared.errors.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(CwmpReport {
        scenario: "cwmp-inform",
        target: describe,
        devices: c.devices,
        concurrency: c.concurrency,
        rate: c.rate,
        new_connection_per_session: c.new_connection_per_session,
        register,
        periodic,
        late_sessions: late.load(Relaxed),
        errors,
        generator: window.generator(sessions),
        sut,
    })
}

fn phase(sessions: u64, took: Duration, histogram: &SharedHistogram) -> Phase {
    let seconds = took.as_secs_f64();
    Phase {
        sessions,
        seconds,
        sessions_per_s: sessions as f64 / seconds.max(1e-9),
        latency_ms: Latency::from_histogram_ns(&histogram.snapshot()).in_ms(),
    }
}

impl fmt::Display for CwmpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let load = match self.rate {
            Some(r) => format!("open loop {r} sessions/s, at most {} in flight", self.concurrency),
            None => format!("closed loop, {} sessions in flight", self.concurrency),
        };
        let conns =
            if self.new_connection_per_session { "a new connection per session" } else { "kept-alive connections" };
        writeln!(f, "scenario     {} -> {}", self.scenario, self.target)?;
        writeln!(f, "load         {} devices, {load}, {conns}", self.devices)?;
        for (name, p) in [("register", &self.register), ("periodic", &self.periodic)] {
            let l = &p.latency_ms;
            writeln!(
                f,
                "{name:<12} {} sessions in {:.1} s: {:.0} sessions/s; ms p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
                p.sessions, p.seconds, p.sessions_per_s, l.p50, l.p90, l.p99, l.p999, l.max
            )?;
        }
        let breakdown = self.errors.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ");
        writeln!(
            f,
            "errors       {}{}",
            self.errors.total,
            if breakdown.is_empty() { String::new() } else { format!(" ({breakdown})") }
        )?;
        if let Some(e) = &self.errors.first {
            writeln!(f, "first error  {e}")?;
        }
        if self.late_sessions > 0 {
            writeln!(
                f,
                "late         {} sessions started after their slot (the ACS did not keep up)",
                self.late_sessions
            )?;
        }
        let g = &self.generator;
        writeln!(f, "generator    {:.1} µs CPU/session, {:.0} % of one core", g.us_per_record, g.core_pct)?;
        if let Some(s) = &self.sut {
            writeln!(
                f,
                "system       pid {}: {:.1} µs CPU/session, {:.0} % of one core; RSS {:.1} MiB before, {:.1} MiB registered, {:.1} MiB at the end (peak {:.1})",
                s.pid,
                s.periodic.us_per_record,
                s.periodic.core_pct,
                mib(s.rss_before_kib),
                mib(s.rss_registered_kib),
                mib(s.rss_end_kib),
                mib(s.peak_rss_kib)
            )?;
            writeln!(
                f,
                "RSS/device   {:.0} bytes ({:.2} KiB) per registered device",
                s.bytes_per_device,
                s.bytes_per_device / 1024.0
            )?;
        } else {
            writeln!(f, "RSS/device   unknown: pass --sut-pid PID to sample the hub's memory")?;
        }
        Ok(())
    }
}
