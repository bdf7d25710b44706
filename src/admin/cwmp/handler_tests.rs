//! The handler against a fake gateway: status codes, guard, body limits, JSON shapes.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use http_body_util::{BodyExt, Full};
use hyper::{Method, Request};

use super::*;
use crate::admin::cwmp::{AdminFuture, CwmpAdmin, CwmpDevice, LoginName};

/// A device's ACS login and connection request login.
type Logins = (Option<Login>, Option<Login>);

/// Devices by endpoint ID, with their logins.
#[derive(Default)]
struct FakeGateway(Mutex<BTreeMap<String, Logins>>);

impl FakeGateway {
    fn with(eids: &[&str]) -> Arc<Self> {
        let fake = Self::default();
        for eid in eids {
            fake.0.lock().unwrap().insert((*eid).into(), (None, None));
        }
        Arc::new(fake)
    }

    fn shown(eid: &str, logins: &Logins) -> CwmpDevice {
        let name = |l: &Option<Login>| l.as_ref().map(|l| LoginName { username: l.username.clone() });
        CwmpDevice {
            endpoint_id: eid.into(),
            manufacturer: "Acme".into(),
            oui: "00D09E".into(),
            product_class: "Box".into(),
            serial_number: "SN".into(),
            connection_request_url: None,
            registered_at: SystemTime::UNIX_EPOCH,
            last_inform_at: None,
            last_events: vec!["1 BOOT".into()],
            acs_login: name(&logins.0),
            connection_request_login: name(&logins.1),
        }
    }

    fn change(&self, eid: &str, f: impl FnOnce(&mut Logins)) -> Result<(), CwmpAdminError> {
        let mut devices = self.0.lock().unwrap();
        let entry = devices.get_mut(eid).ok_or_else(|| CwmpAdminError::UnknownDevice(eid.into()))?;
        f(entry);
        Ok(())
    }
}

impl CwmpAdmin for FakeGateway {
    fn devices(&self) -> AdminFuture<'_, Result<Vec<CwmpDevice>, CwmpAdminError>> {
        let list = self.0.lock().unwrap().iter().map(|(eid, l)| Self::shown(eid, l)).collect();
        Box::pin(async move { Ok(list) })
    }

    fn device(&self, eid: String) -> AdminFuture<'_, Result<CwmpDevice, CwmpAdminError>> {
        let found = self.0.lock().unwrap().get(&eid).map(|l| Self::shown(&eid, l));
        Box::pin(async move { found.ok_or(CwmpAdminError::UnknownDevice(eid)) })
    }

    fn set_acs_login(&self, eid: String, login: Option<Login>) -> AdminFuture<'_, Result<(), CwmpAdminError>> {
        let taken = login.as_ref().and_then(|new| {
            let devices = self.0.lock().unwrap();
            let owner = devices
                .iter()
                .find(|(other, l)| **other != eid && l.0.as_ref().is_some_and(|o| o.username == new.username));
            owner.map(|(owner, _)| CwmpAdminError::UsernameTaken {
                username: new.username.clone(),
                owner: owner.clone(),
            })
        });
        let result = match taken {
            Some(e) => Err(e),
            None => self.change(&eid, |l| l.0 = login),
        };
        Box::pin(async move { result })
    }

    fn set_connection_request_login(
        &self,
        eid: String,
        login: Option<Login>,
    ) -> AdminFuture<'_, Result<(), CwmpAdminError>> {
        let result = self.change(&eid, |l| l.1 = login);
        Box::pin(async move { result })
    }

    fn forget(&self, eid: String) -> AdminFuture<'_, Result<(), CwmpAdminError>> {
        let removed = self.0.lock().unwrap().remove(&eid);
        Box::pin(async move { removed.map(|_| ()).ok_or(CwmpAdminError::UnknownDevice(eid)) })
    }
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const REMOTE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

fn slot(gateway: Arc<FakeGateway>) -> CwmpSlot {
    let slot = CwmpSlot::default();
    slot.set(gateway);
    slot
}

