//! The namespace URIs a CWMP envelope uses, and which CWMP namespace a session speaks.
//!
//! Elements are recognised by namespace URI, never by prefix: CPE stacks write `soap`,
//! `SOAP-ENV`, `soapenv` or anything else for the same SOAP envelope namespace.

/// SOAP 1.1 envelope namespace.
pub const SOAP_ENVELOPE: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.1 encoding namespace (`arrayType`, and `soap-enc:` value types on old stacks).
pub const SOAP_ENCODING: &str = "http://schemas.xmlsoap.org/soap/encoding/";
/// XML Schema namespace, for `xsi:type` values such as `xsd:string`.
pub const XML_SCHEMA: &str = "http://www.w3.org/2001/XMLSchema";
/// XML Schema instance namespace, for the `xsi:type` attribute.
pub const XML_SCHEMA_INSTANCE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The pre-2001 drafts some legacy stacks (e.g. netcwmp) still declare for `xsd:`/`xsi:`.
const LEGACY_XML_SCHEMA: [&str; 2] = [
    "http://www.w3.org/1999/XMLSchema",
    "http://www.w3.org/2000/10/XMLSchema",
];
const LEGACY_XML_SCHEMA_INSTANCE: [&str; 2] = [
    "http://www.w3.org/1999/XMLSchema-instance",
    "http://www.w3.org/2000/10/XMLSchema-instance",
];

/// Whether a namespace is one of the XML Schema namespaces whose types CWMP values use.
pub(crate) fn is_value_type_namespace(uri: &str) -> bool {
    uri == XML_SCHEMA || uri == SOAP_ENCODING || LEGACY_XML_SCHEMA.contains(&uri)
}

/// Whether a namespace is XML Schema instance (current or legacy), owner of `xsi:type`.
pub(crate) fn is_schema_instance_namespace(uri: &str) -> bool {
    uri == XML_SCHEMA_INSTANCE || LEGACY_XML_SCHEMA_INSTANCE.contains(&uri)
}

/// The CWMP namespace URN of an envelope (`urn:dslforum-org:cwmp-1-x`).
///
/// This is the namespace as used on the wire, not the protocol version: CWMP 1.3 and 1.4 keep
/// the `cwmp-1-2` namespace (no BBF schema defines `cwmp-1-3`/`cwmp-1-4`), yet some CPE and
/// ACSes use those URNs anyway. The ACS answers in whatever namespace the CPE used, because CPE
/// that get another one drop the connection (FreeACS issue #222).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CwmpNamespace {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
    V1_4,
}

impl CwmpNamespace {
    pub const ALL: [Self; 5] = [Self::V1_0, Self::V1_1, Self::V1_2, Self::V1_3, Self::V1_4];

    pub const fn urn(self) -> &'static str {
        match self {
            Self::V1_0 => "urn:dslforum-org:cwmp-1-0",
            Self::V1_1 => "urn:dslforum-org:cwmp-1-1",
            Self::V1_2 => "urn:dslforum-org:cwmp-1-2",
            Self::V1_3 => "urn:dslforum-org:cwmp-1-3",
            Self::V1_4 => "urn:dslforum-org:cwmp-1-4",
        }
    }

    pub fn from_urn(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|ns| ns.urn() == uri)
    }
}

/// Whether a namespace claims to be CWMP, known version or not (to tell "unknown CWMP
/// version" apart from "not CWMP at all" in errors).
pub(crate) fn looks_like_cwmp(uri: &str) -> bool {
    uri.starts_with("urn:dslforum-org:cwmp-")
}
