//! Reaching a CPE that is not in session: when a connection request is due, sending it off the
//! actor's loop with the CPE's current login, and what its outcome means for the tasks waiting.

use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::super::DeviceEvent;
use super::DeviceActor;
use crate::cwmp::connreq::ConnectionRequestError;

/// Connection request bookkeeping.
#[derive(Default)]
pub(super) struct Reach {
    pub last_sent: Option<Instant>,
    pub in_flight: bool,
    /// The CPE opened a session since the last request: the next may follow sooner.
    pub answered: bool,
    pub last_failed: bool,
}

impl DeviceActor {
    /// When the next connection request should go out (`now` if it is overdue or the first),
    /// if one is needed at all.
    pub(super) fn connection_request_due(&self, now: Instant) -> Option<Instant> {
        if self.session.is_some() || self.reach.in_flight || !self.queue.has_waiting() {
            return None;
        }
        let settings = &self.engine.0.settings;
        Some(match self.reach.last_sent {
            None => now,
            Some(sent) if self.reach.answered => sent + settings.connection_request_min_interval,
            Some(sent) => sent + settings.connection_request_retry,
        })
    }

    pub(super) fn send_connection_request(&mut self, now: Instant) {
        self.reach =
            Reach { last_sent: Some(now), in_flight: true, answered: false, last_failed: self.reach.last_failed };
        let record = self.record.as_ref();
        let url = record.and_then(|r| r.connection_request_url.clone());
        let credentials = record
            .and_then(|r| r.connection_request_credentials.clone())
            .or_else(|| self.engine.0.settings.connection_request_credentials.clone());
        let (engine, myself) = (self.engine.clone(), self.myself.clone());
        debug!(eid = %self.eid(), ?url, "sending connection request");
        self.engine.0.metrics.connection_request_sent();
        self.engine.0.tracker.spawn(async move {
            let result = engine.0.requester.request(url.as_deref(), credentials.as_ref()).await;
            let _ = myself.send(DeviceEvent::ConnectionRequestDone(result)).await;
        });
    }

    /// Reads the CPE's record again after an operator changed it, so the next connection
    /// request answers with the new login. A failed read keeps the copy it has.
    pub(super) async fn reload_record(&mut self) {
        let (registry, eid) = (self.engine.0.registry.clone(), self.eid().to_string());
        match tokio::task::spawn_blocking(move || registry.device(&eid)).await {
            Ok(Ok(Some(record))) => self.record = Some(record),
            // Deleted meanwhile: the Forget that follows stops this actor.
            Ok(Ok(None)) => {}
            Ok(Err(e)) => warn!(eid = %self.eid(), error = %e, "registry read failed; keeping the old record"),
            Err(e) => warn!(eid = %self.eid(), error = %e, "registry read panicked"),
        }
    }

    pub(super) fn connection_request_done(&mut self, result: Result<(), ConnectionRequestError>) {
        self.reach.in_flight = false;
        self.reach.last_failed = result.is_err();
        if result.is_err() {
            self.engine.0.metrics.connection_request_failed();
        }
        match result {
            Ok(()) => debug!(eid = %self.eid(), "connection request accepted"),
            Err(e) => info!(eid = %self.eid(), error = %e, "connection request failed"),
        }
    }
}
