//! CWMP events → the USP Notify contents a native Agent would send (TR-369 §"Notify",
//! TR-181 `Boot!`, `Periodic!`, `TransferComplete!`; cwmp.md §9.4 as corrected here).
//!
//! | Inform event | Notify |
//! |---|---|
//! | `0 BOOTSTRAP` | `on_board_req{oui, product_class, serial_number, versions}` (no subscription) |
//! | `1 BOOT` | Event `<root>Boot!{CommandKey, Cause, FirmwareUpdated, ParameterMap}` (`boot.rs`) |
//! | `2 PERIODIC` | Event `Device.LocalAgent.Periodic!` |
//! | `4 VALUE CHANGE` | one `value_change` per changed parameter in the ParameterList |
//! | `13 WAKEUP` | Event `Device.LocalAgent.WakeUp!` |
//! | `7 TRANSFER COMPLETE`, `M Download` | nothing from the Inform: the outcome arrives in the TransferComplete RPC of the same session → [`operation_complete`] |
//!
//! Correction to cwmp.md §9.4: the Inform announcing a transfer carries no result, so
//! OperationComplete is built from the TransferComplete RPC, not the event codes.
//! `Periodic!` and `WakeUp!` stay on `Device.LocalAgent.` for TR-098 CPE too: LocalAgent is the
//! adapter's own (USP-only) object, not the CPE's. `Boot!` sits on the CPE's root object.
//!
//! The ParameterList mixes forced-inform parameters with changed ones and CWMP does not mark
//! which is which; forced-inform parameters (TR-181/TR-098 lists, cwmp.md §4) are reported
//! only when [`InformHints::previous_values`] shows they changed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::cwmp::fault::{FaultCode, UspErrorContext};
use crate::cwmp::rpc::{AutonomousTransferComplete, FaultStruct, Inform, TransferComplete};
use crate::cwmp::task::PendingOperation;
use crate::usp::proto::msg::notify::operation_complete::{
    CommandFailure, OperationResp, OutputArgs,
};
use crate::usp::proto::msg::notify::{
    Event, Notification, OnBoardRequest, OperationComplete, ValueChange,
};
use crate::usp::proto::msg::{self, Msg, Notify, Request, header::MsgType, request::ReqType};

use super::TranslateConfig;
use super::path::supported_form;

/// The `NotifType` of a `Device.LocalAgent.Subscription.{i}.` (plus OnBoardRequest, which no
/// subscription selects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotifType {
    ValueChange,
    ObjectCreation,
    ObjectDeletion,
    OperationComplete,
    Event,
    OnBoardRequest,
}

impl NotifType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValueChange => "ValueChange",
            Self::ObjectCreation => "ObjectCreation",
            Self::ObjectDeletion => "ObjectDeletion",
            Self::OperationComplete => "OperationComplete",
            Self::Event => "Event",
            Self::OnBoardRequest => "OnBoardRequest",
        }
    }

    /// The subscription enumeration values (OnBoardRequest is not one, TR-369 §"OnBoardRequest").
    pub fn from_subscription(text: &str) -> Option<Self> {
        [
            Self::ValueChange,
            Self::ObjectCreation,
            Self::ObjectDeletion,
            Self::OperationComplete,
            Self::Event,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }
}

/// One notification, before it is addressed to a Controller.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyContent {
    pub notif_type: NotifType,
    /// What subscriptions' ReferenceList entries match against: the parameter path, the
    /// event path (`Device.Boot!`) or the command path (`….Download()`); empty for
    /// OnBoardRequest.
    pub reference: String,
    pub notification: Notification,
}

impl NotifyContent {
    /// The Notify Msg for one recipient (R-NOT.7: `subscription_id` empty for OnBoardRequest,
    /// which must be sent with `send_resp = true`, R-NOT.6).
    pub fn to_msg(&self, msg_id: &str, subscription_id: &str, send_resp: bool) -> Msg {
        let notify = Notify {
            subscription_id: subscription_id.to_owned(),
            send_resp: send_resp || self.notif_type == NotifType::OnBoardRequest,
            notification: Some(self.notification.clone()),
        };
        Msg {
            header: Some(msg::Header {
                msg_id: msg_id.to_owned(),
                msg_type: MsgType::Notify as i32,
            }),
            body: Some(msg::Body {
                msg_body: Some(msg::body::MsgBody::Request(Request {
                    req_type: Some(ReqType::Notify(notify)),
                })),
            }),
        }
    }
}

