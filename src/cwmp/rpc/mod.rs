//! Typed CWMP RPC arguments, shared by the SOAP parser and generator.
//!
//! Names follow TR-069 Annex A (and cwmp-1-2.xsd) so that a reader can grep the spec for them;
//! Rust field names are the snake_case of the XML element names. Date-times stay strings:
//! real CPE send invalid or Unknown Time (`0001-01-01T00:00:00Z`) values that the ACS must
//! relay, not reject.

mod acs_methods;
mod cpe_methods;
mod soap_fault;
mod values;

pub use acs_methods::{
    AddObject, AddObjectResponse, DeleteObject, DeleteObjectResponse, Download, DownloadResponse,
    GetParameterAttributes, GetParameterAttributesResponse, GetParameterNames,
    GetParameterNamesResponse, GetParameterValues, GetParameterValuesResponse,
    GetRpcMethodsResponse, Reboot, SetParameterAttributes, SetParameterValues,
    SetParameterValuesResponse,
};
pub use cpe_methods::{
    AutonomousTransferComplete, Inform, InformResponse, Kicked, KickedResponse, RequestDownload,
    TransferComplete,
};
pub use soap_fault::{CwmpFault, SetParameterValuesFault, SoapFault};
pub use values::{
    ArgStruct, ChangeStatus, DeviceId, EventStruct, FaultStruct, ParameterAttributeStruct,
    ParameterInfoStruct, ParameterValueStruct, SetParameterAttributesStruct, XsdType,
};
