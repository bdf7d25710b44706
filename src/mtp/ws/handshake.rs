//! The USP WebSocket opening handshake (TR-369 §WebSocket, RFC 6455 §4.2), as pure functions
//! of the request: what to refuse, with which HTTP status, and what to answer.
//!
//! - A request that is not a valid WebSocket upgrade gets an HTTP error, never a silent close
//!   (RFC 6455 §4.2.1): 405 for another method, 426 for a plain request or an unsupported
//!   `Sec-WebSocket-Version` (with `Sec-WebSocket-Version: 13`, §4.4), 400 otherwise.
//! - The subprotocol `v1.usp` is required (R-WS.12a) and echoed (R-WS.11).
//! - The client's endpoint ID comes from `?eid=` (R-WS.10b, percent-encoded per R-WS.10c) or
//!   from the deprecated `Sec-WebSocket-Extensions: bbf-usp-protocol; eid="..."` (R-WS.10a).
//!   That header is parsed leniently: a strict RFC 6455 parser refuses the `:` inside real
//!   endpoint IDs.
//! - `bbf-usp-protocol` is answered only when the client sent it (R-WS.11a) and only if the
//!   operator configured the eid to answer with. The hub is not the agent's controller, and
//!   OB-USP-Agent drops a session whose answered eid is not its controller's; omitting the
//!   extension is always legal (R-WS.11b/c).

use std::fmt::Write;

use percent_encoding::percent_decode_str;
use base64::Engine;
use http::{
    HeaderMap, Method, Request, StatusCode,
    header::{CONNECTION, SEC_WEBSOCKET_EXTENSIONS, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, SEC_WEBSOCKET_VERSION, UPGRADE},
};

use crate::usp::{EndpointId, EndpointIdError};

pub const SUBPROTOCOL: &str = "v1.usp";
const EXTENSION: &str = "bbf-usp-protocol";

/// What the server needs to decide.
#[derive(Debug, Clone)]
pub struct HandshakePolicy {
    pub path: String,
    pub server_eid: Option<String>,
    /// Where MQTT over WebSocket is served, if it is.
    pub mqtt_path: Option<String>,
}

/// Subprotocols of MQTT over WebSocket: `mqtt` (3.1.1 and 5.0, §6) and the older `mqttv3.1`.
const MQTT_SUBPROTOCOLS: [&str; 2] = ["mqtt", "mqttv3.1"];

/// Whether `req` asks for the MQTT-over-WebSocket resource.
pub fn is_mqtt<B>(req: &Request<B>, policy: &HandshakePolicy) -> bool {
    policy.mqtt_path.as_deref() == Some(req.uri().path())
}

/// The MQTT subprotocol to answer with [MQTT-6.0.0-3/4].
pub fn negotiate_mqtt<B>(req: &Request<B>) -> Result<&'static str, Refusal> {
    let offered: Vec<&str> = req
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    MQTT_SUBPROTOCOLS.into_iter().find(|p| offered.contains(p)).ok_or(Refusal::NoMqttSubprotocol)
}

/// The 101 for MQTT over WebSocket.
pub fn switching_to_mqtt(accept: &str, subprotocol: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {subprotocol}\r\n\r\n"
    )
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
    #[error("malformed HTTP request")]
    MalformedRequest,
    #[error("request header section too large")]
    HeadTooLarge,
    #[error("a WebSocket is opened with GET")]
    NotGet,
    #[error("this is a USP WebSocket endpoint: send a WebSocket upgrade request")]
    NotUpgrade,
    #[error("unsupported WebSocket version; this server speaks version 13")]
    UnsupportedVersion,
    #[error("missing Sec-WebSocket-Key")]
    NoKey,
    #[error("no USP endpoint at {0}")]
    WrongPath(String),
    #[error("the request must offer the WebSocket subprotocol v1.usp")]
    NoSubprotocol,
    #[error("MQTT over WebSocket needs the subprotocol mqtt")]
    NoMqttSubprotocol,
    #[error("no endpoint ID: send ?eid=<endpoint id> (or the bbf-usp-protocol extension)")]
    NoEndpointId,
    #[error("the eid query parameter is not valid percent-encoded UTF-8")]
    BadEncoding,
    #[error("invalid endpoint ID: {0}")]
    BadEndpointId(#[from] EndpointIdError),
    #[error("?eid= and the bbf-usp-protocol extension name different endpoints")]
    ConflictingEndpointIds,
    #[error("authentication required: {0}")]
    Unauthorized(crate::auth::Denied),
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::WrongPath(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(crate::auth::Denied::BadCredentials) => StatusCode::UNAUTHORIZED,
            Self::Unauthorized(crate::auth::Denied::EndpointNotAllowed) => StatusCode::FORBIDDEN,
            Self::NotGet => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotUpgrade | Self::UnsupportedVersion => StatusCode::UPGRADE_REQUIRED,
            Self::HeadTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The complete HTTP response, closing the connection.
    pub fn response(&self) -> String {
        let status = self.status();
        let body = format!("{self}\n");
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len()
        );
        match self {
            Self::NotGet => head.push_str("Allow: GET\r\n"),
            Self::NotUpgrade | Self::UnsupportedVersion => {
                head.push_str("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n")
            }
            Self::Unauthorized(crate::auth::Denied::BadCredentials) => {
                head.push_str("WWW-Authenticate: Basic realm=\"usphub\", charset=\"UTF-8\"\r\n")
            }
            _ => {}
        }
        head + "\r\n" + &body
    }
}

