use super::*;
use crate::cwmp::task::AbortReason;
use crate::usp::proto::msg::add::{CreateObject, CreateParamSetting};
use crate::usp::proto::msg::add_resp::CreatedObjectResult;
use crate::usp::proto::msg::add_resp::created_object_result::operation_status::OperStatus;

fn create(obj_path: &str, params: &[(&str, &str, bool)]) -> CreateObject {
    CreateObject {
        obj_path: obj_path.into(),
        param_settings: params
            .iter()
            .map(|(p, v, r)| CreateParamSetting {
                param: (*p).into(),
                value: (*v).into(),
                required: *r,
            })
            .collect(),
    }
}

fn add(allow_partial: bool, creates: Vec<CreateObject>) -> Msg {
    request(
        "add-3",
        ReqType::Add(msg::Add {
            allow_partial,
            create_objs: creates,
        }),
    )
}

fn wifi_device() -> DeviceModel {
    let mut device = device();
    device.learn(&[
        ParameterValueStruct::new("Device.WiFi.SSID.1.SSID", "x", XsdType::String),
        ParameterValueStruct::new("Device.WiFi.SSID.1.Alias", "cpe-1", XsdType::String),
        ParameterValueStruct::new(
            "Device.NAT.PortMapping.1.ExternalPort",
            "1",
            XsdType::UnsignedInt,
        ),
    ]);
    device
}

fn results(run: &Run) -> &[CreatedObjectResult] {
    assert_header(&run.answer, "add-3", MsgType::AddResp);
    match response(&run.answer) {
        RespType::AddResp(resp) => &resp.created_obj_results,
        other => panic!("{other:?}"),
    }
}

fn status(result: &CreatedObjectResult) -> &OperStatus {
    result
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.as_ref())
        .expect("status")
}

fn run_wifi(request: &Msg, replies: Vec<CpeReply>) -> Run {
    run_with(
        request,
        &wifi_device(),
        &TranslateConfig::default(),
        replies,
    )
}

#[test]
fn add_object_then_spv_on_the_new_instance() {
    let request = add(
        false,
        vec![create(
            "Device.WiFi.SSID.",
            &[("SSID", "guest", true), ("Alias", "guest", false)],
        )],
    );
    let run = run_wifi(&request, vec![added(3), spv_ok()]);
    assert_eq!(run.methods(), ["AddObject", "SetParameterValues"]);
    let Body::AddObject(add_object) = &run.rpcs[0] else {
        unreachable!()
    };
    assert_eq!(add_object.object_name, "Device.WiFi.SSID.");
    assert_eq!(add_object.parameter_key, "add-3");
    assert_eq!(spv_list(&run, 1)[0].0, "Device.WiFi.SSID.3.SSID");
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    assert_eq!(success.instantiated_path, "Device.WiFi.SSID.3.");
    assert_eq!(success.unique_keys["Alias"], "guest");
}

#[test]
fn a_required_failure_deletes_the_new_instance() {
    let request = add(
        true,
        vec![create("Device.WiFi.SSID.", &[("SSID", "", true)])],
    );
    let replies = vec![
        added(4),
        spv_fault(&[("Device.WiFi.SSID.4.SSID", 9007)]),
        deleted(),
    ];
    let run = run_wifi(&request, replies);
    assert_eq!(
        run.methods(),
        ["AddObject", "SetParameterValues", "DeleteObject"]
    );
    let Body::DeleteObject(rollback) = &run.rpcs[2] else {
        unreachable!()
    };
    assert_eq!(rollback.object_name, "Device.WiFi.SSID.4.");
    let OperStatus::OperFailure(failure) = status(&results(&run)[0]) else {
        panic!()
    };
    assert_eq!(failure.err_code, 7021);
}

#[test]
fn non_required_failures_become_param_errs() {
    let request = add(
        false,
        vec![create(
            "Device.WiFi.SSID.",
            &[("SSID", "a", true), ("Alias", "bad alias", false)],
        )],
    );
    let replies = vec![
        added(5),
        spv_fault(&[("Device.WiFi.SSID.5.Alias", 9007)]),
        spv_ok(),
    ];
    let run = run_wifi(&request, replies);
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    assert_eq!(success.param_errs[0].param, "Alias");
    assert!(success.unique_keys.is_empty(), "the Alias was not set");
}

#[test]
fn without_allow_partial_a_later_failure_undoes_earlier_instances() {
    let request = add(
        false,
        vec![
            create("Device.WiFi.SSID.", &[]),
            create("Device.NAT.PortMapping.", &[("ExternalPort", "x", true)]),
        ],
    );
    let replies = vec![
        added(6),
        added(2),
        spv_fault(&[("Device.NAT.PortMapping.2.ExternalPort", 9007)]),
        deleted(),
        deleted(),
    ];
    let run = run_wifi(&request, replies);
    let deleted: Vec<&str> = run
        .rpcs
        .iter()
        .filter_map(|b| match b {
            Body::DeleteObject(d) => Some(d.object_name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        deleted,
        ["Device.NAT.PortMapping.2.", "Device.WiFi.SSID.6."]
    );
    assert_header(&run.answer, "add-3", MsgType::Error);
    let error = error(&run.answer);
    assert_eq!(error.err_code, 7021);
    assert_eq!(
        error.param_errs[0].param_path,
        "Device.NAT.PortMapping.2.ExternalPort"
    );
}

#[test]
fn add_object_faults_map_in_object_context() {
    let request = add(true, vec![create("Device.Nope.", &[])]);
    let run = run_wifi(&request, vec![fault(9005)]);
    let OperStatus::OperFailure(failure) = status(&results(&run)[0]) else {
        panic!()
    };
    assert_eq!(failure.err_code, 7016);
}

#[test]
fn rollback_failures_are_reported_and_non_tables_refused() {
    let request = add(
        true,
        vec![create("Device.WiFi.SSID.", &[("SSID", "", true)])],
    );
    let replies = vec![
        added(7),
        spv_fault(&[("Device.WiFi.SSID.7.SSID", 9007)]),
        fault(9001),
    ];
    let run = run_wifi(&request, replies);
    let OperStatus::OperFailure(failure) = status(&results(&run)[0]) else {
        panic!()
    };
    assert!(
        failure.err_msg.contains("could not be removed"),
        "{}",
        failure.err_msg
    );

    let request = add(false, vec![create("Device.WiFi.SSID.1.", &[])]);
    let answer = start(&request, &wifi_device(), &TranslateConfig::default())
        .err()
        .expect("immediate");
    assert_eq!(error(&answer).err_code, 7026);
}

#[test]
fn abort_after_add_object_names_the_instance_left_behind() {
    let request = add(
        false,
        vec![create("Device.WiFi.SSID.", &[("SSID", "a", true)])],
    );
    let mut task = start(&request, &wifi_device(), &TranslateConfig::default())
        .ok()
        .unwrap();
    task.step(None);
    assert!(matches!(
        task.step(Some(added(8))),
        TaskStep::Rpc(Body::SetParameterValues(_))
    ));
    let answer = task.abort(AbortReason::SessionEnded);
    assert!(error(&answer).err_msg.contains("Device.WiFi.SSID.8."));
}
