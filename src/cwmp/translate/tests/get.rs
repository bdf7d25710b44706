use std::collections::HashMap;

use super::*;
use crate::cwmp::task::AbortReason;
use crate::usp::proto::msg::get_resp::RequestedPathResult;

fn get(paths: &[&str], max_depth: u32) -> Msg {
    request(
        "get-1",
        ReqType::Get(msg::Get {
            param_paths: paths.iter().map(|p| (*p).into()).collect(),
            max_depth,
        }),
    )
}

fn results(run: &Run) -> &[RequestedPathResult] {
    assert_header(&run.answer, "get-1", MsgType::GetResp);
    match response(&run.answer) {
        RespType::GetResp(resp) => &resp.req_path_results,
        other => panic!("{other:?}"),
    }
}

/// `resolved_path → {relative name → value}` of one requested path.
fn resolved(result: &RequestedPathResult) -> HashMap<&str, HashMap<&str, &str>> {
    result
        .resolved_path_results
        .iter()
        .map(|r| {
            let params = r
                .result_params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            (r.resolved_path.as_str(), params)
        })
        .collect()
}

#[test]
fn full_parameters_share_one_gpv_and_resolve_to_their_object() {
    let request = get(
        &[
            "Device.DeviceInfo.SoftwareVersion",
            "Device.DeviceInfo.UpTime",
        ],
        0,
    );
    let reply = values(&[
        (
            "Device.DeviceInfo.SoftwareVersion",
            "1.2.3",
            XsdType::String,
        ),
        ("Device.DeviceInfo.UpTime", "42", XsdType::UnsignedInt),
    ]);
    let run = run(&request, vec![reply]);
    assert_eq!(run.methods(), ["GetParameterValues"]);
    let results = results(&run);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].err_code, 0);
    let first = resolved(&results[0]);
    assert_eq!(first["Device.DeviceInfo."]["SoftwareVersion"], "1.2.3");
    assert_eq!(resolved(&results[1])["Device.DeviceInfo."]["UpTime"], "42");
}

#[test]
fn a_faulted_batch_is_retried_name_by_name() {
    let request = get(&["Device.DeviceInfo.UpTime", "Device.DeviceInfo.Bogus"], 0);
    let uptime = values(&[("Device.DeviceInfo.UpTime", "42", XsdType::UnsignedInt)]);
    // The batch is sorted: Bogus is retried first, then UpTime.
    let run = run(&request, vec![fault(9005), fault(9005), uptime]);
    assert_eq!(run.methods(), ["GetParameterValues"; 3]);
    let results = results(&run);
    assert_eq!(results[0].requested_path, "Device.DeviceInfo.UpTime");
    assert_eq!(results[0].err_code, 0);
    assert_eq!(
        results[1].err_code, 7026,
        "9005 on a Get path is Invalid Path"
    );
    assert!(
        results[1].err_msg.contains("9005"),
        "{}",
        results[1].err_msg
    );
}

#[test]
fn partial_path_reads_the_subtree_and_groups_per_object_within_max_depth() {
    let request = get(&["Device.DeviceInfo."], 2);
    let reply = values(&[
        ("Device.DeviceInfo.Manufacturer", "ACME", XsdType::String),
        (
            "Device.DeviceInfo.TemperatureStatus.Enable",
            "true",
            XsdType::Boolean,
        ),
        (
            "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.1.Value",
            "40",
            XsdType::Int,
        ),
    ]);
    let run = run(&request, vec![reply]);
    match &run.rpcs[0] {
        Body::GetParameterValues(gpv) => assert_eq!(gpv.parameter_names, ["Device.DeviceInfo."]),
        other => panic!("{other:?}"),
    }
    let found = resolved(&results(&run)[0]);
    assert_eq!(found.len(), 2, "the sensor is at depth 3: {found:?}");
    assert_eq!(found["Device.DeviceInfo."]["Manufacturer"], "ACME");
    assert_eq!(
        found["Device.DeviceInfo.TemperatureStatus."]["Enable"],
        "true"
    );
}

#[test]
fn without_partial_gpv_the_subtree_is_listed_then_read_in_batches() {
    let config = TranslateConfig {
        partial_path_gpv: false,
        gpv_batch_size: 1,
        ..Default::default()
    };
    let request = get(&["Device.ManagementServer."], 0);
    let listing = names(&[
        ("Device.ManagementServer.", false),
        ("Device.ManagementServer.URL", true),
        ("Device.ManagementServer.PeriodicInformInterval", true),
    ]);
    let replies = vec![
        listing,
        values(&[("Device.ManagementServer.URL", "http://acs", XsdType::String)]),
        values(&[(
            "Device.ManagementServer.PeriodicInformInterval",
            "300",
            XsdType::UnsignedInt,
        )]),
    ];
    let run = run_with(&request, &device(), &config, replies);
    assert_eq!(
        run.methods(),
        [
            "GetParameterNames",
            "GetParameterValues",
            "GetParameterValues"
        ]
    );
    let found = resolved(&results(&run)[0]);
    assert_eq!(found["Device.ManagementServer."].len(), 2);
}