/// Checks that `req` is a WebSocket upgrade (RFC 6455 §4.2.1) and returns the
/// `Sec-WebSocket-Accept` value.
pub fn check_upgrade<B>(req: &Request<B>) -> Result<String, Refusal> {
    if req.method() != Method::GET {
        return Err(Refusal::NotGet);
    }
    let h = req.headers();
    if !has_token(h, UPGRADE, "websocket") || !has_token(h, CONNECTION, "upgrade") {
        return Err(Refusal::NotUpgrade);
    }
    if h.get(SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) != Some(b"13") {
        return Err(Refusal::UnsupportedVersion);
    }
    match h.get(SEC_WEBSOCKET_KEY) {
        Some(key) if !key.is_empty() => Ok(derive_accept_key(key.as_bytes())),
        _ => Err(Refusal::NoKey),
    }
}

/// `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2): base64 of the SHA-1 of the key and the
/// protocol's GUID.
pub fn derive_accept_key(key: &[u8]) -> String {
    const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    let mut sha1 = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    sha1.update(key);
    sha1.update(GUID);
    base64::engine::general_purpose::STANDARD.encode(sha1.finish())
}

/// Whether a comma-separated header contains `token`, ignoring case.
fn has_token(headers: &HeaderMap, name: impl http::header::AsHeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
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

/// The 101 response that opens the session.
pub fn switching_protocols(accept: &str, negotiated: &Negotiated, policy: &HandshakePolicy) -> String {
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {SUBPROTOCOL}\r\n"
    );
    if let (true, Some(eid)) = (negotiated.extension_offered, &policy.server_eid) {
        // server_eid was validated as an endpoint ID: no quotes, controls or spaces.
        let _ = write!(out, "Sec-WebSocket-Extensions: {EXTENSION}; eid=\"{eid}\"\r\n");
    }
    out + "\r\n"
}

/// User name and password of an `Authorization: Basic` header (RFC 7617), if present.
pub fn basic_credentials<B>(req: &Request<B>) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let value = req.headers().get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(token.trim()).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((user, decoded[colon + 1..].to_vec()))
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

    #[test]
    fn accept_key_is_the_rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    fn policy(server_eid: Option<&str>) -> HandshakePolicy {
        HandshakePolicy { path: "/usp".into(), server_eid: server_eid.map(Into::into), mqtt_path: Some("/mqtt".into()) }
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
        let resp = switching_protocols("k", &n, &policy(Some("self::hub")));
        assert!(resp.starts_with("HTTP/1.1 101 ") && resp.ends_with("\r\n\r\n"));
        assert!(resp.contains("Sec-WebSocket-Protocol: v1.usp\r\n"));
        assert!(resp.contains("Sec-WebSocket-Extensions: bbf-usp-protocol; eid=\"self::hub\"\r\n"));
        assert!(!switching_protocols("k", &n, &policy(None)).contains("Extensions"));
        let quiet = Negotiated { extension_offered: false, ..n };
        assert!(!switching_protocols("k", &quiet, &policy(Some("self::hub"))).contains("Extensions"));
    }

    fn upgrade(method: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::builder().method(method).uri("/usp?eid=a::b");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    const GOOD: [(&str, &str); 4] = [
        ("Upgrade", "websocket"),
        ("Connection", "keep-alive, Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];

    #[test]
    fn basic_credentials_are_read() {
        let req = Request::get("/usp").header("Authorization", "Basic dXNlcjpwYTpzcw==").body(()).unwrap();
        assert_eq!(basic_credentials(&req), Some(("user".into(), b"pa:ss".to_vec())));
        let bearer = Request::get("/usp").header("Authorization", "Bearer x").body(()).unwrap();
        assert_eq!(basic_credentials(&bearer), None);
        let resp = Refusal::Unauthorized(crate::auth::Denied::BadCredentials).response();
        assert!(resp.starts_with("HTTP/1.1 401 ") && resp.contains("WWW-Authenticate: Basic"));
    }

    #[test]
    fn mqtt_subprotocols() {
        let p = policy(None);
        let req = request("/mqtt", Some("mqttv3.1, mqtt"), None);
        assert!(is_mqtt(&req, &p));
        assert_eq!(negotiate_mqtt(&req), Ok("mqtt"));
        assert_eq!(negotiate_mqtt(&request("/mqtt", Some("mqttv3.1"), None)), Ok("mqttv3.1"));
        assert_eq!(negotiate_mqtt(&request("/mqtt", Some("v1.usp"), None)), Err(Refusal::NoMqttSubprotocol));
        assert!(!is_mqtt(&request("/usp", Some("mqtt"), None), &p));
    }

    #[test]
    fn upgrade_requests_are_checked() {
        // RFC 6455 §1.3's example key and answer.
        assert_eq!(check_upgrade(&upgrade("GET", &GOOD)).unwrap(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(check_upgrade(&upgrade("POST", &GOOD)), Err(Refusal::NotGet));
        assert_eq!(check_upgrade(&upgrade("GET", &GOOD[2..])), Err(Refusal::NotUpgrade));
        let v8 = [GOOD[0], GOOD[1], ("Sec-WebSocket-Version", "8"), GOOD[3]];
        assert_eq!(check_upgrade(&upgrade("GET", &v8)), Err(Refusal::UnsupportedVersion));
        assert_eq!(check_upgrade(&upgrade("GET", &GOOD[..3])), Err(Refusal::NoKey));
        let resp = Refusal::UnsupportedVersion.response();
        assert!(resp.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
        assert!(resp.contains("Sec-WebSocket-Version: 13\r\n"));
    }
}
