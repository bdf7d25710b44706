//! The Unix-domain-socket MTP end to end through an in-process hub: the handshake, Get/GetResp
//! with a WebSocket endpoint, Error TLVs for bad input, the socket file's life cycle.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message as _;
use support::uds::*;
use support::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use usphub::mtp::uds::codec::{Tlv, UdsFrame, encode_error, encode_handshake, encode_record};
use usphub::usp::proto::{msg, record};

const AGENT: &str = "os::012345-UDSAGENT";
const CONTROLLER: &str = "self::ws-controller";

/// The empty UDSConnect Record an agent sends after the handshake (TR-369 §UDS connect flow).
fn uds_connect_record(from: &str, to: &str) -> Bytes {
    let rec = record::Record {
        version: "1.3".into(),
        to_id: to.into(),
        from_id: from.into(),
        record_type: Some(record::record::RecordType::UdsConnect(record::UdsConnectRecord {})),
        ..Default::default()
    };
    rec.encode_to_vec().into()
}

#[tokio::test]
async fn uds_agent_and_websocket_controller_exchange_get_and_get_resp() {
    let path = temp_socket_path("relay");
    let hub = start_hub(|c| enable_uds(c, &path)).await;
    assert_eq!(hub.uds_path.as_deref(), Some(&*path));
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let (mut agent, server_eid) = UdsClient::connect(&path, AGENT).await;
    assert_eq!(server_eid, "self::usphub");

    let hello = uds_connect_record(AGENT, CONTROLLER);
    agent.send_record(&hello).await;
    assert_eq!(controller.recv().await, hello, "UDSConnect is relayed like any Record");

    let request = record(CONTROLLER, AGENT, &get("req-1", &["Device.DeviceInfo."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv_record().await, request);
    let params = [("SoftwareVersion", "1.2.3")];
    agent.send_record(&record(AGENT, CONTROLLER, &get_resp("req-1", "Device.DeviceInfo.", &params))).await;
    let (rec, m) = msg_of(&controller.recv().await);
    assert_eq!((rec.from_id.as_str(), rec.to_id.as_str()), (AGENT, CONTROLLER));
    assert_eq!(m.header.as_ref().unwrap().msg_type, msg::header::MsgType::GetResp as i32);

    assert_eq!(metric(&hub, "usphub_records_in_total{mtp=\"uds\"}").await, 2.0);
    assert_eq!(metric(&hub, "usphub_connections{mtp=\"uds\"}").await, 1.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn records_before_the_handshake_are_ignored() {
    let path = temp_socket_path("early");
    let hub = start_hub(|c| enable_uds(c, &path)).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut agent = UdsClient::open(&path, AGENT).await;

    // R-UDS.20: ignored, not answered, and the connection stays usable.
    agent.send_record(&record(AGENT, CONTROLLER, &get("too-early", &["Device."]))).await;
    agent.expect_silence().await;
    controller.expect_silence().await;
    assert!(!hub.router.is_connected(AGENT));

    assert_eq!(agent.handshake(AGENT).await, "self::usphub");
    let in_time = record(AGENT, CONTROLLER, &get("in-time", &["Device."]));
    agent.send_record(&in_time).await;
    assert_eq!(controller.recv().await, in_time);
    hub.shutdown().await;
}

#[tokio::test]
async fn several_tlvs_in_one_frame_and_unknown_types() {
    let path = temp_socket_path("tlvs");
    let hub = start_hub(|c| enable_uds(c, &path)).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut agent = UdsClient::open(&path, AGENT).await;

    // Handshake, an unknown type (R-UDS.15) and a Record in one frame, then a repeated
    // handshake under another name (ignored, R-UDS.19).
    let request = record(AGENT, CONTROLLER, &get("packed", &["Device."]));
    let frame = UdsFrame {
        tlvs: vec![
            Tlv::Handshake(AGENT.into()),
            Tlv::Unknown { tlv_type: 9, value: Bytes::from_static(b"future") },
            Tlv::Record(request.clone()),
            Tlv::Handshake("self::someone-else".into()),
        ],
    };
    let mut wire = BytesMut::new();
    frame.encode(&mut wire).unwrap();
    agent.send_raw(&wire).await;
    assert!(matches!(agent.recv_tlv().await, Tlv::Handshake(h) if h == "self::usphub"));
    assert_eq!(controller.recv().await, request);
    assert!(hub.router.is_connected(AGENT));
    assert!(!hub.router.is_connected("self::someone-else"));
    hub.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_an_error_tlv_and_closes_only_that_connection() {
    let path = temp_socket_path("bad");
    let hub = start_hub(|c| {
        enable_uds(c, &path);
        c.uds.max_frame_size = 64 * 1024;
    })
    .await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let (mut agent, _) = UdsClient::connect(&path, AGENT).await;

    let frame = |f: fn(&mut BytesMut)| {
        let mut wire = BytesMut::new();
        f(&mut wire);
        wire.freeze()
    };
    let too_long = frame(|w| {
        w.put_slice(b"_USP");
        w.put_u32(1 << 20);
    });
    let overrun = frame(|w| {
        w.put_slice(b"_USP");
        w.put_u32(6);
        w.put_u8(3);
        w.put_u32(100);
        w.put_u8(0);
    });
    let truncated = frame(|w| {
        w.put_slice(b"_USP");
        w.put_u32(100);
        w.put_slice(b"only part");
    });
    let garbage_record = frame(|w| encode_record(b"\xff\xff not a record", w).unwrap());
    let forged = {
        let mut wire = BytesMut::new();
        encode_record(&record(AGENT, CONTROLLER, &get("x", &["Device."])), &mut wire).unwrap();
        wire.freeze()
    };
    // (bytes, handshake first?, shut our side after sending?, expected text)
    let cases: [(Bytes, bool, bool, &str); 7] = [
        (Bytes::from_static(b"HTTP/1.1 200 OK\r\n\r\n"), true, false, "sync"),
        (too_long, true, false, "exceeds the maximum"),
        (overrun, true, false, "claims 100 bytes"),
        (truncated, true, true, "closed in the middle of a frame"),
        (garbage_record, true, false, "record cannot be parsed"),
        (forged, true, false, "from_id"),
        (frame(|w| encode_handshake("not an eid", w).unwrap()), false, false, "handshake refused"),
    ];
    for (bytes, handshake_first, then_eof, expected) in cases {
        let mut bad = UdsClient::open(&path, "os::012345-BAD").await;
        if handshake_first {
            bad.handshake("os::012345-BAD").await;
        }
        bad.send_raw(&bytes).await;
        if then_eof {
            bad.shutdown_write().await;
        }
        let text = bad.expect_error().await;
        assert!(text.contains(expected), "{text:?} should mention {expected:?}");
    }
    controller.expect_silence().await;
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"oversize\"}").await, 1.0);
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"forged_from_id\"}").await, 1.0);

    let request = record(CONTROLLER, AGENT, &get("after", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv_record().await, request, "the well-behaved endpoint is unaffected");
    hub.shutdown().await;
}

#[tokio::test]
async fn an_error_tlv_from_the_peer_closes_the_connection() {
    let path = temp_socket_path("peer-error");
    let hub = start_hub(|c| enable_uds(c, &path)).await;
    let (mut agent, _) = UdsClient::connect(&path, AGENT).await;
    let mut wire = BytesMut::new();
    encode_error("client giving up", &mut wire).unwrap();
    agent.send_raw(&wire).await;
    agent.expect_eof().await;
    eventually(|| !hub.router.is_connected(AGENT)).await;
    hub.shutdown().await;
}

#[tokio::test]
async fn a_client_without_handshake_is_dropped_after_the_timeout() {
    let path = temp_socket_path("timeout");
    let hub = start_hub(|c| {
        enable_uds(c, &path);
        c.uds.handshake_timeout = Duration::from_millis(200);
    })
    .await;
    let mut mute = UdsClient::open(&path, "mute").await;
    let started = tokio::time::Instant::now();
    assert!(mute.expect_error().await.contains("no handshake"));
    assert!(started.elapsed() >= Duration::from_millis(150));
    // A client that completes its handshake is not subject to it.
    let (mut agent, _) = UdsClient::connect(&path, AGENT).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    agent.expect_silence().await;
    assert!(hub.router.is_connected(AGENT));
    hub.shutdown().await;
}

#[tokio::test]
async fn newest_session_wins_across_mtps() {
    let path = temp_socket_path("replace");
    let hub = start_hub(|c| enable_uds(c, &path)).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let (mut on_uds, _) = UdsClient::connect(&path, AGENT).await;
    let mut on_ws = connect(hub.ws_addr.unwrap(), AGENT).await;
    assert!(on_uds.expect_error().await.contains("replaced"));
    let request = record(CONTROLLER, AGENT, &get("to-ws", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(on_ws.recv().await, request);

    let (mut again, _) = UdsClient::connect(&path, AGENT).await;
    assert_eq!(on_ws.expect_close().await, CloseCode::Normal);
    controller.send(request.clone()).await;
    assert_eq!(again.recv_record().await, request);
    hub.shutdown().await;
}

#[tokio::test]
async fn socket_file_mode_stale_file_and_removal() {
    let path = temp_socket_path("file");
    // A socket file left behind by a crashed hub.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let hub = start_hub(|c| {
        enable_uds(c, &path);
        c.uds.mode = 0o600;
    })
    .await;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (mut agent, _) = UdsClient::connect(&path, AGENT).await;

    // A second hub must not steal a live socket.
    let second = usphub::hub::start({
        let mut c = usphub::config::Config::default();
        c.ws.listen = usphub::config::Listen::Off;
        c.admin.listen = usphub::config::Listen::Off;
        c.mqtt.listen = usphub::config::Listen::Off;
        c.stomp.listen = usphub::config::Listen::Off;
        c.cwmp.listen = usphub::config::Listen::Off;
        enable_uds(&mut c, &path);
        c
    })
    .await;
    assert!(second.is_err(), "the socket is in use");
    assert!(path.exists());

    let shutdown = tokio::spawn(hub.shutdown());
    assert!(agent.expect_error().await.contains("shutting down"));
    tokio::time::timeout(PATIENCE, shutdown).await.unwrap().unwrap();
    assert!(!path.exists(), "the socket file is removed at shutdown");
}
