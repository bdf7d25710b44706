//! One CPE's actor: the loop that serves its USP Records, its CWMP session and its timers.
//!
//! Timing rules, all enforced here:
//! - a waiting task is aborted at its deadline (`request_timeout`): `Unreachable` if the last
//!   connection request failed, else `Timeout`;
//! - a session whose CPE stays silent for `session_timeout` is dropped and its running task
//!   aborted with `SessionEnded` (waiting tasks stay for the next session, within their
//!   deadline); so is one replaced by a new Inform;
//! - while work waits and the CPE is not in session, a connection request goes out, at most
//!   one per `min_interval`, repeated after `retry_interval` if the CPE does not call in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, info, warn};

mod operations;
mod outbox;
mod reach;
mod upkeep;

pub(super) use operations::{Awaited, load as load_operations};

use super::queue::{Finished, Queued, TaskQueue};
use super::translator::{CpeReport, DeviceState, Started};
use super::{AcsAnswer, DeviceEvent, Engine, SessionId, notify, usp};
use crate::cwmp::acs::session::{CpePost, CwmpSession, Turn};
use crate::cwmp::registry::DeviceRecord;
use crate::cwmp::rpc::Inform;
use crate::cwmp::soap::{Body, Envelope};
use crate::cwmp::task::{AbortReason, CpeReply};
use crate::router::{Delivery, Session};
use crate::usp::EndpointId;
use crate::usp::proto::msg::Msg;

pub(super) struct DeviceActor {
    engine: Engine,
    usp: Session,
    events: mpsc::Receiver<DeviceEvent>,
    /// To itself, for the results of the connection requests it starts.
    myself: mpsc::Sender<DeviceEvent>,
    record: Option<DeviceRecord>,
    state: DeviceState,
    queue: TaskQueue,
    session: Option<LiveSession>,
    reach: reach::Reach,
    /// An upkeep task (notification attributes) is queued or running.
    upkeep_queued: bool,
    /// The subscriptions changed since that task was planned: plan again when it ends.
    upkeep_stale: bool,
    next_notify: u64,
    /// Notify messages awaiting their NotifyResp (`outbox.rs`).
    outbox: Vec<outbox::Unanswered>,
    /// Downloads started by Operate, awaiting their TransferComplete, with the requestor;
    /// mirrored in the registry (`operations.rs`).
    operations: Vec<operations::Awaited>,
}

struct LiveSession {
    id: SessionId,
    cwmp: CwmpSession,
    last_heard: Instant,
}

impl DeviceActor {
    pub fn new(
        engine: Engine,
        usp: Session,
        events: mpsc::Receiver<DeviceEvent>,
        myself: mpsc::Sender<DeviceEvent>,
        record: Option<DeviceRecord>,
        state: DeviceState,
        operations: Vec<operations::Awaited>,
    ) -> Self {
        Self {
            engine,
            usp,
            events,
            myself,
            record,
            state,
            queue: TaskQueue::default(),
            session: None,
            reach: reach::Reach::default(),
            upkeep_queued: false,
            upkeep_stale: false,
            next_notify: 0,
            outbox: Vec::new(),
            operations,
        }
    }

