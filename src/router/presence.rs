//! Presence: who connected and who left, as a stream of events.
//!
//! The CWMP adapter, the admin API and (later) the cluster directory want to know when an
//! endpoint appears or disappears without polling the registry. A broadcast channel gives each
//! of them its own cursor; a subscriber that falls behind loses old events, never blocks routing.

use std::time::SystemTime;

use crate::usp::{EndpointId, Mtp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceChange {
    Connected,
    /// A newer session of the same endpoint took over; the older one is being closed.
    Replaced,
    Disconnected,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PresenceEvent {
    pub eid: EndpointId,
    pub mtp: Mtp,
    pub change: PresenceChange,
    #[serde(with = "humantime_serde")]
    pub at: SystemTime,
}
