//! USP GetSupportedDM (TR-369 §"The GetSupportedDM Message") approximated from
//! GetParameterNames, because CWMP has no query for the *supported* data model (cwmp.md §9.3):
//! GPN lists the *instantiated* objects and parameters with a Writable flag. So:
//!
//! - objects and parameters are those that exist now (an empty table is only seen through
//!   its `<Table>NumberOfEntries` parameter, TR-106's convention); instance numbers fold into
//!   `{i}` and the parameters of all rows are merged;
//! - `access` comes from Writable: on a table object it means AddObject is allowed, on a row
//!   that DeleteObject is (GenieACS's reading of TR-069 A.3.2.3);
//! - `value_type` comes from the types the CPE reported in GPV answers (the [`DeviceModel`]),
//!   else `PARAM_UNKNOWN`; `value_change` is unknown (a CPE may refuse notifications, 9009);
//! - commands and events are the ones this adapter emulates (see [`super::operate`] and
//!   [`super::notify`]); CWMP data models have none;
//! - `data_model_inst_uri` is `urn:usphub:cwmp-derived` to flag all of this.

use std::collections::{BTreeMap, BTreeSet};

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::rpc::{ParameterInfoStruct, XsdType};
use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::get_supported_dm_resp::{
    CmdType, ObjAccessType, ParamAccessType, ParamValueType, RequestedObjectResult,
    SupportedCommandResult, SupportedEventResult, SupportedObjectResult, SupportedParamResult,
};
use crate::usp::proto::msg::{GetSupportedDm, GetSupportedDmResp, Msg, response::RespType};

use super::path::{PathKind, split_parameter, supported_form};
use super::usp_msg::{self, UspFailure, codes};
use super::{TranslateConfig, rpcs};

/// Marks every GetSupportedDM answer as derived from CWMP, not from a data model document.
pub const CWMP_DERIVED_URI: &str = "urn:usphub:cwmp-derived";

pub(crate) fn start(
    msg_id: &str,
    request: &GetSupportedDm,
    device: &DeviceModel,
    _config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let mut task = SupportedDmTask {
        msg_id: msg_id.to_owned(),
        request: request.clone(),
        device: device.clone(),
        results: vec![None; request.obj_paths.len()],
        next: 0,
    };
    for (index, text) in request.obj_paths.iter().enumerate() {
        if let Err(failure) = super::parse_in_model(text, device) {
            task.results[index] = Some(failed(text, failure));
        }
    }
    Ok(Box::new(task))
}

fn failed(path: &str, failure: UspFailure) -> RequestedObjectResult {
    RequestedObjectResult {
        req_obj_path: path.to_owned(),
        err_code: failure.code,
        err_msg: failure.message,
        ..Default::default()
    }
}

struct SupportedDmTask {
    msg_id: String,
    request: GetSupportedDm,
    /// The reported types are needed after the GPN, hence owned.
    device: DeviceModel,
    results: Vec<Option<RequestedObjectResult>>,
    /// The path whose GPN is outstanding is `next - 1`.
    next: usize,
}

impl CwmpTask for SupportedDmTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        if self.next > 0 {
            let index = self.next - 1;
            let text = self.request.obj_paths[index].clone();
            self.results[index] = Some(match rpcs::names_reply(reply) {
                Ok(Ok(response)) => self.describe(&text, &response.parameter_list),
                Ok(Err(fault)) => {
                    failed(&text, UspFailure::from_fault(&fault, UspErrorContext::Path))
                }
                Err(failure) => failed(&text, failure),
            });
        }
        while self.next < self.request.obj_paths.len() {
            let index = self.next;
            self.next += 1;
            if self.results[index].is_some() {
                continue;
            }
            let text = &self.request.obj_paths[index];
            if matches!(kind_of(text), PathKind::Command | PathKind::Event) {
                self.results[index] = Some(self.describe(text, &[]));
                continue;
            }
            return TaskStep::Rpc(rpcs::get_names(&query_path(text), false));
        }
        let req_obj_results = self
            .results
            .iter_mut()
            .map(|r| r.take().unwrap_or_default())
            .collect();
        let resp = GetSupportedDmResp { req_obj_results };
        TaskStep::Done(usp_msg::response(
            &self.msg_id,
            RespType::GetSupportedDmResp(resp),
        ))
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        usp_msg::abort_error(&self.msg_id, reason, "")
    }
}

