//! USP Operate (TR-369 §"The Operate Message", R-OPR.0–7) for the commands a CWMP CPE can carry
//! out (cwmp.md §9.3), on the virtual Agent's model rooted at the CPE's root object:
//!
//! | Command | CWMP | USP answer |
//! |---|---|---|
//! | `<root>Reboot()` (sync) | Reboot(CommandKey) | `req_output_args {}` once the CPE accepted; it reboots after the session and reports `1 BOOT` + `M Reboot` (→ Boot! with the CommandKey) |
//! | `<root>FactoryReset()` (sync) | FactoryReset | `req_output_args {}` |
//! | `<root>DeviceInfo.FirmwareImage.{i}.Download()` (async) | Download("1 Firmware Upgrade Image", URL, Username, Password, FileSize) | `req_obj_path` = `Device.LocalAgent.Request.{n}.`; OperationComplete later from TransferComplete ([`super::operation_complete`]) |
//!
//! TR-098 has no FirmwareImage table or commands; the same virtual paths are offered under
//! `InternetGatewayDevice.` so one controller flow serves both roots. CWMP cannot pick an
//! image slot (the instance number is ignored), defer activation (`AutoActivate` must be true)
//! or verify `CheckSum` (ignored; CPE check their own images). A CPE refusal is a
//! `cmd_failure` (R-OPR.1); an unknown command is an Error 7026.

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::rpc::{ChangeStatus, Download, Reboot};
use crate::cwmp::soap::Body;
use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, PendingOperation, TaskStep};
use crate::usp::proto::msg::operate_resp::OperationResult;
use crate::usp::proto::msg::operate_resp::operation_result::{
    CommandFailure, OperationResp, OutputArgs,
};
use crate::usp::proto::msg::{Msg, Operate, OperateResp, response::RespType};

use super::TranslateConfig;
use super::path::{instance_number, truncate};
use super::rpcs::{self, KEY_MAX};
use super::usp_msg::{self, UspFailure, codes};

/// The firmware file type of TR-069 A.3.2.8.
pub const FIRMWARE_FILE_TYPE: &str = "1 Firmware Upgrade Image";

pub(crate) fn start(
    msg_id: &str,
    operate: &Operate,
    device: &DeviceModel,
    _config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let command = operate.command.as_str();
    let unknown = |why: &str| {
        let text = format!("{command}: {why}");
        Err(usp_msg::error(
            msg_id,
            UspFailure::new(codes::INVALID_PATH, text),
        ))
    };
    let Some(relative) = command.strip_prefix(device.root.as_str()) else {
        return unknown("not in this device's data model");
    };
    let task = |kind| {
        Ok(Box::new(OperateTask {
            msg_id: msg_id.to_owned(),
            command: command.to_owned(),
            kind,
            sent: false,
            started: None,
        }) as Box<dyn CwmpTask>)
    };
    let usp_key = operate.command_key.as_str();
    match relative {
        "Reboot()" => task(Command::Reboot(truncate(usp_key, KEY_MAX).to_owned())),
        "FactoryReset()" => task(Command::FactoryReset),
        _ => match firmware_instance(relative) {
            Some(instance) => {
                let request = device.next_request_instance;
                let cwmp_key = if !usp_key.is_empty() && usp_key.len() <= KEY_MAX {
                    usp_key.to_owned()
                } else {
                    format!("usphub-req-{request}")
                };
                match download_request(operate, &cwmp_key) {
                    Ok(download) => {
                        let obj_path =
                            format!("{}DeviceInfo.FirmwareImage.{instance}.", device.root);
                        task(Command::Download {
                            download,
                            pending: PendingOperation {
                                cwmp_command_key: cwmp_key,
                                usp_command_key: usp_key.to_owned(),
                                obj_path,
                                command_name: "Download()".into(),
                                request_path: format!("Device.LocalAgent.Request.{request}."),
                                transfer_url: operate
                                    .input_args
                                    .get("URL")
                                    .cloned()
                                    .unwrap_or_default(),
                                applied_at_once: false,
                                start_time: String::new(),
                                complete_time: String::new(),
                            },
                        })
                    }
                    Err(failure) => Err(usp_msg::response(
                        msg_id,
                        RespType::OperateResp(OperateResp {
                            operation_results: vec![failed(command, failure)],
                        }),
                    )),
                }
            }
            None if command.contains(['*', '[']) => Err(usp_msg::error(
                msg_id,
                UspFailure::new(
                    codes::MESSAGE_FAILED,
                    "search paths in Operate are not supported by the CWMP adapter",
                ),
            )),
            None if command.ends_with("()") => unknown("command not supported by this CWMP device"),
            None => unknown("not a command path (must end in \"()\")"),
        },
    }
}

