//! A USP Controller manages a CWMP CPE through the hub, end to end: WebSocket Controller →
//! router → the CPE's virtual agent → connection request (Digest) → CWMP session with our CPE
//! simulator → the USP answer; Get, Set, Add, Delete and Reboot, then the Boot! and
//! ValueChange notifications the CPE's next Informs cause.

mod support;

use std::time::Duration;

use support::cpe::usp::*;
use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use usphub::config::Listen;
use usphub::cwmp::rpc::XsdType;
use usphub::usp::proto::msg;

const CONTROLLER: &str = "self::usp-cwmp-controller";
const CPE: &str = "os::00D09E-SN-USP";

fn tree() -> ParamTree {
    let mut tree = ParamTree::default();
    tree.set("Device.DeviceInfo.SoftwareVersion", "1.0", XsdType::String, false);
    tree.set("Device.DeviceInfo.UpTime", "100", XsdType::UnsignedInt, false);
    tree.set("Device.WiFi.SSID.1.SSID", "home", XsdType::String, true);
    tree.set("Device.WiFi.SSID.1.Enable", "true", XsdType::Boolean, true);
    tree.set("Device.NAT.PortMapping.1.Enable", "false", XsdType::Boolean, true);
    tree.set("Device.NAT.PortMapping.1.ExternalPort", "22", XsdType::UnsignedInt, true);
    tree.templates.insert(
        "Device.NAT.PortMapping.".into(),
        vec![("Enable".into(), XsdType::Boolean), ("ExternalPort".into(), XsdType::UnsignedInt)],
    );
    tree
}

#[tokio::test]
async fn a_controller_runs_get_set_add_delete_and_reboot_on_a_cwmp_cpe() {
    let dir = std::env::temp_dir().join(format!("usphub-cwmp-usp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let hub = start_hub(|c| {
        c.cwmp.listen = Listen::addr("127.0.0.1:0");
        c.cwmp.database = dir.join("registry.db");
        c.cwmp.notify_controllers = vec![CONTROLLER.into()];
        c.cwmp.connection_request.username = Some("acs".into());
        c.cwmp.connection_request.password = Some("cr-secret".into());
        c.cwmp.connection_request.min_interval = Duration::from_millis(50);
    })
    .await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-USP"), tree());
    cpe.serve_connection_requests().await;
    assert_eq!(cpe.session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    let msg::notify::Notification::Event(boot) = notification_of(&msg_of(&controller.recv().await).1) else { panic!() };
    assert_eq!((boot.event_name.as_str(), boot.params["Cause"].as_str()), ("Boot!", "LocalReboot"));

    // Get
    controller.send(record(CONTROLLER, CPE, &get("get-1", &["Device.WiFi.SSID.1."]))).await;
    let msg::response::RespType::GetResp(got) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    let resolved = &got.req_path_results[0].resolved_path_results[0];
    assert_eq!(resolved.resolved_path, "Device.WiFi.SSID.1.");
    assert_eq!((resolved.result_params["SSID"].as_str(), resolved.result_params["Enable"].as_str()), ("home", "true"));

    // Set
    controller.send(record(CONTROLLER, CPE, &set("set-1", "Device.WiFi.SSID.1.", "SSID", "office"))).await;
    let msg::response::RespType::SetResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    assert_eq!(cpe.tree.lock().unwrap().value("Device.WiFi.SSID.1.SSID"), Some("office"));

    // Add
    let new_mapping = add("add-1", "Device.NAT.PortMapping.", &[("Enable", "true"), ("ExternalPort", "8080")]);
    controller.send(record(CONTROLLER, CPE, &new_mapping)).await;
    let msg::response::RespType::AddResp(added) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    let status = added.created_obj_results[0].oper_status.clone().unwrap().oper_status.unwrap();
    let msg::add_resp::created_object_result::operation_status::OperStatus::OperSuccess(success) = status else {
        panic!("{status:?}")
    };
    assert_eq!(success.instantiated_path, "Device.NAT.PortMapping.2.");
    assert_eq!(cpe.tree.lock().unwrap().value("Device.NAT.PortMapping.2.ExternalPort"), Some("8080"));

    // Delete
    controller.send(record(CONTROLLER, CPE, &delete("del-1", "Device.NAT.PortMapping.1."))).await;
    let msg::response::RespType::DeleteResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    assert_eq!(cpe.tree.lock().unwrap().value("Device.NAT.PortMapping.1.Enable"), None);

    // Reboot: answered in the session, then the CPE boots and says so.
    controller.send(record(CONTROLLER, CPE, &reboot("op-1", "reboot-7"))).await;
    let msg::response::RespType::OperateResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    let msg::notify::Notification::Event(boot) = notification_of(&msg_of(&controller.recv().await).1) else { panic!() };
    assert_eq!((boot.params["Cause"].as_str(), boot.params["CommandKey"].as_str()), ("RemoteReboot", "reboot-7"));

    // A value change the CPE reports on its own, once a subscription made it active there.
    controller.send(record(CONTROLLER, CPE, &subscribe("sub-1", "vc", "ValueChange", "Device.WiFi.SSID.1.SSID"))).await;
    let msg::response::RespType::AddResp(_) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    eventually(|| cpe.tree.lock().unwrap().notification("Device.WiFi.SSID.1.SSID") == 2).await;
    assert!(cpe.change_locally("Device.WiFi.SSID.1.SSID", "changed-locally").await.is_some());
    let (_, notify) = msg_of(&controller.recv().await);
    let msg::notify::Notification::ValueChange(change) = notification_of(&notify) else { panic!() };
    assert_eq!(
        (change.param_path.as_str(), change.param_value.as_str()),
        ("Device.WiFi.SSID.1.SSID", "changed-locally")
    );
    assert_eq!(subscription_id_of(&notify), "vc");
    controller.expect_silence().await;

    // The gateway's figures on /metrics.
    let started = metric(&hub, "usphub_cwmp_sessions_started_total").await;
    assert!(started >= 8.0, "boot, 5 requests, reboot, attributes, value change: {started}");
    assert_eq!(metric(&hub, "usphub_cwmp_sessions_completed_total").await, started);
    assert_eq!(metric(&hub, "usphub_cwmp_sessions_failed_total").await, 0.0);
    assert_eq!(metric(&hub, "usphub_cwmp_informs_total{event=\"1 BOOT\"}").await, 2.0);
    assert_eq!(metric(&hub, "usphub_cwmp_informs_total{event=\"M Reboot\"}").await, 1.0);
    assert_eq!(metric(&hub, "usphub_cwmp_informs_total{event=\"4 VALUE CHANGE\"}").await, 1.0);
    for (method, at_least) in [("GetParameterValues", 1.0), ("SetParameterValues", 2.0), ("AddObject", 1.0), ("DeleteObject", 1.0), ("Reboot", 1.0), ("SetParameterAttributes", 1.0)] {
        let sent = metric(&hub, &format!("usphub_cwmp_rpcs_total{{method=\"{method}\"}}")).await;
        assert!(sent >= at_least, "{method}: {sent}");
    }
    let requests = metric(&hub, "usphub_cwmp_connection_requests_total").await;
    // Get, Set, Add, Delete, Reboot; the attributes may ride the boot session.
    assert!(requests >= 5.0, "{requests}");
    assert_eq!(metric(&hub, "usphub_cwmp_connection_requests_failed_total").await, 0.0);
    assert_eq!(metric(&hub, "usphub_cwmp_devices").await, 1.0);
    assert_eq!(metric(&hub, "usphub_cwmp_pending_requests").await, 0.0);
    hub.shutdown().await;
}
