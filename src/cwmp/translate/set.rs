//! USP Set (TR-369 §"The Set Message", R-SET.0–3) as SetParameterValues (cwmp.md §9.3).
//!
//! Search paths in `obj_path` are resolved first (GPN, + GPV for expressions); zero matches is
//! a success with no updated instances (R-MSG.4a). Then one SPV carries every parameter of
//! every object, under `ParameterKey` = the USP `msg_id`; [`SpvPlan`] handles `required` and
//! `allow_partial`. Because SPV is atomic, R-SET.2a (a search path's objects succeed or fail
//! together, with undo) holds for free. With `allow_partial = false` a failure is an Error
//! (7021 when a required parameter failed, R-SET.1) with `param_errs` naming full paths;
//! otherwise failed objects get `oper_failure` with `updated_inst_failures`.
//! SPV Status 1 ("applied after reboot") has no USP field and is reported as success.

use std::collections::{BTreeMap, VecDeque};

use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::error::ParamError;
use crate::usp::proto::msg::set_resp::updated_object_result::OperationStatus;
use crate::usp::proto::msg::set_resp::updated_object_result::operation_status::{
    OperStatus, OperationFailure, OperationSuccess,
};
use crate::usp::proto::msg::set_resp::{
    ParameterError, UpdatedInstanceFailure, UpdatedInstanceResult, UpdatedObjectResult,
};
use crate::usp::proto::msg::{Msg, Set, SetResp, response::RespType};

use super::path::{PathKind, UspPath};
use super::resolve::{ResolveStep, Resolver};
use super::spv::{Setting, SpvOutcome, SpvPlan, SpvStep, types_for};
use super::usp_msg::{self, UspFailure, codes};
use super::{TranslateConfig, rpcs};

pub(crate) fn start(
    msg_id: &str,
    set: &Set,
    device: &DeviceModel,
    config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let mut task = SetTask {
        msg_id: msg_id.to_owned(),
        allow_partial: set.allow_partial,
        requested: set.update_objs.iter().map(|u| u.obj_path.clone()).collect(),
        settings: set
            .update_objs
            .iter()
            .map(|u| {
                let params = u.param_settings.iter();
                params
                    .map(|p| (p.param.clone(), p.value.clone(), p.required))
                    .collect()
            })
            .collect(),
        matched: vec![Vec::new(); set.update_objs.len()],
        group_failures: BTreeMap::new(),
        searches: VecDeque::new(),
        phase: Phase::Resolving(None),
        config: config.clone(),
        types: DeviceModel::new(device.root.clone()),
    };
    let mut forms = Vec::new();
    for (group, update) in set.update_objs.iter().enumerate() {
        let path = match super::parse_in_model(&update.obj_path, device) {
            Ok(path) if path.kind == PathKind::Object => path,
            Ok(_) => {
                let failure = UspFailure::new(codes::INVALID_PATH, "obj_path must end in '.'");
                task.group_failures.insert(group, failure);
                continue;
            }
            Err(failure) => {
                task.group_failures.insert(group, failure);
                continue;
            }
        };
        let form = path.supported_form();
        forms.extend(
            update
                .param_settings
                .iter()
                .map(|p| format!("{form}{}", p.param)),
        );
        if path.is_search() {
            task.searches.push_back((group, path));
        } else {
            task.matched[group].push(update.obj_path.clone());
        }
    }
    if !task.allow_partial && !task.group_failures.is_empty() {
        return Err(task.error_answer(&SpvOutcome::default()));
    }
    task.types = types_for(device, forms);
    Ok(Box::new(task))
}

struct SetTask {
    msg_id: String,
    allow_partial: bool,
    requested: Vec<String>,
    /// `(param, value, required)` per UpdateObject (empty for invalid ones).
    settings: Vec<Vec<(String, String, bool)>>,
    /// Concrete objects per UpdateObject.
    matched: Vec<Vec<String>>,
    /// UpdateObjects that failed before any SPV (bad path, failed search).
    group_failures: BTreeMap<usize, UspFailure>,
    searches: VecDeque<(usize, UspPath)>,
    phase: Phase,
    config: TranslateConfig,
    /// The types of the parameters this Set may touch.
    types: DeviceModel,
}

enum Phase {
    Resolving(Option<(usize, Resolver)>),
    Setting(SpvPlan),
    Finished,
}

impl CwmpTask for SetTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Resolving(current) => self.resolve(current, reply),
            Phase::Setting(mut plan) => match plan.on_reply(reply) {
                SpvStep::Rpc(rpc) => {
                    self.phase = Phase::Setting(plan);
                    TaskStep::Rpc(rpc)
                }
                SpvStep::Done(outcome) => TaskStep::Done(self.answer(outcome)),
            },
            Phase::Finished => TaskStep::Done(usp_msg::error(
                &self.msg_id,
                UspFailure::new(codes::INTERNAL_ERROR, "Set task stepped after it finished"),
            )),
        }
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        // SPV is atomic and an unanswered SPV was not applied as far as the ACS can know.
        let progress = match self.phase {
            Phase::Setting(_) => "the SetParameterValues outcome is unknown",
            _ => "",
        };
        usp_msg::abort_error(&self.msg_id, reason, progress)
    }
}

