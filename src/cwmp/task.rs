//! The seam between USP translation and the ACS session: one USP request carried out as a
//! sequence of CWMP RPCs on one CPE, as a state machine with no I/O.
//!
//! The ACS session engine owns the sockets, the clocks and the CPE's session; the translation
//! layer ([`crate::cwmp::translate`]) owns the meaning. They meet here: the engine calls
//! [`CwmpTask::step`] with `None`, sends every [`TaskStep::Rpc`] it gets back to the CPE (one
//! envelope per HTTP round trip, cwmp.md §9.6), feeds the CPE's answer into the next `step`, and
//! relays the [`TaskStep::Done`] message to the Controller. When the CPE cannot be reached or
//! the session dies first, it calls [`CwmpTask::abort`] for the USP Error to send instead.
//!
//! [`DeviceModel`] is what the engine learns about a CPE across sessions (parameter types, the
//! root object) and lends to a task when it starts.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::cwmp::rpc::{ParameterValueStruct, SoapFault, XsdType};
use crate::cwmp::soap::Body;
use crate::usp::proto::msg::Msg;

/// The CPE's answer to the last RPC a task returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpeReply {
    /// The matching `…Response` (any other Body is treated as a protocol error by the task).
    Response(Body),
    /// A SOAP Fault carrying a CWMP fault.
    Fault(SoapFault),
}

impl CpeReply {
    /// Sorts a Body the CPE posted into a response or a fault.
    pub fn from_body(body: Body) -> Self {
        match body {
            Body::Fault(fault) => Self::Fault(fault),
            other => Self::Response(other),
        }
    }
}

/// What a task wants next.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskStep {
    /// An ACS→CPE request to send now; its answer goes into the next [`CwmpTask::step`].
    Rpc(Body),
    /// The USP answer (a Response or an Error echoing the request's `msg_id`); the task is over.
    Done(Msg),
}

/// Why the engine gives up on a task before it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortReason {
    /// The CPE did not answer (or did not open a session) within the engine's deadline.
    Timeout,
    /// The connection request failed: the CPE cannot be reached at all.
    Unreachable,
    /// The CWMP session ended (CPE closed it, empty POST, HTTP error) with the task unfinished.
    SessionEnded,
}

/// One USP request carried out on one CPE.
pub trait CwmpTask: Send {
    /// Called first with `None`, then with the CPE's reply to each RPC returned.
    /// After it has returned [`TaskStep::Done`] it must not be called again.
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep;

    /// The USP Error answer when the task cannot finish (7002 for an unreachable CPE, 7003
    /// otherwise; the text says which CWMP changes, if any, were already made).
    fn abort(&mut self, reason: AbortReason) -> Msg;

    /// Asynchronous USP operations (Download()) this task has started on the CPE, known once
    /// it is Done. The engine stores them with the requesting Controller's EID and completes
    /// them with [`crate::cwmp::translate::operation_complete`] when the CPE's
    /// TransferComplete arrives (or at once when [`PendingOperation::immediate_completion`]
    /// says the CPE already applied it).
    fn started_operations(&self) -> Vec<PendingOperation> {
        Vec::new()
    }

    /// Notification attributes this task changed on the CPE (so far: also asked after an
    /// abort), for the engine to record in [`DeviceModel::watched`].
    fn attribute_changes(&self) -> Vec<AttributeChange> {
        Vec::new()
    }
}

/// A change of the CPE's notification attributes made for ValueChange subscriptions
/// ([`crate::cwmp::translate::attribute_upkeep`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeChange {
    /// The path is active (Notification=2) now; `originals` are the attributes it had.
    Activated { path: String, originals: Vec<(String, u8)> },
    /// The CPE refused to make the path active (`fault` 0: it answered off-script).
    Refused { path: String, fault: u32 },
    /// The adapter no longer watches the path (its attributes were put back, or could not be:
    /// `fault`).
    Reverted { path: String, fault: Option<u32> },
}

/// A path the adapter asked the CPE to watch for a ValueChange subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchedPath {
    /// The Notification attribute of each parameter under the path before the adapter made it
    /// active, restored when no subscription needs it; empty when the CPE would not say
    /// (then 0, off, is restored).
    pub originals: Vec<(String, u8)>,
    /// The CPE refused activation with this fault: not retried while the path stays wanted.
    pub refused: Option<u32>,
}

