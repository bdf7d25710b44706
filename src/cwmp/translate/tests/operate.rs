use std::collections::HashMap;

use super::*;
use crate::cwmp::task::PendingOperation;
use crate::cwmp::translate::{NotifType, operation_complete, should_send};
use crate::usp::proto::msg::notify::Notification;
use crate::usp::proto::msg::notify::operation_complete::OperationResp as CompleteResp;
use crate::usp::proto::msg::operate_resp::operation_result::OperationResp;

fn operate(command: &str, key: &str, args: &[(&str, &str)]) -> Msg {
    let input_args: HashMap<String, String> = args
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    let operate = msg::Operate {
        command: command.into(),
        command_key: key.into(),
        send_resp: true,
        input_args,
    };
    request("op-5", ReqType::Operate(operate))
}

fn result(answer: &Msg) -> (&str, &OperationResp) {
    assert_header(answer, "op-5", MsgType::OperateResp);
    match response(answer) {
        RespType::OperateResp(resp) => {
            let first = &resp.operation_results[0];
            (
                first.executed_command.as_str(),
                first.operation_resp.as_ref().expect("resp"),
            )
        }
        other => panic!("{other:?}"),
    }
}

const FIRMWARE: &str = "Device.DeviceInfo.FirmwareImage.2.Download()";

fn firmware_args() -> Vec<(&'static str, &'static str)> {
    vec![
        ("URL", "https://fw/img.bin"),
        ("AutoActivate", "true"),
        ("Username", "u"),
        ("Password", "p"),
        ("FileSize", "1024"),
    ]
}

#[test]
fn reboot_and_factory_reset_are_synchronous() {
    let reboot = CpeReply::Response(Body::RebootResponse);
    let run = run(&operate("Device.Reboot()", "ck-1", &[]), vec![reboot]);
    assert_eq!(
        run.rpcs,
        [Body::Reboot(Reboot {
            command_key: "ck-1".into()
        })]
    );
    let (command, resp) = result(&run.answer);
    assert_eq!(command, "Device.Reboot()");
    assert!(matches!(resp, OperationResp::ReqOutputArgs(args) if args.output_args.is_empty()));

    let reset = CpeReply::Response(Body::FactoryResetResponse);
    let run = super::run(&operate("Device.FactoryReset()", "", &[]), vec![reset]);
    assert_eq!(run.rpcs, [Body::FactoryReset]);
}

#[test]
fn igd_devices_get_the_same_commands_under_their_root() {
    let device = DeviceModel::new("InternetGatewayDevice.");
    let reboot = CpeReply::Response(Body::RebootResponse);
    let request = operate("InternetGatewayDevice.Reboot()", "k", &[]);
    let run = run_with(&request, &device, &TranslateConfig::default(), vec![reboot]);
    assert_eq!(run.methods(), ["Reboot"]);
}

#[test]
fn firmware_download_is_asynchronous_and_completes_from_transfer_complete() {
    let request = operate(FIRMWARE, "fw-42", &firmware_args());
    let mut device = device();
    device.next_request_instance = 7;
    let mut task = start(&request, &device, &TranslateConfig::default())
        .ok()
        .unwrap();
    let accepted = CpeReply::Response(Body::DownloadResponse(DownloadResponse {
        status: ChangeStatus::NotYetApplied,
        start_time: "0001-01-01T00:00:00Z".into(),
        complete_time: "0001-01-01T00:00:00Z".into(),
    }));
    let run = drive(task.as_mut(), vec![accepted]);
    let Body::Download(download) = &run.rpcs[0] else {
        panic!()
    };
    assert_eq!(download.file_type, "1 Firmware Upgrade Image");
    assert_eq!(
        (download.url.as_str(), download.file_size),
        ("https://fw/img.bin", 1024)
    );
    assert_eq!(
        (download.username.as_str(), download.command_key.as_str()),
        ("u", "fw-42")
    );
    let (_, resp) = result(&run.answer);
    assert_eq!(
        resp,
        &OperationResp::ReqObjPath("Device.LocalAgent.Request.7.".into())
    );

    let started = task.started_operations();
    assert_eq!(started.len(), 1);
    let pending = &started[0];
    assert_eq!(pending.obj_path, "Device.DeviceInfo.FirmwareImage.2.");
    assert!(pending.immediate_completion().is_none());

    let mut done = TransferComplete {
        command_key: "fw-42".into(),
        ..Default::default()
    };
    let notes = operation_complete(&done, pending, "proto::controller");
    assert_eq!(notes[0].notif_type, NotifType::OperationComplete);
    assert_eq!(notes[0].reference, FIRMWARE);
    let Notification::OperComplete(complete) = &notes[0].notification else {
        panic!()
    };
    assert_eq!(
        (
            complete.command_name.as_str(),
            complete.command_key.as_str()
        ),
        ("Download()", "fw-42")
    );
    assert!(matches!(
        complete.operation_resp,
        Some(CompleteResp::ReqOutputArgs(_))
    ));
    let Notification::Event(event) = &notes[1].notification else {
        panic!()
    };
    assert_eq!(event.event_name, "TransferComplete!");
    assert_eq!(event.params["Requestor"], "proto::controller");
    assert_eq!(event.params["FaultCode"], "0");

    done.fault = FaultStruct {
        fault_code: 9010,
        fault_string: "download failed".into(),
    };
    let notes = operation_complete(&done, pending, "proto::controller");
    let Notification::OperComplete(complete) = &notes[0].notification else {
        panic!()
    };
    let Some(CompleteResp::CmdFailure(failure)) = &complete.operation_resp else {
        panic!()
    };
    assert_eq!(failure.err_code, 7022);
    let Notification::Event(event) = &notes[1].notification else {
        panic!()
    };
    assert_eq!(event.params["FaultCode"], "7022");
}

