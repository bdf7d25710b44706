//! USP Get (TR-369 §"The Get Message", R-GET.0–5) as GetParameterValues (cwmp.md §9.3).
//!
//! - Full parameter paths: one GPV for all of them (per batch); CWMP GPV is all-or-nothing, so
//!   when that faults each name is retried alone to pin the fault on its requested path.
//! - Object paths (partial paths): one GPV on the partial path (TR-069 allows partial names in
//!   GPV), `max_depth` applied locally; or, for CPE that cannot take partial paths in GPV
//!   (genieacs-sim, cwmp.md §10; `TranslateConfig::partial_path_gpv = false`), GPN of the
//!   sub-tree then batched GPVs of the leaves within `max_depth`. With `max_depth = 1` the
//!   object's own parameters come from GPN(NextLevel=true) + GPV, not a whole-sub-tree read.
//! - Search paths (`*`, `[expr]`): resolved with GPN (+ GPV of the tested parameters), then
//!   the matches are read as above.
//!
//! Results are grouped per object (R-GET.2: `resolved_path` is the parameter's object,
//! `result_params` keys are relative to it; USP 1.2+ gives each sub-object its own entry).

use std::collections::{HashMap, VecDeque};

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::task::{AbortReason, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::get_resp::{RequestedPathResult, ResolvedPathResult};
use crate::usp::proto::msg::{Get, GetResp, Msg, response::RespType};

use super::path::{PathKind, UspPath, object_depth, owning_object};
use super::resolve::{BatchedRead, ResolveStep, Resolver};
use super::usp_msg::{self, UspFailure, codes};
use super::{TranslateConfig, rpcs};
use crate::cwmp::soap::Body;

pub(crate) fn start(
    msg_id: &str,
    get: &Get,
    device: &DeviceModel,
    config: &TranslateConfig,
) -> Result<Box<dyn CwmpTask>, Msg> {
    let mut task = GetTask {
        msg_id: msg_id.to_owned(),
        max_depth: get.max_depth,
        batch_size: config.gpv_batch_size,
        requested: get.param_paths.clone(),
        results: vec![None; get.param_paths.len()],
        jobs: VecDeque::new(),
        current: None,
    };
    let mut plain_params = Vec::new();
    for (index, text) in get.param_paths.iter().enumerate() {
        let path = match super::parse_in_model(text, device) {
            Ok(path) => path,
            Err(failure) => {
                task.fail(index, failure);
                continue;
            }
        };
        match (path.kind, path.is_search()) {
            (PathKind::Command | PathKind::Event, _) => task.fail(
                index,
                UspFailure::new(codes::INVALID_PATH, "Get reads objects and parameters only"),
            ),
            (PathKind::Parameter, false) => plain_params.push(text.clone()),
            // max_depth 1 needs only the object's own parameters: GPN NextLevel lists them
            // without reading the whole sub-tree.
            (PathKind::Object, false) if config.partial_path_gpv && get.max_depth != 1 => {
                task.jobs.push_back(Job::Partial { index })
            }
            _ => task.jobs.push_back(Job::Tree {
                index,
                pattern: Some(path),
                stage: TreeStage::Listing(None),
            }),
        }
    }
    plain_params.sort();
    plain_params.dedup();
    let batch = config.gpv_batch_size.max(1);
    for chunk in plain_params.chunks(batch).rev() {
        task.jobs.push_front(Job::Params {
            names: chunk.to_vec(),
        });
    }
    if task.jobs.is_empty() {
        return Err(task.finish());
    }
    Ok(Box::new(task))
}

struct GetTask {
    msg_id: String,
    max_depth: u32,
    batch_size: usize,
    requested: Vec<String>,
    results: Vec<Option<RequestedPathResult>>,
    jobs: VecDeque<Job>,
    current: Option<Job>,
}

enum Job {
    /// Full parameter names read together (each may be requested by several paths).
    Params { names: Vec<String> },
    /// One partial path read with a single GPV.
    Partial { index: usize },
    /// A sub-tree listed with GPN (or a search resolved), then its leaves read in batches.
    Tree {
        index: usize,
        pattern: Option<UspPath>,
        stage: TreeStage,
    },
}

enum TreeStage {
    Listing(Option<Resolver>),
    Reading {
        bases: Vec<String>,
        read: BatchedRead,
    },
}

/// What a job does after a reply: send another RPC, or hand over to the next job.
#[allow(clippy::large_enum_variant)] // one value at a time, moved, never stored in bulk
enum Next {
    Send(Body, Job),
    Finished,
}

impl CwmpTask for GetTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        let mut next = match (self.current.take(), reply) {
            (Some(job), reply) => self.advance(job, reply),
            (None, _) => Next::Finished,
        };
        loop {
            match next {
                Next::Send(body, job) => {
                    self.current = Some(job);
                    return TaskStep::Rpc(body);
                }
                Next::Finished => match self.jobs.pop_front() {
                    Some(job) => next = self.begin(job),
                    None => return TaskStep::Done(self.finish()),
                },
            }
        }
    }

    fn abort(&mut self, reason: AbortReason) -> Msg {
        usp_msg::abort_error(&self.msg_id, reason, "")
    }
}

