use std::collections::HashMap;

use super::*;
use crate::cwmp::translate::{
    InformHints, NotifType, autonomous_transfer_complete, notifications, notifications_with,
};
use crate::usp::proto::msg::notify::Notification;

fn inform(events: &[(&str, &str)], params: &[(&str, &str)]) -> Inform {
    Inform {
        device_id: DeviceId {
            manufacturer: "ACME".into(),
            oui: "00D09E".into(),
            product_class: "Gateway".into(),
            serial_number: "SN123".into(),
        },
        events: events
            .iter()
            .map(|(c, k)| EventStruct::new(*c, *k))
            .collect(),
        max_envelopes: 1,
        current_time: "2025-01-01T00:00:00Z".into(),
        retry_count: 0,
        parameter_list: params
            .iter()
            .map(|(n, v)| ParameterValueStruct::new(*n, *v, XsdType::String))
            .collect(),
    }
}

fn event_params(notification: &Notification) -> (&str, &str, &HashMap<String, String>) {
    let Notification::Event(event) = notification else {
        panic!("{notification:?}")
    };
    (
        event.obj_path.as_str(),
        event.event_name.as_str(),
        &event.params,
    )
}

#[test]
fn bootstrap_and_boot_become_on_board_request_and_boot_event() {
    let notes = notifications(
        &inform(&[("0 BOOTSTRAP", ""), ("1 BOOT", "")], &[]),
        "os::00D09E-SN123",
    );
    assert_eq!(notes.len(), 2);
    let Notification::OnBoardReq(on_board) = &notes[0].notification else {
        panic!()
    };
    assert_eq!(
        (on_board.oui.as_str(), on_board.product_class.as_str()),
        ("00D09E", "Gateway")
    );
    assert_eq!(on_board.serial_number, "SN123");
    assert_eq!(
        on_board.agent_supported_protocol_versions,
        "1.0,1.1,1.2,1.3,1.4"
    );
    let (obj_path, name, params) = event_params(&notes[1].notification);
    assert_eq!((obj_path, name), ("Device.", "Boot!"));
    assert_eq!(notes[1].reference, "Device.Boot!");
    assert_eq!(params["Cause"], "LocalFactoryReset");
    assert_eq!(params["CommandKey"], "");
    assert_eq!(params["FirmwareUpdated"], "false");
    assert_eq!(params["ParameterMap"], "{}");
}

#[test]
fn a_requested_reboot_carries_its_command_key() {
    let igd = [("InternetGatewayDevice.DeviceInfo.SoftwareVersion", "2.0")];
    let notes = notifications(
        &inform(
            &[("1 BOOT", ""), ("M Reboot", "rb-9"), ("M Download", "fw")],
            &igd,
        ),
        "",
    );
    let (obj_path, _, params) = event_params(&notes[0].notification);
    assert_eq!(obj_path, "InternetGatewayDevice.");
    assert_eq!(params["Cause"], "RemoteReboot");
    assert_eq!(params["CommandKey"], "rb-9");
    assert_eq!(params["FirmwareUpdated"], "true");

    let hints = InformHints {
        factory_reset_requested: true,
        ..Default::default()
    };
    let notes = notifications_with(
        &inform(&[("0 BOOTSTRAP", ""), ("1 BOOT", "")], &[]),
        "",
        &hints,
    );
    assert_eq!(
        event_params(&notes[1].notification).2["Cause"],
        "RemoteFactoryReset"
    );
}

#[test]
fn value_change_skips_forced_inform_parameters_unless_they_changed() {
    let params = [
        ("Device.DeviceInfo.SoftwareVersion", "2.0"),
        (
            "Device.ManagementServer.ConnectionRequestURL",
            "http://cpe:7547/",
        ),
        ("Device.WiFi.SSID.1.SSID", "new"),
    ];
    let notes = notifications(&inform(&[("4 VALUE CHANGE", "")], &params), "");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].notif_type, NotifType::ValueChange);
    assert_eq!(notes[0].reference, "Device.WiFi.SSID.1.SSID");
    let Notification::ValueChange(change) = &notes[0].notification else {
        panic!()
    };
    assert_eq!(change.param_value, "new");

    let previous = HashMap::from([(
        "Device.DeviceInfo.SoftwareVersion".to_owned(),
        "1.0".to_owned(),
    )]);
    let hints = InformHints {
        previous_values: previous,
        ..Default::default()
    };
    let notes = notifications_with(&inform(&[("4 VALUE CHANGE", "")], &params), "", &hints);
    assert_eq!(notes.len(), 2, "SoftwareVersion did change");

    let quiet = notifications(&inform(&[("2 PERIODIC", "")], &params), "");
    assert_eq!(quiet.len(), 1, "no VALUE CHANGE event, no ValueChange");
}

#[test]
fn periodic_wakeup_and_transfer_events() {
    let notes = notifications(
        &inform(
            &[
                ("2 PERIODIC", ""),
                ("13 WAKEUP", ""),
                ("7 TRANSFER COMPLETE", ""),
            ],
            &[],
        ),
        "",
    );
    let names: Vec<&str> = notes.iter().map(|n| n.reference.as_str()).collect();
    assert_eq!(
        names,
        ["Device.LocalAgent.Periodic!", "Device.LocalAgent.WakeUp!"]
    );

    let autonomous = AutonomousTransferComplete {
        transfer_url: "http://fw".into(),
        is_download: true,
        fault: FaultStruct {
            fault_code: 9018,
            fault_string: "corrupted".into(),
        },
        ..Default::default()
    };
    let note = autonomous_transfer_complete(&autonomous);
    let (_, name, params) = event_params(&note.notification);
    assert_eq!(name, "TransferComplete!");
    assert_eq!(params["Command"], "");
    assert_eq!(params["TransferType"], "Download");
    assert_eq!(params["FaultCode"], "7022");
}

#[test]
fn notify_messages_carry_the_subscription() {
    let notes = notifications(&inform(&[("0 BOOTSTRAP", ""), ("2 PERIODIC", "")], &[]), "");
    let on_board = roundtrip(&notes[0].to_msg("n-1", "", false));
    assert_header(&on_board, "n-1", MsgType::Notify);
    let Some(MsgBody::Request(request)) = on_board.body.and_then(|b| b.msg_body) else {
        panic!()
    };
    let Some(ReqType::Notify(notify)) = request.req_type else {
        panic!()
    };
    assert!(
        notify.send_resp,
        "R-NOT.6: OnBoardRequest always wants a response"
    );
    assert_eq!(notify.subscription_id, "");

    let periodic = notes[1].to_msg("n-2", "sub-1", false);
    let Some(MsgBody::Request(request)) = periodic.body.and_then(|b| b.msg_body) else {
        panic!()
    };
    let Some(ReqType::Notify(notify)) = request.req_type else {
        panic!()
    };
    assert_eq!(
        (notify.subscription_id.as_str(), notify.send_resp),
        ("sub-1", false)
    );
}
