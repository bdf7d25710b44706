//! `mqtt-fanin`: N agents send USP Notify Records (a ValueChange, `send_resp` false) to one
//! controller, which only receives. What is measured is the controller's side: Records per
//! second delivered to it, and one-way latency from each agent's send to the controller's
//! receipt (both ends are in this process, so the send time travels in `msg_id`).
//!
//! This is the shape of telemetry traffic (every CPE reporting to one collector), and it
//! stresses what p2p does not: one subscriber's session receiving from thousands of
//! publishers.
//!
//! Flow control: each agent may have `window` Notifies sent but not yet seen by the
//! controller. The controller hands each agent its permit back as its Notify arrives, so in
//! closed loop the offered load is exactly what the system delivers, and no broker queue
//! grows without bound (which on QoS 0 would end in silent drops). In open loop (`--rate`)
//! each agent sends on its own clock and a full window is counted as a late send. A Notify
//! lost on the way shows as a gap in that agent's sequence numbers; one missing at the end as
//! never delivered.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use tokio::{
    sync::Semaphore,
    task::JoinSet,
    time::{MissedTickBehavior, interval, interval_at, sleep},
};
use tokio_util::sync::CancellationToken;

use super::{LoadSpec, Pacing, SWEEP_PERIOD, next_tick, p2p::describe_both, ramp::connect_all, window::Window};
use crate::progress::Progress;
use crate::report::{Latency, Report};
use crate::stats::{Clock, ErrorKind, LatencyRecorder, Live, SharedHistogram};
use crate::sut::SutProbe;
use crate::transport::{Connector, Endpoint, LinkError, RecordLink, Role};
use crate::usp::{self, DecodeError, NotifyEncoder, NotifyId};

/// The controller every agent reports to.
const COLLECTOR_EID: &str = "self::bench-collector";

/// What every task of the run shares.
struct Shared {
    live: Arc<Live>,
    clock: Clock,
    run_id: u32,
    /// Per agent: Notifies it may still send before the controller has seen earlier ones.
    permits: Vec<Semaphore>,
    /// Notifies the controller has received, whole run.
    received: AtomicU64,
}

pub async fn run<A: Connector, C: Connector>(
    name: &'static str,
    agent_connector: A,
    controller_connector: C,
    spec: &LoadSpec,
    run_id: u32,
    sut: Option<&SutProbe>,
) -> anyhow::Result<Report> {
    let live = Arc::new(Live::default());
    let target = describe_both(&controller_connector, &agent_connector);
    eprintln!("{name}: connecting 1 controller and {} agents to {target}", spec.pairs);
    // The controller first: Notifies published before it subscribed would be lost on a plain
    // broker.
    let collector = Endpoint { role: Role::Controller, pair: 0, eid: COLLECTOR_EID.into(), to: None };
    let mut controller = connect_all(&controller_connector, std::iter::once(collector), &live, spec.ramp).await?;
    let (_, controller) = controller.pop().context("the controller did not connect")?;
    let agents = (0..spec.pairs).map(|i| Endpoint {
        role: Role::Agent,
        pair: i,
        eid: format!("os::BENCH-agent-{i}"),
        to: Some(COLLECTOR_EID.into()),
    });
    let agents = connect_all(&agent_connector, agents, &live, spec.ramp).await?;

    let pacing = Pacing::new(spec);
    let shared = Arc::new(Shared {
        live: live.clone(),
        clock: Clock::new(Instant::now(), spec.warmup, spec.duration),
        run_id,
        permits: (0..spec.pairs).map(|_| Semaphore::new(pacing.window)).collect(),
        received: AtomicU64::new(0),
    });
    let clock = shared.clock;
    let histogram = SharedHistogram::new();
    // `stop`: agents stop sending; `done`: the controller stops receiving.
    let (stop, done) = (CancellationToken::new(), CancellationToken::new());

    let collector_task =
        tokio::spawn(Collector::new(controller, spec.pairs, histogram.recorder(), shared.clone()).run(done.clone()));
    let mut record_bytes = 0;
    let mut agent_tasks = JoinSet::new();
    for (endpoint, link) in agents {
        let notifies = NotifyEncoder::new(&endpoint.eid, COLLECTOR_EID, spec.size);
        record_bytes = notifies.record_len();
        let first_send = clock.start + pacing.offset(endpoint.pair, spec.pairs);
        let agent = Agent { link, notifies, index: endpoint.pair, next_seq: 0, shared: shared.clone() };
        agent_tasks.spawn(agent.run(pacing, first_send, stop.clone()));
    }
    let progress = Progress::start(name, live.clone(), clock, 1 + spec.pairs, 1);

    let window = Window::measure(clock, sut).await?;

    stop.cancel();
    let mut sent = 0;
    while let Some(agent_sent) = agent_tasks.join_next().await {
        sent += agent_sent.context("an agent task failed")?;
    }
    // Wait for what is still on its way, at most one timeout.
    let drain_until = Instant::now() + spec.timeout;
    while shared.received.load(Relaxed) < sent && Instant::now() < drain_until {
        sleep(Duration::from_millis(10)).await;
    }
    done.cancel();
    let (delivered, gaps) = collector_task.await.context("the controller task failed")?;
    let missing = sent.saturating_sub(shared.received.load(Relaxed) + gaps);
    if missing > 0 {
        live.error_with(ErrorKind::Timeout, format_args!("{missing} Notify Record(s) never reached the controller"));
        for _ in 1..missing {
            live.error(ErrorKind::Timeout);
        }
    }
    progress.finish().await;

    let secs = spec.duration.as_secs_f64();
    Ok(Report {
        scenario: name.into(),
        target,
        pairs: spec.pairs,
        window: spec.window,
        rate_per_pair: spec.rate,
        request_bytes: record_bytes,
        response_bytes: 0,
        warmup_s: spec.warmup.as_secs_f64(),
        duration_s: secs,
        round_trips: delivered,
        round_trips_per_s: delivered as f64 / secs,
        records_per_s: delivered as f64 / secs,
        latency_us: Latency::from_histogram_ns(&histogram.snapshot()),
        errors: live.errors_by_kind(),
        errors_total: live.errors_total(),
        first_error: live.first_error(),
        late_sends: live.late_sends.load(Relaxed),
        generator: window.generator(delivered),
        sut: window.sut(delivered),
        one_way: true,
    })
}