fn kind_of(text: &str) -> PathKind {
    super::path::UspPath::parse(text).map_or(PathKind::Object, |p| p.kind)
}

/// What to list with GPN: the path up to its first `{i}` (GPN knows only instances); the
/// object of a parameter path.
fn query_path(text: &str) -> String {
    let cut = text.find("{i}").unwrap_or(text.len());
    owning(&text[..cut]).to_owned()
}

fn owning(text: &str) -> &str {
    if text.ends_with('.') {
        text
    } else {
        split_parameter(text).0
    }
}

/// A supported object path without a trailing `{i}.` (`X.{i}.` and `X.` name the same table).
fn normalized(form: &str) -> &str {
    form.strip_suffix("{i}.").unwrap_or(form)
}

/// Objects below `base` (both normalized), counting a table and its `{i}` as one level.
fn levels_below(form: &str, base: &str) -> Option<usize> {
    let rest = form.strip_prefix(base)?;
    Some(
        rest.split('.')
            .filter(|s| !s.is_empty() && *s != "{i}")
            .count(),
    )
}

#[derive(Default)]
struct ObjectInfo {
    multi: bool,
    addable: bool,
    deletable: bool,
    params: BTreeMap<String, bool>,
}

impl SupportedDmTask {
    fn describe(&self, text: &str, listed: &[ParameterInfoStruct]) -> RequestedObjectResult {
        let kind = kind_of(text);
        let request_form = supported_form(text);
        let base = normalized(owning(&request_form)).to_owned();
        let mut objects = fold(listed);
        self.add_virtual_objects(&mut objects);
        let mut supported_objs = Vec::new();
        for (form, info) in &objects {
            let Some(depth) = levels_below(normalized(form), &base) else {
                continue;
            };
            let reported = match kind {
                PathKind::Object => !self.request.first_level_only || depth <= 1,
                _ => depth == 0,
            };
            if !reported {
                continue;
            }
            let details = kind != PathKind::Object || depth == 0 || !self.request.first_level_only;
            supported_objs.push(self.object_result(form, info, details, kind, &request_form));
        }
        if supported_objs.is_empty() && kind != PathKind::Object {
            return failed(
                text,
                UspFailure::new(codes::INVALID_PATH, "not in the supported data model"),
            );
        }
        RequestedObjectResult {
            req_obj_path: text.to_owned(),
            data_model_inst_uri: CWMP_DERIVED_URI.to_owned(),
            supported_objs,
            ..Default::default()
        }
    }

    /// The objects carrying emulated commands exist even when GPN does not show them.
    fn add_virtual_objects(&self, objects: &mut BTreeMap<String, ObjectInfo>) {
        let root = &self.device.root;
        objects.entry(root.clone()).or_default();
        let firmware = format!("{root}DeviceInfo.FirmwareImage.{{i}}.");
        objects.entry(firmware).or_default().multi = true;
    }

    fn object_result(
        &self,
        form: &str,
        info: &ObjectInfo,
        details: bool,
        kind: PathKind,
        request_form: &str,
    ) -> SupportedObjectResult {
        let access = match (info.addable, info.deletable) {
            (true, true) => ObjAccessType::ObjAddDelete,
            (true, false) => ObjAccessType::ObjAddOnly,
            (false, true) => ObjAccessType::ObjDeleteOnly,
            (false, false) => ObjAccessType::ObjReadOnly,
        };
        let mut result = SupportedObjectResult {
            supported_obj_path: form.to_owned(),
            access: access as i32,
            is_multi_instance: info.multi,
            ..Default::default()
        };
        if !details {
            return result;
        }
        let wanted = |relative: &str| {
            kind == PathKind::Object || format!("{form}{relative}") == request_form
        };
        if self.request.return_params || kind == PathKind::Parameter {
            result.supported_params = info
                .params
                .iter()
                .filter(|(name, _)| wanted(name))
                .map(|(name, writable)| SupportedParamResult {
                    param_name: name.clone(),
                    access: if *writable {
                        ParamAccessType::ParamReadWrite
                    } else {
                        ParamAccessType::ParamReadOnly
                    } as i32,
                    value_type: value_type(self.device.type_of(&format!("{form}{name}"))) as i32,
                    value_change: 0,
                })
                .collect();
        }
        if self.request.return_commands || kind == PathKind::Command {
            result.supported_commands = emulated_commands(form, &self.device.root)
                .into_iter()
                .filter(|c| wanted(&c.command_name))
                .collect();
        }
        if self.request.return_events || kind == PathKind::Event {
            result.supported_events = emulated_events(form, &self.device.root)
                .into_iter()
                .filter(|e| wanted(&e.event_name))
                .collect();
        }
        result
    }
}

