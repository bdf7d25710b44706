//! A USP Controller manages a CWMP CPE through the hub, end to end: WebSocket Controller →
//! router → the CPE's virtual agent → connection request (Digest) → CWMP session with our CPE
//! simulator → the USP answer; Get, Set, Add, Delete and Reboot, then the Boot! and
//! ValueChange notifications the CPE's next Informs cause.

mod support;

use std::time::Duration;

use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use usphub::config::Listen;
use usphub::cwmp::rpc::XsdType;
use usphub::usp::proto::msg::{self, Msg};

const CONTROLLER: &str = "self::usp-cwmp-controller";
const CPE: &str = "os::00D09E-SN-USP";

fn request(msg_id: &str, msg_type: msg::header::MsgType, req: msg::request::ReqType) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg_type as i32 }),
        body: Some(msg::Body { msg_body: Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(req) })) }),
    }
}

fn set(msg_id: &str, obj: &str, param: &str, value: &str) -> Msg {
    use msg::set::{UpdateObject, UpdateParamSetting};
    let setting = UpdateParamSetting { param: param.into(), value: value.into(), required: true };
    let update = UpdateObject { obj_path: obj.into(), param_settings: vec![setting] };
    request(
        msg_id,
        msg::header::MsgType::Set,
        msg::request::ReqType::Set(msg::Set { allow_partial: false, update_objs: vec![update] }),
    )
}

fn add(msg_id: &str, table: &str, params: &[(&str, &str)]) -> Msg {
    use msg::add::{CreateObject, CreateParamSetting};
    let settings =
        params.iter().map(|(p, v)| CreateParamSetting { param: (*p).into(), value: (*v).into(), required: true });
    let create = CreateObject { obj_path: table.into(), param_settings: settings.collect() };
    request(
        msg_id,
        msg::header::MsgType::Add,
        msg::request::ReqType::Add(msg::Add { allow_partial: false, create_objs: vec![create] }),
    )
}

fn delete(msg_id: &str, path: &str) -> Msg {
    let delete = msg::Delete { allow_partial: false, obj_paths: vec![path.into()] };
    request(msg_id, msg::header::MsgType::Delete, msg::request::ReqType::Delete(delete))
}

fn reboot(msg_id: &str, key: &str) -> Msg {
    let operate = msg::Operate {
        command: "Device.Reboot()".into(),
        command_key: key.into(),
        send_resp: true,
        input_args: Default::default(),
    };
    request(msg_id, msg::header::MsgType::Operate, msg::request::ReqType::Operate(operate))
}

fn response_of(m: &Msg) -> msg::response::RespType {
    match m.body.as_ref().and_then(|b| b.msg_body.clone()) {
        Some(msg::body::MsgBody::Response(msg::Response { resp_type: Some(resp) })) => resp,
        other => panic!("not a response: {other:?}"),
    }
}

fn notification_of(m: &Msg) -> msg::notify::Notification {
    match m.body.as_ref().and_then(|b| b.msg_body.clone()) {
        Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) })) => {
            n.notification.unwrap()
        }
        other => panic!("not a Notify: {other:?}"),
    }
}

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

    // A value change the CPE reports on its own.
    cpe.tree.lock().unwrap().set("Device.WiFi.SSID.1.SSID", "changed-locally", XsdType::String, true);
    cpe.session(&[("4 VALUE CHANGE", "")], &["Device.WiFi.SSID.1.SSID"]).await;
    let msg::notify::Notification::ValueChange(change) = notification_of(&msg_of(&controller.recv().await).1) else {
        panic!()
    };
    assert_eq!(
        (change.param_path.as_str(), change.param_value.as_str()),
        ("Device.WiFi.SSID.1.SSID", "changed-locally")
    );
    controller.expect_silence().await;
    hub.shutdown().await;
}