async fn call(slot: &CwmpSlot, guard: &ApiGuard, peer: IpAddr, request: Request<Full<Bytes>>) -> (StatusCode, String) {
    let resp = handle(request, peer, slot, guard).await;
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn req(method: Method, path: &str, body: &str) -> Request<Full<Bytes>> {
    Request::builder().method(method).uri(path).body(Full::new(Bytes::from(body.to_owned()))).unwrap()
}

const ACS: &str = "/api/v1/cwmp/devices/os::A-1/acs-credentials";
const LOGIN: &str = r#"{"username":"cpe-a","password":"hunter2"}"#;

#[tokio::test]
async fn without_a_gateway_every_route_is_404() {
    let (status, body) =
        call(&CwmpSlot::default(), &ApiGuard::new(None), LOOPBACK, req(Method::GET, "/api/v1/cwmp/devices", "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("\"error\""));
}

#[tokio::test]
async fn set_list_show_and_forget() {
    let slot = slot(FakeGateway::with(&["os::A-1", "os::B-2"]));
    let guard = ApiGuard::new(None);
    assert_eq!(call(&slot, &guard, LOOPBACK, req(Method::PUT, ACS, LOGIN)).await.0, StatusCode::NO_CONTENT);
    let (status, list) = call(&slot, &guard, LOOPBACK, req(Method::GET, "/api/v1/cwmp/devices", "")).await;
    assert_eq!(status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["acs_login"]["username"], "cpe-a");
    assert_eq!(list[1]["acs_login"], serde_json::Value::Null);
    let (status, one) = call(&slot, &guard, LOOPBACK, req(Method::GET, "/api/v1/cwmp/devices/os%3A%3AA-1", "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(one.contains("cpe-a") && !one.contains("hunter2"), "{one}");
    assert_eq!(
        call(&slot, &guard, LOOPBACK, req(Method::DELETE, "/api/v1/cwmp/devices/os::A-1", "")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&slot, &guard, LOOPBACK, req(Method::GET, "/api/v1/cwmp/devices/os::A-1", "")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&slot, &guard, LOOPBACK, req(Method::DELETE, "/api/v1/cwmp/devices/os::A-1", "")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_taken_user_name_is_409_and_an_unknown_device_404() {
    let slot = slot(FakeGateway::with(&["os::A-1", "os::B-2"]));
    let guard = ApiGuard::new(None);
    assert_eq!(call(&slot, &guard, LOOPBACK, req(Method::PUT, ACS, LOGIN)).await.0, StatusCode::NO_CONTENT);
    let other = "/api/v1/cwmp/devices/os::B-2/acs-credentials";
    assert_eq!(call(&slot, &guard, LOOPBACK, req(Method::PUT, other, LOGIN)).await.0, StatusCode::CONFLICT);
    let nobody = "/api/v1/cwmp/devices/os::Z-9/connection-request-credentials";
    assert_eq!(call(&slot, &guard, LOOPBACK, req(Method::PUT, nobody, LOGIN)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_bodies_are_400_and_large_ones_413() {
    let slot = slot(FakeGateway::with(&["os::A-1"]));
    let guard = ApiGuard::new(None);
    for bad in [
        "",
        "{",
        r#"{"username":"u"}"#,
        r#"{"username":"","password":"p"}"#,
        r#"{"username":"a:b","password":"p"}"#,
        r#"{"username":"u","password":"p","extra":1}"#,
        r#"{"username":"u\n","password":"p"}"#,
    ] {
        let (status, body) = call(&slot, &guard, LOOPBACK, req(Method::PUT, ACS, bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"].is_string());
    }
    let huge = format!(r#"{{"username":"u","password":"{}"}}"#, "x".repeat(MAX_BODY));
    assert_eq!(call(&slot, &guard, LOOPBACK, req(Method::PUT, ACS, &huge)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let mut declared = req(Method::PUT, ACS, LOGIN);
    declared.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(1 << 20));
    assert_eq!(call(&slot, &guard, LOOPBACK, declared).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn changes_pass_the_guard_and_reads_do_not_need_to() {
    let slot = slot(FakeGateway::with(&["os::A-1"]));
    let open = ApiGuard::new(None);
    assert_eq!(call(&slot, &open, REMOTE, req(Method::PUT, ACS, LOGIN)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(call(&slot, &open, REMOTE, req(Method::GET, "/api/v1/cwmp/devices", "")).await.0, StatusCode::OK);

    let token = ApiGuard::new(Some("t0ken"));
    assert_eq!(call(&slot, &token, LOOPBACK, req(Method::DELETE, ACS, "")).await.0, StatusCode::UNAUTHORIZED);
    let mut with = req(Method::DELETE, ACS, "");
    with.headers_mut().insert(hyper::header::AUTHORIZATION, HeaderValue::from_static("Bearer t0ken"));
    assert_eq!(call(&slot, &token, REMOTE, with).await.0, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let slot = slot(FakeGateway::with(&["os::A-1"]));
    let resp = handle(req(Method::POST, "/api/v1/cwmp/devices", ""), LOOPBACK, &slot, &ApiGuard::new(None)).await;
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()[hyper::header::ALLOW], "GET");
}
