//! Building the USP answers (TR-369 §"Messages", R-MSG.*): every Response and Error echoes the
//! request's `msg_id` (R-MSG.9) with the `msg_type` matching its body (R-MSG.10); error codes
//! are the TR-369 7000-range, CWMP faults translated only through [`FaultCode::usp_error`].

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::rpc::CwmpFault;
use crate::cwmp::task::AbortReason;
use crate::usp::proto::msg::{
    self, Body, Header, Msg, Response, body::MsgBody, error::ParamError, header::MsgType,
    response::RespType,
};

/// TR-369 error codes used by the translation (messages/index.md §"Error Codes").
pub mod codes {
    pub const MESSAGE_FAILED: u32 = 7000;
    pub const MESSAGE_NOT_SUPPORTED: u32 = 7001;
    pub const REQUEST_DENIED: u32 = 7002;
    pub const INTERNAL_ERROR: u32 = 7003;
    pub const INVALID_ARGUMENTS: u32 = 7004;
    pub const INVALID_PATH_SYNTAX: u32 = 7008;
    pub const UNSUPPORTED_PARAMETER: u32 = 7010;
    pub const INVALID_VALUE: u32 = 7012;
    pub const PARAM_READ_ONLY: u32 = 7013;
    pub const OBJECT_DOES_NOT_EXIST: u32 = 7016;
    pub const OBJECT_NOT_CREATED: u32 = 7017;
    pub const OBJECT_NOT_A_TABLE: u32 = 7018;
    pub const OBJECT_NOT_UPDATED: u32 = 7020;
    pub const REQUIRED_PARAMETER_FAILED: u32 = 7021;
    pub const COMMAND_FAILURE: u32 = 7022;
    pub const DELETE_FAILURE: u32 = 7024;
    pub const DUPLICATE_KEY: u32 = 7025;
    pub const INVALID_PATH: u32 = 7026;
    pub const INVALID_COMMAND_ARGUMENTS: u32 = 7027;
}

/// A USP error code with its text: the outcome of one failed path, object or message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UspFailure {
    pub code: u32,
    pub message: String,
}

impl UspFailure {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A CPE fault in the given context; the CWMP code and text travel in `err_msg`.
    pub fn from_fault(fault: &CwmpFault, context: UspErrorContext) -> Self {
        Self::new(fault.fault_code.usp_error(context).0, fault_text(fault))
    }

    /// The CPE answered with something other than what the RPC calls for.
    pub fn protocol(expected: &str, got: &str) -> Self {
        Self::new(
            codes::INTERNAL_ERROR,
            format!("CPE answered {expected} with {got}"),
        )
    }
}

/// `"CWMP fault 9005 (Invalid parameter name): <FaultString>"`.
pub fn fault_text(fault: &CwmpFault) -> String {
    let code = fault.fault_code;
    let name = code.description().unwrap_or("vendor or extension fault");
    if fault.fault_string.is_empty() || fault.fault_string == name {
        format!("CWMP fault {} ({name})", code.0)
    } else {
        format!("CWMP fault {} ({name}): {}", code.0, fault.fault_string)
    }
}

/// The `msg_type` that goes with a response body.
fn response_type(resp: &RespType) -> MsgType {
    match resp {
        RespType::GetResp(_) => MsgType::GetResp,
        RespType::GetSupportedDmResp(_) => MsgType::GetSupportedDmResp,
        RespType::GetInstancesResp(_) => MsgType::GetInstancesResp,
        RespType::SetResp(_) => MsgType::SetResp,
        RespType::AddResp(_) => MsgType::AddResp,
        RespType::DeleteResp(_) => MsgType::DeleteResp,
        RespType::OperateResp(_) => MsgType::OperateResp,
        RespType::NotifyResp(_) => MsgType::NotifyResp,
        RespType::GetSupportedProtocolResp(_) => MsgType::GetSupportedProtoResp,
        RespType::RegisterResp(_) => MsgType::RegisterResp,
        RespType::DeregisterResp(_) => MsgType::DeregisterResp,
    }
}

fn envelope(msg_id: &str, msg_type: MsgType, body: MsgBody) -> Msg {
    Msg {
        header: Some(Header {
            msg_id: msg_id.to_owned(),
            msg_type: msg_type as i32,
        }),
        body: Some(Body {
            msg_body: Some(body),
        }),
    }
}

/// A Response Msg answering the request `msg_id`.
pub fn response(msg_id: &str, resp: RespType) -> Msg {
    let msg_type = response_type(&resp);
    envelope(
        msg_id,
        msg_type,
        MsgBody::Response(Response {
            resp_type: Some(resp),
        }),
    )
}

/// An Error Msg answering the request `msg_id`.
pub fn error(msg_id: &str, failure: UspFailure) -> Msg {
    error_with_params(msg_id, failure, Vec::new())
}

/// An Error Msg with per-parameter details (`param_path` is a full path).
pub fn error_with_params(msg_id: &str, failure: UspFailure, param_errs: Vec<ParamError>) -> Msg {
    envelope(
        msg_id,
        MsgType::Error,
        MsgBody::Error(msg::Error {
            err_code: failure.code,
            err_msg: failure.message,
            param_errs,
        }),
    )
}

/// The Error for a task the engine gave up on; `progress` says which CWMP changes were
/// already made (empty when none), because CWMP cannot undo them behind the Controller's back.
pub fn abort_error(msg_id: &str, reason: AbortReason, progress: &str) -> Msg {
    let (code, why) = match reason {
        AbortReason::Timeout => (codes::INTERNAL_ERROR, "the CPE did not answer in time"),
        AbortReason::Unreachable => (codes::REQUEST_DENIED, "the CPE cannot be reached"),
        AbortReason::SessionEnded => (
            codes::INTERNAL_ERROR,
            "the CWMP session ended before the request was carried out",
        ),
    };
    let message = if progress.is_empty() {
        why.to_owned()
    } else {
        format!("{why}; {progress}")
    };
    error(msg_id, UspFailure::new(code, message))
}

/// The `msg_id` of a request (empty when the header is missing).
pub fn msg_id(request: &Msg) -> &str {
    request.header.as_ref().map_or("", |h| h.msg_id.as_str())
}
