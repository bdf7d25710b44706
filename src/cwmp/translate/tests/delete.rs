use super::*;
use crate::usp::proto::msg::delete_resp::DeletedObjectResult;
use crate::usp::proto::msg::delete_resp::deleted_object_result::operation_status::OperStatus;

fn delete(allow_partial: bool, paths: &[&str]) -> Msg {
    let obj_paths = paths.iter().map(|p| (*p).into()).collect();
    request(
        "del-9",
        ReqType::Delete(msg::Delete {
            allow_partial,
            obj_paths,
        }),
    )
}

fn results(run: &Run) -> &[DeletedObjectResult] {
    assert_header(&run.answer, "del-9", MsgType::DeleteResp);
    match response(&run.answer) {
        RespType::DeleteResp(resp) => &resp.deleted_obj_results,
        other => panic!("{other:?}"),
    }
}

fn status(result: &DeletedObjectResult) -> &OperStatus {
    result
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.as_ref())
        .expect("status")
}

#[test]
fn one_instance_is_one_delete_object() {
    let run = run(
        &delete(false, &["Device.NAT.PortMapping.2."]),
        vec![deleted()],
    );
    assert_eq!(run.methods(), ["DeleteObject"]);
    let Body::DeleteObject(rpc) = &run.rpcs[0] else {
        unreachable!()
    };
    assert_eq!(
        (rpc.object_name.as_str(), rpc.parameter_key.as_str()),
        ("Device.NAT.PortMapping.2.", "del-9")
    );
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    assert_eq!(success.affected_paths, ["Device.NAT.PortMapping.2."]);
}

#[test]
fn all_or_nothing_checks_every_instance_before_deleting_any() {
    let request = delete(
        false,
        &["Device.NAT.PortMapping.2.", "Device.NAT.PortMapping.9."],
    );
    let run = run(&request, vec![names(&[]), fault(9005)]);
    assert_eq!(
        run.methods(),
        ["GetParameterNames", "GetParameterNames"],
        "nothing deleted"
    );
    assert_header(&run.answer, "del-9", MsgType::Error);
    let error = error(&run.answer);
    assert_eq!(error.err_code, 7016);
    assert!(
        error.err_msg.starts_with("Device.NAT.PortMapping.9."),
        "{}",
        error.err_msg
    );

    let run = super::run(&request, vec![names(&[]), names(&[]), deleted(), deleted()]);
    assert_eq!(
        run.methods(),
        [
            "GetParameterNames",
            "GetParameterNames",
            "DeleteObject",
            "DeleteObject"
        ]
    );
}

#[test]
fn a_refusal_after_the_checks_reports_what_was_already_deleted() {
    let request = delete(
        false,
        &["Device.NAT.PortMapping.2.", "Device.NAT.PortMapping.3."],
    );
    let run = run(
        &request,
        vec![names(&[]), names(&[]), deleted(), fault(9001)],
    );
    let error = error(&run.answer);
    assert_eq!(error.err_code, 7002);
    assert!(
        error
            .err_msg
            .contains("already deleted: Device.NAT.PortMapping.2."),
        "{}",
        error.err_msg
    );
}

#[test]
fn with_allow_partial_each_path_stands_alone() {
    let request = delete(
        true,
        &[
            "Device.NAT.PortMapping.1.",
            "Device.NAT.PortMapping.2.",
            "Device.NAT.PortMapping.3.",
        ],
    );
    let run = run(&request, vec![fault(9005), fault(9001), deleted()]);
    assert_eq!(run.methods(), ["DeleteObject"; 3]);
    let results = results(&run);
    let OperStatus::OperFailure(missing) = status(&results[0]) else {
        panic!()
    };
    assert_eq!(missing.err_code, 7016);
    let OperStatus::OperSuccess(refused) = status(&results[1]) else {
        panic!()
    };
    assert!(refused.affected_paths.is_empty());
    assert_eq!(
        refused.unaffected_path_errs[0].unaffected_path,
        "Device.NAT.PortMapping.2."
    );
    assert_eq!(refused.unaffected_path_errs[0].err_code, 7002);
    let OperStatus::OperSuccess(done) = status(&results[2]) else {
        panic!()
    };
    assert_eq!(done.affected_paths, ["Device.NAT.PortMapping.3."]);
}

#[test]
fn search_paths_delete_every_match_and_none_is_success() {
    let request = delete(false, &["Device.NAT.PortMapping.[Enable==false]."]);
    let listing = names(&[
        ("Device.NAT.PortMapping.", true),
        ("Device.NAT.PortMapping.1.", true),
        ("Device.NAT.PortMapping.1.Enable", true),
        ("Device.NAT.PortMapping.4.", true),
        ("Device.NAT.PortMapping.4.Enable", true),
    ]);
    let flags = values(&[
        ("Device.NAT.PortMapping.1.Enable", "1", XsdType::Boolean),
        ("Device.NAT.PortMapping.4.Enable", "0", XsdType::Boolean),
    ]);
    let run = run(&request, vec![listing, flags, deleted()]);
    assert_eq!(
        run.methods(),
        ["GetParameterNames", "GetParameterValues", "DeleteObject"]
    );
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    assert_eq!(success.affected_paths, ["Device.NAT.PortMapping.4."]);

    let run = super::run(
        &delete(false, &["Device.NAT.PortMapping.*."]),
        vec![names(&[("Device.NAT.PortMapping.", true)])],
    );
    let OperStatus::OperSuccess(success) = status(&results(&run)[0]) else {
        panic!()
    };
    assert!(
        success.affected_paths.is_empty(),
        "R-MSG.4a: zero matches is a success"
    );
}

#[test]
fn tables_and_parameters_are_not_deletable_paths() {
    let answer = start(
        &delete(false, &["Device.NAT.PortMapping."]),
        &device(),
        &TranslateConfig::default(),
    )
    .err()
    .expect("immediate");
    assert_eq!(error(&answer).err_code, 7026);
}
