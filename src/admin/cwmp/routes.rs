//! Which CWMP admin action a method and path ask for. Pure, so every path shape is tested
//! without a listener.
//!
//! The endpoint ID is one path segment, percent-decoded: IDs such as `os::00D09E-SN%201` hold
//! `%` themselves, so a client must encode it (`%25`), exactly as in the WebSocket `?eid=`.

use hyper::Method;
use percent_encoding::percent_decode_str;

const PREFIX: &str = "/api/v1/cwmp/";
const DEVICES: &str = "/api/v1/cwmp/devices";

/// What the request asks for; the `String` is the decoded endpoint ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    List,
    Show(String),
    Forget(String),
    SetAcsLogin(String),
    ClearAcsLogin(String),
    SetConnectionRequestLogin(String),
    ClearConnectionRequestLogin(String),
}

impl Action {
    /// Whether the action changes state (and so passes the [`ApiGuard`](crate::admin::guard)).
    pub fn changes_state(&self) -> bool {
        !matches!(self, Self::List | Self::Show(_))
    }

    /// Whether it carries a login in its body.
    pub fn takes_login(&self) -> bool {
        matches!(self, Self::SetAcsLogin(_) | Self::SetConnectionRequestLogin(_))
    }
}

/// A request no action answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    /// The resource exists but not with this method; the `Allow` value.
    MethodNotAllowed(&'static str),
}

/// Whether `path` belongs to the CWMP part of the API.
pub fn is_cwmp_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

pub fn route(method: &Method, path: &str) -> Result<Action, RouteError> {
    use RouteError::{MethodNotAllowed, NotFound};
    if path == DEVICES {
        return match *method {
            Method::GET => Ok(Action::List),
            _ => Err(MethodNotAllowed("GET")),
        };
    }
    let rest = path.strip_prefix(DEVICES).and_then(|r| r.strip_prefix('/')).ok_or(NotFound)?;
    let (segment, sub) = match rest.split_once('/') {
        Some((segment, sub)) => (segment, Some(sub)),
        None => (rest, None),
    };
    let eid = decode(segment).ok_or(NotFound)?;
    match (sub, method.clone()) {
        (None, Method::GET) => Ok(Action::Show(eid)),
        (None, Method::DELETE) => Ok(Action::Forget(eid)),
        (None, _) => Err(MethodNotAllowed("GET, DELETE")),
        (Some("acs-credentials"), Method::PUT) => Ok(Action::SetAcsLogin(eid)),
        (Some("acs-credentials"), Method::DELETE) => Ok(Action::ClearAcsLogin(eid)),
        (Some("connection-request-credentials"), Method::PUT) => Ok(Action::SetConnectionRequestLogin(eid)),
        (Some("connection-request-credentials"), Method::DELETE) => Ok(Action::ClearConnectionRequestLogin(eid)),
        (Some("acs-credentials" | "connection-request-credentials"), _) => Err(MethodNotAllowed("PUT, DELETE")),
        (Some(_), _) => Err(NotFound),
    }
}

/// The endpoint ID in a path segment; `None` if empty or not UTF-8 once decoded.
fn decode(segment: &str) -> Option<String> {
    let eid = percent_decode_str(segment).decode_utf8().ok()?;
    (!eid.is_empty()).then(|| eid.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_one_device() {
        assert_eq!(route(&Method::GET, "/api/v1/cwmp/devices"), Ok(Action::List));
        assert_eq!(
            route(&Method::GET, "/api/v1/cwmp/devices/os::00D09E-SN1"),
            Ok(Action::Show("os::00D09E-SN1".into()))
        );
        assert_eq!(route(&Method::DELETE, "/api/v1/cwmp/devices/os::X-1"), Ok(Action::Forget("os::X-1".into())));
    }

    #[test]
    fn the_endpoint_id_is_percent_decoded() {
        let path = "/api/v1/cwmp/devices/os%3A%3A00D09E-%25C3%25A9/acs-credentials";
        assert_eq!(route(&Method::PUT, path), Ok(Action::SetAcsLogin("os::00D09E-%C3%A9".into())));
        assert_eq!(route(&Method::GET, "/api/v1/cwmp/devices/%FF"), Err(RouteError::NotFound), "not UTF-8");
    }

    #[test]
    fn credentials_resources() {
        let acs = "/api/v1/cwmp/devices/e/acs-credentials";
        let cr = "/api/v1/cwmp/devices/e/connection-request-credentials";
        assert_eq!(route(&Method::DELETE, acs), Ok(Action::ClearAcsLogin("e".into())));
        assert_eq!(route(&Method::PUT, cr), Ok(Action::SetConnectionRequestLogin("e".into())));
        assert_eq!(route(&Method::DELETE, cr), Ok(Action::ClearConnectionRequestLogin("e".into())));
        assert_eq!(route(&Method::GET, acs), Err(RouteError::MethodNotAllowed("PUT, DELETE")));
    }

    #[test]
    fn wrong_methods_and_unknown_paths() {
        assert_eq!(route(&Method::POST, "/api/v1/cwmp/devices"), Err(RouteError::MethodNotAllowed("GET")));
        assert_eq!(route(&Method::PUT, "/api/v1/cwmp/devices/e"), Err(RouteError::MethodNotAllowed("GET, DELETE")));
        for path in [
            "/api/v1/cwmp/devices/",
            "/api/v1/cwmp/devices/e/other",
            "/api/v1/cwmp/devices/e/acs-credentials/x",
            "/api/v1/cwmp/devicesX",
            "/api/v1/cwmp/",
        ] {
            assert_eq!(route(&Method::GET, path), Err(RouteError::NotFound), "{path}");
        }
    }

    #[test]
    fn only_reads_skip_the_guard() {
        assert!(!Action::List.changes_state() && !Action::Show("e".into()).changes_state());
        assert!(Action::Forget("e".into()).changes_state() && Action::ClearAcsLogin("e".into()).changes_state());
        assert!(Action::SetAcsLogin("e".into()).takes_login() && !Action::ClearAcsLogin("e".into()).takes_login());
    }
}
