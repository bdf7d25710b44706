//! Building the admin listener's answers: plain text for probes and Prometheus, JSON for the
//! API, with errors as `{"error": "…"}` so scripts can show the reason.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;

pub type Reply = Response<Full<Bytes>>;

pub fn text(status: StatusCode, body: String) -> Reply {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp
}

/// 200 with `value` as JSON.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Reply {
    match serde_json::to_vec(value) {
        Ok(body) => json_body(StatusCode::OK, body),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &format!("cannot serialise the answer: {e}")),
    }
}

/// `{"error": message}` with `status`.
pub fn error(status: StatusCode, message: &str) -> Reply {
    let body = serde_json::to_vec(&serde_json::json!({ "error": message })).unwrap_or_default();
    json_body(status, body)
}

/// 405, naming the methods the resource has.
pub fn method_not_allowed(allow: &'static str) -> Reply {
    let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, &format!("allowed: {allow}"));
    resp.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    resp
}

pub fn no_content() -> Reply {
    text(StatusCode::NO_CONTENT, String::new())
}

fn json_body(status: StatusCode, body: Vec<u8>) -> Reply {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
