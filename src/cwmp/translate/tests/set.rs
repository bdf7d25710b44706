use super::*;
use crate::usp::proto::msg::set::{UpdateObject, UpdateParamSetting};
use crate::usp::proto::msg::set_resp::UpdatedObjectResult;
use crate::usp::proto::msg::set_resp::updated_object_result::operation_status::OperStatus;

fn update(obj_path: &str, params: &[(&str, &str, bool)]) -> UpdateObject {
    UpdateObject {
        obj_path: obj_path.into(),
        param_settings: params
            .iter()
            .map(|(p, v, r)| UpdateParamSetting {
                param: (*p).into(),
                value: (*v).into(),
                required: *r,
            })
            .collect(),
    }
}

fn set(allow_partial: bool, updates: Vec<UpdateObject>) -> Msg {
    request(
        "set-7",
        ReqType::Set(msg::Set {
            allow_partial,
            update_objs: updates,
        }),
    )
}

fn typed_device() -> DeviceModel {
    let mut device = device();
    device.learn(&[
        ParameterValueStruct::new("Device.WiFi.SSID.1.SSID", "x", XsdType::String),
        ParameterValueStruct::new("Device.WiFi.SSID.1.Enable", "true", XsdType::Boolean),
        ParameterValueStruct::new("Device.DeviceInfo.FriendlyName", "x", XsdType::String),
    ]);
    device
}

fn results(run: &Run) -> &[UpdatedObjectResult] {
    assert_header(&run.answer, "set-7", MsgType::SetResp);
    match response(&run.answer) {
        RespType::SetResp(resp) => &resp.updated_obj_results,
        other => panic!("{other:?}"),
    }
}

fn status(result: &UpdatedObjectResult) -> &OperStatus {
    result
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.as_ref())
        .expect("status")
}

#[test]
fn one_spv_with_known_types_and_the_msg_id_as_parameter_key() {
    let request = set(
        false,
        vec![update(
            "Device.WiFi.SSID.2.",
            &[("SSID", "home", true), ("Enable", "true", false)],
        )],
    );
    let run = run_with(
        &request,
        &typed_device(),
        &TranslateConfig::default(),
        vec![spv_ok()],
    );
    assert_eq!(run.methods(), ["SetParameterValues"]);
    let Body::SetParameterValues(spv) = &run.rpcs[0] else {
        unreachable!()
    };
    assert_eq!(spv.parameter_key, "set-7");
    assert_eq!(
        spv_list(&run, 0),
        [
            (
                "Device.WiFi.SSID.2.SSID".into(),
                "home".into(),
                "xsd:string".into()
            ),
            (
                "Device.WiFi.SSID.2.Enable".into(),
                "true".into(),
                "xsd:boolean".into()
            ),
        ],
        "instance 2 is typed from what instance 1 reported"
    );
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    let instance = &success.updated_inst_results[0];
    assert_eq!(instance.affected_path, "Device.WiFi.SSID.2.");
    assert_eq!(instance.updated_params["SSID"], "home");
    assert!(instance.param_errs.is_empty());
}

#[test]
fn unknown_types_are_probed_first() {
    let request = set(
        false,
        vec![update(
            "Device.ManagementServer.",
            &[("PeriodicInformInterval", "60", true)],
        )],
    );
    let probe = values(&[(
        "Device.ManagementServer.PeriodicInformInterval",
        "300",
        XsdType::UnsignedInt,
    )]);
    let run = run(&request, vec![probe, spv_ok()]);
    assert_eq!(run.methods(), ["GetParameterValues", "SetParameterValues"]);
    assert_eq!(spv_list(&run, 1)[0].2, "xsd:unsignedInt");
}

#[test]
fn a_failed_probe_falls_back_to_string_and_booleans_can_go_as_digits() {
    let request = set(false, vec![update("Device.X.", &[("Flag", "true", true)])]);
    let run = run(&request, vec![fault(9005), spv_ok()]);
    assert_eq!(spv_list(&run, 1)[0].2, "xsd:string");

    let config = TranslateConfig {
        boolean_as_digit: true,
        ..Default::default()
    };
    let request = set(
        false,
        vec![update("Device.WiFi.SSID.1.", &[("Enable", "false", true)])],
    );
    let run = run_with(&request, &typed_device(), &config, vec![spv_ok()]);
    assert_eq!(spv_list(&run, 0)[0].1, "0");
}

