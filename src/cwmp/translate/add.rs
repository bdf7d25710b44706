//! USP Add (TR-369 §"The Add Message", R-ADD.0–6) as AddObject + SetParameterValues, with
//! DeleteObject as the undo CWMP lacks (cwmp.md §9.3).
//!
//! Per CreateObject (search paths are resolved to their tables first): AddObject on the table
//! (`obj_path` ends in `.`), then one SPV of `param_settings` on the new instance through
//! [`SpvPlan`] (non-required failures become `param_errs`, a required one fails the object).
//! A failed object is deleted again. With `allow_partial = false` (R-ADD.1) the first failure
//! also deletes every instance created earlier in the message, then answers an Error.
//! `instantiated_path` is `table + InstanceNumber + "."`; `unique_keys` holds `Alias` when the
//! Controller set it — the CPE's own key values are not read back (R-ADD.5 is unmet for keys
//! the CPE assigns; a GetInstances reports Alias).

use std::collections::{HashMap, VecDeque};

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::add_resp::created_object_result::OperationStatus;
use crate::usp::proto::msg::add_resp::created_object_result::operation_status::{
    OperStatus, OperationFailure, OperationSuccess,
};
use crate::usp::proto::msg::add_resp::{CreatedObjectResult, ParameterError};
use crate::usp::proto::msg::error::ParamError;
use crate::usp::proto::msg::{Add, AddResp, Msg, response::RespType};

use super::path::{PathKind, Segment, UspPath};
use super::resolve::{ResolveStep, Resolver};
use super::spv::{Setting, SpvPlan, SpvStep, types_for};
use super::usp_msg::{self, UspFailure, codes, fault_text};
use super::{TranslateConfig, rpcs};

pub(crate) fn start(
    msg_id: &str,
    add: &Add,
    device: &DeviceModel,
    config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let groups = add.create_objs.len();
    let mut task = AddTask {
        msg_id: msg_id.to_owned(),
        key: rpcs::parameter_key(msg_id),
        allow_partial: add.allow_partial,
        requested: add.create_objs.iter().map(|c| c.obj_path.clone()).collect(),
        params: add
            .create_objs
            .iter()
            .map(|c| {
                c.param_settings
                    .iter()
                    .map(|p| (p.param.clone(), p.value.clone(), p.required))
                    .collect()
            })
            .collect(),
        outcomes: vec![Vec::new(); groups],
        searches: VecDeque::new(),
        tables: VecDeque::new(),
        created: Vec::new(),
        phase: Phase::Resolving(None),
        config: config.clone(),
        types: DeviceModel::new(device.root.clone()),
    };
    let mut forms = Vec::new();
    for (group, create) in add.create_objs.iter().enumerate() {
        let path = match super::parse_in_model(&create.obj_path, device) {
            Ok(path) if is_table_path(&path) => path,
            Ok(_) => {
                let why = "obj_path must name a table (ending in its name and '.')";
                task.outcomes[group].push(Err(UspFailure::new(codes::INVALID_PATH, why)));
                continue;
            }
            Err(failure) => {
                task.outcomes[group].push(Err(failure));
                continue;
            }
        };
        let form = format!("{}{{i}}.", path.supported_form());
        forms.extend(
            create
                .param_settings
                .iter()
                .map(|p| format!("{form}{}", p.param)),
        );
        if path.is_search() {
            task.searches.push_back((group, path));
        } else {
            task.tables.push_back((group, create.obj_path.clone()));
        }
    }
    if !task.allow_partial && task.outcomes.iter().flatten().any(Result::is_err) {
        return Err(task.error_answer(Vec::new()));
    }
    task.types = types_for(device, forms);
    Ok(Box::new(task))
}

fn is_table_path(path: &UspPath) -> bool {
    path.kind == PathKind::Object && matches!(path.segments.last(), Some(Segment::Name(_)))
}

/// The outcome of one object creation.
type Creation = Result<Created, UspFailure>;

#[derive(Debug, Clone)]
struct Created {
    instance: String,
    param_errs: Vec<ParameterError>,
    unique_keys: HashMap<String, String>,
}

struct AddTask {
    msg_id: String,
    key: String,
    allow_partial: bool,
    requested: Vec<String>,
    params: Vec<Vec<(String, String, bool)>>,
    outcomes: Vec<Vec<Creation>>,
    searches: VecDeque<(usize, UspPath)>,
    /// `(group, table)` still to create an instance in.
    tables: VecDeque<(usize, String)>,
    /// Instances this message created and kept so far (undone if the message fails).
    created: Vec<String>,
    phase: Phase,
    config: TranslateConfig,
    types: DeviceModel,
}

