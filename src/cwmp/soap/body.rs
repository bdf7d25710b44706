//! The one CWMP message an envelope's Body carries, in either direction.

use super::super::rpc::*;

/// The content of a SOAP Body: one CWMP method element, or a Fault.
///
/// Both directions share this type so that everything the ACS generates can be parsed back
/// (tests, simulators) and everything a CPE sends can be re-encoded (logs, replay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    // Requests from a CPE.
    Inform(Inform),
    TransferComplete(TransferComplete),
    AutonomousTransferComplete(AutonomousTransferComplete),
    /// `GetRPCMethods`, which either side may send.
    GetRpcMethods,
    RequestDownload(RequestDownload),
    Kicked(Kicked),

    // The ACS's responses to them.
    InformResponse(InformResponse),
    TransferCompleteResponse,
    AutonomousTransferCompleteResponse,
    /// `GetRPCMethodsResponse`, from either side.
    GetRpcMethodsResponse(GetRpcMethodsResponse),
    RequestDownloadResponse,
    KickedResponse(KickedResponse),

    // Requests from the ACS.
    GetParameterValues(GetParameterValues),
    SetParameterValues(SetParameterValues),
    GetParameterNames(GetParameterNames),
    GetParameterAttributes(GetParameterAttributes),
    SetParameterAttributes(SetParameterAttributes),
    AddObject(AddObject),
    DeleteObject(DeleteObject),
    Reboot(Reboot),
    FactoryReset,
    Download(Download),

    // The CPE's responses to them.
    GetParameterValuesResponse(GetParameterValuesResponse),
    SetParameterValuesResponse(SetParameterValuesResponse),
    GetParameterNamesResponse(GetParameterNamesResponse),
    GetParameterAttributesResponse(GetParameterAttributesResponse),
    SetParameterAttributesResponse,
    AddObjectResponse(AddObjectResponse),
    DeleteObjectResponse(DeleteObjectResponse),
    RebootResponse,
    FactoryResetResponse,
    DownloadResponse(DownloadResponse),

    /// A SOAP Fault carrying a CWMP fault, from either side.
    Fault(SoapFault),
    /// A method in a CWMP namespace that this codec does not decode (`Upload`,
    /// `DUStateChangeComplete`, `X_…` vendor methods, …): the ACS answers it with fault 8000.
    Unknown {
        method: String,
    },
}

impl Body {
    /// The method element's local name as it appears on the wire (`Fault` for a SOAP Fault).
    pub fn method_name(&self) -> &str {
        match self {
            Self::Inform(_) => "Inform",
            Self::TransferComplete(_) => "TransferComplete",
            Self::AutonomousTransferComplete(_) => "AutonomousTransferComplete",
            Self::GetRpcMethods => "GetRPCMethods",
            Self::RequestDownload(_) => "RequestDownload",
            Self::Kicked(_) => "Kicked",
            Self::InformResponse(_) => "InformResponse",
            Self::TransferCompleteResponse => "TransferCompleteResponse",
            Self::AutonomousTransferCompleteResponse => "AutonomousTransferCompleteResponse",
            Self::GetRpcMethodsResponse(_) => "GetRPCMethodsResponse",
            Self::RequestDownloadResponse => "RequestDownloadResponse",
            Self::KickedResponse(_) => "KickedResponse",
            Self::GetParameterValues(_) => "GetParameterValues",
            Self::SetParameterValues(_) => "SetParameterValues",
            Self::GetParameterNames(_) => "GetParameterNames",
            Self::GetParameterAttributes(_) => "GetParameterAttributes",
            Self::SetParameterAttributes(_) => "SetParameterAttributes",
            Self::AddObject(_) => "AddObject",
            Self::DeleteObject(_) => "DeleteObject",
            Self::Reboot(_) => "Reboot",
            Self::FactoryReset => "FactoryReset",
            Self::Download(_) => "Download",
            Self::GetParameterValuesResponse(_) => "GetParameterValuesResponse",
            Self::SetParameterValuesResponse(_) => "SetParameterValuesResponse",
            Self::GetParameterNamesResponse(_) => "GetParameterNamesResponse",
            Self::GetParameterAttributesResponse(_) => "GetParameterAttributesResponse",
            Self::SetParameterAttributesResponse => "SetParameterAttributesResponse",
            Self::AddObjectResponse(_) => "AddObjectResponse",
            Self::DeleteObjectResponse(_) => "DeleteObjectResponse",
            Self::RebootResponse => "RebootResponse",
            Self::FactoryResetResponse => "FactoryResetResponse",
            Self::DownloadResponse(_) => "DownloadResponse",
            Self::Fault(_) => "Fault",
            Self::Unknown { method } => method,
        }
    }

    /// Whether this is a response (or fault) answering the other side's request, as opposed to
    /// a request of its own. Session logic uses it to pair CPE POSTs with pending ACS requests.
    pub fn is_response(&self) -> bool {
        matches!(self, Self::Fault(_)) || self.method_name().ends_with("Response")
    }
}