impl GetTask {
    fn begin(&mut self, job: Job) -> Next {
        match job {
            Job::Params { ref names } => Next::Send(rpcs::get_values(names.clone()), job),
            Job::Partial { index } => {
                let rpc = rpcs::get_values(vec![self.requested[index].clone()]);
                Next::Send(rpc, job)
            }
            Job::Tree {
                index, mut pattern, ..
            } => {
                let path = pattern.take().expect("a tree job starts with its pattern");
                if path.is_search() {
                    let (resolver, rpc) = Resolver::start(path, self.batch_size);
                    let stage = TreeStage::Listing(Some(resolver));
                    Next::Send(
                        rpc,
                        Job::Tree {
                            index,
                            pattern: None,
                            stage,
                        },
                    )
                } else {
                    let next_level = self.max_depth == 1;
                    let rpc = rpcs::get_names(&self.requested[index], next_level);
                    let stage = TreeStage::Listing(None);
                    Next::Send(
                        rpc,
                        Job::Tree {
                            index,
                            pattern: None,
                            stage,
                        },
                    )
                }
            }
        }
    }

    fn advance(&mut self, job: Job, reply: Option<CpeReply>) -> Next {
        match job {
            Job::Params { names } => self.on_params(names, reply),
            Job::Partial { index } => {
                match rpcs::values_reply(reply) {
                    Err(failure) => self.fail(index, failure),
                    Ok(Err(fault)) => {
                        self.fail(index, UspFailure::from_fault(&fault, UspErrorContext::Path))
                    }
                    Ok(Ok(response)) => {
                        let base = self.requested[index].clone();
                        let values = response
                            .parameter_list
                            .into_iter()
                            .map(|v| (v.name, v.value));
                        let within = self.within_depth(values, &[base]);
                        self.succeed(index, within);
                    }
                }
                Next::Finished
            }
            Job::Tree { index, stage, .. } => self.on_tree(index, stage, reply),
        }
    }

    fn on_params(&mut self, names: Vec<String>, reply: Option<CpeReply>) -> Next {
        match rpcs::values_reply(reply) {
            Err(failure) => {
                for index in self.indices_of(&names) {
                    self.fail(index, failure.clone());
                }
            }
            Ok(Err(fault)) if names.len() > 1 => {
                // All-or-nothing GPV: find the culprit by asking for each name alone.
                let _ = fault;
                for name in names.into_iter().rev() {
                    self.jobs.push_front(Job::Params { names: vec![name] });
                }
            }
            Ok(Err(fault)) => {
                let failure = UspFailure::from_fault(&fault, UspErrorContext::Path);
                for index in self.indices_of(&names) {
                    self.fail(index, failure.clone());
                }
            }
            Ok(Ok(response)) => {
                let values: HashMap<String, String> = response
                    .parameter_list
                    .into_iter()
                    .map(|v| (v.name, v.value))
                    .collect();
                for index in self.indices_of(&names) {
                    let name = self.requested[index].clone();
                    match values.get(&name) {
                        Some(value) => self.succeed(index, vec![(name, value.clone())]),
                        None => self.fail(
                            index,
                            UspFailure::new(codes::INVALID_PATH, "the CPE did not report it"),
                        ),
                    }
                }
            }
        }
        Next::Finished
    }

