//! Serving one CWMP admin request: route, guard, body, the gateway call, and the HTTP answer
//! for each outcome (404 unknown device, 409 user name taken, 400/413 bad body).

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::{CONTENT_LENGTH, HeaderValue, WWW_AUTHENTICATE};
use hyper::{Request, StatusCode};
use tracing::{info, warn};

use super::routes::{Action, RouteError, route};
use super::{CwmpAdminError, CwmpSlot, Login};
use crate::admin::guard::{ApiGuard, Refusal};
use crate::admin::reply::{self, Reply};

/// Largest request body: a login is a few hundred bytes.
pub const MAX_BODY: usize = 16 * 1024;
/// A client that has sent its headers gets this long for its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest user name or password accepted; far beyond any CPE's field.
const MAX_FIELD: usize = 256;

pub async fn handle<B>(request: Request<B>, peer: IpAddr, slot: &CwmpSlot, guard: &ApiGuard) -> Reply
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let Some(gateway) = slot.get() else {
        return reply::error(StatusCode::NOT_FOUND, "the CWMP gateway is off");
    };
    let action = match route(request.method(), request.uri().path()) {
        Ok(action) => action,
        Err(RouteError::NotFound) => return reply::error(StatusCode::NOT_FOUND, "no such resource"),
        Err(RouteError::MethodNotAllowed(allow)) => return reply::method_not_allowed(allow),
    };
    if action.changes_state() {
        match guard.check(request.headers(), peer) {
            Ok(()) => {}
            Err(Refusal::BadToken) => {
                let mut resp = reply::error(StatusCode::UNAUTHORIZED, "a valid Bearer token is required");
                resp.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return resp;
            }
            Err(Refusal::NotLoopback) => {
                return reply::error(
                    StatusCode::FORBIDDEN,
                    "changes are accepted from loopback only (no api_token set)",
                );
            }
        }
    }
    let login = if action.takes_login() {
        match read_login(request).await {
            Ok(login) => Some(login),
            Err((status, why)) => return reply::error(status, &why),
        }
    } else {
        None
    };
    let outcome = match action.clone() {
        Action::List => return answer(gateway.devices().await.map(|list| reply::json(&list))),
        Action::Show(eid) => return answer(gateway.device(eid).await.map(|device| reply::json(&device))),
        Action::Forget(eid) => gateway.forget(eid).await,
        Action::SetAcsLogin(eid) => gateway.set_acs_login(eid, login).await,
        Action::ClearAcsLogin(eid) => gateway.set_acs_login(eid, None).await,
        Action::SetConnectionRequestLogin(eid) => gateway.set_connection_request_login(eid, login).await,
        Action::ClearConnectionRequestLogin(eid) => gateway.set_connection_request_login(eid, None).await,
    };
    if outcome.is_ok() {
        info!(%peer, ?action, "CWMP admin change");
    }
    answer(outcome.map(|()| reply::no_content()))
}

fn answer(outcome: Result<Reply, CwmpAdminError>) -> Reply {
    match outcome {
        Ok(reply) => reply,
        Err(e @ CwmpAdminError::UnknownDevice(_)) => reply::error(StatusCode::NOT_FOUND, &e.to_string()),
        Err(e @ CwmpAdminError::UsernameTaken { .. }) => reply::error(StatusCode::CONFLICT, &e.to_string()),
        Err(e @ CwmpAdminError::Registry(_)) => {
            warn!(error = %e, "CWMP admin request failed");
            reply::error(StatusCode::INTERNAL_SERVER_ERROR, "the device registry failed; see the hub's log")
        }
    }
}

/// The body as a [`Login`], or the status and reason to refuse it with.
async fn read_login<B>(request: Request<B>) -> Result<Login, (StatusCode, String)>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let too_large = || (StatusCode::PAYLOAD_TOO_LARGE, format!("the body exceeds {MAX_BODY} bytes"));
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return Err(too_large());
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(request.into_body(), MAX_BODY).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(_)) => return Err((StatusCode::BAD_REQUEST, "the body could not be read".into())),
        Err(_) => return Err((StatusCode::REQUEST_TIMEOUT, "the body came too slowly".into())),
    };
    parse_login(&body).map_err(|why| (StatusCode::BAD_REQUEST, why))
}

/// `{"username": "…", "password": "…"}`, both non-empty, printable, within [`MAX_FIELD`];
/// no `:` in the user name, which Basic authentication could not carry (RFC 7617 §2).
fn parse_login(body: &[u8]) -> Result<Login, String> {
    let login: Login =
        serde_json::from_slice(body).map_err(|e| format!("expected {{\"username\", \"password\"}}: {e}"))?;
    for (name, value) in [("username", &login.username), ("password", &login.password)] {
        if value.is_empty() || value.len() > MAX_FIELD {
            return Err(format!("{name} must be 1 to {MAX_FIELD} bytes"));
        }
        if value.chars().any(char::is_control) {
            return Err(format!("{name} must not contain control characters"));
        }
    }
    if login.username.contains(':') {
        return Err("username must not contain ':'".into());
    }
    Ok(login)
}

#[cfg(test)]
#[path = "handler_tests.rs"]
mod tests;
