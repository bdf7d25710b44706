//! From an [`Envelope`] to the bytes of an HTTP body: the fixed envelope frame and headers
//! here, the Body's content in `encode_body`.
//!
//! Output is compact (no indentation) and byte-for-byte deterministic: fixed prefixes
//! (`soap-env`, `soap-enc`, `xsd`, `xsi`, `cwmp` bound to the envelope's CWMP namespace), fixed
//! attribute order, and elements in schema order.

use bytes::BytesMut;

use super::Envelope;
use super::encode_body::encode_body;
use super::namespace::{SOAP_ENCODING, SOAP_ENVELOPE, XML_SCHEMA, XML_SCHEMA_INSTANCE};
use super::writer::XmlWriter;

pub(crate) fn encode_envelope(envelope: &Envelope, out: &mut BytesMut) {
    let mut xml = XmlWriter::new(out);
    xml.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.open_with(
        "soap-env:Envelope",
        &[
            ("xmlns:soap-env", SOAP_ENVELOPE),
            ("xmlns:soap-enc", SOAP_ENCODING),
            ("xmlns:xsd", XML_SCHEMA),
            ("xmlns:xsi", XML_SCHEMA_INSTANCE),
            ("xmlns:cwmp", envelope.cwmp_version.urn()),
        ],
    );
    encode_headers(&mut xml, envelope);
    xml.open("soap-env:Body");
    encode_body(&mut xml, &envelope.body);
    xml.close("soap-env:Body");
    xml.close("soap-env:Envelope");
}

/// The Header element, left out entirely when there is nothing to say.
fn encode_headers(xml: &mut XmlWriter<'_>, envelope: &Envelope) {
    let has_headers = envelope.id.is_some()
        || envelope.hold_requests.is_some()
        || envelope.no_more_requests
        || envelope.session_timeout.is_some();
    if !has_headers {
        return;
    }
    const MUST_UNDERSTAND: [(&str, &str); 1] = [("soap-env:mustUnderstand", "1")];
    xml.open("soap-env:Header");
    if let Some(id) = &envelope.id {
        xml.leaf_with("cwmp:ID", &MUST_UNDERSTAND, id);
    }
    if let Some(hold) = envelope.hold_requests {
        xml.leaf_with(
            "cwmp:HoldRequests",
            &MUST_UNDERSTAND,
            if hold { "1" } else { "0" },
        );
    }
    if let Some(timeout) = envelope.session_timeout {
        let timeout = timeout.to_string();
        xml.leaf_with(
            "cwmp:SessionTimeout",
            &[("soap-env:mustUnderstand", "0")],
            &timeout,
        );
    }
    if envelope.no_more_requests {
        xml.leaf("cwmp:NoMoreRequests", "1");
    }
    xml.close("soap-env:Header");
}