/// What the engine knows beyond the Inform itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformHints {
    /// The adapter sent this CPE a FactoryReset (→ `Boot!` Cause RemoteFactoryReset).
    pub factory_reset_requested: bool,
    /// Last known values, to tell a changed forced-inform parameter from a repeated one.
    pub previous_values: HashMap<String, String>,
    /// OnBoardRequest `agent_supported_protocol_versions`.
    pub agent_supported_protocol_versions: String,
}

impl Default for InformHints {
    fn default() -> Self {
        Self {
            factory_reset_requested: false,
            previous_values: HashMap::new(),
            agent_supported_protocol_versions: TranslateConfig::default()
                .agent_supported_protocol_versions,
        }
    }
}

/// The Notify contents an Inform stands for (see the module table), with default hints.
/// `device_eid` (`os::<OUI>-<Serial>`) supplies OUI and serial when the DeviceId lacks them.
pub fn notifications(inform: &Inform, device_eid: &str) -> Vec<NotifyContent> {
    notifications_with(inform, device_eid, &InformHints::default())
}

pub fn notifications_with(
    inform: &Inform,
    device_eid: &str,
    hints: &InformHints,
) -> Vec<NotifyContent> {
    let root = root_of(inform);
    let mut out = Vec::new();
    if inform.has_event("0 BOOTSTRAP") {
        let (eid_oui, eid_serial) = device_eid
            .strip_prefix("os::")
            .and_then(|rest| rest.split_once('-'))
            .unwrap_or(("", ""));
        let id = &inform.device_id;
        let pick = |own: &str, fallback: &str| {
            if own.is_empty() {
                fallback.to_owned()
            } else {
                own.to_owned()
            }
        };
        out.push(NotifyContent {
            notif_type: NotifType::OnBoardRequest,
            reference: String::new(),
            notification: Notification::OnBoardReq(OnBoardRequest {
                oui: pick(&id.oui, eid_oui),
                product_class: id.product_class.clone(),
                serial_number: pick(&id.serial_number, eid_serial),
                agent_supported_protocol_versions: hints.agent_supported_protocol_versions.clone(),
            }),
        });
    }
    if inform.has_event("1 BOOT") {
        out.push(super::boot::boot_event(root, inform, hints));
    }
    if inform.has_event("2 PERIODIC") {
        out.push(event("Device.LocalAgent.", "Periodic!", HashMap::new()));
    }
    if inform.has_event("13 WAKEUP") {
        out.push(event("Device.LocalAgent.", "WakeUp!", HashMap::new()));
    }
    if inform.has_event("4 VALUE CHANGE") {
        for parameter in &inform.parameter_list {
            let forced = is_forced_inform(&parameter.name);
            let changed = hints
                .previous_values
                .get(&parameter.name)
                .is_some_and(|old| old != &parameter.value);
            if forced && !changed {
                continue;
            }
            out.push(NotifyContent {
                notif_type: NotifType::ValueChange,
                reference: parameter.name.clone(),
                notification: Notification::ValueChange(ValueChange {
                    param_path: parameter.name.clone(),
                    param_value: parameter.value.clone(),
                }),
            });
        }
    }
    out
}

pub(super) fn event(obj_path: &str, name: &str, params: HashMap<String, String>) -> NotifyContent {
    NotifyContent {
        notif_type: NotifType::Event,
        reference: format!("{obj_path}{name}"),
        notification: Notification::Event(Event {
            obj_path: obj_path.to_owned(),
            event_name: name.to_owned(),
            params,
        }),
    }
}

/// The root object the Inform's parameters live under (`Device.` unless they say otherwise).
fn root_of(inform: &Inform) -> &'static str {
    let igd = inform
        .parameter_list
        .iter()
        .any(|p| p.name.starts_with("InternetGatewayDevice."));
    if igd {
        "InternetGatewayDevice."
    } else {
        "Device."
    }
}