/// One agent: sends Notifies within its window until `stop`.
struct Agent<L> {
    link: L,
    notifies: NotifyEncoder,
    index: usize,
    next_seq: u64,
    shared: Arc<Shared>,
}

impl<L: RecordLink> Agent<L> {
    /// Returns how many Notifies it sent.
    async fn run(mut self, pacing: Pacing, first_send: Instant, stop: CancellationToken) -> u64 {
        if let Err(e) = self.drive(pacing, first_send, &stop).await {
            self.shared.live.error_with(ErrorKind::Disconnected, format_args!("agent: {e}"));
        }
        self.link.close().await;
        self.shared.live.connections.fetch_sub(1, Relaxed);
        self.next_seq
    }

    async fn drive(&mut self, pacing: Pacing, first_send: Instant, stop: &CancellationToken) -> Result<(), LinkError> {
        let shared = self.shared.clone();
        let permits = &shared.permits[self.index];
        let mut sweep = interval(SWEEP_PERIOD);
        sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut pace = pacing.period.map(|period| interval_at(first_send.into(), period));
        let closed_loop = pace.is_none();
        let mut last_progress = Instant::now();
        loop {
            tokio::select! {
                biased;
                _ = stop.cancelled() => return self.link.flush().await,
                // Nothing is sent to agents; reading keeps acknowledgements and keep-alives moving.
                received = self.link.recv() => match received? {
                    Some(_) => shared.live.error_with(ErrorKind::Unexpected, "an agent received a Record"),
                    None => return Err(LinkError::Closed),
                },
                permit = permits.acquire(), if closed_loop => {
                    let Ok(permit) = permit else { return Ok(()) };
                    permit.forget();
                    self.feed().await?;
                    // Every permit already back: one flush for all of them.
                    while let Ok(permit) = permits.try_acquire() {
                        permit.forget();
                        self.feed().await?;
                    }
                    self.link.flush().await?;
                    last_progress = Instant::now();
                }
                () = next_tick(&mut pace) => match permits.try_acquire() {
                    Ok(permit) => {
                        permit.forget();
                        self.feed().await?;
                        self.link.flush().await?;
                        last_progress = Instant::now();
                    }
                    Err(_) => _ = shared.live.late_sends.fetch_add(1, Relaxed),
                },
                _ = sweep.tick(), if closed_loop => {
                    // A window that has not moved for a timeout: count it, and send again.
                    if permits.available_permits() == 0 && last_progress.elapsed() >= pacing.timeout {
                        shared.live.error_with(ErrorKind::Timeout, "a Notify not delivered within --timeout");
                        permits.add_permits(1);
                        last_progress = Instant::now();
                    }
                }
            }
        }
    }

