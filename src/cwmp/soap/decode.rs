//! From the bytes of an HTTP body to an [`Envelope`]: SOAP structure, CWMP namespace and
//! headers here; the method arguments in `decode_body`.

use super::body::Body;
use super::decode_body::{decode_fault, decode_method};
use super::error::{ArgumentError, SoapError};
use super::fields::parse_bool;
use super::namespace::{CwmpNamespace, SOAP_ENVELOPE, looks_like_cwmp};
use super::tree::{Element, parse_document};
use super::{Envelope, is_empty_body};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn parse_envelope(xml: &[u8]) -> Result<Envelope, SoapError> {
    let xml = xml.strip_prefix(UTF8_BOM).unwrap_or(xml);
    if is_empty_body(xml) {
        return Err(SoapError::EmptyBody);
    }
    let root = parse_document(xml)?;
    if !root.is(SOAP_ENVELOPE, "Envelope") {
        return Err(SoapError::NotSoapEnvelope {
            found: root.display_name(),
        });
    }
    let soap_child = |name| {
        root.children
            .iter()
            .find(|child| child.is(SOAP_ENVELOPE, name))
    };
    let body = soap_child("Body").ok_or(SoapError::MissingBody)?;
    let [method] = body.children.as_slice() else {
        return Err(SoapError::BodyChildCount {
            count: body.children.len(),
        });
    };
    let header_elements = soap_child("Header")
        .map(|header| header.children.as_slice())
        .unwrap_or_default();

    // A SOAP Fault is in the envelope namespace; its cwmp:Fault detail names the version.
    let is_fault = method.is(SOAP_ENVELOPE, "Fault");
    let fault_detail = if is_fault {
        cwmp_fault_detail(method)
    } else {
        None
    };
    let cwmp_version = cwmp_version_of(fault_detail.unwrap_or(method), header_elements)?;

    let mut headers = Headers::default();
    let decoded =
        read_headers(header_elements, &mut headers).and_then(|()| match (is_fault, fault_detail) {
            (true, Some(detail)) => decode_fault(method, detail).map(Body::Fault),
            (true, None) => Err(ArgumentError::Missing {
                method: "Fault",
                element: "detail/Fault",
            }),
            (false, _) => decode_method(method),
        });
    let body = decoded.map_err(|error| SoapError::Arguments {
        cwmp_version,
        id: headers.id.clone(),
        error,
    })?;
    Ok(Envelope {
        cwmp_version,
        id: headers.id,
        hold_requests: headers.hold_requests,
        no_more_requests: headers.no_more_requests,
        session_timeout: headers.session_timeout,
        body,
    })
}

/// The CWMP header values of an envelope.
#[derive(Default)]
struct Headers {
    id: Option<String>,
    hold_requests: Option<bool>,
    no_more_requests: bool,
    session_timeout: Option<u32>,
}

/// The `cwmp:Fault` inside a SOAP Fault's `detail`.
fn cwmp_fault_detail(fault: &Element) -> Option<&Element> {
    fault
        .child("detail")?
        .children
        .iter()
        .find(|child| child.local_name == "Fault")
}

/// The CWMP namespace of the method element, or failing that (a SOAP Fault without CWMP
/// detail) of the header elements.
fn cwmp_version_of(method: &Element, headers: &[Element]) -> Result<CwmpNamespace, SoapError> {
    let candidates = std::iter::once(method).chain(headers);
    for element in candidates {
        let Some(namespace) = element.namespace.as_deref() else {
            continue;
        };
        if let Some(version) = CwmpNamespace::from_urn(namespace) {
            return Ok(version);
        }
        if looks_like_cwmp(namespace)
            || (std::ptr::eq(element, method) && namespace != SOAP_ENVELOPE)
        {
            return Err(SoapError::UnknownCwmpNamespace {
                namespace: namespace.to_owned(),
                element: element.local_name.clone(),
            });
        }
    }
    Err(SoapError::UnknownCwmpNamespace {
        namespace: method.namespace.clone().unwrap_or_default(),
        element: method.local_name.clone(),
    })
}

/// Reads the CWMP headers; others are ignored, even with `mustUnderstand="1"`, because a
/// SOAP MustUnderstand fault would only end sessions that the ACS can otherwise serve.
fn read_headers(elements: &[Element], headers: &mut Headers) -> Result<(), ArgumentError> {
    // The ID first, so that a fault about another header can still echo it.
    let id = elements.iter().find(|header| header.local_name == "ID");
    headers.id = id.map(|header| header.text.trim().to_owned());
    for header in elements {
        let text = header.text.trim();
        match header.local_name.as_str() {
            "HoldRequests" => {
                let value = parse_bool(text).ok_or_else(|| ArgumentError::Invalid {
                    method: "Header",
                    element: "HoldRequests",
                    value: text.to_owned(),
                })?;
                headers.hold_requests = Some(value);
            }
            // Pre-1.0 header (absent from every schema): present means "no more requests",
            // unless it says otherwise (easycwmp treats it like HoldRequests).
            "NoMoreRequests" => headers.no_more_requests = parse_bool(text).unwrap_or(true),
            // GenieACS reads `sessionTimeout`; the schema says `SessionTimeout`. Accept both,
            // and ignore a nonsensical value rather than refuse the session.
            "SessionTimeout" | "sessionTimeout" => headers.session_timeout = text.parse().ok(),
            _ => {}
        }
    }
    Ok(())
}