/// Parameters CPE send in every Inform (TR-181 `forcedInform`, TR-098 Inform list).
const FORCED_INFORM: [&str; 13] = [
    "DeviceSummary",
    "RootDataModelVersion",
    "DeviceInfo.HardwareVersion",
    "DeviceInfo.SoftwareVersion",
    "DeviceInfo.ProvisioningCode",
    "DeviceInfo.SpecVersion",
    "ManagementServer.ParameterKey",
    "ManagementServer.ConnectionRequestURL",
    "ManagementServer.AliasBasedAddressing",
    "WANDevice.{i}.WANConnectionDevice.{i}.WANIPConnection.{i}.ExternalIPAddress",
    "WANDevice.{i}.WANConnectionDevice.{i}.WANPPPConnection.{i}.ExternalIPAddress",
    "ManagementServer.UDPConnectionRequestAddress",
    "ManagementServer.NATDetected",
];

fn is_forced_inform(name: &str) -> bool {
    let relative = name
        .strip_prefix("Device.")
        .or_else(|| name.strip_prefix("InternetGatewayDevice."))
        .unwrap_or(name);
    FORCED_INFORM.contains(&supported_form(relative).as_str())
}

/// The USP TR-369 code for a transfer's CWMP FaultStruct (0 = success).
fn transfer_fault(fault: &FaultStruct) -> (u32, String) {
    if fault.is_success() {
        return (0, String::new());
    }
    let code = FaultCode(fault.fault_code)
        .usp_error(UspErrorContext::Command)
        .0;
    (
        code,
        format!("CWMP fault {}: {}", fault.fault_code, fault.fault_string),
    )
}

/// The notifications completing a Download the adapter started: OperationComplete for the
/// command (matched by `op.cwmp_command_key` = `tc.command_key`) and the
/// `Device.LocalAgent.TransferComplete!` event, `requestor` being the Controller's EID.
pub fn operation_complete(
    tc: &TransferComplete,
    op: &PendingOperation,
    requestor: &str,
) -> Vec<NotifyContent> {
    let (code, text) = transfer_fault(&tc.fault);
    let operation_resp = if code == 0 {
        OperationResp::ReqOutputArgs(OutputArgs::default())
    } else {
        OperationResp::CmdFailure(CommandFailure {
            err_code: code,
            err_msg: text.clone(),
        })
    };
    let command = format!("{}{}", op.obj_path, op.command_name);
    let complete = NotifyContent {
        notif_type: NotifType::OperationComplete,
        reference: command.clone(),
        notification: Notification::OperComplete(OperationComplete {
            obj_path: op.obj_path.clone(),
            command_name: op.command_name.clone(),
            command_key: op.usp_command_key.clone(),
            operation_resp: Some(operation_resp),
        }),
    };
    let transfer = transfer_event(TransferFacts {
        command,
        command_key: op.usp_command_key.clone(),
        requestor: requestor.to_owned(),
        download: true,
        affected: op.obj_path.clone(),
        url: op.transfer_url.clone(),
        start: tc.start_time.clone(),
        complete: tc.complete_time.clone(),
        fault: (code, text),
    });
    vec![complete, transfer]
}

/// `TransferComplete!` for a transfer the CPE made on its own (empty Command/Requestor).
pub fn autonomous_transfer_complete(atc: &AutonomousTransferComplete) -> NotifyContent {
    transfer_event(TransferFacts {
        download: atc.is_download,
        url: atc.transfer_url.clone(),
        start: atc.start_time.clone(),
        complete: atc.complete_time.clone(),
        fault: transfer_fault(&atc.fault),
        ..Default::default()
    })
}

#[derive(Default)]
struct TransferFacts {
    command: String,
    command_key: String,
    requestor: String,
    download: bool,
    affected: String,
    url: String,
    start: String,
    complete: String,
    fault: (u32, String),
}

fn transfer_event(facts: TransferFacts) -> NotifyContent {
    let direction = if facts.download { "Download" } else { "Upload" };
    let params = HashMap::from([
        ("Command".to_owned(), facts.command),
        ("CommandKey".to_owned(), facts.command_key),
        ("Requestor".to_owned(), facts.requestor),
        ("TransferType".to_owned(), direction.to_owned()),
        ("Affected".to_owned(), facts.affected),
        ("TransferURL".to_owned(), facts.url),
        ("StartTime".to_owned(), facts.start),
        ("CompleteTime".to_owned(), facts.complete),
        ("FaultCode".to_owned(), facts.fault.0.to_string()),
        ("FaultString".to_owned(), facts.fault.1),
    ]);
    event("Device.LocalAgent.", "TransferComplete!", params)
}
