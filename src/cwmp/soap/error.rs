//! Why a CPE's HTTP body is not a usable CWMP envelope, and what the ACS answers in each case.

use super::super::fault::FaultCode;
use super::super::rpc::SoapFault;
use super::{Body, CwmpNamespace, Envelope};

/// A body that could not be turned into an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoapError {
    /// The body is empty or whitespace: the CPE's "no more requests" POST, which the caller
    /// should have recognised with [`is_empty_body`](super::is_empty_body) before parsing.
    #[error("empty body: an empty POST carries no envelope")]
    EmptyBody,
    #[error("malformed XML at byte {position}: {reason}")]
    MalformedXml { position: u64, reason: String },
    #[error("XML nested deeper than {limit} elements")]
    TooDeep { limit: usize },
    #[error("root element {found} is not a SOAP 1.1 Envelope")]
    NotSoapEnvelope { found: String },
    #[error("SOAP Envelope has no Body")]
    MissingBody,
    #[error("SOAP Body has {count} child elements; CWMP requires exactly one")]
    BodyChildCount { count: usize },
    /// The method element is in a namespace that is not a CWMP namespace this ACS knows.
    #[error("unknown CWMP namespace {namespace:?} on {element}")]
    UnknownCwmpNamespace { namespace: String, element: String },
    /// A well-formed CWMP envelope whose method arguments are unusable. The namespace and ID
    /// are known, so the ACS can answer with a SOAP Fault rather than drop the session.
    #[error("{error}")]
    Arguments {
        cwmp_version: CwmpNamespace,
        id: Option<String>,
        error: ArgumentError,
    },
}

/// What is wrong with the arguments of a CWMP method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgumentError {
    #[error("{method}: missing required element {element}")]
    Missing {
        method: &'static str,
        element: &'static str,
    },
    #[error("{method}: invalid {element} value {value:?}")]
    Invalid {
        method: &'static str,
        element: &'static str,
        value: String,
    },
}

/// How the ACS should answer a body it could not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcsAnswer {
    /// HTTP 400 and `Connection: close`: the bytes are not a CWMP envelope at all, so there is
    /// no namespace or ID to answer a SOAP Fault with (GenieACS does the same).
    BadRequest,
    /// HTTP 200 with a SOAP Fault carrying this ACS fault code; see [`SoapError::fault_reply`].
    Fault(FaultCode),
}

impl SoapError {
    pub fn acs_answer(&self) -> AcsAnswer {
        match self {
            Self::Arguments { .. } => AcsAnswer::Fault(FaultCode::ACS_INVALID_ARGUMENTS),
            Self::EmptyBody
            | Self::MalformedXml { .. }
            | Self::TooDeep { .. }
            | Self::NotSoapEnvelope { .. }
            | Self::MissingBody
            | Self::BodyChildCount { .. }
            | Self::UnknownCwmpNamespace { .. } => AcsAnswer::BadRequest,
        }
    }

    /// The SOAP Fault envelope to send back, in the CPE's namespace with its cwmp:ID, when the
    /// answer is a fault (`None` means answer HTTP 400).
    pub fn fault_reply(&self) -> Option<Envelope> {
        let Self::Arguments {
            cwmp_version,
            id,
            error,
        } = self
        else {
            return None;
        };
        let mut fault = SoapFault::new(FaultCode::ACS_INVALID_ARGUMENTS);
        fault.detail.fault_string = error.to_string();
        let mut reply = Envelope::new(*cwmp_version, Body::Fault(fault));
        reply.id = id.clone();
        Some(reply)
    }
}
