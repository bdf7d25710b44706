//! Downloads a Controller started with Operate, awaiting the CPE's TransferComplete.
//!
//! A firmware download takes minutes and usually a reboot; the hub may restart meanwhile. So
//! the list is mirrored in the registry (forced to disk) whenever it changes, and loaded with
//! the device at start-up: the TransferComplete that arrives after a restart still becomes the
//! OperationComplete the Controller waits for, with that Controller as the Requestor.

use serde::{Deserialize, Serialize};
use tracing::{debug, warn};

use super::super::translator::CpeReport;
use super::DeviceActor;
use crate::cwmp::registry::{Registry, RegistryError};
use crate::cwmp::soap::Body;
use crate::cwmp::task::PendingOperation;
use crate::usp::EndpointId;

/// One operation and the Controller that asked for it, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Awaited {
    pub operation: PendingOperation,
    pub requestor: String,
}

/// The operations stored for a device (none if unreadable: they cannot be completed anyway).
pub fn load(registry: &Registry, eid: &str) -> Result<Vec<Awaited>, RegistryError> {
    let stored = registry.operations(eid)?;
    Ok(stored.and_then(|blob| serde_json::from_slice(&blob).ok()).unwrap_or_default())
}

impl DeviceActor {
    /// Keeps the operations a finished task left running on the CPE until their
    /// TransferComplete, or completes them now if the CPE applied them at once.
    pub(super) fn operations_started(&mut self, operations: Vec<PendingOperation>, controller: &EndpointId) {
        self.state.model.next_request_instance += operations.len() as u32;
        let before = self.operations.len();
        for operation in operations {
            match operation.immediate_completion() {
                Some(complete) => {
                    let report = CpeReport::TransferComplete { report: &complete, operation: &operation, requestor: controller };
                    self.notify(report);
                }
                None => self.operations.push(Awaited { operation, requestor: controller.to_string() }),
            }
        }
        if self.operations.len() != before {
            self.persist_operations();
        }
    }

    /// A TransferComplete completes the Operate that started it (matched by CommandKey); an
    /// AutonomousTransferComplete is reported as it is.
    pub(super) fn on_transfer_report(&mut self, report: &Body) {
        match report {
            Body::TransferComplete(complete) => {
                let position = self.operations.iter().position(|a| a.operation.cwmp_command_key == complete.command_key);
                let Some(awaited) = position.map(|i| self.operations.swap_remove(i)) else {
                    return debug!(eid = %self.eid(), key = %complete.command_key, "TransferComplete for no known operation");
                };
                self.persist_operations();
                match EndpointId::new(&awaited.requestor) {
                    Ok(requestor) => self.notify(CpeReport::TransferComplete {
                        report: complete,
                        operation: &awaited.operation,
                        requestor: &requestor,
                    }),
                    Err(e) => warn!(eid = %self.eid(), requestor = %awaited.requestor, error = %e, "stored requestor unusable"),
                }
            }
            Body::AutonomousTransferComplete(atc) => self.notify(CpeReport::AutonomousTransferComplete(atc)),
            _ => {}
        }
    }

    fn persist_operations(&self) {
        match serde_json::to_vec(&self.operations) {
            Ok(blob) => self.persist(|registry, eid, blob| registry.set_operations(eid, &blob), blob),
            Err(e) => warn!(eid = %self.eid(), error = %e, "operations not serialisable"),
        }
    }
}
