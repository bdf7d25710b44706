//! SetParameterValues on behalf of USP Set and Add, reconciling two different atomicity models.
//!
//! CWMP SPV is atomic: one bad parameter refuses them all, with a per-parameter
//! `SetParameterValuesFault` (TR-069 A.3.2.1). USP has three levels (TR-369 §"Using Allow
//! Partial and Required Parameters"): a non-required parameter may fail alone, a required one
//! fails its object, and with `allow_partial = false` any failed object fails the message.
//! So the plan sends one SPV for everything, and on a fault:
//!
//! - drops the faulted non-required parameters (they become `param_errs`) and retries;
//! - fails the objects ("groups") whose required parameters faulted — with `allow_partial =
//!   false` that ends everything at once, and since SPV is atomic nothing was changed;
//! - for a fault naming no parameter, splits the SPV per group (allow_partial) or fails all.
//!
//! This corrects cwmp.md §9.3 ("`required=false` has no analogue"): it has one, by retrying.
//! Every retry removes a parameter or splits a batch, so the plan always ends.
//!
//! Each value needs an `xsi:type`. The [`DeviceModel`] knows the types the CPE reported;
//! unknown ones are first read with one GPV (`probe_unknown_types`), else sent as `xsd:string`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use crate::cwmp::fault::UspErrorContext;
use crate::cwmp::rpc::{ChangeStatus, CwmpFault, ParameterValueStruct, XsdType};
use crate::cwmp::soap::Body;
use crate::cwmp::task::{CpeReply, DeviceModel};

use super::TranslateConfig;
use super::rpcs;
use super::usp_msg::{UspFailure, codes, fault_text};

/// A model holding only the types of `names` (Supported Data Model forms), for a task to
/// keep without cloning the device's whole model.
pub fn types_for(device: &DeviceModel, names: impl IntoIterator<Item = String>) -> DeviceModel {
    let mut subset = DeviceModel::new(device.root.clone());
    for name in names {
        if let Some(known) = device.type_of(&name) {
            subset
                .types
                .insert(super::path::supported_form(&name), known.clone());
        }
    }
    subset
}

/// One parameter to set for a USP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The concrete object it belongs to (ending in `.`).
    pub object: String,
    /// Its path relative to `object`.
    pub param: String,
    pub value: String,
    pub required: bool,
    /// The USP result it counts towards (an UpdateObject or CreateObject index).
    pub group: usize,
}

impl Setting {
    pub fn full_name(&self) -> String {
        format!("{}{}", self.object, self.param)
    }
}

/// What the SPVs achieved.
#[derive(Debug, Default)]
pub struct SpvOutcome {
    /// Settings now in effect on the CPE.
    pub applied: Vec<Setting>,
    /// Settings refused, with why (required or not).
    pub param_errors: Vec<(Setting, UspFailure)>,
    /// Groups that failed as a whole, with why.
    pub failed_groups: BTreeMap<usize, UspFailure>,
    /// The CPE answered Status 1: committed, applied after a reboot (no USP field for it).
    pub needs_reboot: bool,
    /// The CPE broke protocol; nothing more is known.
    pub broken: Option<UspFailure>,
}

pub enum SpvStep {
    Rpc(Body),
    Done(SpvOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Probing,
    Setting,
}

/// The SPV sequence for a list of settings.
pub struct SpvPlan {
    stage: Stage,
    batches: VecDeque<Vec<Setting>>,
    current: Vec<Setting>,
    outcome: SpvOutcome,
    /// `allow_partial = false`: the first failed group ends the plan.
    all_or_nothing: bool,
    parameter_key: String,
    types: HashMap<String, XsdType>,
    boolean_as_digit: bool,
}

impl SpvPlan {
    pub fn start(
        settings: Vec<Setting>,
        device: &DeviceModel,
        config: &TranslateConfig,
        parameter_key: String,
        all_or_nothing: bool,
    ) -> (Self, SpvStep) {
        let mut types = HashMap::new();
        let mut unknown = BTreeSet::new();
        for setting in &settings {
            let name = setting.full_name();
            match device.type_of(&name) {
                Some(known) => {
                    types.insert(name, known.clone());
                }
                None => {
                    unknown.insert(name);
                }
            }
        }
        let mut plan = Self {
            stage: Stage::Setting,
            batches: VecDeque::from([settings]),
            current: Vec::new(),
            outcome: SpvOutcome::default(),
            all_or_nothing,
            parameter_key,
            types,
            boolean_as_digit: config.boolean_as_digit,
        };
        if config.probe_unknown_types && !unknown.is_empty() {
            plan.stage = Stage::Probing;
            return (
                plan,
                SpvStep::Rpc(rpcs::get_values(unknown.into_iter().collect())),
            );
        }
        let step = plan.next_batch();
        (plan, step)
    }