    fn on_tree(&mut self, index: usize, stage: TreeStage, reply: Option<CpeReply>) -> Next {
        let (bases, leaves) = match stage {
            TreeStage::Listing(Some(mut resolver)) => match resolver.on_reply(reply) {
                ResolveStep::Rpc(rpc) => {
                    let stage = TreeStage::Listing(Some(resolver));
                    return Next::Send(
                        rpc,
                        Job::Tree {
                            index,
                            pattern: None,
                            stage,
                        },
                    );
                }
                ResolveStep::Done(Err(failure)) => {
                    self.fail(index, failure);
                    return Next::Finished;
                }
                ResolveStep::Done(Ok(resolution)) => {
                    if self.requested[index].ends_with('.') {
                        let names = resolution.listed.into_iter().map(|p| p.name);
                        let leaves = self.leaves_within(names, &resolution.matches);
                        (resolution.matches, leaves)
                    } else {
                        (Vec::new(), resolution.matches)
                    }
                }
            },
            TreeStage::Listing(None) => match rpcs::names_reply(reply) {
                Err(failure) => {
                    self.fail(index, failure);
                    return Next::Finished;
                }
                Ok(Err(fault)) => {
                    self.fail(index, UspFailure::from_fault(&fault, UspErrorContext::Path));
                    return Next::Finished;
                }
                Ok(Ok(response)) => {
                    let bases = vec![self.requested[index].clone()];
                    let names = response.parameter_list.into_iter().map(|p| p.name);
                    let leaves = self.leaves_within(names, &bases);
                    (bases, leaves)
                }
            },
            TreeStage::Reading { bases, mut read } => {
                if let Err(failure) = read.on_reply(reply, UspErrorContext::Path) {
                    self.fail(index, failure);
                    return Next::Finished;
                }
                return self.continue_reading(index, bases, read);
            }
        };
        let read = BatchedRead::new(leaves, self.batch_size);
        self.continue_reading(index, bases, read)
    }

    fn continue_reading(
        &mut self,
        index: usize,
        bases: Vec<String>,
        mut read: BatchedRead,
    ) -> Next {
        if let Some(rpc) = read.next_rpc() {
            let stage = TreeStage::Reading { bases, read };
            return Next::Send(
                rpc,
                Job::Tree {
                    index,
                    pattern: None,
                    stage,
                },
            );
        }
        let values = read.values.into_iter().map(|v| (v.name, v.value));
        let grouped = if bases.is_empty() {
            values.collect()
        } else {
            self.within_depth(values, &bases)
        };
        self.succeed(index, grouped);
        Next::Finished
    }

    /// Parameter names (not objects) under one of `bases`, within `max_depth`.
    fn leaves_within(&self, names: impl Iterator<Item = String>, bases: &[String]) -> Vec<String> {
        names
            .filter(|name| !name.ends_with('.') && self.in_depth(name, bases))
            .collect()
    }

    fn within_depth(
        &self,
        values: impl Iterator<Item = (String, String)>,
        bases: &[String],
    ) -> Vec<(String, String)> {
        values
            .filter(|(name, _)| self.in_depth(name, bases))
            .collect()
    }

    fn in_depth(&self, name: &str, bases: &[String]) -> bool {
        bases.iter().any(|base| {
            object_depth(owning_object(name), base)
                .is_some_and(|depth| self.max_depth == 0 || depth <= self.max_depth)
        })
    }

    fn indices_of(&self, names: &[String]) -> Vec<usize> {
        (0..self.requested.len())
            .filter(|&i| self.results[i].is_none() && names.contains(&self.requested[i]))
            .collect()
    }

    fn fail(&mut self, index: usize, failure: UspFailure) {
        self.results[index] = Some(RequestedPathResult {
            requested_path: self.requested[index].clone(),
            err_code: failure.code,
            err_msg: failure.message,
            resolved_path_results: Vec::new(),
        });
    }

    fn succeed(&mut self, index: usize, values: Vec<(String, String)>) {
        self.results[index] = Some(RequestedPathResult {
            requested_path: self.requested[index].clone(),
            resolved_path_results: group_by_object(values),
            ..Default::default()
        });
    }

    fn finish(&mut self) -> Msg {
        let req_path_results = self
            .results
            .iter_mut()
            .zip(&self.requested)
            .map(|(result, path)| {
                result.take().unwrap_or_else(|| RequestedPathResult {
                    requested_path: path.clone(),
                    err_code: codes::INTERNAL_ERROR,
                    err_msg: "not read".into(),
                    ..Default::default()
                })
            })
            .collect();
        usp_msg::response(
            &self.msg_id,
            RespType::GetResp(GetResp { req_path_results }),
        )
    }
}

/// One `ResolvedPathResult` per object, in the order the CPE reported them, keys relative.
pub(crate) fn group_by_object(values: Vec<(String, String)>) -> Vec<ResolvedPathResult> {
    let mut results: Vec<ResolvedPathResult> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    for (name, value) in values {
        let object = owning_object(&name).to_owned();
        let relative = name[object.len()..].to_owned();
        let slot = *position.entry(object.clone()).or_insert_with(|| {
            results.push(ResolvedPathResult {
                resolved_path: object,
                result_params: HashMap::new(),
            });
            results.len() - 1
        });
        results[slot].result_params.insert(relative, value);
    }
    results
}
