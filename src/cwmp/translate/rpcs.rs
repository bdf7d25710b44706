//! The CWMP requests the translation sends (TR-069 Annex A.3.2, cwmp.md §3.1) and the checks on
//! what comes back, so that every task treats an off-script reply the same way (7003).

use crate::cwmp::rpc::{
    AddObject, AddObjectResponse, CwmpFault, DeleteObject, DeleteObjectResponse, DownloadResponse,
    GetParameterNames, GetParameterNamesResponse, GetParameterValues, GetParameterValuesResponse,
    ParameterValueStruct, SetParameterValues, SetParameterValuesResponse,
};
use crate::cwmp::soap::Body;
use crate::cwmp::task::CpeReply;

use super::path::truncate;
use super::usp_msg::UspFailure;

/// TR-069 limits `ParameterKey` and `CommandKey` to 32 characters.
pub const KEY_MAX: usize = 32;

/// The ParameterKey for changes made on behalf of a USP request: its `msg_id`, so that
/// `ManagementServer.ParameterKey` tells which USP message last changed the CPE.
pub fn parameter_key(msg_id: &str) -> String {
    truncate(msg_id, KEY_MAX).to_owned()
}

pub fn get_values(names: Vec<String>) -> Body {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: names,
    })
}

pub fn get_names(path: &str, next_level: bool) -> Body {
    Body::GetParameterNames(GetParameterNames {
        parameter_path: path.to_owned(),
        next_level,
    })
}

pub fn set_values(values: Vec<ParameterValueStruct>, key: &str) -> Body {
    Body::SetParameterValues(SetParameterValues {
        parameter_list: values,
        parameter_key: key.to_owned(),
    })
}

pub fn add_object(table: &str, key: &str) -> Body {
    Body::AddObject(AddObject {
        object_name: table.to_owned(),
        parameter_key: key.to_owned(),
    })
}

pub fn delete_object(instance: &str, key: &str) -> Body {
    Body::DeleteObject(DeleteObject {
        object_name: instance.to_owned(),
        parameter_key: key.to_owned(),
    })
}

/// The CPE's reply sorted: the expected response, a CWMP fault, or a protocol error.
pub type Checked<T> = Result<Result<T, CwmpFault>, UspFailure>;

fn check<T>(
    reply: Option<CpeReply>,
    expected: &str,
    pick: impl FnOnce(Body) -> Result<T, String>,
) -> Checked<T> {
    match reply {
        None => Err(UspFailure::protocol(expected, "nothing")),
        Some(CpeReply::Fault(fault)) => Ok(Err(fault.detail)),
        Some(CpeReply::Response(body)) => match pick(body) {
            Ok(response) => Ok(Ok(response)),
            Err(other) => Err(UspFailure::protocol(expected, &other)),
        },
    }
}

pub fn values_reply(reply: Option<CpeReply>) -> Checked<GetParameterValuesResponse> {
    check(reply, "GetParameterValues", |body| match body {
        Body::GetParameterValuesResponse(r) => Ok(r),
        other => Err(other.method_name().to_owned()),
    })
}

pub fn names_reply(reply: Option<CpeReply>) -> Checked<GetParameterNamesResponse> {
    check(reply, "GetParameterNames", |body| match body {
        Body::GetParameterNamesResponse(r) => Ok(r),
        other => Err(other.method_name().to_owned()),
    })
}

pub fn set_reply(reply: Option<CpeReply>) -> Checked<SetParameterValuesResponse> {
    check(reply, "SetParameterValues", |body| match body {
        Body::SetParameterValuesResponse(r) => Ok(r),
        other => Err(other.method_name().to_owned()),
    })
}

pub fn add_reply(reply: Option<CpeReply>) -> Checked<AddObjectResponse> {
    check(reply, "AddObject", |body| match body {
        Body::AddObjectResponse(r) => Ok(r),
        other => Err(other.method_name().to_owned()),
    })
}

pub fn delete_reply(reply: Option<CpeReply>) -> Checked<DeleteObjectResponse> {
    check(reply, "DeleteObject", |body| match body {
        Body::DeleteObjectResponse(r) => Ok(r),
        other => Err(other.method_name().to_owned()),
    })
}

pub fn download_reply(reply: Option<CpeReply>) -> Checked<DownloadResponse> {
    check(reply, "Download", |body| match body {
        Body::DownloadResponse(r) => Ok(r),
        other => Err(other.method_name().to_owned()),
    })
}

/// Reboot and FactoryReset answer with an empty response.
pub fn empty_reply(reply: Option<CpeReply>, expected: &'static str) -> Checked<()> {
    check(reply, expected, |body| match (&body, expected) {
        (Body::RebootResponse, "Reboot") | (Body::FactoryResetResponse, "FactoryReset") => Ok(()),
        _ => Err(body.method_name().to_owned()),
    })
}
