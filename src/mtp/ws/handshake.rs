//! The USP WebSocket opening handshake (TR-369 §WebSocket), as pure functions of the request.
//!
//! - The subprotocol `v1.usp` is required (R-WS.12a) and echoed (R-WS.11).
//! - The client's endpoint ID comes from `?eid=` (R-WS.10b, percent-encoded per R-WS.10c) or
//!   from the deprecated `Sec-WebSocket-Extensions: bbf-usp-protocol; eid="..."` (R-WS.10a).
//!   That header is parsed leniently: a strict RFC 6455 parser refuses the `:` inside real
//!   endpoint IDs.
//! - `bbf-usp-protocol` is answered only when the client sent it (R-WS.11a) and only if the
//!   operator configured the eid to answer with. The hub is not the agent's controller, and
//!   OB-USP-Agent drops a session whose answered eid is not its controller's; omitting the
//!   extension is always legal (R-WS.11b/c).

use percent_encoding::percent_decode_str;
use tokio_tungstenite::tungstenite::http::{
    HeaderValue, Request, Response, StatusCode, header::SEC_WEBSOCKET_EXTENSIONS,
    header::SEC_WEBSOCKET_PROTOCOL,
};

use crate::usp::{EndpointId, EndpointIdError};

pub const SUBPROTOCOL: &str = "v1.usp";
const EXTENSION: &str = "bbf-usp-protocol";

/// What the server needs to decide.
#[derive(Debug, Clone)]
pub struct HandshakePolicy {
    pub path: String,
    pub server_eid: Option<String>,
}

/// An accepted handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub eid: EndpointId,
    /// The client sent `bbf-usp-protocol`, so we may answer it.
    pub extension_offered: bool,
}

/// Why a handshake is refused; each maps to an HTTP status and a plain-text reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("no USP endpoint at {0}")]
    WrongPath(String),
    #[error("the request must offer the WebSocket subprotocol v1.usp")]
    NoSubprotocol,
    #[error("no endpoint ID: send ?eid=<endpoint id> (or the bbf-usp-protocol extension)")]
    NoEndpointId,
    #[error("the eid query parameter is not valid percent-encoded UTF-8")]
    BadEncoding,
    #[error("invalid endpoint ID: {0}")]
    BadEndpointId(#[from] EndpointIdError),
    #[error("?eid= and the bbf-usp-protocol extension name different endpoints")]
    ConflictingEndpointIds,
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::WrongPath(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn into_response(self) -> Response<Option<String>> {
        let mut resp = Response::new(Some(format!("{self}\n")));
        *resp.status_mut() = self.status();
        resp
    }
}

/// Decides whether to accept `req`.
pub fn negotiate<B>(req: &Request<B>, policy: &HandshakePolicy) -> Result<Negotiated, Refusal> {
    let path = req.uri().path();
    if path != policy.path {
        return Err(Refusal::WrongPath(path.to_owned()));
    }
    let offers_usp = req
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL);
    if !offers_usp {
        return Err(Refusal::NoSubprotocol);
    }
    let from_query = req.uri().query().and_then(eid_from_query).transpose()?;
    let from_extension = req
        .headers()
        .get_all(SEC_WEBSOCKET_EXTENSIONS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(eid_from_extension);
    let extension_offered = from_extension.is_some();
    let eid = match (from_query, from_extension.flatten()) {
        (Some(q), Some(x)) if q != x => return Err(Refusal::ConflictingEndpointIds),
        (Some(eid), _) | (None, Some(eid)) => eid,
        (None, None) => return Err(Refusal::NoEndpointId),
    };
    Ok(Negotiated { eid: EndpointId::new(&eid)?, extension_offered })
}

/// Adds our answer to the 101 response.
pub fn answer<B>(mut resp: Response<B>, negotiated: &Negotiated, policy: &HandshakePolicy) -> Response<B> {
    let headers = resp.headers_mut();
    headers.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(SUBPROTOCOL));
    if let (true, Some(eid)) = (negotiated.extension_offered, &policy.server_eid) {
        if let Ok(v) = HeaderValue::from_str(&format!("{EXTENSION}; eid=\"{eid}\"")) {
            headers.insert(SEC_WEBSOCKET_EXTENSIONS, v);
        }
    }
    resp
}

/// The percent-decoded `eid` of a query string, if present.
pub fn eid_from_query(query: &str) -> Option<Result<String, Refusal>> {
    let raw = query.split('&').find_map(|kv| kv.strip_prefix("eid="))?;
    Some(
        percent_decode_str(raw)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| Refusal::BadEncoding),
    )
}

