//! GetInstances and GetSupportedDM, both built from GetParameterNames.

use super::*;
use crate::usp::proto::msg::get_supported_dm_resp::{
    CmdType, ObjAccessType, ParamAccessType, ParamValueType, RequestedObjectResult,
};

fn instances(paths: &[&str], first_level_only: bool) -> Msg {
    let obj_paths = paths.iter().map(|p| (*p).into()).collect();
    request(
        "gi-1",
        ReqType::GetInstances(msg::GetInstances {
            obj_paths,
            first_level_only,
        }),
    )
}

fn wifi_listing() -> CpeReply {
    names(&[
        ("Device.WiFi.SSID.", true),
        ("Device.WiFi.SSID.1.", true),
        ("Device.WiFi.SSID.1.Alias", true),
        ("Device.WiFi.SSID.1.SSID", true),
        ("Device.WiFi.SSID.1.Stats.", false),
        ("Device.WiFi.SSID.1.Stats.BytesSent", false),
        ("Device.WiFi.SSID.1.Neighbor.3.", false),
        ("Device.WiFi.SSID.2.", false),
        ("Device.WiFi.SSID.2.SSID", true),
    ])
}

#[test]
fn get_instances_lists_rows_and_reads_their_alias() {
    let alias = values(&[("Device.WiFi.SSID.1.Alias", "home", XsdType::String)]);
    let run = run(
        &instances(&["Device.WiFi.SSID."], true),
        vec![wifi_listing(), alias],
    );
    assert_eq!(run.methods(), ["GetParameterNames", "GetParameterValues"]);
    assert_header(&run.answer, "gi-1", MsgType::GetInstancesResp);
    let RespType::GetInstancesResp(resp) = response(&run.answer) else {
        panic!()
    };
    let found = &resp.req_path_results[0].curr_insts;
    let paths: Vec<&str> = found
        .iter()
        .map(|c| c.instantiated_obj_path.as_str())
        .collect();
    assert_eq!(paths, ["Device.WiFi.SSID.1.", "Device.WiFi.SSID.2."]);
    assert_eq!(found[0].unique_keys["Alias"], "home");
    assert!(found[1].unique_keys.is_empty());
}

#[test]
fn get_instances_descends_into_nested_tables_unless_first_level_only() {
    let alias = values(&[("Device.WiFi.SSID.1.Alias", "home", XsdType::String)]);
    let run = run(
        &instances(&["Device.WiFi.SSID."], false),
        vec![wifi_listing(), alias],
    );
    let RespType::GetInstancesResp(resp) = response(&run.answer) else {
        panic!()
    };
    assert_eq!(resp.req_path_results[0].curr_insts.len(), 3);
}

#[test]
fn get_instances_errors() {
    let run = run(
        &instances(&["Device.Nope.", "Device.WiFi.SSID.1."], true),
        vec![fault(9005)],
    );
    let RespType::GetInstancesResp(resp) = response(&run.answer) else {
        panic!()
    };
    assert_eq!(resp.req_path_results[0].err_code, 7026);
    assert_eq!(resp.req_path_results[1].err_code, 7018);
}

fn supported_dm(paths: &[&str], first_level_only: bool) -> Msg {
    let request = msg::GetSupportedDm {
        obj_paths: paths.iter().map(|p| (*p).into()).collect(),
        first_level_only,
        return_commands: true,
        return_events: true,
        return_params: true,
        return_unique_key_sets: false,
    };
    super::request("gsdm-1", ReqType::GetSupportedDm(request))
}

fn objects(answer: &Msg) -> &[RequestedObjectResult] {
    assert_header(answer, "gsdm-1", MsgType::GetSupportedDmResp);
    let RespType::GetSupportedDmResp(resp) = response(answer) else {
        panic!()
    };
    &resp.req_obj_results
}

