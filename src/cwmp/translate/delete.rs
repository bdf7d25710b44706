//! USP Delete (TR-369 §"The Delete Message", R-DEL.0–4) as one DeleteObject per instance
//! (cwmp.md §9.3).
//!
//! Search paths are resolved to instances first (GPN, + GPV for expressions). CWMP cannot
//! delete several instances atomically, so with `allow_partial = false` (R-DEL.1: a missing
//! instance must fail the message) the adapter first checks every addressed instance exists
//! with GetParameterNames(instance, NextLevel=true) when more than one is involved, and only
//! then deletes; a DeleteObject refused after that point cannot be undone and the Error says
//! which instances were already gone. With `allow_partial = true` each path stands alone: an
//! instance the CPE does not know (9005) is an `oper_failure` (7016); an existing instance it
//! refuses to delete is an `unaffected_path_errs` entry (R-DEL.3). `affected_paths` lists the
//! instance itself, not its sub-objects (listing those would cost a GPN per instance).

use std::collections::VecDeque;

use crate::cwmp::fault::{FaultCode, UspErrorContext};
use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::delete_resp::deleted_object_result::OperationStatus;
use crate::usp::proto::msg::delete_resp::deleted_object_result::operation_status::{
    OperStatus, OperationFailure, OperationSuccess,
};
use crate::usp::proto::msg::delete_resp::{DeletedObjectResult, UnaffectedPathError};
use crate::usp::proto::msg::{Delete, DeleteResp, Msg, response::RespType};

use super::path::{PathKind, Segment, UspPath, is_instance_path};
use super::resolve::{ResolveStep, Resolver};
use super::usp_msg::{self, UspFailure, codes};
use super::{TranslateConfig, rpcs};

pub(crate) fn start(
    msg_id: &str,
    delete: &Delete,
    device: &DeviceModel,
    config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let mut task = DeleteTask {
        msg_id: msg_id.to_owned(),
        key: rpcs::parameter_key(msg_id),
        allow_partial: delete.allow_partial,
        batch_size: config.gpv_batch_size,
        requested: delete.obj_paths.clone(),
        outcomes: vec![GroupOutcome::default(); delete.obj_paths.len()],
        searches: VecDeque::new(),
        targets: Vec::new(),
        checks: VecDeque::new(),
        deletions: VecDeque::new(),
        phase: Phase::Resolving(None),
    };
    for (group, text) in delete.obj_paths.iter().enumerate() {
        match super::parse_in_model(text, device) {
            Ok(path) if path.is_search() && ends_in_instance(&path) => {
                task.searches.push_back((group, path))
            }
            Ok(path) if path.kind == PathKind::Object && is_instance_path(text) => {
                task.targets.push((group, text.clone()))
            }
            Ok(_) => {
                let why = "Delete takes object instance paths (ending in an instance and '.')";
                task.outcomes[group].failure = Some(UspFailure::new(codes::INVALID_PATH, why));
            }
            Err(failure) => task.outcomes[group].failure = Some(failure),
        }
    }
    if !task.allow_partial && task.first_failure().is_some() {
        return Err(task.error_answer());
    }
    Ok(Box::new(task))
}

fn ends_in_instance(path: &UspPath) -> bool {
    path.kind == PathKind::Object
        && matches!(
            path.segments.last(),
            Some(Segment::Wildcard | Segment::Search(_) | Segment::Instance(_))
        )
}

#[derive(Debug, Clone, Default)]
struct GroupOutcome {
    failure: Option<UspFailure>,
    deleted: Vec<String>,
    refused: Vec<(String, UspFailure)>,
}

struct DeleteTask {
    msg_id: String,
    key: String,
    allow_partial: bool,
    batch_size: usize,
    requested: Vec<String>,
    outcomes: Vec<GroupOutcome>,
    searches: VecDeque<(usize, UspPath)>,
    /// Instances addressed directly (not through a search): checked when all-or-nothing.
    targets: Vec<(usize, String)>,
    checks: VecDeque<(usize, String)>,
    deletions: VecDeque<(usize, String, bool)>,
    phase: Phase,
}

enum Phase {
    Resolving(Option<(usize, Resolver)>),
    Checking(usize, String),
    /// `(group, instance, addressed through a search)`.
    Deleting(usize, String, bool),
    Finished,
}