/// Looks for `bbf-usp-protocol` in one `Sec-WebSocket-Extensions` value. `None`: not offered;
/// `Some(None)`: offered without a usable eid; `Some(Some(eid))`: offered with one.
pub fn eid_from_extension(header: &str) -> Option<Option<String>> {
    split_unquoted(header, ',').into_iter().find_map(|ext| {
        let mut parts = split_unquoted(ext, ';').into_iter();
        let name = parts.next()?.trim();
        if !name.eq_ignore_ascii_case(EXTENSION) {
            return None;
        }
        let eid = parts.find_map(|param| {
            let (k, v) = param.split_once('=')?;
            k.trim().eq_ignore_ascii_case("eid").then(|| unquote(v.trim()))
        });
        Some(eid.filter(|e| !e.is_empty()))
    })
}

/// Splits on `sep` outside double quotes.
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Removes the quotes and backslash escapes of an RFC 7230 quoted-string; a bare token is
/// returned as it is.
fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').map(|v| v.strip_suffix('"').unwrap_or(v)) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(server_eid: Option<&str>) -> HandshakePolicy {
        HandshakePolicy { path: "/usp".into(), server_eid: server_eid.map(Into::into) }
    }

    fn request(uri: &str, protocol: Option<&str>, ext: Option<&str>) -> Request<()> {
        let mut b = Request::get(uri);
        if let Some(p) = protocol {
            b = b.header(SEC_WEBSOCKET_PROTOCOL, p);
        }
        if let Some(x) = ext {
            b = b.header(SEC_WEBSOCKET_EXTENSIONS, x);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn obuspa_request_is_accepted() {
        let req = request("/usp?eid=os%3A%3A012345-OBUSPA-WS", Some("v1.usp"), None);
        let n = negotiate(&req, &policy(None)).unwrap();
        assert_eq!(n.eid.as_str(), "os::012345-OBUSPA-WS");
        assert!(!n.extension_offered);
    }

    #[test]
    fn literal_percent_is_decoded_once() {
        let req = request("/usp?x=1&eid=doc::agent%2521", Some("chat, v1.usp"), None);
        assert_eq!(negotiate(&req, &policy(None)).unwrap().eid.as_str(), "doc::agent%21");
    }

    #[test]
    fn legacy_extension_with_colons_is_read() {
        let ext = "permessage-deflate, bbf-usp-protocol; eid=\"oui:00256D:my-unique-bbf-id-42\"";
        let req = request("/usp", Some("v1.usp"), Some(ext));
        let n = negotiate(&req, &policy(None)).unwrap();
        assert_eq!(n.eid.as_str(), "oui:00256D:my-unique-bbf-id-42");
        assert!(n.extension_offered);
        // Unquoted, as some agents send it.
        assert_eq!(eid_from_extension("bbf-usp-protocol;eid=os::1-2"), Some(Some("os::1-2".into())));
    }

    #[test]
    fn refusals() {
        let p = policy(None);
        assert_eq!(negotiate(&request("/x?eid=a::b", Some("v1.usp"), None), &p), Err(Refusal::WrongPath("/x".into())));
        assert_eq!(negotiate(&request("/usp?eid=a::b", None, None), &p), Err(Refusal::NoSubprotocol));
        assert_eq!(negotiate(&request("/usp?eid=a::b", Some("v2.usp"), None), &p), Err(Refusal::NoSubprotocol));
        assert_eq!(negotiate(&request("/usp", Some("v1.usp"), None), &p), Err(Refusal::NoEndpointId));
        assert_eq!(negotiate(&request("/usp?eid=a%FF", Some("v1.usp"), None), &p), Err(Refusal::BadEncoding));
        let both = request("/usp?eid=a::b", Some("v1.usp"), Some("bbf-usp-protocol; eid=\"a::c\""));
        assert_eq!(negotiate(&both, &p), Err(Refusal::ConflictingEndpointIds));
    }

    #[test]
    fn extension_is_answered_only_when_offered_and_configured() {
        let n = Negotiated { eid: EndpointId::new("a::b").unwrap(), extension_offered: true };
        let resp = answer(Response::new(()), &n, &policy(Some("self::hub")));
        assert_eq!(resp.headers()[SEC_WEBSOCKET_PROTOCOL], "v1.usp");
        assert_eq!(resp.headers()[SEC_WEBSOCKET_EXTENSIONS], "bbf-usp-protocol; eid=\"self::hub\"");
        let resp = answer(Response::new(()), &n, &policy(None));
        assert!(resp.headers().get(SEC_WEBSOCKET_EXTENSIONS).is_none());
        let quiet = Negotiated { extension_offered: false, ..n };
        let resp = answer(Response::new(()), &quiet, &policy(Some("self::hub")));
        assert!(resp.headers().get(SEC_WEBSOCKET_EXTENSIONS).is_none());
    }
}
