//! The core relay over WebSocket, end to end through an in-process hub: routing by `to_id`,
//! identity, bad input, session replacement, the offline hold and back-pressure.

mod support;

use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use support::*;
use tokio_tungstenite::tungstenite::{Message, protocol::frame::coding::CloseCode};
use usphub::usp::proto::msg;

const AGENT: &str = "os::012345-TESTAGENT";
const CONTROLLER: &str = "self::test-controller";

#[tokio::test]
async fn two_endpoints_exchange_get_and_get_resp() {
    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut agent = connect(addr, AGENT).await;
    let mut controller = connect(addr, CONTROLLER).await;

    // The agent announces itself; the controller gets the very same bytes.
    let hello = ws_connect_record(AGENT, CONTROLLER);
    agent.send(hello.clone()).await;
    assert_eq!(controller.recv().await, hello);

    let request = record(CONTROLLER, AGENT, &get("req-1", &["Device.DeviceInfo."]));
    controller.send(request.clone()).await;
    let received = agent.recv().await;
    assert_eq!(received, request, "relayed byte for byte");
    let (rec, m) = msg_of(&received);
    assert_eq!((rec.from_id.as_str(), rec.to_id.as_str()), (CONTROLLER, AGENT));
    assert_eq!(m.header.unwrap().msg_type, msg::header::MsgType::Get as i32);

    let params = [("SoftwareVersion", "1.2.3"), ("SerialNumber", "TESTAGENT")];
    agent.send(record(AGENT, CONTROLLER, &get_resp("req-1", "Device.DeviceInfo.", &params))).await;
    let (_, m) = msg_of(&controller.recv().await);
    assert_eq!(m.header.as_ref().unwrap().msg_id, "req-1");
    let Some(msg::body::MsgBody::Response(msg::Response { resp_type: Some(msg::response::RespType::GetResp(resp)) })) =
        m.body.unwrap().msg_body
    else {
        panic!("not a GetResp");
    };
    let result = &resp.req_path_results[0].resolved_path_results[0];
    assert_eq!(result.result_params["SoftwareVersion"], "1.2.3");

    assert_eq!(metric(&hub, "usphub_records_in_total{mtp=\"websocket\"}").await, 3.0);
    assert_eq!(metric(&hub, "usphub_connections{mtp=\"websocket\"}").await, 2.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn forged_from_id_is_not_delivered() {
    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut victim = connect(addr, CONTROLLER).await;
    let mut forger = connect(addr, "os::012345-FORGER").await;

    forger.send(record(AGENT, CONTROLLER, &get("x", &["Device."]))).await;
    assert_eq!(forger.expect_close().await, CloseCode::Policy);
    victim.expect_silence().await;
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"forged_from_id\"}").await, 1.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn garbage_closes_only_that_connection_with_1003() {
    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut agent = connect(addr, AGENT).await;
    let mut controller = connect(addr, CONTROLLER).await;
    let mut vandal = connect(addr, "os::012345-VANDAL").await;
    let mut texter = connect(addr, "os::012345-TEXTER").await;

    vandal.send(Bytes::from_static(b"\xff\xff\xff not a protobuf record")).await;
    assert_eq!(vandal.expect_close().await, CloseCode::Unsupported);
    texter.ws.send(Message::Text("hello".into())).await.unwrap();
    assert_eq!(texter.expect_close().await, CloseCode::Unsupported);

    let request = record(CONTROLLER, AGENT, &get("after", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv().await, request);
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"malformed\"}").await, 2.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn oversize_record_is_refused_with_1009() {
    let hub = start_hub(|c| c.ws.max_record_size = 4096).await;
    let addr = hub.ws_addr.unwrap();
    let mut agent = connect(addr, AGENT).await;
    let mut controller = connect(addr, CONTROLLER).await;

    let big = "Device.".to_owned() + &"X".repeat(5000);
    controller.send(record(CONTROLLER, AGENT, &get("big", &[&big]))).await;
    assert_eq!(controller.expect_close().await, CloseCode::Size);
    agent.expect_silence().await;

    // The agent is untouched and can still reach a fresh controller session.
    let mut controller = connect(addr, CONTROLLER).await;
    let small = record(AGENT, CONTROLLER, &get("small", &["Device."]));
    agent.send(small.clone()).await;
    assert_eq!(controller.recv().await, small);
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"oversize\"}").await, 1.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn newest_session_wins() {
    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut controller = connect(addr, CONTROLLER).await;
    let mut old = connect(addr, AGENT).await;
    let mut new = connect(addr, AGENT).await;

    assert_eq!(old.expect_close().await, CloseCode::Normal);
    let request = record(CONTROLLER, AGENT, &get("to-new", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(new.recv().await, request);
    assert_eq!(metric(&hub, "usphub_sessions_replaced_total").await, 1.0);
    // The old session's teardown must not remove the new route.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(hub.router.is_connected(AGENT));
    hub.shutdown().await;
}

#[tokio::test]
async fn offline_hold_is_delivered_on_reconnect() {
    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut controller = connect(addr, CONTROLLER).await;
    let first = record(CONTROLLER, AGENT, &get("held-1", &["Device."]));
    let second = record(CONTROLLER, AGENT, &get("held-2", &["Device."]));
    controller.send(first.clone()).await;
    controller.send(second.clone()).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(metric(&hub, "usphub_hold_records").await, 2.0);

    let mut agent = connect(addr, AGENT).await;
    assert_eq!(agent.recv().await, first, "held Records arrive oldest first");
    assert_eq!(agent.recv().await, second);
    assert_eq!(metric(&hub, "usphub_hold_records").await, 0.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn offline_hold_expires_after_its_ttl() {
    let hub = start_hub(|c| c.router.hold_ttl = Duration::from_millis(200)).await;
    let addr = hub.ws_addr.unwrap();
    let mut controller = connect(addr, CONTROLLER).await;
    controller.send(record(CONTROLLER, AGENT, &get("stale", &["Device."]))).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let mut agent = connect(addr, AGENT).await;
    agent.expect_silence().await;
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"hold_expired\"}").await, 1.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn slow_consumer_does_not_block_a_fast_one() {
    let hub = start_hub(|c| {
        c.router.queue_max_records = 16;
        c.router.queue_max_bytes = 1 << 20;
    })
    .await;
    let addr = hub.ws_addr.unwrap();
    let mut sender = connect(addr, CONTROLLER).await;
    let mut fast = connect(addr, "os::012345-FAST").await;
    // Connected, then never read: its socket buffers fill and its queue backs up.
    let _slow = connect(addr, "os::012345-SLOW").await;

    let padding = "P".repeat(64 * 1024);
    let to_slow = record(CONTROLLER, "os::012345-SLOW", &get("slow", &[&padding]));
    let rounds = 200;
    let reader = tokio::spawn(async move {
        for i in 0..rounds {
            let (_, m) = msg_of(&fast.recv().await);
            assert_eq!(m.header.unwrap().msg_id, format!("fast-{i}"));
        }
    });
    for i in 0..rounds {
        sender.send(to_slow.clone()).await;
        sender.send(record(CONTROLLER, "os::012345-FAST", &get(&format!("fast-{i}"), &["Device."]))).await;
    }
    tokio::time::timeout(PATIENCE, reader).await.expect("the fast consumer got everything in time").unwrap();

    assert!(metric(&hub, "usphub_records_dropped_total{reason=\"queue_full\"}").await > 0.0);
    let queued = metric(&hub, "usphub_queue_records{mtp=\"websocket\"}").await;
    assert!(queued <= 16.0, "queue stayed bounded: {queued}");
    hub.shutdown().await;
}

#[tokio::test]
async fn shutdown_drains_and_closes_with_1001() {
    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut agent = connect(addr, AGENT).await;
    let mut controller = connect(addr, CONTROLLER).await;
    let request = record(CONTROLLER, AGENT, &get("last", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv().await, request);

    let shutdown = tokio::spawn(hub.shutdown());
    assert_eq!(agent.expect_close().await, CloseCode::Away);
    assert_eq!(controller.expect_close().await, CloseCode::Away);
    tokio::time::timeout(PATIENCE, shutdown).await.unwrap().unwrap();
}

#[tokio::test]
async fn fragmented_messages_are_reassembled() {
    use tokio_tungstenite::tungstenite::protocol::frame::{Frame, coding::{Data, OpCode}};

    let hub = start_hub(|_| {}).await;
    let addr = hub.ws_addr.unwrap();
    let mut agent = connect(addr, AGENT).await;
    let mut controller = connect(addr, CONTROLLER).await;
    let request = record(CONTROLLER, AGENT, &get("frag", &["Device.DeviceInfo."]));
    let (head, tail) = request.split_at(request.len() / 2);
    let frames = [
        Frame::message(Bytes::copy_from_slice(head), OpCode::Data(Data::Binary), false),
        Frame::message(Bytes::copy_from_slice(tail), OpCode::Data(Data::Continue), true),
    ];
    for frame in frames {
        controller.ws.send(Message::Frame(frame)).await.unwrap();
    }
    assert_eq!(agent.recv().await, request);
    hub.shutdown().await;
}

#[tokio::test]
async fn silent_peers_are_pinged_then_dropped() {
    let hub = start_hub(|c| {
        c.ws.ping_interval = Duration::from_millis(100);
        c.ws.idle_timeout = Duration::from_millis(400);
    })
    .await;
    let addr = hub.ws_addr.unwrap();
    let mut alive = connect(addr, AGENT).await;
    let mut silent = connect(addr, CONTROLLER).await;

    // `alive` keeps reading, so its client answers the hub's pings; `silent` reads nothing.
    let watch = tokio::spawn(async move {
        alive.expect_silence().await;
        alive.expect_silence().await;
        alive.expect_silence().await;
        alive
    });
    tokio::time::sleep(Duration::from_millis(900)).await;
    let mut alive = watch.await.unwrap();
    assert_eq!(silent.expect_close().await, CloseCode::Away);
    drop(silent);
    eventually(|| !hub.router.is_connected(CONTROLLER)).await;
    assert!(hub.router.is_connected(AGENT));

    let mut controller = connect(addr, CONTROLLER).await;
    let request = record(CONTROLLER, AGENT, &get("still-here", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(alive.recv().await, request);
    hub.shutdown().await;
}

#[tokio::test]
async fn credentials_bind_websocket_clients_to_their_endpoints() {
    use tokio_tungstenite::tungstenite::{Error, client::IntoClientRequest};

    let dir = std::env::temp_dir().join(format!("usphub-ws-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials.toml");
    let hash = usphub::auth::hash_password(b"s3cret", 1000);
    std::fs::write(&file, format!("[[users]]\nname = \"fleet\"\npassword = \"{hash}\"\nendpoints = [\"os::012345-*\"]\n")).unwrap();
    let hub = start_hub(|c| {
        c.auth.credentials_file = Some(file.clone());
        c.auth.allow_anonymous = false;
    })
    .await;
    let addr = hub.ws_addr.unwrap();
    let attempt = |eid: &str, authorization: Option<&str>| {
        let mut req = format!("ws://{addr}/usp?eid={}", percent_encode(eid)).into_client_request().unwrap();
        req.headers_mut().insert("Sec-WebSocket-Protocol", "v1.usp".parse().unwrap());
        if let Some(a) = authorization {
            req.headers_mut().insert("Authorization", a.parse().unwrap());
        }
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            match tokio_tungstenite::client_async(req, tcp).await {
                Ok(_) => 101,
                Err(Error::Http(resp)) => resp.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        }
    };
    // "fleet:s3cret" and "fleet:wrong" in Basic.
    let good = "Basic ZmxlZXQ6czNjcmV0";
    let bad = "Basic ZmxlZXQ6d3Jvbmc=";
    assert_eq!(attempt("os::012345-A", None).await, 401);
    assert_eq!(attempt("os::012345-A", Some(bad)).await, 401);
    assert_eq!(attempt("os::999999-A", Some(good)).await, 403);
    assert_eq!(attempt("os::012345-A", Some(good)).await, 101);
    hub.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
