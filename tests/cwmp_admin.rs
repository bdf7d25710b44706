//! The CWMP part of the admin API through an in-process hub and our CPE simulator: an
//! operator lists and inspects CPE, gives one its own ACS login (which the ACS then demands),
//! sets the login its connection requests use (taken up by the next one, with no Inform in
//! between), forgets it; changes need the API token when one is configured, and passwords
//! never come back out.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::cpe::usp::response_of;
use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use usphub::config::{Config, CwmpAuthMode, Listen};
use usphub::cwmp::rpc::XsdType;
use usphub::usp::proto::msg;

const CONTROLLER: &str = "self::cwmp-admin-controller";

fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("usphub-cwmp-admin-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("registry.db")
}

fn with_cwmp(config: &mut Config, db: &Path) {
    config.cwmp.listen = Listen::addr("127.0.0.1:0");
    config.cwmp.database = db.to_path_buf();
}

fn tree() -> ParamTree {
    let mut tree = ParamTree::default();
    tree.set("Device.DeviceInfo.SoftwareVersion", "1.0", XsdType::String, false);
    tree.set("Device.WiFi.SSID.1.SSID", "home", XsdType::String, true);
    tree
}

/// The API path of one device (its endpoint ID percent-encoded), plus `tail`.
fn device_path(eid: &str, tail: &str) -> String {
    format!("/api/v1/cwmp/devices/{}{tail}", percent_encode(eid))
}

/// One HTTP/1.1 request to the admin listener; the status and the body.
async fn api(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

fn login(username: &str, password: &str) -> String {
    serde_json::json!({ "username": username, "password": password }).to_string()
}

#[tokio::test]
async fn an_acs_login_set_through_the_api_is_the_only_one_the_cpe_may_use() {
    let db = temp_db("acs");
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.cwmp.auth = CwmpAuthMode::Digest;
        c.cwmp.username = Some("shared".into());
        c.cwmp.password = Some("shared-pw".into());
    })
    .await;
    let (admin, acs) = (hub.admin_addr.unwrap(), hub.cwmp_addr.unwrap());
    let mut options = CpeOptions::new(acs, "SN-ADMIN");
    options.login = Some(("shared".into(), "shared-pw".into()));
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    let mut other = CpeOptions::new(acs, "SN-OTHER");
    other.login = options.login.clone();
    assert_eq!(Cpe::new(other, tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);

    let eid = "os::00D09E-SN-ADMIN";
    let acs_login = device_path(eid, "/acs-credentials");
    assert_eq!(api(admin, "PUT", &acs_login, None, Some(&login("own-user", "own-pw"))).await.0, 204);
    // The shared login no longer admits this CPE; its own does; other CPE keep the shared one.
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("2 PERIODIC", "")], &[]).await.statuses, [401]);
    options.login = Some(("own-user".into(), "own-pw".into()));
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("2 PERIODIC", "")], &[]).await.statuses, [200, 204]);

    // A new login replaces the old one at once.
    assert_eq!(api(admin, "PUT", &acs_login, None, Some(&login("own-user-2", "own-pw-2"))).await.0, 204);
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("2 PERIODIC", "")], &[]).await.statuses, [401]);
    options.login = Some(("own-user-2".into(), "own-pw-2".into()));
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("2 PERIODIC", "")], &[]).await.statuses, [200, 204]);

    // One user name, one CPE.
    let taken = api(
        admin,
        "PUT",
        &device_path("os::00D09E-SN-OTHER", "/acs-credentials"),
        None,
        Some(&login("own-user-2", "x")),
    )
    .await;
    assert_eq!(taken.0, 409, "{}", taken.1);
    assert_eq!(
        api(admin, "PUT", &device_path("os::00D09E-NOBODY", "/acs-credentials"), None, Some(&login("u", "p"))).await.0,
        404
    );

    // What GET shows: the user name, never a password.
    let (status, shown) = api(admin, "GET", &device_path(eid, ""), None, None).await;
    assert_eq!(status, 200);
    let device: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(device["acs_login"]["username"], "own-user-2");
    assert_eq!(device["serial_number"], "SN-ADMIN");
    let (_, list) = api(admin, "GET", "/api/v1/cwmp/devices", None, None).await;
    for secret in ["own-pw", "shared-pw"] {
        assert!(!shown.contains(secret) && !list.contains(secret), "{secret} leaked");
    }

    // Removed, the CPE is back on the shared login.
    assert_eq!(api(admin, "DELETE", &acs_login, None, None).await.0, 204);
    options.login = Some(("shared".into(), "shared-pw".into()));
    assert_eq!(Cpe::new(options, tree()).session(&[("2 PERIODIC", "")], &[]).await.statuses, [200, 204]);
    hub.shutdown().await;
}