#[test]
fn supported_dm_folds_instances_into_multi_instance_objects() {
    let mut device = device();
    device.learn(&[ParameterValueStruct::new(
        "Device.WiFi.SSID.2.SSID",
        "x",
        XsdType::String,
    )]);
    let listing = names(&[
        ("Device.WiFi.", false),
        ("Device.WiFi.SSIDNumberOfEntries", false),
        ("Device.WiFi.AccessPointNumberOfEntries", false),
        ("Device.WiFi.SSID.", true),
        ("Device.WiFi.SSID.1.", true),
        ("Device.WiFi.SSID.1.SSID", true),
        ("Device.WiFi.SSID.2.", true),
        ("Device.WiFi.SSID.2.Status", false),
        ("Device.WiFi.AccessPoint.", false),
    ]);
    let run = run_with(
        &supported_dm(&["Device.WiFi."], false),
        &device,
        &TranslateConfig::default(),
        vec![listing],
    );
    let result = &objects(&run.answer)[0];
    assert_eq!(result.data_model_inst_uri, "urn:usphub:cwmp-derived");
    let paths: Vec<&str> = result
        .supported_objs
        .iter()
        .map(|o| o.supported_obj_path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "Device.WiFi.",
            "Device.WiFi.AccessPoint.{i}.",
            "Device.WiFi.SSID.{i}."
        ]
    );
    let ssid = &result.supported_objs[2];
    assert!(ssid.is_multi_instance);
    assert_eq!(ssid.access, ObjAccessType::ObjAddDelete as i32);
    let params: Vec<(&str, i32, i32)> = ssid
        .supported_params
        .iter()
        .map(|p| (p.param_name.as_str(), p.access, p.value_type))
        .collect();
    assert_eq!(
        params,
        [
            (
                "SSID",
                ParamAccessType::ParamReadWrite as i32,
                ParamValueType::ParamString as i32
            ),
            (
                "Status",
                ParamAccessType::ParamReadOnly as i32,
                ParamValueType::ParamUnknown as i32
            ),
        ]
    );
    let access_point = &result.supported_objs[1];
    assert!(
        access_point.is_multi_instance,
        "an empty table is known by its NumberOfEntries"
    );
    assert_eq!(access_point.access, ObjAccessType::ObjReadOnly as i32);
}

#[test]
fn supported_dm_offers_the_emulated_commands_and_events() {
    let listing = names(&[
        ("Device.", false),
        ("Device.RootDataModelVersion", false),
        ("Device.DeviceInfo.", false),
    ]);
    let run = run(&supported_dm(&["Device."], true), vec![listing]);
    let root = &objects(&run.answer)[0].supported_objs[0];
    assert_eq!(root.supported_obj_path, "Device.");
    let commands: Vec<(&str, i32)> = root
        .supported_commands
        .iter()
        .map(|c| (c.command_name.as_str(), c.command_type))
        .collect();
    assert_eq!(
        commands,
        [
            ("Reboot()", CmdType::CmdSync as i32),
            ("FactoryReset()", CmdType::CmdSync as i32)
        ]
    );
    assert_eq!(root.supported_events[0].event_name, "Boot!");
    let children: Vec<&str> = objects(&run.answer)[0]
        .supported_objs
        .iter()
        .map(|o| o.supported_obj_path.as_str())
        .collect();
    assert_eq!(
        children,
        ["Device.", "Device.DeviceInfo."],
        "first level only"
    );

    let answer = start(
        &supported_dm(&["Device.DeviceInfo.FirmwareImage.{i}.Download()"], false),
        &device(),
        &TranslateConfig::default(),
    );
    let Ok(mut task) = answer else {
        panic!("a task")
    };
    let run = drive(task.as_mut(), vec![]);
    let firmware = &objects(&run.answer)[0].supported_objs[0];
    assert_eq!(firmware.supported_commands[0].command_name, "Download()");
    assert_eq!(
        firmware.supported_commands[0].command_type,
        CmdType::CmdAsync as i32
    );
    assert!(firmware.supported_params.is_empty());
}
