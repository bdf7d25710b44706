//! Requests a CPE sends to the ACS (TR-069 §A.3.3 and §A.4.2), and the ACS's answers that carry
//! arguments. TransferCompleteResponse, AutonomousTransferCompleteResponse and
//! RequestDownloadResponse are empty and live only as `Body` variants.

use super::values::{ArgStruct, DeviceId, EventStruct, FaultStruct, ParameterValueStruct};

/// `Inform`: the first request of every session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inform {
    pub device_id: DeviceId,
    pub events: Vec<EventStruct>,
    /// Every known CPE sends 1 and the value is otherwise meaningless (cwmp.md §2.7).
    pub max_envelopes: u32,
    pub current_time: String,
    /// Failed session attempts since the last successful Inform.
    pub retry_count: u32,
    /// Forced-inform parameters plus those whose notification triggered `4 VALUE CHANGE`.
    pub parameter_list: Vec<ParameterValueStruct>,
}

impl Inform {
    /// Whether the Inform carries an event code (`"0 BOOTSTRAP"`, `"M Download"`, …).
    pub fn has_event(&self, event_code: &str) -> bool {
        self.events
            .iter()
            .any(|event| event.event_code == event_code)
    }

    /// The value of a parameter in the Inform's ParameterList.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameter_list
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }
}

/// `InformResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InformResponse {
    pub max_envelopes: u32,
}

impl Default for InformResponse {
    /// MaxEnvelopes 1, as every ACS sends (GenieACS hard-codes it).
    fn default() -> Self {
        Self { max_envelopes: 1 }
    }
}

/// `TransferComplete`: the outcome of a Download/Upload the ACS requested (matched by CommandKey).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferComplete {
    pub command_key: String,
    pub fault: FaultStruct,
    pub start_time: String,
    pub complete_time: String,
}

/// `AutonomousTransferComplete` (CWMP 1.1): a transfer the ACS did not request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutonomousTransferComplete {
    pub announce_url: String,
    pub transfer_url: String,
    pub is_download: bool,
    pub file_type: String,
    pub file_size: u32,
    pub target_file_name: String,
    pub fault: FaultStruct,
    pub start_time: String,
    pub complete_time: String,
}

/// `RequestDownload`: the CPE asks the ACS to send it a Download.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestDownload {
    pub file_type: String,
    pub file_type_args: Vec<ArgStruct>,
}

/// `Kicked` (deprecated): a web page on the CPE asks the ACS to act on the user's behalf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kicked {
    pub command: String,
    pub referer: String,
    pub arg: String,
    pub next: String,
}

/// `KickedResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KickedResponse {
    pub next_url: String,
}