/// `DeviceInfo.FirmwareImage.<n>.Download()` → `n`.
fn firmware_instance(relative: &str) -> Option<u32> {
    relative
        .strip_prefix("DeviceInfo.FirmwareImage.")?
        .strip_suffix(".Download()")
        .and_then(instance_number)
}

/// The CWMP Download for `Download()`'s input arguments (TR-181 FirmwareImage.{i}.Download():
/// URL and AutoActivate mandatory, R-OPR.5 → 7027 when missing).
fn download_request(operate: &Operate, cwmp_key: &str) -> Result<Download, UspFailure> {
    let args = &operate.input_args;
    let invalid = |why: &str| UspFailure::new(codes::INVALID_COMMAND_ARGUMENTS, why);
    let url = args
        .get("URL")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| invalid("URL is mandatory"))?;
    match args.get("AutoActivate").map(String::as_str) {
        Some("true" | "1") => {}
        Some("false" | "0") => {
            return Err(UspFailure::new(
                codes::COMMAND_FAILURE,
                "CWMP cannot defer activation: a CWMP Download always activates the image",
            ));
        }
        Some(_) => return Err(invalid("AutoActivate must be a boolean")),
        None => return Err(invalid("AutoActivate is mandatory")),
    }
    let file_size = match args.get("FileSize") {
        None => 0,
        Some(size) => size
            .parse()
            .map_err(|_| invalid("FileSize must be an unsignedInt"))?,
    };
    Ok(Download {
        command_key: cwmp_key.to_owned(),
        file_type: FIRMWARE_FILE_TYPE.to_owned(),
        url: url.clone(),
        username: args.get("Username").cloned().unwrap_or_default(),
        password: args.get("Password").cloned().unwrap_or_default(),
        file_size,
        ..Default::default()
    })
}

fn failed(command: &str, failure: UspFailure) -> OperationResult {
    OperationResult {
        executed_command: command.to_owned(),
        operation_resp: Some(OperationResp::CmdFailure(CommandFailure {
            err_code: failure.code,
            err_msg: failure.message,
        })),
    }
}

#[allow(clippy::large_enum_variant)] // one value at a time, moved, never stored in bulk
enum Command {
    Reboot(String),
    FactoryReset,
    Download {
        download: Download,
        pending: PendingOperation,
    },
}

struct OperateTask {
    msg_id: String,
    command: String,
    kind: Command,
    sent: bool,
    started: Option<PendingOperation>,
}

impl CwmpTask for OperateTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        if !self.sent {
            self.sent = true;
            return TaskStep::Rpc(match &self.kind {
                Command::Reboot(key) => Body::Reboot(Reboot {
                    command_key: key.clone(),
                }),
                Command::FactoryReset => Body::FactoryReset,
                Command::Download { download, .. } => Body::Download(download.clone()),
            });
        }
        let outcome = match &mut self.kind {
            Command::Reboot(_) => rpcs::empty_reply(reply, "Reboot").map(|r| r.map(|()| None)),
            Command::FactoryReset => {
                rpcs::empty_reply(reply, "FactoryReset").map(|r| r.map(|()| None))
            }
            Command::Download { pending, .. } => rpcs::download_reply(reply).map(|r| {
                r.map(|response| {
                    let mut started = pending.clone();
                    started.applied_at_once = response.status == ChangeStatus::Applied;
                    started.start_time = response.start_time;
                    started.complete_time = response.complete_time;
                    Some(started)
                })
            }),
        };
        let result = match outcome {
            Err(failure) => return TaskStep::Done(usp_msg::error(&self.msg_id, failure)),
            Ok(Err(fault)) => failed(
                &self.command,
                UspFailure::from_fault(&fault, UspErrorContext::Command),
            ),
            Ok(Ok(None)) => OperationResult {
                executed_command: self.command.clone(),
                operation_resp: Some(OperationResp::ReqOutputArgs(OutputArgs::default())),
            },
            Ok(Ok(Some(started))) => {
                let request_path = started.request_path.clone();
                self.started = Some(started);
                OperationResult {
                    executed_command: self.command.clone(),
                    operation_resp: Some(OperationResp::ReqObjPath(request_path)),
                }
            }
        };
        let resp = OperateResp {
            operation_results: vec![result],
        };
        TaskStep::Done(usp_msg::response(&self.msg_id, RespType::OperateResp(resp)))
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        let progress = if self.sent {
            "the CPE may still carry out the command"
        } else {
            ""
        };
        usp_msg::abort_error(&self.msg_id, reason, progress)
    }

    fn started_operations(&self) -> Vec<PendingOperation> {
        self.started.iter().cloned().collect()
    }
}
