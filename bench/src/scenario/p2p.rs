//! The p2p scenarios (`ws-p2p`, `mqtt-p2p`, `stomp-p2p`, `cross-mtp`): N agent/controller
//! pairs. Each controller sends USP Get requests to its own agent, the agent answers each with
//! a GetResp of about the same size (to the request's reply address), and the controller
//! times every round trip.
//!
//! This is the hub's core job (relay a Record by `to_id` and the answer back) at its purest,
//! so it is the scenario the headline figures come from. The pair logic is generic over
//! [`Connector`], separately for agents and controllers: the same pairs and the same Records
//! through any MTP of the hub, across two MTPs, through a plain broker, or through the bare
//! TCP forwarder.
//!
//! Load is closed loop by default (each pair keeps `window` requests outstanding: the rate is
//! what the target sustains) or open loop at a fixed rate per pair. Open loop does not wait
//! for answers (up to `window` outstanding), so a stalled target shows in the percentiles
//! rather than by quietly lowering the offered load. Latency is timed from the actual send,
//! not the scheduled one: tokio's timers fire with millisecond granularity, which would add
//! up to a millisecond of the generator's own lateness to every sample.

use std::{
    collections::VecDeque,
    sync::{Arc, atomic::Ordering::Relaxed},
    time::{Duration, Instant},
};

use anyhow::Context;
use bytes::Bytes;
use tokio::{
    task::JoinSet,
    time::{MissedTickBehavior, interval, interval_at},
};
use tokio_util::sync::CancellationToken;

use super::{LoadSpec, Pacing, SWEEP_PERIOD, next_tick, ramp::connect_all, window::Window};
use crate::progress::Progress;
use crate::report::{Latency, Report};
use crate::stats::{Clock, ErrorKind, LatencyRecorder, Live, SharedHistogram};
use crate::sut::SutProbe;
use crate::transport::{Connector, Endpoint, LinkError, RecordLink};
use crate::usp::{self, DecodeError, RequestEncoder, ResponseEncoder};

/// Runs scenario `name` with agents connected through `agent_connector` and controllers
/// through `controller_connector`.
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
    eprintln!("{name}: connecting {n} agents and {n} controllers to {target}", n = spec.pairs);
    // Agents first, so that no request has to wait for its agent in the hub's offline hold
    // (or, on a plain broker, be published before anyone subscribed).
    let agents = connect_all(&agent_connector, (0..spec.pairs).map(Endpoint::agent), &live, spec.ramp).await?;
    let controllers =
        connect_all(&controller_connector, (0..spec.pairs).map(Endpoint::controller), &live, spec.ramp).await?;

    let clock = Clock::new(Instant::now(), spec.warmup, spec.duration);
    let histogram = SharedHistogram::new();
    // `stop`: controllers stop sending and wait for their answers; `done`: agents close.
    let (stop, done) = (CancellationToken::new(), CancellationToken::new());

    let mut response_bytes = 0;
    let mut agent_tasks = JoinSet::new();
    for (endpoint, link) in agents {
        let answers = ResponseEncoder::new(&endpoint.eid, spec.size);
        response_bytes = answers.record_len();
        agent_tasks.spawn(agent(link, answers, stop.clone(), done.clone(), live.clone()));
    }
    let pacing = Pacing::new(spec);
    let mut request_bytes = 0;
    let mut controller_tasks = JoinSet::new();
    for (endpoint, link) in controllers {
        let requests =
            RequestEncoder::new(&endpoint.eid, &Endpoint::agent(endpoint.pair).eid, run_id, spec.size).with_sets(spec.set_every);
        request_bytes = requests.record_len();
        let controller = Controller::new(link, requests, run_id, histogram.recorder(), live.clone(), clock);
        // Open-loop pairs are spread over one period rather than all firing together.
        let offset = pacing.offset(endpoint.pair, spec.pairs);
        controller_tasks.spawn(controller.run(pacing, clock.start + offset, stop.clone()));
    }
    let progress = Progress::start(name, live.clone(), clock, 2 * spec.pairs, 2);

    let window = Window::measure(clock, sut).await?;

    stop.cancel();
    let mut round_trips = 0;
    while let Some(measured) = controller_tasks.join_next().await {
        round_trips += measured.context("a controller task failed")?;
    }
    done.cancel();
    while let Some(finished) = agent_tasks.join_next().await {
        finished.context("an agent task failed")?;
    }
    progress.finish().await;

    let records = 2 * round_trips;
    let secs = spec.duration.as_secs_f64();
    Ok(Report {
        scenario: name.into(),
        target,
        pairs: spec.pairs,
        window: spec.window,
        rate_per_pair: spec.rate,
        request_bytes,
        response_bytes,
        warmup_s: spec.warmup.as_secs_f64(),
        duration_s: secs,
        round_trips,
        round_trips_per_s: round_trips as f64 / secs,
        records_per_s: records as f64 / secs,
        latency_us: Latency::from_histogram_ns(&histogram.snapshot()),
        errors: live.errors_by_kind(),
        errors_total: live.errors_total(),
        first_error: live.first_error(),
        late_sends: live.late_sends.load(Relaxed),
        generator: window.generator(records),
        sut: window.sut(records),
        one_way: false,
    })
}

