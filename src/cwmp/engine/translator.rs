//! The seam between the device engine and USP translation: what the engine asks of
//! [`crate::cwmp::translate`] (a task per USP request, the notifications a CPE's reports
//! cause), and the per-device state it lends for that.
//!
//! A trait rather than direct calls, so the engine's timing rules (queues, deadlines, session
//! loss) are tested with scripted tasks, independently of the translation's own tests.

use std::collections::HashMap;

use crate::cwmp::registry::Identity;
use crate::cwmp::rpc::{AutonomousTransferComplete, Inform, TransferComplete};
use crate::cwmp::task::{AttributeChange, CwmpTask, DeviceModel, PendingOperation};
use crate::cwmp::translate::{NotifyContent, Subscriptions};
use crate::usp::EndpointId;
use crate::usp::proto::msg::Msg;

/// What the engine keeps per CPE for translation, persisted in the registry.
#[derive(Debug, Clone)]
pub struct DeviceState {
    pub endpoint_id: EndpointId,
    pub identity: Identity,
    pub model: DeviceModel,
    /// The virtual agent's `Device.LocalAgent.Subscription.` table.
    pub subscriptions: Subscriptions,
}

/// A task for one USP request.
pub struct Started {
    pub task: Box<dyn CwmpTask>,
    /// `false` for an Operate with `send_resp = false`: its successful answer is not sent
    /// (R-OPR.4); errors always are.
    pub send_response: bool,
}

/// What a CPE reported that Controllers may have to hear about.
pub enum CpeReport<'a> {
    /// An Inform, with the values its parameters had before it (to tell changes apart).
    Inform {
        inform: &'a Inform,
        previous_values: &'a HashMap<String, String>,
    },
    /// The completion of a Download a Controller started through an Operate.
    TransferComplete {
        report: &'a TransferComplete,
        operation: &'a PendingOperation,
        requestor: &'a EndpointId,
    },
    AutonomousTransferComplete(&'a AutonomousTransferComplete),
}

/// One notification, and the subscriptions it matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub content: NotifyContent,
    pub subscribers: Vec<Subscriber>,
}

/// A Controller subscribed to a notification (`Device.LocalAgent.Subscription.{i}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    pub controller: EndpointId,
    pub subscription_id: String,
    pub send_resp: bool,
}

/// USP translation as the device engine uses it.
pub trait Translator: Send + Sync + 'static {
    /// A task carrying out one USP request from `controller`, or the Msg to answer at once
    /// (an Error, or a response that needs no CPE round trip, such as a subscription change).
    /// May change `device` (its subscriptions); the engine persists it afterwards.
    #[allow(clippy::result_large_err)] // the Msg is the answer itself, sent right away
    fn task(&self, request: Msg, controller: &EndpointId, device: &mut DeviceState) -> Result<Started, Msg>;

    /// The notifications a CPE's report causes (Boot!, ValueChange, OperationComplete …).
    fn notifications(&self, report: CpeReport<'_>, device: &DeviceState) -> Vec<Notification>;

    /// What the CPE needs so that the virtual Agent's subscriptions work (notification
    /// attributes for ValueChange); asked whenever they may have changed. None by default.
    fn upkeep(&self, _device: &DeviceState) -> Upkeep {
        Upkeep::default()
    }
}

/// The engine's own work on a CPE, queued like a Controller's request but answered to no one.
#[derive(Default)]
pub struct Upkeep {
    /// Changes that took no RPC, to record at once.
    pub settled: Vec<AttributeChange>,
    pub task: Option<Box<dyn CwmpTask>>,
}