impl SetTask {
    fn resolve(&mut self, current: Option<(usize, Resolver)>, reply: Option<CpeReply>) -> TaskStep {
        if let Some((group, mut resolver)) = current {
            match resolver.on_reply(reply) {
                ResolveStep::Rpc(rpc) => {
                    self.phase = Phase::Resolving(Some((group, resolver)));
                    return TaskStep::Rpc(rpc);
                }
                ResolveStep::Done(Ok(resolution)) => self.matched[group] = resolution.matches,
                ResolveStep::Done(Err(failure)) => {
                    self.group_failures.insert(group, failure);
                    if !self.allow_partial {
                        return TaskStep::Done(self.error_answer(&SpvOutcome::default()));
                    }
                }
            }
        }
        if let Some((group, path)) = self.searches.pop_front() {
            let (resolver, rpc) = Resolver::start(path, self.config.gpv_batch_size);
            self.phase = Phase::Resolving(Some((group, resolver)));
            return TaskStep::Rpc(rpc);
        }
        let settings = self.flat_settings();
        let key = rpcs::parameter_key(&self.msg_id);
        let (plan, step) = SpvPlan::start(
            settings,
            &self.types,
            &self.config,
            key,
            !self.allow_partial,
        );
        match step {
            SpvStep::Rpc(rpc) => {
                self.phase = Phase::Setting(plan);
                TaskStep::Rpc(rpc)
            }
            SpvStep::Done(outcome) => TaskStep::Done(self.answer(outcome)),
        }
    }

    fn flat_settings(&self) -> Vec<Setting> {
        let mut flat = Vec::new();
        for (group, objects) in self.matched.iter().enumerate() {
            if self.group_failures.contains_key(&group) {
                continue;
            }
            for object in objects {
                for (param, value, required) in &self.settings[group] {
                    flat.push(Setting {
                        object: object.clone(),
                        param: param.clone(),
                        value: value.clone(),
                        required: *required,
                        group,
                    });
                }
            }
        }
        flat
    }

    fn answer(&mut self, mut outcome: SpvOutcome) -> Msg {
        if let Some(failure) = outcome.broken.take() {
            return usp_msg::error(&self.msg_id, failure);
        }
        self.group_failures.append(&mut outcome.failed_groups);
        if !self.allow_partial && !self.group_failures.is_empty() {
            return self.error_answer(&outcome);
        }
        let updated_obj_results = (0..self.requested.len())
            .map(|group| UpdatedObjectResult {
                requested_path: self.requested[group].clone(),
                oper_status: Some(OperationStatus {
                    oper_status: Some(self.group_status(group, &outcome)),
                }),
            })
            .collect();
        usp_msg::response(
            &self.msg_id,
            RespType::SetResp(SetResp {
                updated_obj_results,
            }),
        )
    }

    fn group_status(&self, group: usize, outcome: &SpvOutcome) -> OperStatus {
        let errors_of = |object: &str| -> Vec<ParameterError> {
            outcome
                .param_errors
                .iter()
                .filter(|(s, _)| s.group == group && s.object == object)
                .map(|(s, f)| ParameterError {
                    param: s.param.clone(),
                    err_code: f.code,
                    err_msg: f.message.clone(),
                })
                .collect()
        };
        if let Some(failure) = self.group_failures.get(&group) {
            let updated_inst_failures = self.matched[group]
                .iter()
                .map(|object| UpdatedInstanceFailure {
                    affected_path: object.clone(),
                    param_errs: errors_of(object),
                })
                .collect();
            return OperStatus::OperFailure(OperationFailure {
                err_code: failure.code,
                err_msg: failure.message.clone(),
                updated_inst_failures,
            });
        }
        let updated_inst_results = self.matched[group]
            .iter()
            .map(|object| UpdatedInstanceResult {
                affected_path: object.clone(),
                param_errs: errors_of(object),
                updated_params: outcome
                    .applied
                    .iter()
                    .filter(|s| s.group == group && &s.object == object)
                    .map(|s| (s.param.clone(), s.value.clone()))
                    .collect(),
            })
            .collect();
        OperStatus::OperSuccess(OperationSuccess {
            updated_inst_results,
        })
    }

    /// The Error for `allow_partial = false`: the first failed object's code, every refused
    /// parameter in `param_errs`.
    fn error_answer(&self, outcome: &SpvOutcome) -> Msg {
        let failure = self
            .group_failures
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| UspFailure::new(codes::OBJECT_NOT_UPDATED, "Set failed"));
        let param_errs = outcome
            .param_errors
            .iter()
            .map(|(s, f)| ParamError {
                param_path: s.full_name(),
                err_code: f.code,
                err_msg: f.message.clone(),
            })
            .collect();
        usp_msg::error_with_params(&self.msg_id, failure, param_errs)
    }
}