#[test]
fn a_non_required_failure_is_dropped_and_retried() {
    let request = set(
        false,
        vec![update(
            "Device.WiFi.SSID.1.",
            &[("SSID", "home", true), ("Enable", "maybe", false)],
        )],
    );
    let replies = vec![spv_fault(&[("Device.WiFi.SSID.1.Enable", 9007)]), spv_ok()];
    let run = run_with(
        &request,
        &typed_device(),
        &TranslateConfig::default(),
        replies,
    );
    assert_eq!(spv_list(&run, 1).len(), 1, "retried without Enable");
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    let instance = &success.updated_inst_results[0];
    assert_eq!(instance.updated_params.len(), 1);
    assert_eq!(instance.param_errs[0].param, "Enable");
    assert_eq!(
        instance.param_errs[0].err_code, 7012,
        "9007 → Invalid value"
    );
}

#[test]
fn a_required_failure_without_allow_partial_is_an_error_7021() {
    let request = set(
        false,
        vec![
            update("Device.WiFi.SSID.1.", &[("SSID", "home", true)]),
            update("Device.DeviceInfo.", &[("FriendlyName", "box", true)]),
        ],
    );
    let replies = vec![spv_fault(&[("Device.DeviceInfo.FriendlyName", 9008)])];
    let run = run_with(
        &request,
        &typed_device(),
        &TranslateConfig::default(),
        replies,
    );
    assert_eq!(
        run.methods(),
        ["SetParameterValues"],
        "SPV is atomic: nothing to undo"
    );
    assert_header(&run.answer, "set-7", MsgType::Error);
    let error = error(&run.answer);
    assert_eq!(error.err_code, 7021);
    assert_eq!(
        error.param_errs[0].param_path,
        "Device.DeviceInfo.FriendlyName"
    );
    assert_eq!(error.param_errs[0].err_code, 7013, "9008 → non-writable");
}

#[test]
fn with_allow_partial_the_other_objects_are_set_again() {
    let request = set(
        true,
        vec![
            update("Device.WiFi.SSID.1.", &[("SSID", "home", true)]),
            update("Device.DeviceInfo.", &[("FriendlyName", "box", true)]),
        ],
    );
    let replies = vec![spv_fault(&[("Device.WiFi.SSID.1.SSID", 9007)]), spv_ok()];
    let run = run_with(
        &request,
        &typed_device(),
        &TranslateConfig::default(),
        replies,
    );
    assert_eq!(spv_list(&run, 1)[0].0, "Device.DeviceInfo.FriendlyName");
    let results = results(&run);
    let OperStatus::OperFailure(failure) = status(&results[0]) else {
        panic!()
    };
    assert_eq!(failure.err_code, 7021);
    assert_eq!(
        failure.updated_inst_failures[0].affected_path,
        "Device.WiFi.SSID.1."
    );
    assert_eq!(
        failure.updated_inst_failures[0].param_errs[0].err_code,
        7012
    );
    assert!(matches!(status(&results[1]), OperStatus::OperSuccess(_)));
}

#[test]
fn an_unattributed_fault_splits_the_spv_per_object() {
    let request = set(
        true,
        vec![
            update("Device.WiFi.SSID.1.", &[("SSID", "home", true)]),
            update("Device.DeviceInfo.", &[("FriendlyName", "box", true)]),
        ],
    );
    let replies = vec![fault(9002), fault(9002), spv_ok()];
    let run = run_with(
        &request,
        &typed_device(),
        &TranslateConfig::default(),
        replies,
    );
    assert_eq!(run.methods(), ["SetParameterValues"; 3]);
    let results = results(&run);
    let OperStatus::OperFailure(failure) = status(&results[0]) else {
        panic!()
    };
    assert_eq!(failure.err_code, 7003, "9002 → internal error");
    assert!(matches!(status(&results[1]), OperStatus::OperSuccess(_)));
}

#[test]
fn a_search_path_sets_every_match_in_one_spv() {
    let request = set(
        false,
        vec![update("Device.WiFi.SSID.*.", &[("Enable", "false", true)])],
    );
    let listing = names(&[
        ("Device.WiFi.SSID.", true),
        ("Device.WiFi.SSID.1.", true),
        ("Device.WiFi.SSID.1.Enable", true),
        ("Device.WiFi.SSID.3.", true),
        ("Device.WiFi.SSID.3.Enable", true),
    ]);
    let run = run_with(
        &request,
        &typed_device(),
        &TranslateConfig::default(),
        vec![listing, spv_ok()],
    );
    assert_eq!(run.methods(), ["GetParameterNames", "SetParameterValues"]);
    assert_eq!(spv_list(&run, 1).len(), 2);
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    let paths: Vec<&str> = success
        .updated_inst_results
        .iter()
        .map(|r| r.affected_path.as_str())
        .collect();
    assert_eq!(paths, ["Device.WiFi.SSID.1.", "Device.WiFi.SSID.3."]);
}
