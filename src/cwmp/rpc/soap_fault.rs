//! The SOAP Fault that carries a CWMP fault (TR-069 §A.5), in either direction: a CPE refusing
//! an ACS request, or the ACS refusing a CPE request (e.g. 8000 for an unknown method).

use super::super::fault::{FaultCode, SoapFaultCode};

/// A SOAP 1.1 `Fault` whose `detail` holds a `cwmp:Fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// SOAP `faultcode`; informative only.
    pub faultcode: SoapFaultCode,
    /// SOAP `faultstring`; TR-069 fixes it to `"CWMP fault"`.
    pub faultstring: String,
    pub detail: CwmpFault,
}

impl SoapFault {
    /// The fault for a code with its standard text, as the ACS sends it.
    pub fn new(code: FaultCode) -> Self {
        Self::from_detail(CwmpFault {
            fault_code: code,
            fault_string: code.description().unwrap_or_default().to_owned(),
            set_parameter_values_faults: Vec::new(),
        })
    }

    /// Wraps a `cwmp:Fault`, deriving the SOAP fields from its code.
    pub fn from_detail(detail: CwmpFault) -> Self {
        Self {
            faultcode: detail.fault_code.soap_fault_code(),
            faultstring: "CWMP fault".to_owned(),
            detail,
        }
    }
}

/// The `cwmp:Fault` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CwmpFault {
    pub fault_code: FaultCode,
    pub fault_string: String,
    /// Per-parameter causes; only in a fault answering SetParameterValues.
    pub set_parameter_values_faults: Vec<SetParameterValuesFault>,
}

/// `SetParameterValuesFault`: why one parameter of a SetParameterValues was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetParameterValuesFault {
    pub parameter_name: String,
    pub fault_code: FaultCode,
    pub fault_string: String,
}