enum Phase {
    Resolving(Option<(usize, Resolver)>),
    Adding {
        group: usize,
        table: String,
    },
    Setting {
        group: usize,
        instance: String,
        plan: SpvPlan,
    },
    /// Deleting `pending` instances; then record `failure` for `group` and go on (partial) or
    /// answer an Error (all-or-nothing).
    RollingBack {
        group: usize,
        failure: UspFailure,
        param_errs: Vec<ParamError>,
        pending: Vec<String>,
        notes: Vec<String>,
    },
    Finished,
}

impl CwmpTask for AddTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Resolving(current) => self.resolve(current, reply),
            Phase::Adding { group, table } => self.on_added(group, table, reply),
            Phase::Setting {
                group,
                instance,
                mut plan,
            } => match plan.on_reply(reply) {
                SpvStep::Rpc(rpc) => {
                    self.phase = Phase::Setting {
                        group,
                        instance,
                        plan,
                    };
                    TaskStep::Rpc(rpc)
                }
                SpvStep::Done(mut outcome) => {
                    let mut param_errs: Vec<ParameterError> = Vec::new();
                    let mut full_errs = Vec::new();
                    for (setting, failure) in &outcome.param_errors {
                        full_errs.push(ParamError {
                            param_path: setting.full_name(),
                            err_code: failure.code,
                            err_msg: failure.message.clone(),
                        });
                        param_errs.push(ParameterError {
                            param: setting.param.clone(),
                            err_code: failure.code,
                            err_msg: failure.message.clone(),
                        });
                    }
                    let failure = outcome
                        .broken
                        .take()
                        .or_else(|| outcome.failed_groups.into_values().next());
                    match failure {
                        Some(failure) => self.roll_back(group, failure, full_errs, vec![instance]),
                        None => {
                            let unique_keys = outcome
                                .applied
                                .iter()
                                .filter(|s| s.param == "Alias")
                                .map(|s| (s.param.clone(), s.value.clone()))
                                .collect();
                            self.created.push(instance.clone());
                            self.outcomes[group].push(Ok(Created {
                                instance,
                                param_errs,
                                unique_keys,
                            }));
                            self.next_table()
                        }
                    }
                }
            },
            Phase::RollingBack {
                group,
                failure,
                param_errs,
                mut pending,
                mut notes,
            } => {
                let deleted = pending.pop().unwrap_or_default();
                match rpcs::delete_reply(reply) {
                    Ok(Ok(_)) => {}
                    Ok(Err(fault)) => notes.push(format!(
                        "{deleted} could not be removed: {}",
                        fault_text(&fault)
                    )),
                    Err(failure) => {
                        notes.push(format!("{deleted} may remain: {}", failure.message))
                    }
                }
                self.continue_rollback(group, failure, param_errs, pending, notes)
            }
            Phase::Finished => TaskStep::Done(usp_msg::error(
                &self.msg_id,
                UspFailure::new(codes::INTERNAL_ERROR, "Add task stepped after it finished"),
            )),
        }
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        let mut made = self.created.clone();
        if let Phase::Setting { instance, .. } = &self.phase {
            made.push(instance.clone());
        }
        let progress = if made.is_empty() {
            String::new()
        } else {
            format!("instances created and left in place: {}", made.join(", "))
        };
        usp_msg::abort_error(&self.msg_id, reason, &progress)
    }
}

impl AddTask {
    fn resolve(&mut self, current: Option<(usize, Resolver)>, reply: Option<CpeReply>) -> TaskStep {
        if let Some((group, mut resolver)) = current {
            match resolver.on_reply(reply) {
                ResolveStep::Rpc(rpc) => {
                    self.phase = Phase::Resolving(Some((group, resolver)));
                    return TaskStep::Rpc(rpc);
                }
                ResolveStep::Done(Ok(resolution)) => {
                    if resolution.matches.is_empty() {
                        let none = Created {
                            instance: String::new(),
                            param_errs: Vec::new(),
                            unique_keys: HashMap::new(),
                        };
                        self.outcomes[group].push(Ok(none));
                    }
                    self.tables
                        .extend(resolution.matches.into_iter().map(|table| (group, table)));
                }
                ResolveStep::Done(Err(failure)) => {
                    self.outcomes[group].push(Err(failure));
                    if !self.allow_partial {
                        return TaskStep::Done(self.error_answer(Vec::new()));
                    }
                }
            }
        }
        if let Some((group, path)) = self.searches.pop_front() {
            let (resolver, rpc) = Resolver::start(path, self.config.gpv_batch_size);
            self.phase = Phase::Resolving(Some((group, resolver)));
            return TaskStep::Rpc(rpc);
        }
        self.next_table()
    }

