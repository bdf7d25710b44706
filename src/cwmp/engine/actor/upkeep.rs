//! The actor's own work on its CPE: keeping the notification attributes in line with the
//! virtual Agent's ValueChange subscriptions (see `translate/attributes.rs` for the rules).
//!
//! One upkeep task at a time, queued behind Controllers' requests like any task. A task that
//! could not run (CPE unreachable, session lost) is planned again at the CPE's next Inform;
//! a path the CPE refused is logged, counted and remembered, never fatal to the subscription.

use tokio::time::Instant;
use tracing::{debug, warn};

use super::super::queue::Queued;
use super::super::translator::Upkeep;
use super::DeviceActor;
use crate::cwmp::task::{AttributeChange, WatchedPath};

impl DeviceActor {
    /// Plans the upkeep the current subscriptions call for, unless a planned task is pending
    /// (it is planned again when that one ends).
    pub(super) fn plan_upkeep(&mut self) {
        if self.upkeep_queued {
            self.upkeep_stale = true;
            return;
        }
        self.upkeep_stale = false;
        let Upkeep { settled, task } = self.engine.0.translator.upkeep(&self.state);
        let recorded = !settled.is_empty();
        self.record_attributes(settled);
        if let Some(task) = task {
            let deadline = Instant::now() + self.engine.0.settings.request_timeout;
            self.queue.push(Queued { task, controller: None, deadline, send_response: false });
            self.upkeep_queued = true;
        } else if recorded {
            self.persist_model();
        }
    }

    /// An upkeep task ended (done or aborted).
    pub(super) fn upkeep_done(&mut self, changes: Vec<AttributeChange>) {
        self.upkeep_queued = false;
        self.record_attributes(changes);
        self.persist_model();
        if self.upkeep_stale {
            self.plan_upkeep();
        }
    }

    fn record_attributes(&mut self, changes: Vec<AttributeChange>) {
        let eid = self.state.endpoint_id.clone();
        let watched = &mut self.state.model.watched;
        for change in changes {
            match change {
                AttributeChange::Activated { path, originals } => {
                    debug!(%eid, %path, "notification attribute active");
                    watched.insert(path, WatchedPath { originals, refused: None });
                }
                AttributeChange::Refused { path, fault } => {
                    warn!(%eid, %path, fault, "CPE refused active notification; the subscription stays, without value changes from it");
                    self.engine.0.metrics.attribute_refused();
                    watched.insert(path, WatchedPath { originals: Vec::new(), refused: Some(fault) });
                }
                AttributeChange::Reverted { path, fault } => {
                    if let Some(fault) = fault {
                        warn!(%eid, %path, fault, "could not restore the notification attribute");
                        self.engine.0.metrics.attribute_refused();
                    }
                    watched.remove(&path);
                }
            }
        }
    }
}