    pub fn on_reply(&mut self, reply: Option<CpeReply>) -> SpvStep {
        match self.stage {
            Stage::Probing => {
                // A fault (some name does not exist) teaches nothing: SPV will say which.
                if let Ok(Ok(response)) = rpcs::values_reply(reply) {
                    for value in response.parameter_list {
                        if let Some(xsd_type) = value.xsd_type {
                            self.types.insert(value.name, xsd_type);
                        }
                    }
                }
                self.stage = Stage::Setting;
                self.next_batch()
            }
            Stage::Setting => match rpcs::set_reply(reply) {
                Err(failure) => {
                    self.outcome.broken = Some(failure);
                    self.finish()
                }
                Ok(Ok(response)) => {
                    self.outcome.needs_reboot |= response.status == ChangeStatus::NotYetApplied;
                    self.outcome.applied.append(&mut self.current);
                    self.next_batch()
                }
                Ok(Err(fault)) => self.on_fault(fault),
            },
        }
    }

    fn next_batch(&mut self) -> SpvStep {
        while let Some(batch) = self.batches.pop_front() {
            let batch: Vec<Setting> = batch
                .into_iter()
                .filter(|s| !self.outcome.failed_groups.contains_key(&s.group))
                .collect();
            if batch.is_empty() {
                continue;
            }
            let values = batch.iter().map(|s| self.value_of(s)).collect();
            self.current = batch;
            return SpvStep::Rpc(rpcs::set_values(values, &self.parameter_key));
        }
        self.finish()
    }

    fn finish(&mut self) -> SpvStep {
        SpvStep::Done(std::mem::take(&mut self.outcome))
    }

    fn value_of(&self, setting: &Setting) -> ParameterValueStruct {
        let name = setting.full_name();
        let xsd_type = self.types.get(&name).cloned().unwrap_or(XsdType::String);
        let value = match (&xsd_type, setting.value.as_str(), self.boolean_as_digit) {
            (XsdType::Boolean, "true", true) => "1".to_owned(),
            (XsdType::Boolean, "false", true) => "0".to_owned(),
            _ => setting.value.clone(),
        };
        ParameterValueStruct::new(name, value, xsd_type)
    }

    fn on_fault(&mut self, fault: CwmpFault) -> SpvStep {
        let batch = std::mem::take(&mut self.current);
        let by_name: HashMap<&str, &crate::cwmp::rpc::SetParameterValuesFault> = fault
            .set_parameter_values_faults
            .iter()
            .map(|f| (f.parameter_name.as_str(), f))
            .collect();
        let (faulted, kept): (Vec<Setting>, Vec<Setting>) = batch
            .into_iter()
            .partition(|s| by_name.contains_key(s.full_name().as_str()));
        if faulted.is_empty() {
            return self.on_unattributed_fault(&fault, kept);
        }
        for setting in faulted {
            let detail = by_name[setting.full_name().as_str()];
            let failure = UspFailure::new(
                detail.fault_code.usp_error(UspErrorContext::Parameter).0,
                detail_text(detail),
            );
            if setting.required {
                let group_failure = UspFailure::new(
                    codes::REQUIRED_PARAMETER_FAILED,
                    format!(
                        "required parameter {} failed: {}",
                        setting.param, failure.message
                    ),
                );
                self.outcome
                    .failed_groups
                    .entry(setting.group)
                    .or_insert(group_failure);
            }
            self.outcome.param_errors.push((setting, failure));
        }
        if self.all_or_nothing && !self.outcome.failed_groups.is_empty() {
            return self.finish();
        }
        self.batches.push_front(kept);
        self.next_batch()
    }

    /// A fault naming none of the batch's parameters (e.g. 9002, or 9003 without details).
    fn on_unattributed_fault(&mut self, fault: &CwmpFault, batch: Vec<Setting>) -> SpvStep {
        let groups: BTreeSet<usize> = batch.iter().map(|s| s.group).collect();
        if groups.len() > 1 && !self.all_or_nothing {
            for group in groups.into_iter().rev() {
                let part = batch.iter().filter(|s| s.group == group).cloned().collect();
                self.batches.push_front(part);
            }
            return self.next_batch();
        }
        let failure = UspFailure::new(
            fault.fault_code.usp_error(UspErrorContext::Object).0,
            fault_text(fault),
        );
        for group in groups {
            self.outcome.failed_groups.insert(group, failure.clone());
        }
        if self.all_or_nothing {
            return self.finish();
        }
        self.next_batch()
    }
}

fn detail_text(detail: &crate::cwmp::rpc::SetParameterValuesFault) -> String {
    let code = detail.fault_code;
    let name = code.description().unwrap_or("vendor or extension fault");
    if detail.fault_string.is_empty() || detail.fault_string == name {
        format!("CWMP fault {} ({name})", code.0)
    } else {
        format!("CWMP fault {} ({name}): {}", code.0, detail.fault_string)
    }
}
