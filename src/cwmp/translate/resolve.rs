//! Two reusable CWMP sub-sequences the tasks are built from:
//!
//! - [`BatchedRead`]: GetParameterValues over many names in batches (GenieACS reads 32 names
//!   per GPV; a whole TR-181 tree in one envelope is too big for many CPE, cwmp.md §11);
//! - [`Resolver`]: a USP Search Path (`*`, `[expr]`) made concrete, since CWMP cannot search:
//!   GetParameterNames on the path's static prefix (NextLevel=false lists the whole sub-tree),
//!   then one batched read of the parameters the expressions test, then local filtering
//!   (cwmp.md §9.3 "Get, search"). TR-369 notes an Agent is not expected to issue network
//!   requests to resolve paths; a CWMP adapter has no other way.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::rpc::{ParameterInfoStruct, ParameterValueStruct};
use crate::cwmp::soap::Body;
use crate::cwmp::task::CpeReply;

use super::path::UspPath;
use super::rpcs;
use super::search::{self, Candidate};
use super::usp_msg::UspFailure;

/// GetParameterValues over a list of names, a batch per RPC.
#[derive(Debug)]
pub struct BatchedRead {
    pending: VecDeque<Vec<String>>,
    pub values: Vec<ParameterValueStruct>,
}

impl BatchedRead {
    pub fn new(names: Vec<String>, batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        let mut pending = VecDeque::new();
        let mut names = names.into_iter().peekable();
        while names.peek().is_some() {
            pending.push_back(names.by_ref().take(batch_size).collect());
        }
        Self {
            pending,
            values: Vec::new(),
        }
    }

    /// The next GPV to send, or `None` when everything has been read.
    pub fn next_rpc(&mut self) -> Option<Body> {
        self.pending.pop_front().map(rpcs::get_values)
    }

    /// Takes the reply to the last GPV; a fault ends the read (`context` maps it).
    pub fn on_reply(
        &mut self,
        reply: Option<CpeReply>,
        context: UspErrorContext,
    ) -> Result<(), UspFailure> {
        match rpcs::values_reply(reply)? {
            Ok(response) => {
                self.values.extend(response.parameter_list);
                Ok(())
            }
            Err(fault) => Err(UspFailure::from_fault(&fault, context)),
        }
    }
}

/// The concrete names a search path stands for.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// Matching object paths (ending `.`) or parameter paths, in CPE order.
    pub matches: Vec<String>,
    /// Everything the GetParameterNames listed under the static prefix (for callers that
    /// then need the sub-trees of the matches).
    pub listed: Vec<ParameterInfoStruct>,
}

/// What the resolver wants next.
#[derive(Debug)]
pub enum ResolveStep {
    Rpc(Body),
    Done(Result<Resolution, UspFailure>),
}

/// Resolves one Search Path with GPN (+ GPV when it has expressions).
#[derive(Debug)]
pub struct Resolver {
    pattern: UspPath,
    batch_size: usize,
    stage: Stage,
}

#[derive(Debug)]
enum Stage {
    Listing,
    Reading {
        listed: Vec<ParameterInfoStruct>,
        candidates: Vec<Candidate>,
        read: BatchedRead,
    },
    Finished,
}

impl Resolver {
    /// The resolver and its first RPC (GetParameterNames on the static prefix).
    pub fn start(pattern: UspPath, batch_size: usize) -> (Self, Body) {
        let rpc = rpcs::get_names(&pattern.static_prefix(), false);
        let resolver = Self {
            pattern,
            batch_size,
            stage: Stage::Listing,
        };
        (resolver, rpc)
    }

    pub fn on_reply(&mut self, reply: Option<CpeReply>) -> ResolveStep {
        match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::Listing => self.on_names(reply),
            Stage::Reading {
                listed,
                candidates,
                mut read,
            } => {
                if let Err(failure) = read.on_reply(reply, UspErrorContext::Path) {
                    return ResolveStep::Done(Err(failure));
                }
                match read.next_rpc() {
                    Some(rpc) => {
                        self.stage = Stage::Reading {
                            listed,
                            candidates,
                            read,
                        };
                        ResolveStep::Rpc(rpc)
                    }
                    None => {
                        let values: HashMap<String, String> =
                            read.values.into_iter().map(|v| (v.name, v.value)).collect();
                        let matches = search::select(candidates, &values);
                        ResolveStep::Done(Ok(Resolution { matches, listed }))
                    }
                }
            }
            Stage::Finished => ResolveStep::Done(Err(UspFailure::protocol("nothing", "a reply"))),
        }
    }

    fn on_names(&mut self, reply: Option<CpeReply>) -> ResolveStep {
        let listed = match rpcs::names_reply(reply) {
            Err(failure) => return ResolveStep::Done(Err(failure)),
            Ok(Err(fault)) => {
                return ResolveStep::Done(Err(UspFailure::from_fault(
                    &fault,
                    UspErrorContext::Path,
                )));
            }
            Ok(Ok(response)) => response.parameter_list,
        };
        let candidates = search::candidates(&self.pattern, listed.iter().map(|p| p.name.as_str()));
        let names: BTreeSet<String> = listed.iter().map(|p| p.name.clone()).collect();
        let needed = search::needed_values(&candidates, &names);
        let mut read = BatchedRead::new(needed, self.batch_size);
        match read.next_rpc() {
            Some(rpc) => {
                self.stage = Stage::Reading {
                    listed,
                    candidates,
                    read,
                };
                ResolveStep::Rpc(rpc)
            }
            None => {
                let matches = search::select(candidates, &HashMap::new());
                ResolveStep::Done(Ok(Resolution { matches, listed }))
            }
        }
    }
}
