//! USP GetInstances (TR-369 §"The GetInstances Message", R-GIN.0–1) as GetParameterNames
//! (cwmp.md §9.3).
//!
//! Per requested table: GetParameterNames(table, NextLevel=false) lists the whole sub-tree
//! (a search path is resolved from the same listing); every listed object whose last segment
//! is a number is an instance — only the table's own rows when `first_level_only`, rows of
//! nested tables too otherwise. CWMP does not know which parameters are unique keys, so
//! `unique_keys` holds `Alias` (the one key every TR-181 table has since 2.x) when the CPE lists
//! it, read with one batched GetParameterValues; other keys are not reported.

use std::collections::{HashMap, VecDeque};

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::get_instances_resp::{CurrInstance, RequestedPathResult};
use crate::usp::proto::msg::{GetInstances, GetInstancesResp, Msg, response::RespType};

use super::path::{PathKind, UspPath, is_instance_path};
use super::resolve::{BatchedRead, ResolveStep, Resolver};
use super::usp_msg::{self, UspFailure, codes};
use super::{TranslateConfig, rpcs};

pub(crate) fn start(
    msg_id: &str,
    request: &GetInstances,
    device: &DeviceModel,
    config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let mut task = InstancesTask {
        msg_id: msg_id.to_owned(),
        first_level_only: request.first_level_only,
        batch_size: config.gpv_batch_size,
        requested: request.obj_paths.clone(),
        results: vec![None; request.obj_paths.len()],
        queue: VecDeque::new(),
        phase: Phase::Idle,
    };
    for (index, text) in request.obj_paths.iter().enumerate() {
        match super::parse_in_model(text, device) {
            Ok(path) if path.kind == PathKind::Object && !is_instance_path(text) => {
                task.queue.push_back((index, path))
            }
            Ok(_) => task.fail(
                index,
                UspFailure::new(
                    codes::OBJECT_NOT_A_TABLE,
                    "GetInstances takes table paths (ending in '.')",
                ),
            ),
            Err(failure) => task.fail(index, failure),
        }
    }
    if task.queue.is_empty() {
        return Err(task.answer());
    }
    Ok(Box::new(task))
}

struct InstancesTask {
    msg_id: String,
    first_level_only: bool,
    batch_size: usize,
    requested: Vec<String>,
    results: Vec<Option<RequestedPathResult>>,
    queue: VecDeque<(usize, UspPath)>,
    phase: Phase,
}

enum Phase {
    Idle,
    Listing(usize, Option<Resolver>),
    Reading {
        index: usize,
        instances: Vec<String>,
        read: BatchedRead,
    },
}

impl CwmpTask for InstancesTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        let outcome = match std::mem::replace(&mut self.phase, Phase::Idle) {
            Phase::Idle => None,
            Phase::Listing(index, resolver) => self.on_listing(index, resolver, reply),
            Phase::Reading {
                index,
                instances,
                mut read,
            } => match read.on_reply(reply, UspErrorContext::Path) {
                Err(failure) => {
                    self.fail(index, failure);
                    None
                }
                Ok(()) => self.read_next(index, instances, read),
            },
        };
        if let Some(rpc) = outcome {
            return TaskStep::Rpc(rpc);
        }
        match self.queue.pop_front() {
            Some((index, path)) if path.is_search() => {
                let (resolver, rpc) = Resolver::start(path, self.batch_size);
                self.phase = Phase::Listing(index, Some(resolver));
                TaskStep::Rpc(rpc)
            }
            Some((index, _)) => {
                self.phase = Phase::Listing(index, None);
                TaskStep::Rpc(rpcs::get_names(&self.requested[index], false))
            }
            None => TaskStep::Done(self.answer()),
        }
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        usp_msg::abort_error(&self.msg_id, reason, "")
    }
}

impl InstancesTask {
    /// Handles a listing; returns the next RPC of this path, if any.
    fn on_listing(
        &mut self,
        index: usize,
        resolver: Option<Resolver>,
        reply: Option<CpeReply>,
    ) -> Option<crate::cwmp::soap::Body> {
        let (tables, listed) = match resolver {
            Some(mut resolver) => match resolver.on_reply(reply) {
                ResolveStep::Rpc(rpc) => {
                    self.phase = Phase::Listing(index, Some(resolver));
                    return Some(rpc);
                }
                ResolveStep::Done(Ok(resolution)) => (resolution.matches, resolution.listed),
                ResolveStep::Done(Err(failure)) => {
                    self.fail(index, failure);
                    return None;
                }
            },
            None => match rpcs::names_reply(reply) {
                Ok(Ok(response)) => (vec![self.requested[index].clone()], response.parameter_list),
                Ok(Err(fault)) => {
                    self.fail(index, UspFailure::from_fault(&fault, UspErrorContext::Path));
                    return None;
                }
                Err(failure) => {
                    self.fail(index, failure);
                    return None;
                }
            },
        };
        let names: std::collections::BTreeSet<&str> =
            listed.iter().map(|p| p.name.as_str()).collect();
        let instances: Vec<String> = listed
            .iter()
            .map(|p| p.name.as_str())
            .filter(|name| is_instance_path(name) && self.in_tables(name, &tables))
            .map(str::to_owned)
            .collect();
        let aliases = instances
            .iter()
            .map(|instance| format!("{instance}Alias"))
            .filter(|alias| names.contains(alias.as_str()))
            .collect();
        let read = BatchedRead::new(aliases, self.batch_size);
        self.read_next(index, instances, read)
    }

    fn in_tables(&self, instance: &str, tables: &[String]) -> bool {
        tables.iter().any(|table| {
            instance.strip_prefix(table.as_str()).is_some_and(|rest| {
                // `rest` is "N." for a row of this table, longer for nested rows.
                !self.first_level_only || rest.matches('.').count() == 1
            })
        })
    }

    fn read_next(
        &mut self,
        index: usize,
        instances: Vec<String>,
        mut read: BatchedRead,
    ) -> Option<crate::cwmp::soap::Body> {
        if let Some(rpc) = read.next_rpc() {
            self.phase = Phase::Reading {
                index,
                instances,
                read,
            };
            return Some(rpc);
        }
        let aliases: HashMap<String, String> =
            read.values.into_iter().map(|v| (v.name, v.value)).collect();
        let curr_insts = instances
            .into_iter()
            .map(|instance| {
                let unique_keys = aliases
                    .get(&format!("{instance}Alias"))
                    .map(|alias| HashMap::from([("Alias".to_owned(), alias.clone())]))
                    .unwrap_or_default();
                CurrInstance {
                    instantiated_obj_path: instance,
                    unique_keys,
                }
            })
            .collect();
        self.results[index] = Some(RequestedPathResult {
            requested_path: self.requested[index].clone(),
            curr_insts,
            ..Default::default()
        });
        None
    }

    fn fail(&mut self, index: usize, failure: UspFailure) {
        self.results[index] = Some(RequestedPathResult {
            requested_path: self.requested[index].clone(),
            err_code: failure.code,
            err_msg: failure.message,
            curr_insts: Vec::new(),
        });
    }

    fn answer(&self) -> Msg {
        let req_path_results = self
            .results
            .iter()
            .zip(&self.requested)
            .map(|(result, path)| {
                result.clone().unwrap_or_else(|| RequestedPathResult {
                    requested_path: path.clone(),
                    err_code: codes::INTERNAL_ERROR,
                    err_msg: "not listed".into(),
                    curr_insts: Vec::new(),
                })
            })
            .collect();
        let resp = GetInstancesResp { req_path_results };
        usp_msg::response(&self.msg_id, RespType::GetInstancesResp(resp))
    }
}
