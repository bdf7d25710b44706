//! `reconnect-storm`: agents drop their connections abruptly and all come back at once.
//!
//! A power cut, a broadband outage or a hub restart reconnects a whole region's CPE within
//! seconds. What matters then is how fast the hub takes them back, whether it refuses some
//! (rate limits, connection caps, a full accept backlog), and whether Records still reach the
//! endpoints afterwards: a stale routing entry for an agent's old connection would lose them.
//!
//! `--connections` agents on `--mtp` and one controller connect. Before the first storm and
//! after each one, the controller sends a Get to every agent, which answers (a routing check
//! in both directions: [`verify`]). Each of `--rounds` storms drops `--fraction` of the agents
//! (TCP close with no protocol goodbye) and each reconnects at once (or at
//! `--reconnect-rate` per second), retrying a failed connect after a short pause for up to
//! [`GIVE_UP`]. Each reconnect is timed from when it began to when its MTP session was open
//! (MQTT: CONNACK and SUBACK).

mod agent;

use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, ensure};
use serde::Serialize;
use tokio::{
    sync::mpsc,
    task::JoinSet,
    time::{sleep, timeout_at},
};
use tokio_util::sync::CancellationToken;

use super::{
    LoadSpec,
    ramp::{Failures, connect_each},
};
use crate::progress::Progress;
use crate::report::{Latency, mib};
use crate::stats::{Live, new_histogram};
use crate::sut::SutProbe;
use crate::transport::{Connector, Endpoint, RecordLink, Role};
use crate::usp::{RequestEncoder, ResponseEncoder};
use agent::{Agent, Order, verify};

/// An agent that cannot reconnect within this long after its storm began gives up.
pub const GIVE_UP: Duration = Duration::from_secs(60);
/// Pause between two connect attempts of one agent.
pub(super) const RETRY_PAUSE: Duration = Duration::from_millis(20);
/// Gets the controller has outstanding at once while checking routes.
pub(super) const VERIFY_WINDOW: usize = 256;
/// The controller that checks routes.
const CONTROLLER_EID: &str = "self::bench-storm-ctrl";