    async fn feed(&mut self) -> Result<(), LinkError> {
        let sent_ns = self.shared.clock.start.elapsed().as_nanos() as u64;
        let id = NotifyId { run: self.shared.run_id, agent: self.index as u32, seq: self.next_seq, sent_ns };
        self.next_seq += 1;
        let record = self.notifies.encode(id);
        self.link.feed(record).await
    }
}

/// The controller: receives every Notify, times it, and gives its agent the permit back.
struct Collector<L> {
    link: L,
    /// Per agent, the sequence number expected next.
    expected: Vec<u64>,
    latencies: LatencyRecorder,
    shared: Arc<Shared>,
    /// Notifies received inside the measurement window.
    measured: u64,
    /// Notifies missing from an agent's sequence.
    gaps: u64,
}

impl<L: RecordLink> Collector<L> {
    fn new(link: L, agents: usize, latencies: LatencyRecorder, shared: Arc<Shared>) -> Self {
        Self { link, expected: vec![0; agents], latencies, shared, measured: 0, gaps: 0 }
    }

    /// Receives until `done`; returns the Notifies measured and the gaps seen.
    async fn run(mut self, done: CancellationToken) -> (u64, u64) {
        if let Err(e) = self.receive_all(&done).await {
            self.shared.live.error_with(ErrorKind::Disconnected, format_args!("controller: {e}"));
        }
        self.latencies.flush();
        self.link.close().await;
        self.shared.live.connections.fetch_sub(1, Relaxed);
        (self.measured, self.gaps)
    }

    async fn receive_all(&mut self, done: &CancellationToken) -> Result<(), LinkError> {
        loop {
            let mut received = tokio::select! {
                biased;
                _ = done.cancelled() => return Ok(()),
                received = self.link.recv() => received,
            };
            loop {
                self.on_notify(received?.ok_or(LinkError::Closed)?);
                match self.link.try_recv() {
                    Some(next) => received = next,
                    None => break,
                }
            }
            // Acknowledgements (QoS 1) for the whole batch.
            self.link.flush().await?;
        }
    }

    fn on_notify(&mut self, record: bytes::Bytes) {
        let now = Instant::now();
        let live = &self.shared.live;
        let id = match usp::decode_notify(record) {
            Ok(id) if id.run == self.shared.run_id && (id.agent as usize) < self.expected.len() => id,
            Ok(id) => {
                return live
                    .error_with(ErrorKind::Unexpected, format_args!("a Notify of another run or agent: {id:?}"));
            }
            Err(e @ (DecodeError::WrongType { .. } | DecodeError::ForeignMsgId(_))) => {
                return live.error_with(ErrorKind::Unexpected, format_args!("controller received: {e}"));
            }
            Err(e) => {
                return live.error_with(ErrorKind::Malformed, format_args!("controller received: {e}"));
            }
        };
        self.shared.received.fetch_add(1, Relaxed);
        let agent = id.agent as usize;
        let expected = &mut self.expected[agent];
        if id.seq < *expected {
            return live.error_with(ErrorKind::Unexpected, format_args!("Notify {} of agent {agent} again", id.seq));
        }
        let permits = &self.shared.permits[agent];
        // One path per agent keeps order: anything skipped is lost; its permits come back.
        let skipped = id.seq - *expected;
        if skipped > 0 {
            self.gaps += skipped;
            for _ in 0..skipped {
                live.error(ErrorKind::Lost);
            }
            permits.add_permits(skipped as usize);
        }
        *expected = id.seq + 1;
        permits.add_permits(1);
        live.round_trips.fetch_add(1, Relaxed);
        if self.shared.clock.measures(now) {
            self.measured += 1;
            let sent = self.shared.clock.start + Duration::from_nanos(id.sent_ns);
            self.latencies.record(now.saturating_duration_since(sent));
        }
    }
}
