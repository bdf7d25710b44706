//! The SOAP 1.1 envelope codec of CWMP: parse a CPE's HTTP body, generate the ACS's answers.
//!
//! Parsing is tolerant in the ways real CPE stacks need (any envelope prefix, `cwmp-1-0` …
//! `cwmp-1-4`, arrays with or without `arrayType`, missing or oddly-bound `xsi:type`, children in
//! any order, stray whitespace and CRLF) and strict where tolerance would hide a broken session
//! (malformed XML, a root that is not a SOAP Envelope, unknown CWMP namespaces, missing
//! identity). Generation echoes the CPE's namespace and `cwmp:ID`, and is byte-deterministic.
//!
//! Size is the caller's concern: read at most [`MAX_ENVELOPE_BYTES`] from the HTTP body before
//! calling [`Envelope::parse`]; the parser holds the whole document in memory (about three
//! times the body size) and only bounds nesting depth itself.

mod body;
mod decode;
mod decode_body;
mod encode;
mod encode_body;
mod error;
mod fields;
mod namespace;
mod tree;
mod writer;

use bytes::{Bytes, BytesMut};

pub use body::Body;
pub use error::{AcsAnswer, ArgumentError, SoapError};
pub use namespace::{CwmpNamespace, SOAP_ENCODING, SOAP_ENVELOPE, XML_SCHEMA, XML_SCHEMA_INSTANCE};

/// The largest envelope the ACS front should accept. TR-069 requires both sides to accept
/// envelopes of at least 32 KiB; a full GetParameterValuesResponse of a TR-181 gateway reaches
/// a few hundred KiB, so 4 MiB leaves room without letting one CPE pin much memory.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// One CWMP message with its SOAP headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The CWMP namespace the message uses; answers must use the same one.
    pub cwmp_version: CwmpNamespace,
    /// `cwmp:ID` (sent with `mustUnderstand="1"`): a response echoes its request's ID.
    pub id: Option<String>,
    /// `cwmp:HoldRequests` (ACS → CPE): `Some(true)` forbids the CPE to send requests.
    pub hold_requests: Option<bool>,
    /// `cwmp:NoMoreRequests` (CPE → ACS, pre-1.0 header kept by some stacks).
    pub no_more_requests: bool,
    /// `cwmp:SessionTimeout` (CWMP 1.3): the CPE's session timeout in seconds.
    pub session_timeout: Option<u32>,
    pub body: Body,
}

impl Envelope {
    /// A message with no headers.
    pub fn new(cwmp_version: CwmpNamespace, body: Body) -> Self {
        Self {
            cwmp_version,
            id: None,
            hold_requests: None,
            no_more_requests: false,
            session_timeout: None,
            body,
        }
    }

    /// A request (ACS → CPE) with the ID the CPE must echo.
    pub fn request(cwmp_version: CwmpNamespace, id: impl Into<String>, body: Body) -> Self {
        Self {
            id: Some(id.into()),
            ..Self::new(cwmp_version, body)
        }
    }

    /// The answer to this message: same namespace, same `cwmp:ID`.
    pub fn reply(&self, body: Body) -> Self {
        Self {
            id: self.id.clone(),
            ..Self::new(self.cwmp_version, body)
        }
    }

    /// Parses a CPE's HTTP body. Check [`is_empty_body`] first: an empty POST is a session
    /// signal, not a malformed envelope.
    pub fn parse(xml: &[u8]) -> Result<Self, SoapError> {
        decode::parse_envelope(xml)
    }

    /// Appends the envelope's XML to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        encode::encode_envelope(self, out);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(1024);
        self.encode(&mut out);
        out.freeze()
    }
}

/// Whether an HTTP body is the CPE's empty POST ("I have no more requests"): no bytes, or only
/// XML whitespace (some CPE send a stray CRLF).
pub fn is_empty_body(body: &[u8]) -> bool {
    body.iter()
        .all(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Parses arbitrary bytes and throws the result away: the entry point for fuzzers and property
/// tests, whose only requirement is that nothing panics.
pub fn fuzz_parse(data: &[u8]) {
    if let Ok(envelope) = Envelope::parse(data) {
        // Whatever parses must also re-encode and parse again.
        let _ = Envelope::parse(&envelope.to_bytes());
    }
}