#[test]
fn a_download_applied_at_once_completes_immediately() {
    let request = operate(FIRMWARE, &"k".repeat(40), &firmware_args());
    let mut task = start(&request, &device(), &TranslateConfig::default())
        .ok()
        .unwrap();
    let applied = CpeReply::Response(Body::DownloadResponse(DownloadResponse::default()));
    let run = drive(task.as_mut(), vec![applied]);
    let Body::Download(download) = &run.rpcs[0] else {
        panic!()
    };
    assert_eq!(
        download.command_key, "usphub-req-1",
        "a key over 32 characters is replaced"
    );
    let pending: PendingOperation = task.started_operations().remove(0);
    assert_eq!(pending.usp_command_key.len(), 40);
    assert_eq!(
        pending.immediate_completion().unwrap().command_key,
        "usphub-req-1"
    );
}

#[test]
fn bad_arguments_and_cpe_refusals_are_command_failures() {
    let answer = start(
        &operate(FIRMWARE, "k", &[("AutoActivate", "true")]),
        &device(),
        &TranslateConfig::default(),
    )
    .err()
    .expect("immediate");
    let (_, resp) = result(&answer);
    assert!(matches!(resp, OperationResp::CmdFailure(f) if f.err_code == 7027));

    let deferred = [("URL", "http://x"), ("AutoActivate", "false")];
    let answer = start(
        &operate(FIRMWARE, "k", &deferred),
        &device(),
        &TranslateConfig::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(result(&answer).1, OperationResp::CmdFailure(f) if f.err_code == 7022));

    let run = run(&operate("Device.Reboot()", "k", &[]), vec![fault(9001)]);
    assert!(matches!(result(&run.answer).1, OperationResp::CmdFailure(f) if f.err_code == 7002));
    let run = super::run(&operate(FIRMWARE, "k", &firmware_args()), vec![fault(9000)]);
    assert!(matches!(result(&run.answer).1, OperationResp::CmdFailure(f) if f.err_code == 7022));
}

#[test]
fn unknown_commands_are_invalid_paths() {
    for command in [
        "Device.SelfTestDiagnostics()",
        "Device.DeviceInfo.",
        "InternetGatewayDevice.Reboot()",
    ] {
        let answer = start(
            &operate(command, "", &[]),
            &device(),
            &TranslateConfig::default(),
        )
        .err()
        .unwrap();
        assert_header(&answer, "op-5", MsgType::Error);
        assert_eq!(error(&answer).err_code, 7026, "{command}");
    }
}

#[test]
fn send_resp_false_suppresses_the_operate_response_only() {
    let mut request = operate("Device.Reboot()", "", &[]);
    if let Some(MsgBody::Request(r)) = request.body.as_mut().and_then(|b| b.msg_body.as_mut()) {
        if let Some(ReqType::Operate(op)) = r.req_type.as_mut() {
            op.send_resp = false;
        }
    }
    let run = run(&request, vec![CpeReply::Response(Body::RebootResponse)]);
    assert!(!should_send(&request, &run.answer));
    let run = super::run(&request, vec![CpeReply::Response(Body::GetRpcMethods)]);
    assert_eq!(
        error(&run.answer).err_code,
        7003,
        "an off-script reply is an internal error"
    );
    assert!(should_send(&request, &run.answer));
}
