//! The CWMP gateway through an in-process hub: CPE (our simulator) call in over HTTP, appear
//! as USP agents, and their Informs reach a WebSocket Controller as Notify; authentication,
//! the registry across restarts, the cookie-less fallback, and bad input.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::cpe::{Cpe, CpeOptions, ParamTree};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use usphub::config::{Config, CwmpAuthMode, Listen};
use usphub::cwmp::registry::{Credentials, Registry};
use usphub::cwmp::rpc::XsdType;
use usphub::usp::proto::msg;

const CONTROLLER: &str = "self::cwmp-test-controller";

/// A database path in a fresh directory (removed by the OS's temp cleaning; each test's own).
fn temp_db(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("usphub-cwmp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("registry.db")
}

fn with_cwmp(config: &mut Config, db: &Path) {
    config.cwmp.listen = Listen::addr("127.0.0.1:0");
    config.cwmp.database = db.to_path_buf();
    config.cwmp.notify_controllers = vec![CONTROLLER.into()];
}

fn tree() -> ParamTree {
    let mut tree = ParamTree::default();
    tree.set("Device.DeviceInfo.SoftwareVersion", "1.0", XsdType::String, false);
    tree.set("Device.WiFi.SSID.1.SSID", "home", XsdType::String, true);
    tree
}

fn notify_of(m: &msg::Msg) -> msg::Notify {
    match m.body.as_ref().and_then(|b| b.msg_body.as_ref()) {
        Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) })) => {
            n.clone()
        }
        other => panic!("not a Notify: {other:?}"),
    }
}

