//! The production [`Translator`]: the engine's way into [`crate::cwmp::translate`].
//!
//! Until the translation layer exports its task constructor and its Inform mapping, this
//! bridge answers USP requests with a USP Error (7000, "not translated yet") and maps the two
//! Inform events every Controller relies on (cwmp.md §9.4) itself: `1 BOOT` → `Boot!` and
//! `4 VALUE CHANGE` → one ValueChange per changed parameter. Both calls move to
//! `translate` when it offers them; the engine does not change.

use std::collections::HashMap;

use super::translator::{DeviceState, Notification, Translator};
use crate::cwmp::rpc::Inform;
use crate::cwmp::task::CwmpTask;
use crate::usp::EndpointId;
use crate::usp::proto::msg::{self, Msg, notify};

/// Parameters a CPE reports in every Inform whatever changed (Device:2 `forcedInform`, and the
/// TR-098 summary ones): they are not value changes.
const FORCED_INFORM: [&str; 10] = [
    "DeviceInfo.HardwareVersion",
    "DeviceInfo.SoftwareVersion",
    "DeviceInfo.ProvisioningCode",
    "DeviceInfo.SpecVersion",
    "ManagementServer.ParameterKey",
    "ManagementServer.ConnectionRequestURL",
    "ManagementServer.AliasBasedAddressing",
    "DeviceSummary",
    "RootDataModelVersion",
    "ExternalIPAddress",
];

pub struct TranslateBridge;

impl Translator for TranslateBridge {
    fn task(&self, request: Msg, _controller: &EndpointId, _device: &mut DeviceState) -> Result<Box<dyn CwmpTask>, Msg> {
        let msg_id = request.header.map(|h| h.msg_id).unwrap_or_default();
        Err(usp_error(&msg_id, 7000, "this request is not translated to CWMP yet"))
    }

    fn inform_notifications(&self, inform: &Inform, _device: &DeviceState) -> Vec<Notification> {
        let mut out = Vec::new();
        if inform.has_event("1 BOOT") {
            out.push(boot_event(inform));
        }
        if inform.has_event("4 VALUE CHANGE") {
            let changed = inform.parameter_list.iter().filter(|p| !FORCED_INFORM.iter().any(|f| p.name.ends_with(f)));
            out.extend(changed.map(|p| Notification {
                notification: notify::Notification::ValueChange(notify::ValueChange {
                    param_path: p.name.clone(),
                    param_value: p.value.clone(),
                }),
                subscribers: Vec::new(),
            }));
        }
        out
    }
}

/// `Device.Boot!` (TR-181): the cause from the events that came with `1 BOOT`.
fn boot_event(inform: &Inform) -> Notification {
    let reboot = inform.events.iter().find(|e| e.event_code == "M Reboot");
    let cause = match (reboot, inform.has_event("0 BOOTSTRAP")) {
        (Some(_), _) => "RemoteReboot",
        (None, true) => "LocalFactoryReset",
        (None, false) => "LocalReboot",
    };
    let params = HashMap::from([
        ("CommandKey".to_owned(), reboot.map(|e| e.command_key.clone()).unwrap_or_default()),
        ("Cause".to_owned(), cause.to_owned()),
        ("FirmwareUpdated".to_owned(), "false".to_owned()),
        ("ParameterMap".to_owned(), "{}".to_owned()),
    ]);
    Notification {
        notification: notify::Notification::Event(notify::Event {
            obj_path: "Device.".into(),
            event_name: "Boot!".into(),
            params,
        }),
        subscribers: Vec::new(),
    }
}

fn usp_error(msg_id: &str, code: u32, text: &str) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg::header::MsgType::Error as i32 }),
        body: Some(msg::Body {
            msg_body: Some(msg::body::MsgBody::Error(msg::Error { err_code: code, err_msg: text.into(), param_errs: Vec::new() })),
        }),
    }
}