#[test]
fn wildcards_are_expanded_with_gpn() {
    let request = get(&["Device.WiFi.SSID.*.SSID"], 0);
    let listing = names(&[
        ("Device.WiFi.SSID.", true),
        ("Device.WiFi.SSID.1.", true),
        ("Device.WiFi.SSID.1.SSID", true),
        ("Device.WiFi.SSID.2.", true),
        ("Device.WiFi.SSID.2.SSID", true),
        ("Device.WiFi.SSID.2.Enable", true),
    ]);
    let read = values(&[
        ("Device.WiFi.SSID.1.SSID", "home", XsdType::String),
        ("Device.WiFi.SSID.2.SSID", "guest", XsdType::String),
    ]);
    let run = run(&request, vec![listing, read]);
    match &run.rpcs[0] {
        Body::GetParameterNames(gpn) => {
            assert_eq!(gpn.parameter_path, "Device.WiFi.SSID.");
            assert!(!gpn.next_level);
        }
        other => panic!("{other:?}"),
    }
    let found = resolved(&results(&run)[0]);
    assert_eq!(found["Device.WiFi.SSID.1."]["SSID"], "home");
    assert_eq!(found["Device.WiFi.SSID.2."]["SSID"], "guest");
}

#[test]
fn search_expressions_read_the_tested_parameters_then_filter() {
    let request = get(&[r#"Device.IP.Interface.[Name=="wan"]."#], 0);
    let listing = names(&[
        ("Device.IP.Interface.1.", false),
        ("Device.IP.Interface.1.Name", false),
        ("Device.IP.Interface.1.Status", false),
        ("Device.IP.Interface.2.", false),
        ("Device.IP.Interface.2.Name", false),
        ("Device.IP.Interface.2.Status", false),
    ]);
    let keys = values(&[
        ("Device.IP.Interface.1.Name", "lan", XsdType::String),
        ("Device.IP.Interface.2.Name", "wan", XsdType::String),
    ]);
    let leaves = values(&[
        ("Device.IP.Interface.2.Name", "wan", XsdType::String),
        ("Device.IP.Interface.2.Status", "Up", XsdType::String),
    ]);
    let run = run(&request, vec![listing, keys, leaves]);
    match &run.rpcs[2] {
        Body::GetParameterValues(gpv) => {
            assert_eq!(
                gpv.parameter_names,
                ["Device.IP.Interface.2.Name", "Device.IP.Interface.2.Status"]
            )
        }
        other => panic!("{other:?}"),
    }
    let found = resolved(&results(&run)[0]);
    assert_eq!(
        found.keys().copied().collect::<Vec<_>>(),
        ["Device.IP.Interface.2."]
    );
}

#[test]
fn bad_paths_fail_alone_and_all_bad_answers_at_once() {
    let request = get(
        &[
            "InternetGatewayDevice.DeviceInfo.",
            "Device.X.[A==",
            "Device.Reboot()",
        ],
        0,
    );
    let answer = start(&request, &device(), &TranslateConfig::default())
        .err()
        .expect("immediate");
    let run = Run {
        rpcs: Vec::new(),
        answer: roundtrip(&answer),
    };
    let codes: Vec<u32> = results(&run).iter().map(|r| r.err_code).collect();
    assert_eq!(codes, [7026, 7008, 7026]);
}

#[test]
fn aborting_answers_an_error_with_the_msg_id() {
    let request = get(&["Device.DeviceInfo.UpTime"], 0);
    let mut task = start(&request, &device(), &TranslateConfig::default())
        .ok()
        .unwrap();
    assert!(matches!(task.step(None), TaskStep::Rpc(_)));
    let answer = roundtrip(&task.abort(AbortReason::Timeout));
    assert_header(&answer, "get-1", MsgType::Error);
    assert_eq!(error(&answer).err_code, 7003);
    let unreachable = task.abort(AbortReason::Unreachable);
    assert_eq!(error(&unreachable).err_code, 7002);
}

#[test]
fn max_depth_one_lists_only_the_next_level() {
    let request = get(&["Device.DeviceInfo."], 1);
    let listing = names(&[
        ("Device.DeviceInfo.Manufacturer", false),
        ("Device.DeviceInfo.TemperatureStatus.", false),
    ]);
    let read = values(&[("Device.DeviceInfo.Manufacturer", "ACME", XsdType::String)]);
    let run = run(&request, vec![listing, read]);
    let Body::GetParameterNames(gpn) = &run.rpcs[0] else {
        panic!()
    };
    assert!(gpn.next_level);
    let Body::GetParameterValues(gpv) = &run.rpcs[1] else {
        panic!()
    };
    assert_eq!(gpv.parameter_names, ["Device.DeviceInfo.Manufacturer"]);
    assert_eq!(resolved(&results(&run)[0]).len(), 1);
}
