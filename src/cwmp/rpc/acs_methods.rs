//! Requests the ACS sends to a CPE (TR-069 §A.3.2, §A.4.1, and GetRPCMethods of §A.3.1), and the
//! CPE's responses that carry arguments. RebootResponse, FactoryResetResponse and
//! SetParameterAttributesResponse are empty and live only as `Body` variants; so is FactoryReset.

use super::values::{
    ChangeStatus, ParameterAttributeStruct, ParameterInfoStruct, ParameterValueStruct,
    SetParameterAttributesStruct,
};

/// `GetRPCMethodsResponse`, sent by either side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetRpcMethodsResponse {
    pub method_list: Vec<String>,
}

impl GetRpcMethodsResponse {
    /// The methods this ACS accepts from a CPE: every one TR-069 makes mandatory for an ACS.
    pub fn acs_methods() -> Self {
        let methods = [
            "Inform",
            "GetRPCMethods",
            "TransferComplete",
            "AutonomousTransferComplete",
        ];
        Self {
            method_list: methods.map(String::from).to_vec(),
        }
    }
}

/// `GetParameterValues`: full names, or partial paths ending in `.` for a whole sub-tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParameterValues {
    pub parameter_names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParameterValuesResponse {
    pub parameter_list: Vec<ParameterValueStruct>,
}

/// `SetParameterValues`: atomic on the CPE. Every value is sent with an `xsi:type`; a value
/// without one is sent as `xsd:string`, as GenieACS does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetParameterValues {
    pub parameter_list: Vec<ParameterValueStruct>,
    /// Copied by the CPE into `ManagementServer.ParameterKey` on success (≤ 32 characters).
    pub parameter_key: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetParameterValuesResponse {
    pub status: ChangeStatus,
}

/// `GetParameterNames`: an empty path means the root; `next_level` limits the answer to the
/// path's direct children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParameterNames {
    pub parameter_path: String,
    pub next_level: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParameterNamesResponse {
    pub parameter_list: Vec<ParameterInfoStruct>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParameterAttributes {
    pub parameter_names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetParameterAttributesResponse {
    pub parameter_list: Vec<ParameterAttributeStruct>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetParameterAttributes {
    pub parameter_list: Vec<SetParameterAttributesStruct>,
}

/// `AddObject`: `object_name` is the table path ending in `.`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddObject {
    pub object_name: String,
    pub parameter_key: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddObjectResponse {
    pub instance_number: u32,
    pub status: ChangeStatus,
}

/// `DeleteObject`: `object_name` is one instance path ending in `.`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteObject {
    pub object_name: String,
    pub parameter_key: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteObjectResponse {
    pub status: ChangeStatus,
}

/// `Reboot`: the CPE reboots after the session and reports `M Reboot` with this key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reboot {
    pub command_key: String,
}

/// `Download`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Download {
    pub command_key: String,
    /// `"1 Firmware Upgrade Image"`, `"3 Vendor Configuration File"`, `"X <OUI> …"`, …
    pub file_type: String,
    pub url: String,
    pub username: String,
    pub password: String,
    pub file_size: u32,
    pub target_file_name: String,
    pub delay_seconds: u32,
    pub success_url: String,
    pub failure_url: String,
}

/// `DownloadResponse`: with `NotYetApplied`, times are the Unknown Time and the outcome comes
/// later in a TransferComplete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadResponse {
    pub status: ChangeStatus,
    pub start_time: String,
    pub complete_time: String,
}
