//! The structures that appear inside several RPCs: device identity, events, parameter values
//! with their XML Schema types, attributes, and transfer faults.

use std::fmt;

use super::super::fault::FaultCode;

/// `DeviceIdStruct`: who the CPE is. `OUI` + `SerialNumber` identify it; the others describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceId {
    pub manufacturer: String,
    /// Six upper-case hex digits in conforming CPE; kept as sent.
    pub oui: String,
    pub product_class: String,
    pub serial_number: String,
}

/// `EventStruct`: why the CPE opened the session (`"1 BOOT"`, `"M Reboot"`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventStruct {
    pub event_code: String,
    /// The `CommandKey` of the ACS request behind an `M <Method>` event, else empty.
    pub command_key: String,
}

impl EventStruct {
    pub fn new(event_code: impl Into<String>, command_key: impl Into<String>) -> Self {
        Self {
            event_code: event_code.into(),
            command_key: command_key.into(),
        }
    }
}

/// The `xsi:type` of a parameter value: one of the TR-069 data types, or another XML Schema
/// simple type a CPE named. Matching is by local name, because legacy stacks bind the prefix to
/// the 1999/2000 XML Schema URIs or to the SOAP encoding namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XsdType {
    String,
    Int,
    UnsignedInt,
    Long,
    UnsignedLong,
    Boolean,
    DateTime,
    /// TR-069 `base64`; written `xsd:base64` as CPE expect (not an XML Schema built-in type;
    /// `base64Binary` and `soap-enc:base64` are read as this too).
    Base64,
    HexBinary,
    Decimal,
    /// Any other type, by its local name (written back as `xsd:<name>`).
    Other(String),
}

impl XsdType {
    /// The type from the local part of an `xsi:type` value.
    pub fn from_local_name(local: &str) -> Self {
        match local {
            "string" => Self::String,
            "int" => Self::Int,
            "unsignedInt" => Self::UnsignedInt,
            "long" => Self::Long,
            "unsignedLong" => Self::UnsignedLong,
            "boolean" => Self::Boolean,
            "dateTime" => Self::DateTime,
            "base64" | "base64Binary" => Self::Base64,
            "hexBinary" => Self::HexBinary,
            "decimal" => Self::Decimal,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The local name written after `xsd:`.
    pub fn local_name(&self) -> &str {
        match self {
            Self::String => "string",
            Self::Int => "int",
            Self::UnsignedInt => "unsignedInt",
            Self::Long => "long",
            Self::UnsignedLong => "unsignedLong",
            Self::Boolean => "boolean",
            Self::DateTime => "dateTime",
            Self::Base64 => "base64",
            Self::HexBinary => "hexBinary",
            Self::Decimal => "decimal",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for XsdType {
    /// The `xsi:type` attribute value as generated: `xsd:unsignedInt`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "xsd:{}", self.local_name())
    }
}

/// `ParameterValueStruct`: a parameter's full name, its value as text, and its type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterValueStruct {
    pub name: String,
    /// The value exactly as sent (not trimmed: string parameters may hold spaces).
    pub value: String,
    /// `None` when the CPE sent no `xsi:type` (older stacks; read it as a string).
    pub xsd_type: Option<XsdType>,
}

impl ParameterValueStruct {
    pub fn new(name: impl Into<String>, value: impl Into<String>, xsd_type: XsdType) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            xsd_type: Some(xsd_type),
        }
    }
}

/// `ParameterInfoStruct` (GetParameterNamesResponse): a name (objects end in `.`) and whether
/// it is writable (for objects: whether AddObject/DeleteObject may be used).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterInfoStruct {
    pub name: String,
    pub writable: bool,
}

/// `ParameterAttributeStruct` (GetParameterAttributesResponse).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterAttributeStruct {
    pub name: String,
    /// 0 off, 1 passive, 2 active; 3–6 lightweight variants (CWMP 1.4).
    pub notification: u8,
    /// Entities besides the ACS allowed to write the parameter; only `"Subscriber"` is defined.
    pub access_list: Vec<String>,
}

/// `SetParameterAttributesStruct`: each attribute is changed only if its `*_change` flag is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetParameterAttributesStruct {
    pub name: String,
    pub notification_change: bool,
    pub notification: u8,
    pub access_list_change: bool,
    pub access_list: Vec<String>,
}

/// `FaultStruct` of TransferComplete / AutonomousTransferComplete; code 0 means success.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultStruct {
    pub fault_code: u32,
    pub fault_string: String,
}

impl FaultStruct {
    pub fn is_success(&self) -> bool {
        self.fault_code == FaultCode::NO_FAULT.0
    }

    pub fn code(&self) -> FaultCode {
        FaultCode(self.fault_code)
    }
}

/// `ArgStruct` of RequestDownload's `FileTypeArg`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArgStruct {
    pub name: String,
    pub value: String,
}

/// The `Status` of SetParameterValues, AddObject, DeleteObject and Download responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChangeStatus {
    /// 0: the change is complete and in effect.
    #[default]
    Applied,
    /// 1: validated and committed but not yet applied (typically waits for a reboot; for
    /// Download, completion is reported later by TransferComplete).
    NotYetApplied,
}

impl ChangeStatus {
    pub fn from_wire(value: u32) -> Option<Self> {
        match value {
            0 => Some(Self::Applied),
            1 => Some(Self::NotYetApplied),
            _ => None,
        }
    }

    pub fn to_wire(self) -> u32 {
        match self {
            Self::Applied => 0,
            Self::NotYetApplied => 1,
        }
    }
}