/// Folds a GPN listing into supported objects.
fn fold(listed: &[ParameterInfoStruct]) -> BTreeMap<String, ObjectInfo> {
    let mut objects: BTreeMap<String, ObjectInfo> = BTreeMap::new();
    let mut writable_objects = BTreeSet::new();
    for entry in listed {
        let form = supported_form(&entry.name);
        if entry.name.ends_with('.') && form.ends_with("{i}.") {
            let row = objects.entry(form).or_default();
            row.multi = true;
            row.deletable |= entry.writable;
        } else if entry.name.ends_with('.') {
            if entry.writable {
                writable_objects.insert(form.clone());
            }
            objects.entry(form).or_default();
        } else {
            let (object, name) = split_parameter(&form);
            let info = objects.entry(object.to_owned()).or_default();
            let writable = info.params.entry(name.to_owned()).or_default();
            *writable |= entry.writable;
        }
    }
    // A table shows as `X.` (its rows as `X.{i}.`), or, when empty, through its parent's
    // `XNumberOfEntries`; USP reports it once, as `X.{i}.`.
    let plain: Vec<String> = objects
        .keys()
        .filter(|k| !k.ends_with("{i}."))
        .cloned()
        .collect();
    for form in plain {
        let (parent, name) = split_parameter(form.trim_end_matches('.'));
        let counted = objects
            .get(parent)
            .is_some_and(|p| p.params.contains_key(&format!("{name}NumberOfEntries")));
        let row_form = format!("{form}{{i}}.");
        if objects.contains_key(&row_form) || counted {
            let table = objects.remove(&form).unwrap_or_default();
            let row = objects.entry(row_form).or_default();
            row.multi = true;
            row.addable = writable_objects.contains(&form);
            row.params.extend(table.params);
        }
    }
    objects
}

fn value_type(xsd_type: Option<&XsdType>) -> ParamValueType {
    match xsd_type {
        Some(XsdType::String) => ParamValueType::ParamString,
        Some(XsdType::Int) => ParamValueType::ParamInt,
        Some(XsdType::UnsignedInt) => ParamValueType::ParamUnsignedInt,
        Some(XsdType::Long) => ParamValueType::ParamLong,
        Some(XsdType::UnsignedLong) => ParamValueType::ParamUnsignedLong,
        Some(XsdType::Boolean) => ParamValueType::ParamBoolean,
        Some(XsdType::DateTime) => ParamValueType::ParamDateTime,
        Some(XsdType::Base64) => ParamValueType::ParamBase64,
        Some(XsdType::HexBinary) => ParamValueType::ParamHexBinary,
        Some(XsdType::Decimal) => ParamValueType::ParamDecimal,
        Some(XsdType::Other(_)) | None => ParamValueType::ParamUnknown,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The commands [`super::operate`] carries out, on the object holding them.
fn emulated_commands(form: &str, root: &str) -> Vec<SupportedCommandResult> {
    let command = |name: &str, inputs: &[&str], kind: CmdType| SupportedCommandResult {
        command_name: name.to_owned(),
        input_arg_names: names(inputs),
        output_arg_names: Vec::new(),
        command_type: kind as i32,
    };
    if form == root {
        vec![
            command("Reboot()", &[], CmdType::CmdSync),
            command("FactoryReset()", &[], CmdType::CmdSync),
        ]
    } else if form == format!("{root}DeviceInfo.FirmwareImage.{{i}}.") {
        let inputs = [
            "URL",
            "AutoActivate",
            "Username",
            "Password",
            "FileSize",
            "CheckSumAlgorithm",
            "CheckSum",
        ];
        vec![command("Download()", &inputs, CmdType::CmdAsync)]
    } else {
        Vec::new()
    }
}

/// The events [`super::notify`] produces on the device's root object.
fn emulated_events(form: &str, root: &str) -> Vec<SupportedEventResult> {
    if form != root {
        return Vec::new();
    }
    vec![SupportedEventResult {
        event_name: "Boot!".into(),
        arg_names: names(&["CommandKey", "Cause", "FirmwareUpdated", "ParameterMap"]),
    }]
}