/// An asynchronous USP command in flight on the CPE as a CWMP transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOperation {
    /// The CWMP `CommandKey` sent with the Download (≤ 32 characters); the TransferComplete
    /// carrying it completes this operation.
    pub cwmp_command_key: String,
    /// The Controller's `command_key`, echoed in OperationComplete.
    pub usp_command_key: String,
    /// The object holding the command, e.g. `Device.DeviceInfo.FirmwareImage.1.`.
    pub obj_path: String,
    /// The command's name relative to `obj_path`, e.g. `Download()`.
    pub command_name: String,
    /// The `Device.LocalAgent.Request.{i}.` path reported in the OperateResp.
    pub request_path: String,
    /// The file URL, reported as `TransferURL` in the TransferComplete! event.
    pub transfer_url: String,
    /// The DownloadResponse said Status 0: applied already, no TransferComplete will follow.
    pub applied_at_once: bool,
    /// StartTime / CompleteTime from the DownloadResponse (meaningful when `applied_at_once`).
    pub start_time: String,
    pub complete_time: String,
}

impl PendingOperation {
    /// For a transfer the CPE reported as applied in its DownloadResponse (Status 0, so no
    /// TransferComplete will ever come), the successful TransferComplete to complete it with.
    pub fn immediate_completion(&self) -> Option<crate::cwmp::rpc::TransferComplete> {
        self.applied_at_once
            .then(|| crate::cwmp::rpc::TransferComplete {
                command_key: self.cwmp_command_key.clone(),
                fault: Default::default(),
                start_time: self.start_time.clone(),
                complete_time: self.complete_time.clone(),
            })
    }
}

/// What the adapter knows of one device: parameter types reported by the CPE (used to type
/// SetParameterValues) and its root object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceModel {
    /// `xsi:type` per parameter, keyed by the Supported Data Model name (instance numbers
    /// replaced by `{i}`, e.g. `Device.WiFi.SSID.{i}.SSID`): every instance shares its type,
    /// and a freshly added instance is typed before the CPE ever reported it.
    #[serde(with = "xsd_type_map")]
    pub types: HashMap<String, XsdType>,
    /// `"Device."` (TR-181) or `"InternetGatewayDevice."` (TR-098).
    pub root: String,
    /// The instance number the next asynchronous Operate reports as its
    /// `Device.LocalAgent.Request.{i}.`; the engine increments it whenever a task reports
    /// [`CwmpTask::started_operations`]. The Request table itself is not emulated.
    #[serde(default = "first_instance")]
    pub next_request_instance: u32,
    /// Paths made active (or refused) for ValueChange subscriptions, keyed by the path as
    /// the subscription's ReferenceList names it.
    #[serde(default)]
    pub watched: BTreeMap<String, WatchedPath>,
    /// The adapter sent a FactoryReset the CPE accepted: its next boot is a
    /// RemoteFactoryReset (`Boot!` Cause), not a LocalFactoryReset.
    #[serde(default)]
    pub factory_reset_requested: bool,
}

fn first_instance() -> u32 {
    1
}

impl DeviceModel {
    /// An empty model for a CPE whose data model hangs under `root` (`"Device."`).
    pub fn new(root: impl Into<String>) -> Self {
        Self {
            types: HashMap::new(),
            root: root.into(),
            next_request_instance: first_instance(),
            watched: BTreeMap::new(),
            factory_reset_requested: false,
        }
    }

    /// The type the CPE last reported for a parameter (any instance of it), if known.
    pub fn type_of(&self, name: &str) -> Option<&XsdType> {
        self.types
            .get(&crate::cwmp::translate::supported_form(name))
    }

    /// Records the types of reported values (values without `xsi:type` teach nothing).
    pub fn learn(&mut self, values: &[ParameterValueStruct]) {
        for value in values {
            if let Some(xsd_type) = &value.xsd_type {
                let key = crate::cwmp::translate::supported_form(&value.name);
                self.types.insert(key, xsd_type.clone());
            }
        }
    }

    /// Learns from any CPE reply the engine is about to hand to a task (GPV responses and
    /// Informs carry types).
    pub fn learn_from(&mut self, body: &Body) {
        match body {
            Body::GetParameterValuesResponse(response) => self.learn(&response.parameter_list),
            Body::Inform(inform) => self.learn(&inform.parameter_list),
            _ => {}
        }
    }
}

/// Serializes the type map as `name → local type name` ("unsignedInt"), since [`XsdType`] is
/// a codec type without serde support.
mod xsd_type_map {
    use std::collections::HashMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::cwmp::rpc::XsdType;

    pub fn serialize<S: Serializer>(
        types: &HashMap<String, XsdType>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let names: std::collections::BTreeMap<&str, &str> = types
            .iter()
            .map(|(name, xsd_type)| (name.as_str(), xsd_type.local_name()))
            .collect();
        names.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<HashMap<String, XsdType>, D::Error> {
        let names = HashMap::<String, String>::deserialize(deserializer)?;
        Ok(names
            .into_iter()
            .map(|(name, local)| (name, XsdType::from_local_name(&local)))
            .collect())
    }
}