    pub async fn run(mut self) {
        let shutdown = self.engine.0.shutdown.clone();
        let replaced = self.usp.replaced();
        let mut forgotten = None;
        loop {
            let wake = self.next_wake();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = replaced.cancelled() => break,
                delivery = self.usp.recv() => match delivery {
                    Some(delivery) => self.on_usp(delivery),
                    None => break,
                },
                Some(event) = self.events.recv() => {
                    if let DeviceEvent::Forget { stopped } = event {
                        forgotten = Some(stopped);
                        break;
                    }
                    self.on_event(event).await
                }
                _ = sleep_until(wake) => {}
            }
            self.on_time(Instant::now());
        }
        // Whoever still waits gets an answer rather than silence.
        let mut finished = Vec::new();
        self.queue.abort_all(AbortReason::SessionEnded, &mut finished);
        self.deliver(finished);
        // Only this actor's entry: a new Inform may already have started a successor.
        self.engine.0.devices.remove_if(&self.state.endpoint_id, |_, events| events.same_channel(&self.myself));
        if let Some(stopped) = forgotten {
            info!(eid = %self.eid(), "device deleted");
            let _ = stopped.send(());
        }
    }

    fn eid(&self) -> &EndpointId {
        &self.state.endpoint_id
    }

    fn on_usp(&mut self, delivery: Delivery) {
        let msg = match usp::decode(&delivery.record) {
            Ok(msg) => msg,
            Err(e) => return debug!(eid = %self.eid(), from = %delivery.from, error = %e, "record ignored"),
        };
        match usp::classify(&msg) {
            usp::Inbound::Request => {}
            usp::Inbound::NotifyResp => return self.notify_answered(&delivery.from, &msg),
            usp::Inbound::Other => return debug!(eid = %self.eid(), from = %delivery.from, "non-request ignored"),
        }
        let before = self.state.subscriptions.clone();
        let translator = self.engine.0.translator.clone();
        match translator.task(msg, &delivery.from, &mut self.state) {
            Ok(Started { task, send_response }) => {
                let deadline = Instant::now() + self.engine.0.settings.request_timeout;
                self.queue.push(Queued { task, controller: Some(delivery.from), deadline, send_response });
                self.engine.0.metrics.pending(1);
            }
            Err(answer) => self.send(&delivery.from, &answer),
        }
        if self.state.subscriptions != before {
            match serde_json::to_vec(&self.state.subscriptions) {
                Ok(blob) => self.persist(|registry, eid, blob| registry.set_subscriptions(eid, &blob), blob),
                Err(e) => warn!(eid = %self.eid(), error = %e, "subscriptions not serialisable"),
            }
            self.plan_upkeep();
        }
    }

    async fn on_event(&mut self, event: DeviceEvent) {
        match event {
            DeviceEvent::Inform { envelope, peer, session, answer } => {
                self.on_inform(envelope, peer, session, answer).await
            }
            DeviceEvent::Post { session, post, answer } => {
                let reply = match self.session.as_mut() {
                    Some(live) if live.id == session => {
                        live.last_heard = Instant::now();
                        self.on_post(post)
                    }
                    _ => AcsAnswer::NoSession,
                };
                let _ = answer.send(reply);
            }
            DeviceEvent::ConnectionRequestDone(result) => self.connection_request_done(result),
            DeviceEvent::RecordChanged => self.reload_record().await,
            DeviceEvent::Forget { .. } => unreachable!("handled by the loop"),
        }
    }

    async fn on_inform(
        &mut self,
        envelope: Envelope,
        peer: IpAddr,
        session: SessionId,
        answer: oneshot::Sender<AcsAnswer>,
    ) {
        if self.session.take().is_some() {
            debug!(eid = %self.eid(), "new Inform replaces the running session");
            self.engine.0.metrics.session_failed();
            self.abort_running(AbortReason::SessionEnded);
        }
        let Body::Inform(inform) = &envelope.body else { return };
        self.engine.0.metrics.session_started(inform.events.iter().map(|e| e.event_code.as_str()));
        let previous_values = self.record_inform(inform).await;
        self.state.model.learn_from(&envelope.body);
        self.notify(CpeReport::Inform { inform, previous_values: &previous_values });
        if inform.has_event("0 BOOTSTRAP") {
            // A factory reset cleared the attributes the adapter had set.
            self.state.model.watched.clear();
        }
        if inform.has_event("1 BOOT") || inform.has_event("0 BOOTSTRAP") {
            self.state.model.factory_reset_requested = false;
        }
        self.plan_upkeep();
        self.reach.answered = true;
        self.reach.last_failed = false;
        let (cwmp, reply) = CwmpSession::start(&envelope);
        info!(eid = %self.eid(), %peer, events = ?inform.events.iter().map(|e| e.event_code.as_str()).collect::<Vec<_>>(), "CWMP session opened");
        self.session = Some(LiveSession { id: session, cwmp, last_heard: Instant::now() });
        let _ = answer.send(AcsAnswer::Envelope(reply.to_bytes()));
    }

    /// Writes the Inform to the registry (on the blocking pool: redb fsyncs); returns the
    /// values its parameters had before.
    async fn record_inform(&mut self, inform: &Inform) -> HashMap<String, String> {
        let (registry, eid, inform) = (self.engine.0.registry.clone(), self.eid().to_string(), inform.clone());
        let written =
            tokio::task::spawn_blocking(move || registry.record_inform(&eid, &inform, SystemTime::now())).await;
        match written {
            Ok(Ok(outcome)) => {
                if outcome.new_device {
                    info!(eid = %self.eid(), "new CPE registered");
                }
                self.state.identity = outcome.record.identity.clone();
                self.record = Some(outcome.record);
                return outcome.previous_values;
            }
            Ok(Err(e)) => warn!(eid = %self.eid(), error = %e, "registry write failed"),
            Err(e) => warn!(eid = %self.eid(), error = %e, "registry write panicked"),
        }
        HashMap::new()
    }

    /// Sends the notifications a report causes to their Controllers.
    fn notify(&mut self, report: CpeReport<'_>) {
        let notifications = self.engine.0.translator.notifications(report, &self.state);
        let defaults = &self.engine.0.settings.notify_controllers;
        let eid = self.eid().clone();
        let mut out = Vec::new();
        for notification in &notifications {
            out.extend(notify::fan_out(notification, defaults, || {
                self.next_notify += 1;
                format!("cwmp-notify-{eid}-{}", self.next_notify)
            }));
        }
        for (controller, msg) in out {
            self.send_notify(controller, msg);
        }
    }

    /// One POST of the live session.
    fn on_post(&mut self, post: CpePost) -> AcsAnswer {
        let Some(live) = self.session.as_mut() else { return AcsAnswer::NoSession };
        let reply = match live.cwmp.on_post(post) {
            Turn::Answer { reply, report } => {
                if let Some(report) = report {
                    self.on_transfer_report(&report);
                }
                return AcsAnswer::Envelope(reply.to_bytes());
            }
            Turn::Reply(body) => {
                self.learn(&body);
                if let Body::Fault(fault) = &body {
                    self.engine.0.metrics.fault_received(fault.detail.fault_code);
                }
                Some(CpeReply::from_body(body))
            }
            Turn::Ready => None,
        };
        let mut finished = Vec::new();
        let next = self.queue.advance(reply, &mut finished);
        self.deliver(finished);
        let Some(live) = self.session.as_mut() else { return AcsAnswer::NoSession };
        match next {
            Some(rpc) => {
                self.engine.0.metrics.rpc_sent(rpc.method_name());
                AcsAnswer::Envelope(live.cwmp.request(rpc).to_bytes())
            }
            None => {
                live.cwmp.finish();
                self.session = None;
                self.engine.0.metrics.session_completed();
                debug!(eid = %self.eid(), "CWMP session finished");
                self.persist_model();
                AcsAnswer::NoContent
            }
        }
    }

    /// What a CPE's answer teaches about it: types for the model, values for the registry.
    fn learn(&mut self, body: &Body) {
        self.state.model.learn_from(body);
        if matches!(body, Body::FactoryResetResponse) {
            // The next boot is ours to explain: Boot! Cause RemoteFactoryReset.
            self.state.model.factory_reset_requested = true;
            self.persist_model();
        }
        if let Body::GetParameterValuesResponse(values) = body {
            let values = values.parameter_list.clone();
            self.persist(|registry, eid, values| registry.record_parameters(eid, &values), values);
        }
    }

    fn on_time(&mut self, now: Instant) {
        let session_timeout = self.engine.0.settings.session_timeout;
        if self.session.as_ref().is_some_and(|s| now >= s.last_heard + session_timeout) {
            info!(eid = %self.eid(), "CWMP session timed out");
            self.engine.0.metrics.session_failed();
            self.session = None;
            self.abort_running(AbortReason::SessionEnded);
            self.persist_model();
        }
        let reason = if self.reach.last_failed { AbortReason::Unreachable } else { AbortReason::Timeout };
        let mut finished = Vec::new();
        self.queue.expire(now, reason, &mut finished);
        self.deliver(finished);
        self.retry_notifies(now);
        if self.connection_request_due(now).is_some_and(|due| due <= now) {
            self.send_connection_request(now);
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        let session_end = self.session.as_ref().map(|s| s.last_heard + self.engine.0.settings.session_timeout);
        let request_due = self.connection_request_due(Instant::now());
        [session_end, self.queue.next_deadline(), request_due, self.next_retry()].into_iter().flatten().min()
    }

    fn abort_running(&mut self, reason: AbortReason) {
        let finished = self.queue.abort_running(reason);
        self.deliver(finished.into_iter().collect());
    }

    /// Sends each finished task's answer to its Controller, and keeps the operations it left
    /// running on the CPE until their TransferComplete (or completes them now if applied).
    fn deliver(&mut self, finished: Vec<Finished>) {
        for done in finished {
            let Some(controller) = done.controller else {
                self.upkeep_done(done.attribute_changes);
                continue;
            };
            self.engine.0.metrics.pending(-1);
            if done.send_response || is_error(&done.msg) {
                self.send(&controller, &done.msg);
            }
            self.operations_started(done.operations, &controller);
        }
    }

    fn send(&self, to: &EndpointId, msg: &Msg) {
        let record = usp::encode(self.eid().as_str(), to.as_str(), msg);
        if let Err(e) = self.usp.ingress(record) {
            warn!(eid = %self.eid(), error = %e, "could not route an answer");
        }
    }

    fn persist_model(&self) {
        match serde_json::to_vec(&self.state.model) {
            Ok(blob) => self.persist(|registry, eid, blob| registry.set_model(eid, &blob), blob),
            Err(e) => warn!(eid = %self.eid(), error = %e, "model not serialisable"),
        }
    }

    /// Runs a registry write on the blocking pool without waiting for it.
    fn persist<T: Send + 'static>(
        &self,
        write: impl FnOnce(&crate::cwmp::registry::Registry, &str, T) -> crate::cwmp::registry::Result<()> + Send + 'static,
        value: T,
    ) {
        let (registry, eid) = (self.engine.0.registry.clone(), self.eid().to_string());
        self.engine.0.tracker.spawn_blocking(move || {
            if let Err(e) = write(&registry, &eid, value) {
                warn!(%eid, error = %e, "registry write failed");
            }
        });
    }
}

fn is_error(msg: &Msg) -> bool {
    matches!(msg.body.as_ref().and_then(|b| b.msg_body.as_ref()), Some(crate::usp::proto::msg::body::MsgBody::Error(_)))
}

async fn sleep_until(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
