//! One HTTP request to the ACS: checks, body, session routing, and the HTTP answer.
//!
//! Bad input never reaches a device: a wrong method or path, an oversize body (413), bytes that
//! are not a CWMP envelope (400 and close, as GenieACS does), or a POST that belongs to no
//! session (400) are answered here; a well-formed envelope with unusable arguments, such as an
//! Inform without a usable DeviceId, gets a SOAP Fault (8003) in the CPE's namespace.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, SET_COOKIE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use tracing::debug;

use super::Front;
use super::auth::{NotAdmitted, Principal};
use super::session::CpePost;
use super::sessions::{COOKIE_NAME, session_cookie};
use crate::cwmp::engine::{AcsAnswer, SessionId};
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::SoapFault;
use crate::cwmp::soap::{AcsAnswer as ParseAnswer, Body, Envelope, is_empty_body};
use crate::usp::EndpointId;

/// The session a connection's last Inform opened: later POSTs on it belong there.
pub type ConnectionSession = Arc<Mutex<Option<(SessionId, EndpointId)>>>;

pub async fn handle(
    front: Arc<Front>,
    peer: SocketAddr,
    bound: ConnectionSession,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if request.method() != Method::POST {
        return plain(StatusCode::METHOD_NOT_ALLOWED).header(ALLOW, "POST").body(Full::default()).unwrap();
    }
    if request.uri().path() != front.path {
        return empty(StatusCode::NOT_FOUND);
    }
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > front.max_body as u64) {
        return closing(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let request_uri = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let known = known_session(&front, &bound, &request);
    // Outside a known session the CPE must prove who it is before its body is read.
    let mut principal = None;
    if known.is_none() {
        match front.auth.check("POST", &request_uri, request.headers()).await {
            Ok(p) => principal = Some(p),
            Err(challenge) => return unauthorized(challenge.0),
        }
    }
    let headers = request.headers().clone();
    let body = match read_body(&front, request.into_body()).await {
        Ok(body) => body,
        Err(status) => return closing(status),
    };
    let post = if is_empty_body(&body) {
        CpePost::Empty
    } else {
        match Envelope::parse(&body) {
            Ok(envelope) => CpePost::Envelope(envelope),
            Err(error) => {
                debug!(%peer, %error, "unusable CWMP body");
                return match (error.acs_answer(), error.fault_reply()) {
                    (ParseAnswer::Fault(_), Some(fault)) => soap(fault.to_bytes()),
                    _ => closing(StatusCode::BAD_REQUEST),
                };
            }
        }
    };
    if let CpePost::Envelope(envelope @ Envelope { body: Body::Inform(_), .. }) = post {
        let principal = match principal {
            Some(p) => p,
            None => match front.auth.check("POST", &request_uri, &headers).await {
                Ok(p) => p,
                Err(challenge) => return unauthorized(challenge.0),
            },
        };
        return inform(&front, peer, &bound, principal, envelope).await;
    }
    let (session, eid) = match known {
        Some(known) => known,
        None => match (front.sessions.unique_for_peer(peer.ip()), principal) {
            (Some((id, eid)), Some(p)) if front.auth.admit(&p, eid.as_str()).await.is_ok() => (id, eid),
            _ => return closing(StatusCode::BAD_REQUEST),
        },
    };
    let answer = front.engine.post(&eid, session, post).await;
    session_answer(&front, &bound, session, answer, None)
}

/// A new session: check the CPE's identity, hand the Inform to its device, set the cookie.
async fn inform(
    front: &Front,
    peer: SocketAddr,
    bound: &ConnectionSession,
    principal: Principal,
    envelope: Envelope,
) -> Response<Full<Bytes>> {
    let Body::Inform(inform) = &envelope.body else { unreachable!("checked by the caller") };
    let id = &inform.device_id;
    if id.oui.trim().is_empty() || id.serial_number.trim().is_empty() {
        return soap_fault(&envelope, "Inform: DeviceId needs an OUI and a SerialNumber");
    }
    let eid = match front.engine.endpoint_id(id) {
        Ok(eid) => eid,
        Err(e) => return soap_fault(&envelope, &format!("Inform: DeviceId gives no endpoint ID: {e}")),
    };
    match front.auth.admit(&principal, eid.as_str()).await {
        Ok(()) => {}
        Err(NotAdmitted::OtherDevice) => {
            debug!(%peer, %eid, "credentials of another CPE");
            return empty(StatusCode::FORBIDDEN);
        }
        Err(NotAdmitted::OwnLoginRequired(challenge)) => {
            debug!(%peer, %eid, "shared credentials for a CPE with its own login");
            return unauthorized(challenge.0);
        }
    }
    let session = SessionId::random();
    let answer = front.engine.inform(eid.clone(), envelope, peer.ip(), session).await;
    if matches!(answer, Some(AcsAnswer::Envelope(_))) {
        front.sessions.insert(session, eid.clone(), peer.ip());
        *bound.lock().unwrap_or_else(|e| e.into_inner()) = Some((session, eid));
    }
    let cookie = format!("{COOKIE_NAME}={session}; Path={}", front.path);
    session_answer(front, bound, session, answer, Some(cookie))
}

/// The HTTP form of a device's answer; forgets sessions that ended.
fn session_answer(
    front: &Front,
    bound: &ConnectionSession,
    session: SessionId,
    answer: Option<AcsAnswer>,
    cookie: Option<String>,
) -> Response<Full<Bytes>> {
    let ended = || {
        front.sessions.remove(session);
        let mut bound = bound.lock().unwrap_or_else(|e| e.into_inner());
        if bound.as_ref().is_some_and(|(id, _)| *id == session) {
            *bound = None;
        }
    };
    match answer {
        Some(AcsAnswer::Envelope(xml)) => {
            let mut response = soap(xml);
            if let Some(cookie) = cookie.and_then(|c| c.parse().ok()) {
                response.headers_mut().insert(SET_COOKIE, cookie);
            }
            response
        }
        Some(AcsAnswer::NoContent) => {
            ended();
            empty(StatusCode::NO_CONTENT)
        }
        Some(AcsAnswer::NoSession) => {
            ended();
            closing(StatusCode::BAD_REQUEST)
        }
        // The device's actor is gone (shutting down).
        None => closing(StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// The session this request continues, by connection, then by cookie.
fn known_session(
    front: &Front,
    bound: &ConnectionSession,
    request: &Request<Incoming>,
) -> Option<(SessionId, EndpointId)> {
    if let Some(known) = bound.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return Some(known);
    }
    let cookies = request.headers().get_all(COOKIE).iter().filter_map(|v| v.to_str().ok());
    let id = session_cookie(cookies)?;
    front.sessions.get(id).map(|eid| (id, eid))
}

/// The body, whole (chunked or not), within the size and time limits.
async fn read_body(front: &Front, body: Incoming) -> Result<Bytes, StatusCode> {
    let limited = Limited::new(body, front.max_body);
    match tokio::time::timeout(front.read_timeout, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Ok(Err(_)) => Err(StatusCode::BAD_REQUEST),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
    }
}

/// ACS fault 8003 for a well-formed envelope the ACS cannot use.
fn soap_fault(envelope: &Envelope, why: &str) -> Response<Full<Bytes>> {
    let mut fault = SoapFault::new(FaultCode::ACS_INVALID_ARGUMENTS);
    fault.detail.fault_string = why.to_owned();
    soap(envelope.reply(Body::Fault(fault)).to_bytes())
}

fn soap(xml: Bytes) -> Response<Full<Bytes>> {
    plain(StatusCode::OK).header(CONTENT_TYPE, "text/xml; charset=\"utf-8\"").body(Full::new(xml)).unwrap()
}

fn unauthorized(challenges: Vec<String>) -> Response<Full<Bytes>> {
    let mut response = empty(StatusCode::UNAUTHORIZED);
    for challenge in challenges.into_iter().filter_map(|c| c.parse().ok()) {
        response.headers_mut().append(WWW_AUTHENTICATE, challenge);
    }
    response
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    plain(status).body(Full::default()).unwrap()
}

/// An error after which the connection is not worth keeping: the CPE starts over.
fn closing(status: StatusCode) -> Response<Full<Bytes>> {
    plain(status).header(CONNECTION, "close").body(Full::default()).unwrap()
}

fn plain(status: StatusCode) -> hyper::http::response::Builder {
    Response::builder().status(status)
}