    fn next_table(&mut self) -> TaskStep {
        match self.tables.pop_front() {
            Some((group, table)) => {
                let rpc = rpcs::add_object(&table, &self.key);
                self.phase = Phase::Adding { group, table };
                TaskStep::Rpc(rpc)
            }
            None => TaskStep::Done(self.answer()),
        }
    }

    fn on_added(&mut self, group: usize, table: String, reply: Option<CpeReply>) -> TaskStep {
        let response = match rpcs::add_reply(reply) {
            Ok(Ok(response)) => response,
            Ok(Err(fault)) => {
                let failure = UspFailure::from_fault(&fault, UspErrorContext::Object);
                return self.roll_back(group, failure, Vec::new(), Vec::new());
            }
            Err(failure) => return self.roll_back(group, failure, Vec::new(), Vec::new()),
        };
        let instance = format!("{table}{}.", response.instance_number);
        let settings: Vec<Setting> = self.params[group]
            .iter()
            .map(|(param, value, required)| Setting {
                object: instance.clone(),
                param: param.clone(),
                value: value.clone(),
                required: *required,
                group,
            })
            .collect();
        let (plan, step) =
            SpvPlan::start(settings, &self.types, &self.config, self.key.clone(), true);
        self.phase = Phase::Setting {
            group,
            instance,
            plan,
        };
        match step {
            SpvStep::Rpc(rpc) => TaskStep::Rpc(rpc),
            // No parameters to set: the plan is already done; feed it nothing.
            SpvStep::Done(_) => {
                let Phase::Setting {
                    group, instance, ..
                } = std::mem::replace(&mut self.phase, Phase::Finished)
                else {
                    unreachable!()
                };
                self.created.push(instance.clone());
                self.outcomes[group].push(Ok(Created {
                    instance,
                    param_errs: Vec::new(),
                    unique_keys: HashMap::new(),
                }));
                self.next_table()
            }
        }
    }

    /// Records a failed creation: deletes `instances` (the failed one, plus with
    /// all-or-nothing every earlier one), then goes on or answers the Error.
    fn roll_back(
        &mut self,
        group: usize,
        failure: UspFailure,
        param_errs: Vec<ParamError>,
        mut instances: Vec<String>,
    ) -> TaskStep {
        if !self.allow_partial {
            instances.splice(0..0, std::mem::take(&mut self.created));
        }
        self.continue_rollback(group, failure, param_errs, instances, Vec::new())
    }

    fn continue_rollback(
        &mut self,
        group: usize,
        mut failure: UspFailure,
        param_errs: Vec<ParamError>,
        pending: Vec<String>,
        notes: Vec<String>,
    ) -> TaskStep {
        if let Some(last) = pending.last() {
            let rpc = rpcs::delete_object(last, &self.key);
            self.phase = Phase::RollingBack {
                group,
                failure,
                param_errs,
                pending,
                notes,
            };
            return TaskStep::Rpc(rpc);
        }
        if !notes.is_empty() {
            failure.message = format!("{}; {}", failure.message, notes.join("; "));
        }
        self.outcomes[group].push(Err(failure));
        if !self.allow_partial {
            return TaskStep::Done(self.error_answer(param_errs));
        }
        self.next_table()
    }

    fn answer(&self) -> Msg {
        let created_obj_results = self
            .outcomes
            .iter()
            .enumerate()
            .flat_map(|(group, creations)| {
                creations.iter().map(move |creation| {
                    let status = match creation {
                        Ok(created) => OperStatus::OperSuccess(OperationSuccess {
                            instantiated_path: created.instance.clone(),
                            param_errs: created.param_errs.clone(),
                            unique_keys: created.unique_keys.clone(),
                        }),
                        Err(failure) => OperStatus::OperFailure(OperationFailure {
                            err_code: failure.code,
                            err_msg: failure.message.clone(),
                        }),
                    };
                    CreatedObjectResult {
                        requested_path: self.requested[group].clone(),
                        oper_status: Some(OperationStatus {
                            oper_status: Some(status),
                        }),
                    }
                })
            })
            .collect();
        usp_msg::response(
            &self.msg_id,
            RespType::AddResp(AddResp {
                created_obj_results,
            }),
        )
    }

    fn error_answer(&self, param_errs: Vec<ParamError>) -> Msg {
        let failure = self
            .outcomes
            .iter()
            .flatten()
            .find_map(|c| c.as_ref().err().cloned())
            .unwrap_or_else(|| UspFailure::new(codes::OBJECT_NOT_CREATED, "Add failed"));
        usp_msg::error_with_params(&self.msg_id, failure, param_errs)
    }
}