/// Names the path: one target, or the controllers' and the agents' when they differ.
pub(super) fn describe_both(controllers: &impl Connector, agents: &impl Connector) -> String {
    let (c, a) = (controllers.describe(), agents.describe());
    if c == a { c } else { format!("controllers {c} <-> agents {a}") }
}

/// The agent: answers every Get it receives with a GetResp, until told the run is over.
async fn agent<L: RecordLink>(
    mut link: L,
    mut answers: ResponseEncoder,
    stop: CancellationToken,
    done: CancellationToken,
    live: Arc<Live>,
) {
    match answer_all(&mut link, &mut answers, &done, &live).await {
        Ok(()) => {}
        // Once traffic stops, a controller closing its side (forwarder) is expected.
        Err(LinkError::Closed) if stop.is_cancelled() => {}
        Err(e) => live.error_with(ErrorKind::Disconnected, format_args!("agent: {e}")),
    }
    link.close().await;
    live.connections.fetch_sub(1, Relaxed);
}

/// Answers requests until `done`.
async fn answer_all<L: RecordLink>(
    link: &mut L,
    answers: &mut ResponseEncoder,
    done: &CancellationToken,
    live: &Live,
) -> Result<(), LinkError> {
    loop {
        let received = tokio::select! {
            biased;
            _ = done.cancelled() => return Ok(()),
            received = link.recv() => received,
        };
        answer_batch(link, received, answers, live).await?;
    }
}

/// Answers `received` and every request already received after it, then flushes once.
pub(super) async fn answer_batch<L: RecordLink>(
    link: &mut L,
    mut received: Result<Option<Bytes>, LinkError>,
    answers: &mut ResponseEncoder,
    live: &Live,
) -> Result<(), LinkError> {
    loop {
        let record = received?.ok_or(LinkError::Closed)?;
        match usp::decode_request(record) {
            Ok(request) => link.feed_reply(answers.encode(&request)).await?,
            Err(e) => live.error_with(ErrorKind::Malformed, format_args!("agent received: {e}")),
        }
        match link.try_recv() {
            Some(next) => received = next,
            None => break,
        }
    }
    link.flush().await
}

/// The controller: sends Gets to its agent and times the answers.
struct Controller<L> {
    link: L,
    requests: RequestEncoder,
    run_id: u32,
    next_seq: u64,
    /// Requests awaiting an answer, oldest first, with the time each was sent.
    outstanding: VecDeque<(u64, Instant)>,
    latencies: LatencyRecorder,
    live: Arc<Live>,
    clock: Clock,
    /// Round trips completed inside the measurement window.
    measured: u64,
}

impl<L: RecordLink> Controller<L> {
    fn new(
        link: L,
        requests: RequestEncoder,
        run_id: u32,
        latencies: LatencyRecorder,
        live: Arc<Live>,
        clock: Clock,
    ) -> Self {
        Self { link, requests, run_id, next_seq: 0, outstanding: VecDeque::new(), latencies, live, clock, measured: 0 }
    }

