//! USP → CWMP translation: each USP request a Controller sends to a CWMP-managed device becomes
//! a [`CwmpTask`] (see [`crate::cwmp::task`]) that the ACS session engine runs on the CPE, and
//! each CWMP event becomes the USP Notify a native Agent would send.
//!
//! Everything here is pure: no I/O, no clock, no shared state. The engine passes in what the
//! adapter knows of the device ([`DeviceModel`]) and the per-deployment knobs
//! ([`TranslateConfig`]); the subscription table of the virtual Agent is plain data
//! ([`Subscriptions`]) the registry persists.
//!
//! Mapping (cwmp.md §9.3/§9.4 as corrected in the module docs):
//!
//! | USP | CWMP | module |
//! |---|---|---|
//! | Get | GPV (GPN for sub-trees/searches) | `get.rs` |
//! | Set | (GPV to learn types) + SPV, retried without non-required failures | `set.rs` |
//! | Add | AddObject + SPV, DeleteObject on failure | `add.rs` |
//! | Delete | (GPN to check/expand) + DeleteObject each | `delete.rs` |
//! | Operate | Reboot / FactoryReset / Download | `operate.rs` |
//! | GetInstances | GPN(NextLevel=false) (+ GPV of `Alias`) | `instances.rs` |
//! | GetSupportedDM | GPN, approximate | `supported_dm.rs` |
//! | GetSupportedProtocol | answered locally | here |
//! | Add/Delete/Get/Set on `Device.LocalAgent.Subscription.` | answered locally by [`Subscriptions::handle`] | `subscriptions.rs`, `local_agent*.rs` |
//! | Inform events, TransferComplete | Notify contents | `notify.rs` |
//! | enabled ValueChange subscriptions | GPA + SPA(Notification=2), SPA back when unsubscribed | `attributes.rs` |

// `start` hands back the immediate USP answer by value, as the task seam specifies.
#![allow(clippy::result_large_err)]

mod add;
mod attributes;
mod boot;
mod delete;
mod get;
mod instances;
mod local_agent;
mod local_agent_write;
mod notify;
mod operate;
mod path;
mod resolve;
mod rpcs;
mod search;
mod set;
mod spv;
mod subscriptions;
mod supported_dm;
mod usp_msg;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::cwmp::task::{CwmpTask, DeviceModel};
use crate::usp::proto::msg::{
    GetSupportedProtocolResp, Msg, body::MsgBody, request::ReqType, response::RespType,
};

pub use attributes::{AttributeTask, AttributeUpkeep, attribute_upkeep};
pub use local_agent::LocalAnswer;
pub use notify::{
    InformHints, NotifType, NotifyContent, autonomous_transfer_complete, notifications,
    notifications_with, operation_complete,
};
pub use path::supported_form;
pub use subscriptions::{NotifyTarget, SUBSCRIPTION_TABLE, Subscription, Subscriptions};
pub use usp_msg::UspFailure;

use path::UspPath;
use usp_msg::codes;

/// Per-deployment (or per-device) translation knobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TranslateConfig {
    /// Answer to GetSupportedProtocol: the USP versions the virtual Agent speaks.
    pub agent_supported_protocol_versions: String,
    /// The CPE accepts partial paths (`Device.WiFi.`) in GetParameterValues, as TR-069
    /// requires. Off for CPE that do not (genieacs-sim crashes on them, cwmp.md §10): the
    /// sub-tree is then listed with GetParameterNames and read leaf by leaf.
    pub partial_path_gpv: bool,
    /// Names per GetParameterValues when reading lists (GenieACS uses 32).
    pub gpv_batch_size: usize,
    /// Before a SetParameterValues, read parameters whose type the [`DeviceModel`] does not
    /// know, so that each value goes out with the CPE's own `xsi:type` (else `xsd:string`).
    pub probe_unknown_types: bool,
    /// Send booleans as `1`/`0` (GenieACS `cwmp.booleanLiteral`, for picky CPE).
    pub boolean_as_digit: bool,
}

