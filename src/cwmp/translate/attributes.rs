//! Notification attributes for the virtual Agent's ValueChange subscriptions (cwmp.md §9.3).
//!
//! A CWMP CPE reports a value change only for parameters whose Notification attribute is set,
//! and calls in at once ("4 VALUE CHANGE") only for active ones (2). A USP Agent notifies
//! whatever an enabled ValueChange subscription names. So the adapter sets Notification=2
//! (SetParameterAttributes, NotificationChange=true) on every path such a subscription
//! references, and puts back what was there before once no subscription needs it.
//!
//! Each path is read first (GetParameterAttributes) so that the revert restores the CPE's own
//! setting (or another operator's) instead of forcing 0. Paths are handled one at a time:
//! SetParameterAttributes is all-or-nothing, and one path the CPE refuses (9005 unknown,
//! 9009 notification request rejected) must not cost the others. A refused path is remembered
//! and not retried while it stays wanted; the subscription itself stays as the Controller made
//! it (TR-069 gives the CPE the right to refuse, a USP Agent has no way to say so).
//!
//! Overlapping references (`Device.WiFi.` and `Device.WiFi.SSID.1.SSID`) share parameters: a
//! parameter another watched path already made active keeps that path's original, and a revert
//! leaves alone what a still-wanted path covers.

use std::collections::VecDeque;

use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{GetParameterAttributes, SetParameterAttributes, SetParameterAttributesStruct};
use crate::cwmp::soap::Body;
use crate::cwmp::task::{AbortReason, AttributeChange, CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::Msg;

use super::subscriptions::Subscriptions;

/// TR-069 Notification attribute values.
const OFF: u8 = 0;
const ACTIVE: u8 = 2;

/// What bringing the CPE's attributes in line with the subscriptions takes: changes that need
/// no RPC (a refused path no longer wanted), and a task for the rest.
pub struct AttributeUpkeep {
    pub settled: Vec<AttributeChange>,
    pub task: Option<AttributeTask>,
}

/// Compares the paths enabled ValueChange subscriptions watch with those the CPE was asked to
/// watch ([`DeviceModel::watched`]).
pub fn attribute_upkeep(subscriptions: &Subscriptions, model: &DeviceModel) -> AttributeUpkeep {
    let wanted = subscriptions.value_change_paths();
    let activate: VecDeque<String> = wanted.iter().filter(|p| !model.watched.contains_key(*p)).cloned().collect();
    let mut settled = Vec::new();
    let mut revert = VecDeque::new();
    for (path, watched) in model.watched.iter().filter(|(p, _)| !wanted.contains(p)) {
        let list: Vec<(String, u8)> = if watched.refused.is_some() {
            Vec::new() // never made active: nothing to put back
        } else if watched.originals.is_empty() {
            vec![(path.clone(), OFF)]
        } else {
            watched.originals.clone()
        };
        let list: Vec<_> = list.into_iter().filter(|(name, _)| !wanted.iter().any(|w| covers(w, name))).collect();
        if list.is_empty() {
            settled.push(AttributeChange::Reverted { path: path.clone(), fault: None });
        } else {
            revert.push_back((path.clone(), list));
        }
    }
    let known = model.watched.values().flat_map(|w| w.originals.iter().cloned()).collect();
    let task = (!activate.is_empty() || !revert.is_empty()).then(|| AttributeTask {
        activate,
        revert,
        known,
        current: None,
        changes: Vec::new(),
    });
    AttributeUpkeep { settled, task }
}

/// Whether a reference (`Device.WiFi.` or a parameter) covers a parameter name.
fn covers(reference: &str, name: &str) -> bool {
    reference == name || (reference.ends_with('.') && name.starts_with(reference))
}

/// The RPCs of one upkeep round: per path to activate GPA then SPA(2), per path to revert one
/// SPA with the originals. Its USP answer is never sent (no Controller asked for it).
pub struct AttributeTask {
    activate: VecDeque<String>,
    revert: VecDeque<(String, Vec<(String, u8)>)>,
    /// Originals recorded for already watched paths (overlaps, see the module doc).
    known: Vec<(String, u8)>,
    current: Option<Current>,
    changes: Vec<AttributeChange>,
}

enum Current {
    Read(String),
    Activate(String, Vec<(String, u8)>),
    Revert(String),
}

impl AttributeTask {
    /// The paths this round makes active, in order.
    pub fn activating(&self) -> impl Iterator<Item = &str> {
        self.activate.iter().map(String::as_str)
    }

    fn on_reply(&mut self, current: Current, reply: Option<CpeReply>) -> Option<Body> {
        match current {
            Current::Read(path) => {
                let originals = match reply {
                    Some(CpeReply::Response(Body::GetParameterAttributesResponse(read))) => read
                        .parameter_list
                        .into_iter()
                        .map(|a| {
                            let known = self.known.iter().find(|(n, _)| *n == a.name).map(|(_, v)| *v);
                            (a.name, known.unwrap_or(a.notification))
                        })
                        .collect(),
                    // The path does not exist: SPA would fail the same way.
                    Some(CpeReply::Fault(fault)) if fault.detail.fault_code == FaultCode::INVALID_PARAMETER_NAME => {
                        self.changes.push(AttributeChange::Refused { path, fault: fault.detail.fault_code.0 });
                        return None;
                    }
                    // A CPE without GPA can still take SPA; the revert then restores "off".
                    _ => Vec::new(),
                };
                let request = set_attributes([(path.clone(), ACTIVE)]);
                self.current = Some(Current::Activate(path, originals));
                Some(request)
            }
            Current::Activate(path, originals) => {
                self.changes.push(match reply {
                    Some(CpeReply::Response(Body::SetParameterAttributesResponse)) => {
                        AttributeChange::Activated { path, originals }
                    }
                    Some(CpeReply::Fault(fault)) => AttributeChange::Refused { path, fault: fault.detail.fault_code.0 },
                    _ => AttributeChange::Refused { path, fault: 0 },
                });
                None
            }
            Current::Revert(path) => {
                let fault = match reply {
                    Some(CpeReply::Response(Body::SetParameterAttributesResponse)) => None,
                    Some(CpeReply::Fault(fault)) => Some(fault.detail.fault_code.0),
                    _ => Some(0),
                };
                self.changes.push(AttributeChange::Reverted { path, fault });
                None
            }
        }
    }
}

fn set_attributes(list: impl IntoIterator<Item = (String, u8)>) -> Body {
    Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: list
            .into_iter()
            .map(|(name, notification)| SetParameterAttributesStruct {
                name,
                notification_change: true,
                notification,
                access_list_change: false,
                access_list: Vec::new(),
            })
            .collect(),
    })
}

impl CwmpTask for AttributeTask {
    fn step(&mut self, reply: Option<CpeReply>) -> TaskStep {
        if let Some(current) = self.current.take() {
            if let Some(next) = self.on_reply(current, reply) {
                return TaskStep::Rpc(next);
            }
        }
        if let Some(path) = self.activate.pop_front() {
            let read = Body::GetParameterAttributes(GetParameterAttributes { parameter_names: vec![path.clone()] });
            self.current = Some(Current::Read(path));
            return TaskStep::Rpc(read);
        }
        if let Some((path, list)) = self.revert.pop_front() {
            self.current = Some(Current::Revert(path));
            return TaskStep::Rpc(set_attributes(list));
        }
        TaskStep::Done(Msg::default())
    }

    fn abort(&mut self, _reason: AbortReason) -> Msg {
        Msg::default()
    }

    fn attribute_changes(&self) -> Vec<AttributeChange> {
        self.changes.clone()
    }
}
