//! The virtual Agent's `Device.LocalAgent.Subscription.{i}.` table (TR-181, R-NOT.0), kept by
//! the adapter because a USP Agent only notifies Controllers that subscribed, and CWMP has no
//! such table (cwmp.md §9.2: one ACS, one notification attribute per parameter).
//!
//! Plain, serde-serializable data: the registry persists it per device and asks
//! [`Subscriptions::recipients`] who gets each [`super::NotifyContent`]. Requests on the table
//! (Add, Delete, Get, Set, GetInstances) are answered locally by [`Subscriptions::handle`]
//! (see `local_agent.rs`), never sent to the CPE.
//!
//! `Recipient` is read-only and set to the creating Controller (TR-181: "automatically
//! populated … using the reference to the USP Controller that created the instance"); the
//! adapter has no Controller table, so it reads `Device.LocalAgent.Controller.<k>` with `k` a
//! stable per-device index of the Controller's EID. `ReferenceList` entries are matched as
//! TR-181 describes (object paths are sub-tree filters, `*` matches any instance); search
//! expressions in a ReferenceList cannot be evaluated on an event and match nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::notify::NotifType;
use super::path::{PathKind, UspPath};
use super::search;

/// The table's path; the prefix of every local request.
pub const SUBSCRIPTION_TABLE: &str = "Device.LocalAgent.Subscription.";

/// One `Device.LocalAgent.Subscription.{i}.` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub instance: u32,
    /// EID of the Controller that created it: the notification's recipient.
    pub recipient_eid: String,
    pub alias: String,
    pub enable: bool,
    /// The `subscription_id` of every Notify it causes; unique per recipient.
    pub id: String,
    pub notif_type: NotifType,
    pub reference_list: Vec<String>,
    pub persistent: bool,
    pub notif_retry: bool,
    pub notif_expiration: u32,
    pub time_to_live: u32,
}

impl Subscription {
    fn new(instance: u32, recipient_eid: &str) -> Self {
        Self {
            instance,
            recipient_eid: recipient_eid.to_owned(),
            alias: format!("cpe-{instance}"),
            enable: false,
            id: format!("usphub-{instance}"),
            notif_type: NotifType::ValueChange,
            reference_list: Vec::new(),
            persistent: false,
            notif_retry: false,
            notif_expiration: 0,
            time_to_live: 0,
        }
    }

    pub fn path(&self) -> String {
        format!("{SUBSCRIPTION_TABLE}{}.", self.instance)
    }

    /// Whether one ReferenceList entry covers `reference` (a parameter, event, command or
    /// object path of a notification).
    fn covers(entry: &str, reference: &str) -> bool {
        if entry == reference || (entry.ends_with('.') && reference.starts_with(entry)) {
            return true;
        }
        let Ok(pattern) = UspPath::parse(entry) else {
            return false;
        };
        if !pattern.is_search() {
            return false;
        }
        let exact = |name: &str| {
            search::candidates(&pattern, [name])
                .iter()
                .any(|c| c.checks.is_empty())
        };
        if pattern.kind != PathKind::Object {
            return exact(reference);
        }
        // An object pattern covers everything below any object it matches.
        reference
            .match_indices('.')
            .any(|(dot, _)| exact(&reference[..=dot]))
    }
}

/// Who receives one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyTarget {
    pub controller_eid: String,
    pub subscription_id: String,
    /// `NotifRetry`: send with `send_resp = true` and retry until answered.
    pub send_resp: bool,
}

/// A device's subscription table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriptions {
    pub(super) entries: BTreeMap<u32, Subscription>,
    /// Highest instance number ever used (R-ARC.8: numbers are never reused while in use).
    pub(super) last_instance: u32,
    /// Controller EIDs in first-seen order: `Device.LocalAgent.Controller.<index + 1>`.
    pub(super) controllers: Vec<String>,
}

impl Subscriptions {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Subscription> {
        self.entries.values()
    }

    pub fn get(&self, instance: u32) -> Option<&Subscription> {
        self.entries.get(&instance)
    }

    /// Creates a row for `controller_eid` with TR-181 defaults (disabled, ValueChange, no
    /// references); returns its instance number.
    pub fn add(&mut self, controller_eid: &str) -> u32 {
        self.controller_index(controller_eid);
        self.last_instance += 1;
        let instance = self.last_instance;
        self.entries
            .insert(instance, Subscription::new(instance, controller_eid));
        instance
    }

    pub(super) fn insert(&mut self, subscription: Subscription) {
        self.controller_index(&subscription.recipient_eid);
        self.last_instance = self.last_instance.max(subscription.instance);
        self.entries.insert(subscription.instance, subscription);
    }

    pub fn delete(&mut self, instance: u32) -> Option<Subscription> {
        self.entries.remove(&instance)
    }

    /// Drops rows with `Persistent = false`: call when the virtual Agent restarts.
    pub fn forget_non_persistent(&mut self) {
        self.entries.retain(|_, s| s.persistent);
    }

    /// The `Recipient` value for a Controller EID.
    pub fn recipient_path(&self, controller_eid: &str) -> String {
        let index = self.controllers.iter().position(|c| c == controller_eid);
        format!(
            "Device.LocalAgent.Controller.{}",
            index.map_or(0, |i| i + 1)
        )
    }

    fn controller_index(&mut self, controller_eid: &str) -> usize {
        match self.controllers.iter().position(|c| c == controller_eid) {
            Some(index) => index,
            None => {
                self.controllers.push(controller_eid.to_owned());
                self.controllers.len() - 1
            }
        }
    }

    /// The enabled subscriptions of `notif_type` whose ReferenceList covers `reference`
    /// ([`super::NotifyContent::reference`]).
    pub fn recipients(&self, notif_type: NotifType, reference: &str) -> Vec<NotifyTarget> {
        self.entries
            .values()
            .filter(|s| s.enable && s.notif_type == notif_type)
            .filter(|s| {
                s.reference_list
                    .iter()
                    .any(|e| Subscription::covers(e, reference))
            })
            .map(|s| NotifyTarget {
                controller_eid: s.recipient_eid.clone(),
                subscription_id: s.id.clone(),
                send_resp: s.notif_retry,
            })
            .collect()
    }

    /// The paths enabled ValueChange subscriptions watch: the engine should ask the CPE for
    /// active notification on them (SetParameterAttributes Notification=2, cwmp.md §9.3),
    /// since CWMP reports only parameters so flagged. Search entries are left out (SPA takes
    /// no wildcards).
    pub fn value_change_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .entries
            .values()
            .filter(|s| s.enable && s.notif_type == NotifType::ValueChange)
            .flat_map(|s| s.reference_list.iter())
            .filter(|e| !e.contains(['*', '[']))
            .cloned()
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }
}