impl Default for TranslateConfig {
    fn default() -> Self {
        Self {
            agent_supported_protocol_versions: "1.0,1.1,1.2,1.3,1.4".into(),
            partial_path_gpv: true,
            gpv_batch_size: 32,
            probe_unknown_types: true,
            boolean_as_digit: false,
        }
    }
}

/// Starts the CWMP task for a USP request to a CWMP device.
///
/// `Err(msg)` is an immediate answer to send without talking to the CPE: GetSupportedProtocol
/// (answered by the adapter), requests an Agent does not take from a Controller (Notify,
/// Register, Deregister → 7001), malformed messages (→ 7004), and requests whose every path is
/// already known to fail. A message that is not a request also yields `Err` (7001); R-MSG.1
/// lets the engine drop it instead of sending. Requests on `Device.LocalAgent.Subscription.`
/// belong to [`Subscriptions::handle`], which the engine should try first.
pub fn start(
    request: &Msg,
    device: &DeviceModel,
    config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let msg_id = usp_msg::msg_id(request);
    let invalid =
        |text: &str| usp_msg::error(msg_id, UspFailure::new(codes::INVALID_ARGUMENTS, text));
    let request_body = match request.body.as_ref().and_then(|b| b.msg_body.as_ref()) {
        Some(MsgBody::Request(body)) => body,
        Some(_) => {
            let failure = UspFailure::new(codes::MESSAGE_NOT_SUPPORTED, "not a request");
            return Err(usp_msg::error(msg_id, failure));
        }
        None => return Err(invalid("message without a body")),
    };
    if request.header.is_none() {
        return Err(invalid("message without a header"));
    }
    match request_body.req_type.as_ref() {
        Some(ReqType::Get(get)) => get::start(msg_id, get, device, config),
        Some(ReqType::Set(set)) => set::start(msg_id, set, device, config),
        Some(ReqType::Add(add)) => add::start(msg_id, add, device, config),
        Some(ReqType::Delete(delete)) => delete::start(msg_id, delete, device, config),
        Some(ReqType::Operate(operate)) => operate::start(msg_id, operate, device, config),
        Some(ReqType::GetInstances(get)) => instances::start(msg_id, get, device, config),
        Some(ReqType::GetSupportedDm(get)) => supported_dm::start(msg_id, get, device, config),
        Some(ReqType::GetSupportedProtocol(_)) => {
            let resp = GetSupportedProtocolResp {
                agent_supported_protocol_versions: config.agent_supported_protocol_versions.clone(),
            };
            Err(usp_msg::response(
                msg_id,
                RespType::GetSupportedProtocolResp(resp),
            ))
        }
        Some(ReqType::Notify(_) | ReqType::Register(_) | ReqType::Deregister(_)) => {
            let failure = UspFailure::new(
                codes::MESSAGE_NOT_SUPPORTED,
                "an Agent does not accept Notify, Register or Deregister from a Controller",
            );
            Err(usp_msg::error(msg_id, failure))
        }
        None => Err(invalid("request without a body")),
    }
}

/// Whether `answer` should be sent at all: an Operate with `send_resp = false` wants no
/// OperateResp (R-OPR.4); everything else is answered (R-MSG.0).
pub fn should_send(request: &Msg, answer: &Msg) -> bool {
    let wants_no_response = matches!(
        request.body.as_ref().and_then(|b| b.msg_body.as_ref()),
        Some(MsgBody::Request(r)) if matches!(&r.req_type, Some(ReqType::Operate(op)) if !op.send_resp)
    );
    let is_response = matches!(
        answer.body.as_ref().and_then(|b| b.msg_body.as_ref()),
        Some(MsgBody::Response(_))
    );
    !(wants_no_response && is_response)
}

/// Parses a requested path and checks it lies under the device's root object.
fn parse_in_model(text: &str, device: &DeviceModel) -> Result<UspPath, UspFailure> {
    let path = UspPath::parse(text).map_err(|e| UspFailure::new(e.usp_code(), e.to_string()))?;
    if !text.starts_with(device.root.as_str()) {
        let why = format!("not in this device's data model (root {})", device.root);
        return Err(UspFailure::new(codes::INVALID_PATH, why));
    }
    Ok(path)
}