#[tokio::test]
async fn a_connection_request_login_set_through_the_api_is_used_by_the_next_request() {
    let db = temp_db("cr");
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.cwmp.notify_controllers = vec![CONTROLLER.into()];
        // The defaults, which this CPE does not accept.
        c.cwmp.connection_request.username = Some("acs".into());
        c.cwmp.connection_request.password = Some("cr-secret".into());
        c.cwmp.connection_request.min_interval = Duration::from_millis(50);
        c.cwmp.connection_request.retry_interval = Duration::from_millis(200);
    })
    .await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut options = CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-CR");
    options.connection_request_login = ("cpe-own-cr".into(), "cpe-own-cr-pw".into());
    let cpe = Cpe::new(options, tree());
    let url = cpe.serve_connection_requests().await;
    assert_eq!(cpe.session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    let _boot = controller.recv().await;
    let eid = "os::00D09E-SN-CR";
    let (_, shown) = api(hub.admin_addr.unwrap(), "GET", &device_path(eid, ""), None, None).await;
    let device: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(device["connection_request_url"], url.as_str());
    assert_eq!(device["last_events"], serde_json::json!(["1 BOOT"]));
    assert_eq!(device["connection_request_login"], serde_json::Value::Null);

    // With the defaults the CPE refuses the connection request, again and again.
    controller.send(record(CONTROLLER, eid, &get("get-1", &["Device.WiFi.SSID.1.SSID"]))).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while metric(&hub, "usphub_cwmp_connection_requests_failed_total").await < 1.0 {
        assert!(tokio::time::Instant::now() < deadline, "no refused connection request");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cpe.sessions.load(std::sync::atomic::Ordering::SeqCst), 1, "only the boot session");

    // The operator sets the CPE's login: the next retry uses it, and the Get is served.
    let path = device_path(eid, "/connection-request-credentials");
    let body = login("cpe-own-cr", "cpe-own-cr-pw");
    assert_eq!(api(hub.admin_addr.unwrap(), "PUT", &path, None, Some(&body)).await.0, 204);
    let msg::response::RespType::GetResp(got) = response_of(&msg_of(&controller.recv().await).1) else { panic!() };
    assert_eq!(got.req_path_results[0].resolved_path_results[0].result_params["SSID"], "home");
    let (_, shown) = api(hub.admin_addr.unwrap(), "GET", &device_path(eid, ""), None, None).await;
    assert!(shown.contains("\"username\":\"cpe-own-cr\"") && !shown.contains("cpe-own-cr-pw"), "{shown}");
    hub.shutdown().await;
}

#[tokio::test]
async fn with_an_api_token_changes_need_it_and_a_forgotten_device_is_gone() {
    let db = temp_db("token");
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.admin.api_token = Some("t0ken-for-tests".into());
    })
    .await;
    let admin = hub.admin_addr.unwrap();
    let cpe = Cpe::new(CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-TOKEN"), tree());
    assert_eq!(cpe.session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    let eid = "os::00D09E-SN-TOKEN";
    assert!(hub.router.is_connected(eid));

    let cr = device_path(eid, "/connection-request-credentials");
    let body = login("u", "p");
    assert_eq!(api(admin, "PUT", &cr, None, Some(&body)).await.0, 401);
    assert_eq!(api(admin, "PUT", &cr, Some("wrong"), Some(&body)).await.0, 401);
    assert_eq!(api(admin, "DELETE", &device_path(eid, ""), None, None).await.0, 401);
    assert_eq!(api(admin, "PUT", &cr, Some("t0ken-for-tests"), Some(&body)).await.0, 204);
    // Reading needs no token; bad requests are told why.
    let (status, list) = api(admin, "GET", "/api/v1/cwmp/devices", None, None).await;
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["endpoint_id"], eid);
    assert_eq!(list[0]["connection_request_login"]["username"], "u");
    let (status, error) = api(admin, "PUT", &cr, Some("t0ken-for-tests"), Some("{not json")).await;
    assert_eq!(status, 400);
    assert!(serde_json::from_str::<serde_json::Value>(&error).unwrap()["error"].is_string());
    assert_eq!(api(admin, "POST", &cr, Some("t0ken-for-tests"), Some(&body)).await.0, 405);
    let huge = login("u", &"p".repeat(20_000));
    assert_eq!(api(admin, "PUT", &cr, Some("t0ken-for-tests"), Some(&huge)).await.0, 413);

    assert_eq!(api(admin, "DELETE", &device_path(eid, ""), Some("t0ken-for-tests"), None).await.0, 204);
    assert_eq!(api(admin, "GET", &device_path(eid, ""), None, None).await.0, 404);
    assert_eq!(api(admin, "DELETE", &device_path(eid, ""), Some("t0ken-for-tests"), None).await.0, 404);
    assert_eq!(api(admin, "GET", "/api/v1/cwmp/devices", None, None).await.1, "[]");
    eventually(|| !hub.router.is_connected(eid)).await;
    hub.shutdown().await;
}

/// This machine's address on its default route, if it has one: a peer that is not loopback.
fn non_loopback_ip() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn without_a_token_changes_come_from_loopback_only() {
    let db = temp_db("loopback");
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.admin.listen = Listen::addr("0.0.0.0:0");
    })
    .await;
    let port = hub.admin_addr.unwrap().port();
    let cpe = Cpe::new(CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-LOOP"), tree());
    assert_eq!(cpe.session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    let path = device_path("os::00D09E-SN-LOOP", "/acs-credentials");
    let body = login("loop-user", "loop-pw");
    match non_loopback_ip() {
        Some(ip) => {
            let remote = SocketAddr::new(ip, port);
            assert_eq!(api(remote, "PUT", &path, None, Some(&body)).await.0, 403);
            assert_eq!(api(remote, "GET", "/api/v1/cwmp/devices", None, None).await.0, 200);
        }
        None => eprintln!("no non-loopback address here: the 403 case is covered by the unit tests only"),
    }
    let local = SocketAddr::from(([127, 0, 0, 1], port));
    assert_eq!(api(local, "PUT", &path, None, Some(&body)).await.0, 204);
    hub.shutdown().await;
}

#[tokio::test]
async fn with_cwmp_off_the_routes_are_404() {
    let hub = start_hub(|_| {}).await;
    let admin = hub.admin_addr.unwrap();
    assert_eq!(api(admin, "GET", "/api/v1/cwmp/devices", None, None).await.0, 404);
    assert_eq!(api(admin, "DELETE", &device_path("os::00D09E-X", ""), None, None).await.0, 404);
    assert_eq!(api(admin, "GET", "/api/v1/endpoints", None, None).await.0, 200);
    hub.shutdown().await;
}