impl CwmpTask for DeleteTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Resolving(current) => self.resolve(current, reply),
            Phase::Checking(group, instance) => {
                let failure = match rpcs::names_reply(reply) {
                    Ok(Ok(_)) => None,
                    Ok(Err(fault)) => Some(UspFailure::from_fault(&fault, UspErrorContext::Object)),
                    Err(failure) => Some(failure),
                };
                if let Some(failure) = failure {
                    let why = format!("{instance}: {}", failure.message);
                    self.outcomes[group].failure = Some(UspFailure::new(failure.code, why));
                    return TaskStep::Done(self.error_answer());
                }
                self.next_check()
            }
            Phase::Deleting(group, instance, searched) => {
                match rpcs::delete_reply(reply) {
                    Ok(Ok(_)) => self.outcomes[group].deleted.push(instance),
                    Ok(Err(fault)) => {
                        let failure = UspFailure::from_fault(&fault, UspErrorContext::Object);
                        let missing = fault.fault_code == FaultCode::INVALID_PARAMETER_NAME;
                        if !self.allow_partial {
                            let why = format!("{instance}: {}", failure.message);
                            self.outcomes[group].failure = Some(UspFailure::new(failure.code, why));
                            return TaskStep::Done(self.error_answer());
                        }
                        if missing && !searched {
                            self.outcomes[group].failure = Some(failure);
                        } else {
                            self.outcomes[group].refused.push((instance, failure));
                        }
                    }
                    Err(failure) => {
                        self.outcomes[group].failure = Some(failure);
                        return TaskStep::Done(self.error_answer());
                    }
                }
                self.next_deletion()
            }
            Phase::Finished => TaskStep::Done(usp_msg::error(
                &self.msg_id,
                UspFailure::new(
                    codes::INTERNAL_ERROR,
                    "Delete task stepped after it finished",
                ),
            )),
        }
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        usp_msg::abort_error(&self.msg_id, reason, &self.deleted_note())
    }
}

impl DeleteTask {
    fn resolve(&mut self, current: Option<(usize, Resolver)>, reply: Option<CpeReply>) -> TaskStep {
        if let Some((group, mut resolver)) = current {
            match resolver.on_reply(reply) {
                ResolveStep::Rpc(rpc) => {
                    self.phase = Phase::Resolving(Some((group, resolver)));
                    return TaskStep::Rpc(rpc);
                }
                ResolveStep::Done(Ok(resolution)) => {
                    let found = resolution.matches.into_iter().map(|i| (group, i, true));
                    self.deletions.extend(found);
                }
                ResolveStep::Done(Err(failure)) => {
                    self.outcomes[group].failure = Some(failure);
                    if !self.allow_partial {
                        return TaskStep::Done(self.error_answer());
                    }
                }
            }
        }
        if let Some((group, path)) = self.searches.pop_front() {
            let (resolver, rpc) = Resolver::start(path, self.batch_size);
            self.phase = Phase::Resolving(Some((group, resolver)));
            return TaskStep::Rpc(rpc);
        }
        let direct = std::mem::take(&mut self.targets);
        let involved = direct.len() + self.deletions.len();
        if !self.allow_partial && involved > 1 {
            self.checks.extend(direct.iter().cloned());
        }
        self.deletions
            .extend(direct.into_iter().map(|(g, i)| (g, i, false)));
        self.next_check()
    }

    fn next_check(&mut self) -> TaskStep {
        match self.checks.pop_front() {
            Some((group, instance)) => {
                let rpc = rpcs::get_names(&instance, true);
                self.phase = Phase::Checking(group, instance);
                TaskStep::Rpc(rpc)
            }
            None => self.next_deletion(),
        }
    }

    fn next_deletion(&mut self) -> TaskStep {
        match self.deletions.pop_front() {
            Some((group, instance, searched)) => {
                let rpc = rpcs::delete_object(&instance, &self.key);
                self.phase = Phase::Deleting(group, instance, searched);
                TaskStep::Rpc(rpc)
            }
            None => TaskStep::Done(self.answer()),
        }
    }

    fn first_failure(&self) -> Option<&UspFailure> {
        self.outcomes.iter().find_map(|o| o.failure.as_ref())
    }

    fn deleted_note(&self) -> String {
        let deleted: Vec<&str> = self
            .outcomes
            .iter()
            .flat_map(|o| o.deleted.iter().map(String::as_str))
            .collect();
        if deleted.is_empty() {
            String::new()
        } else {
            format!("already deleted: {}", deleted.join(", "))
        }
    }

    fn error_answer(&self) -> Msg {
        let mut failure = self
            .first_failure()
            .cloned()
            .unwrap_or_else(|| UspFailure::new(codes::DELETE_FAILURE, "Delete failed"));
        let note = self.deleted_note();
        if !note.is_empty() {
            failure.message = format!("{}; {note}", failure.message);
        }
        usp_msg::error(&self.msg_id, failure)
    }

    fn answer(&self) -> Msg {
        let deleted_obj_results = self
            .outcomes
            .iter()
            .zip(&self.requested)
            .map(|(outcome, requested)| {
                let status = match &outcome.failure {
                    Some(failure) => OperStatus::OperFailure(OperationFailure {
                        err_code: failure.code,
                        err_msg: failure.message.clone(),
                    }),
                    None => OperStatus::OperSuccess(OperationSuccess {
                        affected_paths: outcome.deleted.clone(),
                        unaffected_path_errs: outcome
                            .refused
                            .iter()
                            .map(|(path, failure)| UnaffectedPathError {
                                unaffected_path: path.clone(),
                                err_code: failure.code,
                                err_msg: failure.message.clone(),
                            })
                            .collect(),
                    }),
                };
                DeletedObjectResult {
                    requested_path: requested.clone(),
                    oper_status: Some(OperationStatus {
                        oper_status: Some(status),
                    }),
                }
            })
            .collect();
        let resp = DeleteResp {
            deleted_obj_results,
        };
        usp_msg::response(&self.msg_id, RespType::DeleteResp(resp))
    }
}
