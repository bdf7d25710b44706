//! What the registry keeps about one CPE, as stored (JSON in the `devices` table).
//!
//! These mirror the CWMP types rather than reuse them: the stored shape is a file format that
//! must survive changes to the codec's in-memory types.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::cwmp::rpc::{DeviceId, EventStruct};

/// One registered CPE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// The USP endpoint ID it appears as; the table's key.
    pub endpoint_id: String,
    pub identity: Identity,
    /// `ManagementServer.ConnectionRequestURL`, from its last Inform that carried it.
    #[serde(default)]
    pub connection_request_url: Option<String>,
    /// `ManagementServer.ConnectionRequestUsername/Password` as provisioned on the CPE; unset
    /// means the `[cwmp.connection_request]` defaults apply.
    #[serde(default)]
    pub connection_request_credentials: Option<Credentials>,
    /// This CPE's own login to the ACS (`ManagementServer.Username/Password`); unset means the
    /// shared `[cwmp]` credentials apply.
    #[serde(default)]
    pub acs_credentials: Option<Credentials>,
    #[serde(with = "humantime_serde")]
    pub registered_at: SystemTime,
    #[serde(default, with = "humantime_serde")]
    pub last_inform_at: Option<SystemTime>,
    /// The events of the last Inform (`1 BOOT`, `M Reboot` …).
    #[serde(default)]
    pub last_events: Vec<Event>,
}

/// `DeviceIdStruct`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub manufacturer: String,
    pub oui: String,
    pub product_class: String,
    pub serial_number: String,
}

impl From<&DeviceId> for Identity {
    fn from(id: &DeviceId) -> Self {
        Self {
            manufacturer: id.manufacturer.clone(),
            oui: id.oui.clone(),
            product_class: id.product_class.clone(),
            serial_number: id.serial_number.clone(),
        }
    }
}

impl From<&Identity> for DeviceId {
    fn from(id: &Identity) -> Self {
        Self {
            manufacturer: id.manufacturer.clone(),
            oui: id.oui.clone(),
            product_class: id.product_class.clone(),
            serial_number: id.serial_number.clone(),
        }
    }
}

/// `EventStruct`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command_key: String,
}

impl From<&EventStruct> for Event {
    fn from(event: &EventStruct) -> Self {
        Self { code: event.event_code.clone(), command_key: event.command_key.clone() }
    }
}

/// A user name and password. Stored in clear because Digest needs the password itself (to
/// verify the CPE, and to answer the CPE's challenge): the database file is as secret as the
/// configuration, and is created readable by its owner only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into() }
    }
}

impl std::fmt::Debug for Credentials {
    /// Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}