#[tokio::test]
async fn inform_registers_the_cpe_and_notifies_boot_and_value_change() {
    let db = temp_db("notify");
    let hub = start_hub(|c| with_cwmp(c, &db)).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let cpe = Cpe::new(CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-NOTIFY"), tree());

    let log = cpe.session(&[("0 BOOTSTRAP", ""), ("1 BOOT", "")], &[]).await;
    assert_eq!(log.statuses, [200, 204], "InformResponse, then 204: nothing queued");
    assert!(hub.router.is_connected("os::00D09E-SN-NOTIFY"), "a USP endpoint now");
    let (rec, m) = msg_of(&controller.recv().await);
    assert_eq!((rec.from_id.as_str(), rec.to_id.as_str()), ("os::00D09E-SN-NOTIFY", CONTROLLER));
    let onboard = notify_of(&m);
    assert!(onboard.send_resp && onboard.subscription_id.is_empty(), "R-NOT.6/7");
    let Some(msg::notify::Notification::OnBoardReq(request)) = onboard.notification else { panic!() };
    assert_eq!((request.oui.as_str(), request.serial_number.as_str()), ("00D09E", "SN-NOTIFY"));
    let (_, m) = msg_of(&controller.recv().await);
    let Some(msg::notify::Notification::Event(event)) = notify_of(&m).notification else { panic!() };
    assert_eq!((event.obj_path.as_str(), event.event_name.as_str()), ("Device.", "Boot!"));
    assert_eq!(event.params["Cause"], "LocalFactoryReset");

    cpe.tree.lock().unwrap().set("Device.WiFi.SSID.1.SSID", "changed", XsdType::String, true);
    let log = cpe.session(&[("4 VALUE CHANGE", "")], &["Device.WiFi.SSID.1.SSID"]).await;
    assert_eq!(log.statuses, [200, 204]);
    let (_, m) = msg_of(&controller.recv().await);
    let Some(msg::notify::Notification::ValueChange(change)) = notify_of(&m).notification else { panic!() };
    assert_eq!((change.param_path.as_str(), change.param_value.as_str()), ("Device.WiFi.SSID.1.SSID", "changed"));
    controller.expect_silence().await;
    hub.shutdown().await;

    // Restarted, the hub attaches the registered CPE before it calls in again.
    let hub = start_hub(|c| with_cwmp(c, &db)).await;
    assert!(hub.router.is_connected("os::00D09E-SN-NOTIFY"));
    let registry_row = hub.router.endpoints().into_iter().find(|e| e.eid.as_str() == "os::00D09E-SN-NOTIFY").unwrap();
    assert_eq!(registry_row.mtp, usphub::usp::Mtp::Cwmp);
    hub.shutdown().await;
}

#[tokio::test]
async fn digest_authentication_with_shared_and_per_device_credentials() {
    let db = temp_db("digest");
    {
        // A CPE registered earlier with its own login.
        let registry = Registry::open(&db).unwrap();
        let inform = usphub::cwmp::rpc::Inform {
            device_id: CpeOptions::new("127.0.0.1:9".parse().unwrap(), "SN-OWN").device,
            events: Vec::new(),
            max_envelopes: 1,
            current_time: String::new(),
            retry_count: 0,
            parameter_list: Vec::new(),
        };
        registry.record_inform("os::00D09E-SN-OWN", &inform, std::time::SystemTime::now()).unwrap();
        registry.set_acs_credentials("os::00D09E-SN-OWN", Some(Credentials::new("own-user", "own-pw"))).unwrap();
    }
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.cwmp.auth = CwmpAuthMode::Digest;
        c.cwmp.username = Some("shared".into());
        c.cwmp.password = Some("shared-pw".into());
    })
    .await;
    let acs = hub.cwmp_addr.unwrap();
    let anonymous = Cpe::new(CpeOptions::new(acs, "SN-ANON"), tree());
    assert_eq!(anonymous.session(&[("1 BOOT", "")], &[]).await.statuses, [401]);

    let mut options = CpeOptions::new(acs, "SN-SHARED");
    options.login = Some(("shared".into(), "wrong".into()));
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [401]);
    options.login = Some(("shared".into(), "shared-pw".into()));
    assert_eq!(Cpe::new(options, tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);

    let mut own = CpeOptions::new(acs, "SN-OWN");
    own.login = Some(("own-user".into(), "own-pw".into()));
    own.reconnect_each_post = true;
    assert_eq!(Cpe::new(own.clone(), tree()).session(&[("2 PERIODIC", "")], &[]).await.statuses, [200, 204]);
    // Another CPE presenting SN-OWN's credentials is refused.
    let mut thief = own;
    thief.device.serial_number = "SN-THIEF".into();
    assert_eq!(Cpe::new(thief, tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [403]);
    hub.shutdown().await;
}

#[tokio::test]
async fn a_cpe_without_cookies_or_connection_is_followed_by_its_address() {
    let db = temp_db("fallback");
    let hub = start_hub(|c| with_cwmp(c, &db)).await;
    let mut options = CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-NOCOOKIE");
    options.keep_cookies = false;
    options.reconnect_each_post = true;
    assert_eq!(Cpe::new(options, tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    hub.shutdown().await;
}

/// Sends raw bytes to the ACS and returns the status line and body.
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> (String, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), tcp.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

fn post(body: &str) -> Vec<u8> {
    format!("POST / HTTP/1.1\r\nHost: acs\r\nContent-Type: text/xml\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .into_bytes()
}

#[tokio::test]
async fn bad_input_gets_4xx_or_a_fault_and_disturbs_nothing() {
    let db = temp_db("bad");
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.cwmp.max_body = 64 << 10;
    })
    .await;
    let acs = hub.cwmp_addr.unwrap();
    let cases: [(&[u8], &str); 5] = [
        (b"GET / HTTP/1.1\r\nHost: acs\r\nConnection: close\r\n\r\n", "405"),
        (b"POST /elsewhere HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "404"),
        (b"POST / HTTP/1.1\r\nHost: acs\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n", "413"),
        (b"POST / HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "400"),
        (&post("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"), "400"),
    ];
    for (request, status) in cases {
        let (line, _) = raw(acs, request).await;
        assert!(line.contains(status), "{line} for {}", String::from_utf8_lossy(&request[..20]));
    }
    let unknown_ns = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:c=\"urn:dslforum-org:cwmp-9-9\"><s:Body><c:Inform/></s:Body></s:Envelope>";
    assert!(raw(acs, &post(unknown_ns)).await.0.contains("400"));
    let no_device_id = std::fs::read_to_string("tests/fixtures/cwmp/malformed-inform-without-deviceid.xml").unwrap();
    let (line, body) = raw(acs, &post(&no_device_id)).await;
    assert!(line.contains("200") && body.contains("<FaultCode>8003</FaultCode>"), "{line} {body}");

    // A huge chunked body is cut off at max_body.
    let mut chunked =
        b"POST / HTTP/1.1\r\nHost: acs\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    let chunk = vec![b'x'; 32 << 10];
    for _ in 0..4 {
        chunked.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend(&chunk);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    assert!(raw(acs, &chunked).await.0.contains("413"));

    // A chunked Inform within the limit is served, and the ACS still works for a real CPE.
    let cpe = Cpe::new(CpeOptions::new(acs, "SN-AFTER"), tree());
    assert_eq!(cpe.session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    hub.shutdown().await;
}

#[tokio::test]
async fn basic_authentication_checks_the_shared_login() {
    let db = temp_db("basic");
    let hub = start_hub(|c| {
        with_cwmp(c, &db);
        c.cwmp.auth = CwmpAuthMode::Basic;
        c.cwmp.username = Some("cpe".into());
        c.cwmp.password = Some("basic-pw".into());
    })
    .await;
    let mut options = CpeOptions::new(hub.cwmp_addr.unwrap(), "SN-BASIC");
    options.login = Some(("cpe".into(), "nope".into()));
    assert_eq!(Cpe::new(options.clone(), tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [401]);
    options.login = Some(("cpe".into(), "basic-pw".into()));
    assert_eq!(Cpe::new(options, tree()).session(&[("1 BOOT", "")], &[]).await.statuses, [200, 204]);
    hub.shutdown().await;
}