#[derive(Debug, Clone, Serialize)]
pub struct StormReport {
    pub scenario: &'static str,
    pub target: String,
    pub agents: usize,
    pub fraction: f64,
    /// Reconnects per second after a drop; `None`: all at once.
    pub reconnect_rate: Option<f64>,
    pub rounds: Vec<StormRound>,
    /// Medians over the rounds.
    pub reconnects_per_s: f64,
    pub all_back_ms_max: f64,
    /// Every reconnect of every round, milliseconds.
    pub reconnect_latency_ms: Latency,
    /// Failed connect attempts of every round, by kind.
    pub failed: Failures,
    /// Agents that never came back.
    pub gave_up: u64,
    /// Gets the controller sent and got no answer for, over every check.
    pub lost_records: u64,
    pub delivered_records: u64,
    pub sut: Option<StormSut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StormRound {
    pub round: usize,
    pub dropped: usize,
    pub reconnected: usize,
    pub gave_up: usize,
    /// From the storm to the last agent back.
    pub all_back_ms: f64,
    pub reconnects_per_s: f64,
    pub latency_ms: Latency,
    pub failed_attempts: Failures,
    /// The routing check after it: Gets answered, and not.
    pub delivered: u64,
    pub lost: u64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct StormSut {
    pub pid: u32,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub peak_rss_kib: u64,
}

pub async fn run<A: Connector, C: Connector>(
    agent_connector: A,
    controller_connector: C,
    spec: &LoadSpec,
    run_id: u32,
    sut: Option<&SutProbe>,
) -> anyhow::Result<StormReport> {
    let scale = &spec.scale;
    let n = scale.connections;
    ensure!(scale.fraction > 0.0 && scale.fraction <= 1.0, "--fraction must be in (0, 1]");
    let target = agent_connector.describe();
    let live = Arc::new(Live::default());
    let before = sut.map(SutProbe::memory).transpose()?;
    eprintln!("reconnect-storm: connecting {n} agents and 1 controller to {target}");
    let progress = Progress::connections("reconnect-storm connect", live.clone(), n + 1);
    let connected = connect_each(&agent_connector, (0..n).map(Endpoint::agent), &live, spec.ramp).await;
    let controller = Endpoint { role: Role::Controller, pair: 0, eid: CONTROLLER_EID.into(), to: None };
    let mut controller =
        controller_connector.connect(&controller).await.context("connecting the checking controller")?;
    progress.finish().await;
    ensure!(
        connected.failed.total == 0,
        "{} of {n} agents could not connect ({}); first: {}",
        connected.failed.total,
        connected.failed.breakdown(),
        connected.failed.first.as_deref().unwrap_or("?")
    );

    let agent_connector = Arc::new(agent_connector);
    let (back_tx, mut back_rx) = mpsc::unbounded_channel();
    let done = CancellationToken::new();
    let mut orders = vec![None; n];
    let mut tasks = JoinSet::new();
    for (endpoint, link) in connected.links {
        let (tx, rx) = mpsc::channel(1);
        let answers = ResponseEncoder::new(&endpoint.eid, spec.size);
        orders[endpoint.pair] = Some(tx);
        let agent = Agent { endpoint, connector: agent_connector.clone(), live: live.clone(), answers };
        tasks.spawn(agent.run(link, rx, back_tx.clone(), done.clone()));
    }
    let orders: Vec<_> = orders.into_iter().map(|o| o.expect("every agent connected")).collect();
    let mut requests: Vec<RequestEncoder> =
        (0..n).map(|i| RequestEncoder::new(CONTROLLER_EID, &Endpoint::agent(i).eid, run_id, spec.size)).collect();

    let (mut delivered, mut lost) = verify(&mut controller, &mut requests, 0, spec.timeout, &live).await?;
    eprintln!("reconnect-storm: routing check before the storms: {delivered} answered, {lost} lost");
    let dropped = ((n as f64 * scale.fraction).ceil() as usize).clamp(1, n);
    let (mut rounds, mut all_latency, mut all_failed, mut gave_up) =
        (Vec::new(), new_histogram(), Failures::default(), 0);
    for round in 1..=scale.rounds {
        let progress = Progress::connections(format!("storm {round}/{}", scale.rounds), live.clone(), n);
        let storm_start = Instant::now();
        for j in 0..dropped {
            let slot = scale.reconnect_rate.map_or(Duration::ZERO, |r| Duration::from_secs_f64(j as f64 / r));
            let agent = (round * dropped + j) % n;
            let _ = orders[agent].send(Order { reconnect_at: storm_start + slot }).await;
        }
        let mut latency = new_histogram();
        let (mut failures, mut back, mut missing, mut last_back) = (Failures::default(), 0, 0, storm_start);
        let wait_until = storm_start
            + GIVE_UP
            + Duration::from_secs(10)
            + scale.reconnect_rate.map_or(Duration::ZERO, |r| Duration::from_secs_f64(dropped as f64 / r));
        for _ in 0..dropped {
            let Ok(Some(b)) = timeout_at(wait_until.into(), back_rx.recv()).await else {
                break;
            };
            failures.merge(&b.failures);
            if b.ok {
                back += 1;
                latency.saturating_record(b.latency.as_nanos().max(1) as u64);
                last_back = last_back.max(b.at);
            } else {
                missing += 1;
            }
        }
        missing += dropped - back - missing;
        progress.finish().await;
        let all_back = last_back.duration_since(storm_start);
        sleep(scale.settle).await;
        let (d, l) = verify(&mut controller, &mut requests, round as u64, spec.timeout, &live).await?;
        (delivered, lost) = (delivered + d, lost + l);
        all_latency.add(&latency).context("merging histograms")?;
        all_failed.merge(&failures);
        gave_up += missing as u64;
        let row = StormRound {
            round,
            dropped,
            reconnected: back,
            gave_up: missing,
            all_back_ms: all_back.as_secs_f64() * 1e3,
            reconnects_per_s: back as f64 / all_back.as_secs_f64().max(1e-6),
            latency_ms: Latency::from_histogram_ns(&latency).in_ms(),
            failed_attempts: failures,
            delivered: d,
            lost: l,
        };
        eprintln!("{}", round_line(&row));
        rounds.push(row);
    }
    let after = sut.map(SutProbe::memory).transpose()?;
    done.cancel();
    controller.close().await;
    while tasks.join_next().await.is_some() {}

    let median = |f: fn(&StormRound) -> f64| crate::compare::median(rounds.iter().map(f).collect());
    Ok(StormReport {
        scenario: "reconnect-storm",
        target,
        agents: n,
        fraction: scale.fraction,
        reconnect_rate: scale.reconnect_rate,
        reconnects_per_s: median(|r| r.reconnects_per_s),
        all_back_ms_max: median(|r| r.all_back_ms),
        reconnect_latency_ms: Latency::from_histogram_ns(&all_latency).in_ms(),
        rounds,
        failed: all_failed,
        gave_up,
        lost_records: lost,
        delivered_records: delivered,
        sut: match (sut, before, after) {
            (Some(p), Some(b), Some(a)) => Some(StormSut {
                pid: p.pid,
                rss_before_kib: b.rss_kib,
                rss_after_kib: a.rss_kib,
                peak_rss_kib: a.peak_rss_kib,
            }),
            _ => None,
        },
    })
}

fn round_line(r: &StormRound) -> String {
    format!(
        "storm {:>2}: {} dropped, {} back in {:.0} ms ({:.0}/s), {} gave up; reconnect ms p50 {:.1} p99 {:.1} max {:.1}; failed attempts {} ({}); check: {} answered, {} lost",
        r.round,
        r.dropped,
        r.reconnected,
        r.all_back_ms,
        r.reconnects_per_s,
        r.gave_up,
        r.latency_ms.p50,
        r.latency_ms.p99,
        r.latency_ms.max,
        r.failed_attempts.total,
        r.failed_attempts.breakdown(),
        r.delivered,
        r.lost
    )
}

impl fmt::Display for StormReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pace = self.reconnect_rate.map_or("all at once".to_owned(), |r| format!("{r}/s"));
        writeln!(f, "scenario     {} -> {}", self.scenario, self.target)?;
        writeln!(
            f,
            "load         {} agents, {:.0} % dropped per storm, reconnecting {pace}",
            self.agents,
            100.0 * self.fraction
        )?;
        for r in &self.rounds {
            writeln!(f, "{}", round_line(r))?;
        }
        let l = &self.reconnect_latency_ms;
        writeln!(
            f,
            "reconnects   {:.0}/s (median of rounds), all back in {:.0} ms (median)",
            self.reconnects_per_s, self.all_back_ms_max
        )?;
        writeln!(f, "latency ms   p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}", l.p50, l.p90, l.p99, l.max)?;
        writeln!(
            f,
            "failed       {} connect attempts ({}); {} agents gave up",
            self.failed.total,
            self.failed.breakdown(),
            self.gave_up
        )?;
        if let Some(e) = &self.failed.first {
            writeln!(f, "first error  {e}")?;
        }
        writeln!(
            f,
            "routing      {} Gets answered, {} lost (before and after every storm)",
            self.delivered_records, self.lost_records
        )?;
        if let Some(s) = &self.sut {
            writeln!(
                f,
                "system       pid {}: RSS {:.1} MiB before, {:.1} MiB after (peak {:.1})",
                s.pid,
                mib(s.rss_before_kib),
                mib(s.rss_after_kib),
                mib(s.peak_rss_kib)
            )?;
        }
        Ok(())
    }
}
