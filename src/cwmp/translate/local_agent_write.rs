//! Add, Delete and Set on the local subscription table, with TR-369's allow_partial/required
//! rules (messages/index.md §"Using Allow Partial and Required Parameters"): changes are staged
//! on a copy and committed only when the message (allow_partial = false) or the object
//! (allow_partial = true) succeeds, so a failed request leaves the table as it was.
//! `ID` and `Alias` are unique keys and so count as required (R-ADD note, 7025 on clashes).

use std::collections::HashMap;

use crate::usp::proto::msg::{self, Msg, error::ParamError, response::RespType};

use super::subscriptions::{SUBSCRIPTION_TABLE, Subscription, Subscriptions};
use super::usp_msg::{self, UspFailure, codes};

/// A parameter refused, relative to its object.
struct Refused {
    object: String,
    param: String,
    failure: UspFailure,
}

fn param_errs(refused: &[Refused]) -> Vec<ParamError> {
    refused
        .iter()
        .map(|r| ParamError {
            param_path: format!("{}{}", r.object, r.param),
            err_code: r.failure.code,
            err_msg: r.failure.message.clone(),
        })
        .collect()
}

fn is_key(param: &str) -> bool {
    matches!(param, "ID" | "Alias")
}

impl Subscriptions {
    /// Applies settings to a row; `Err` when a required one failed (the object fails).
    fn apply<'a>(
        &self,
        row: &mut Subscription,
        settings: impl Iterator<Item = (&'a str, &'a str, bool)>,
        refused: &mut Vec<Refused>,
    ) -> Result<Vec<String>, UspFailure> {
        let mut applied = Vec::new();
        let mut failed = None;
        for (param, value, required) in settings {
            match self.write(row, param, value) {
                Ok(()) => applied.push(param.to_owned()),
                Err(failure) => {
                    if required || is_key(param) {
                        failed.get_or_insert(UspFailure::new(
                            codes::REQUIRED_PARAMETER_FAILED,
                            format!("required parameter {param} failed: {}", failure.message),
                        ));
                    }
                    refused.push(Refused {
                        object: row.path(),
                        param: param.to_owned(),
                        failure,
                    });
                }
            }
        }
        match failed {
            Some(failure) => Err(failure),
            None => self.check_unique(row).map(|()| applied),
        }
    }

    pub(super) fn add_answer(&mut self, msg_id: &str, controller_eid: &str, add: &msg::Add) -> Msg {
        use msg::add_resp::created_object_result::{OperationStatus, operation_status::*};
        use msg::add_resp::{CreatedObjectResult, ParameterError};
        let mut staged = self.clone();
        let mut results = Vec::new();
        let mut all_refused = Vec::new();
        for create in &add.create_objs {
            let mut refused = Vec::new();
            let outcome = if create.obj_path != SUBSCRIPTION_TABLE {
                Err(UspFailure::new(
                    codes::INVALID_PATH,
                    "only Device.LocalAgent.Subscription. takes Add here",
                ))
            } else {
                let instance = staged.add(controller_eid);
                let mut row = staged.get(instance).cloned().expect("just added");
                let settings = create
                    .param_settings
                    .iter()
                    .map(|p| (p.param.as_str(), p.value.as_str(), p.required));
                let applied = staged.apply(&mut row, settings, &mut refused);
                match applied {
                    Ok(_) => {
                        staged.insert(row.clone());
                        Ok(row)
                    }
                    Err(failure) => {
                        staged.delete(instance);
                        Err(failure)
                    }
                }
            };
            let status = match &outcome {
                Ok(row) => OperStatus::OperSuccess(OperationSuccess {
                    instantiated_path: row.path(),
                    param_errs: refused
                        .iter()
                        .map(|r| ParameterError {
                            param: r.param.clone(),
                            err_code: r.failure.code,
                            err_msg: r.failure.message.clone(),
                        })
                        .collect(),
                    unique_keys: staged.unique_keys(row),
                }),
                Err(failure) => {
                    if !add.allow_partial {
                        refused.append(&mut all_refused);
                        return usp_msg::error_with_params(
                            msg_id,
                            failure.clone(),
                            param_errs(&refused),
                        );
                    }
                    OperStatus::OperFailure(OperationFailure {
                        err_code: failure.code,
                        err_msg: failure.message.clone(),
                    })
                }
            };
            all_refused.extend(refused);
            results.push(CreatedObjectResult {
                requested_path: create.obj_path.clone(),
                oper_status: Some(OperationStatus {
                    oper_status: Some(status),
                }),
            });
        }
        *self = staged;
        usp_msg::response(
            msg_id,
            RespType::AddResp(msg::AddResp {
                created_obj_results: results,
            }),
        )
    }

    pub(super) fn delete_answer(&mut self, msg_id: &str, delete: &msg::Delete) -> Msg {
        use msg::delete_resp::DeletedObjectResult;
        use msg::delete_resp::deleted_object_result::{OperationStatus, operation_status::*};
        let mut staged = self.clone();
        let mut results = Vec::new();
        for path in &delete.obj_paths {
            let status = match staged.resolve(path) {
                Ok(instances) => OperStatus::OperSuccess(OperationSuccess {
                    affected_paths: instances
                        .iter()
                        .filter_map(|n| staged.delete(*n))
                        .map(|s| s.path())
                        .collect(),
                    unaffected_path_errs: Vec::new(),
                }),
                Err(failure) if !delete.allow_partial => return usp_msg::error(msg_id, failure),
                Err(failure) => OperStatus::OperFailure(OperationFailure {
                    err_code: failure.code,
                    err_msg: failure.message,
                }),
            };
            results.push(DeletedObjectResult {
                requested_path: path.clone(),
                oper_status: Some(OperationStatus {
                    oper_status: Some(status),
                }),
            });
        }
        *self = staged;
        usp_msg::response(
            msg_id,
            RespType::DeleteResp(msg::DeleteResp {
                deleted_obj_results: results,
            }),
        )
    }

    pub(super) fn set_answer(&mut self, msg_id: &str, set: &msg::Set) -> Msg {
        use msg::set_resp::updated_object_result::{OperationStatus, operation_status::*};
        use msg::set_resp::{
            ParameterError, UpdatedInstanceFailure, UpdatedInstanceResult, UpdatedObjectResult,
        };
        let mut staged = self.clone();
        let mut results = Vec::new();
        for update in &set.update_objs {
            let mut refused = Vec::new();
            let mut group = staged.clone();
            let mut updated = Vec::new();
            let outcome = staged.resolve(&update.obj_path).and_then(|instances| {
                for instance in instances {
                    let mut row = group.get(instance).cloned().expect("resolved");
                    let settings = update
                        .param_settings
                        .iter()
                        .map(|p| (p.param.as_str(), p.value.as_str(), p.required));
                    let applied = group.apply(&mut row, settings, &mut refused)?;
                    group.insert(row.clone());
                    let params: HashMap<String, String> = applied
                        .iter()
                        .map(|p| (p.clone(), group.read(&row, p)))
                        .collect();
                    updated.push((row.path(), params));
                }
                Ok(())
            });
            let errs_of = |object: &str| -> Vec<ParameterError> {
                refused
                    .iter()
                    .filter(|r| r.object == object)
                    .map(|r| ParameterError {
                        param: r.param.clone(),
                        err_code: r.failure.code,
                        err_msg: r.failure.message.clone(),
                    })
                    .collect()
            };
            let status = match outcome {
                Ok(()) => {
                    staged = group;
                    OperStatus::OperSuccess(OperationSuccess {
                        updated_inst_results: updated
                            .into_iter()
                            .map(|(path, updated_params)| UpdatedInstanceResult {
                                param_errs: errs_of(&path),
                                affected_path: path,
                                updated_params,
                            })
                            .collect(),
                    })
                }
                Err(failure) if !set.allow_partial => {
                    return usp_msg::error_with_params(msg_id, failure, param_errs(&refused));
                }
                Err(failure) => {
                    let mut objects: Vec<String> =
                        refused.iter().map(|r| r.object.clone()).collect();
                    objects.dedup();
                    OperStatus::OperFailure(OperationFailure {
                        err_code: failure.code,
                        err_msg: failure.message,
                        updated_inst_failures: objects
                            .into_iter()
                            .map(|object| UpdatedInstanceFailure {
                                param_errs: errs_of(&object),
                                affected_path: object,
                            })
                            .collect(),
                    })
                }
            };
            results.push(UpdatedObjectResult {
                requested_path: update.obj_path.clone(),
                oper_status: Some(OperationStatus {
                    oper_status: Some(status),
                }),
            });
        }
        *self = staged;
        usp_msg::response(
            msg_id,
            RespType::SetResp(msg::SetResp {
                updated_obj_results: results,
            }),
        )
    }
}