    /// Drives the pair until `stop` and the answers still due are in; returns the round trips
    /// measured.
    async fn run(mut self, pacing: Pacing, first_send: Instant, stop: CancellationToken) -> u64 {
        if let Err(e) = self.drive(pacing, first_send, &stop).await {
            self.live.error_with(ErrorKind::Disconnected, format_args!("controller: {e}"));
        }
        self.latencies.flush();
        self.link.close().await;
        self.live.connections.fetch_sub(1, Relaxed);
        self.measured
    }

    async fn drive(&mut self, pacing: Pacing, first_send: Instant, stop: &CancellationToken) -> Result<(), LinkError> {
        let mut sweep = interval(SWEEP_PERIOD);
        sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut pace = pacing.period.map(|period| interval_at(first_send.into(), period));
        let closed_loop = pace.is_none();
        // Set once `stop` fires: the time after which answers are no longer awaited.
        let mut drain_until: Option<Instant> = None;
        if closed_loop {
            self.fill(pacing.window).await?;
        }
        loop {
            let sending = drain_until.is_none();
            tokio::select! {
                biased;
                _ = stop.cancelled(), if sending => drain_until = Some(Instant::now() + pacing.timeout),
                received = self.link.recv() => {
                    // Every answer already here, then the requests that replace them in one flush.
                    let mut received = received;
                    loop {
                        self.on_answer(received?.ok_or(LinkError::Closed)?);
                        match self.link.try_recv() {
                            Some(next) => received = next,
                            None => break,
                        }
                    }
                    if sending && closed_loop {
                        self.fill(pacing.window).await?;
                    }
                }
                () = next_tick(&mut pace), if sending => {
                    if self.outstanding.len() < pacing.window {
                        self.feed().await?;
                        self.link.flush().await?;
                    } else {
                        self.live.late_sends.fetch_add(1, Relaxed);
                    }
                }
                _ = sweep.tick() => {
                    self.expire(pacing.timeout);
                    if sending && closed_loop {
                        self.fill(pacing.window).await?;
                    }
                }
            }
            if drain_until.is_some_and(|until| self.outstanding.is_empty() || Instant::now() >= until) {
                return Ok(());
            }
        }
    }

    /// Tops the window up and flushes, if anything was missing.
    async fn fill(&mut self, window: usize) -> Result<(), LinkError> {
        if self.outstanding.len() >= window {
            return Ok(());
        }
        while self.outstanding.len() < window {
            self.feed().await?;
        }
        self.link.flush().await
    }

    /// Queues the next request.
    async fn feed(&mut self) -> Result<(), LinkError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let record = self.requests.encode(seq);
        self.outstanding.push_back((seq, Instant::now()));
        self.link.feed(record).await
    }

    fn on_answer(&mut self, record: Bytes) {
        let now = Instant::now();
        let id = match usp::decode_response(record) {
            Ok(id) if id.run == self.run_id => id,
            Ok(id) => {
                return self
                    .live
                    .error_with(ErrorKind::Unexpected, format_args!("answer to msg_id {id} of another run"));
            }
            Err(e @ (DecodeError::WrongType { .. } | DecodeError::ForeignMsgId(_))) => {
                return self.live.error_with(ErrorKind::Unexpected, format_args!("controller received: {e}"));
            }
            Err(e) => {
                return self.live.error_with(ErrorKind::Malformed, format_args!("controller received: {e}"));
            }
        };
        // Answers keep their order on one path: anything older still outstanding is lost.
        while self.outstanding.front().is_some_and(|&(seq, _)| seq < id.seq) {
            self.outstanding.pop_front();
            self.live.error(ErrorKind::Lost);
        }
        match self.outstanding.front() {
            Some(&(seq, sent)) if seq == id.seq => {
                self.outstanding.pop_front();
                self.live.round_trips.fetch_add(1, Relaxed);
                if self.clock.measures(now) {
                    self.measured += 1;
                    self.latencies.record(now.saturating_duration_since(sent));
                }
            }
            _ => self
                .live
                .error_with(ErrorKind::Unexpected, format_args!("answer to msg_id {id}, which is not outstanding")),
        }
    }

    /// Gives up on requests older than `timeout`.
    fn expire(&mut self, timeout: Duration) {
        let now = Instant::now();
        while self.outstanding.front().is_some_and(|&(_, sent)| now.saturating_duration_since(sent) >= timeout) {
            self.outstanding.pop_front();
            self.live.error(ErrorKind::Timeout);
        }
    }
}
