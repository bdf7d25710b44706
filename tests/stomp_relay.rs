//! The STOMP MTP end to end through an in-process hub: Get/GetResp with a WebSocket endpoint,
//! the opening, subscriptions, receipts, identity, bad input, heart-beats, replacement, TLS.

mod support;

use std::time::Duration;

use bytes::Bytes;
use prost::Message as _;
use support::stomp::*;
use support::*;
use usphub::mtp::stomp::codec::{Command, Frame};
use usphub::usp::proto::{msg, record};

const AGENT: &str = "os::012345-STOMPAGENT";
const CONTROLLER: &str = "self::ws-controller";

/// The STOMPConnect Record OB-USP-Agent sends first (R-MTP.6, TP-469 6.12).
fn stomp_connect_record(from: &str, to: &str, destination: &str) -> Bytes {
    let rec = record::Record {
        version: "1.3".into(),
        to_id: to.into(),
        from_id: from.into(),
        record_type: Some(record::record::RecordType::StompConnect(record::StompConnectRecord {
            version: record::stomp_connect_record::StompVersion::V12 as i32,
            subscribed_destination: destination.into(),
        })),
        ..Default::default()
    };
    rec.encode_to_vec().into()
}

#[tokio::test]
async fn stomp_agent_and_websocket_controller_exchange_get_and_get_resp() {
    let hub = start_hub(enable_stomp).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let (mut agent, connected) = StompClient::connect(hub.stomp_addr.unwrap(), AGENT).await;
    assert_eq!(connected.headers.get("version"), Some("1.2"));
    assert!(connected.headers.get("server").unwrap().starts_with("usphub/"));
    assert_eq!(connected.headers.get("heart-beat"), Some("0,0"), "the client asked for none");
    let own = format!("/usp/v1/{AGENT}");
    assert_eq!(connected.headers.get("subscribe-dest"), Some(own.as_str()));
    agent
        .send_frame(Frame::new(Command::Subscribe).with_header("id", "sub-7").with_header("destination", own.as_str()))
        .await;

    // Its first SEND is a STOMPConnect Record, relayed byte for byte (an MTP proxy leaves it alone).
    let hello = stomp_connect_record(AGENT, CONTROLLER, &own);
    agent.send_record("/usp/v1/self::ws-controller", hello.clone()).await;
    assert_eq!(controller.recv().await, hello);

    let request = record(CONTROLLER, AGENT, &get("req-1", &["Device.DeviceInfo."]));
    controller.send(request.clone()).await;
    let (message, body) = agent.recv_record().await;
    assert_eq!(body, request, "relayed byte for byte, NULs and all");
    let h = &message.headers;
    assert_eq!(h.get("subscription"), Some("sub-7"));
    assert_eq!(h.get("destination"), Some(own.as_str()));
    assert_eq!(h.get("reply-to-dest"), Some("/usp/v1/self::ws-controller"));
    assert!(h.get("message-id").is_some());

    // The agent answers to reply-to-dest, as OB-USP-Agent does (R-STOMP.23).
    let params = [("SoftwareVersion", "1.2.3")];
    let reply_to = h.get("reply-to-dest").unwrap().to_owned();
    agent.send_record(&reply_to, record(AGENT, CONTROLLER, &get_resp("req-1", "Device.DeviceInfo.", &params))).await;
    let (rec, m) = msg_of(&controller.recv().await);
    assert_eq!((rec.from_id.as_str(), rec.to_id.as_str()), (AGENT, CONTROLLER));
    assert_eq!(m.header.as_ref().unwrap().msg_type, msg::header::MsgType::GetResp as i32);

    // Message ids are unique on the connection.
    controller.send(request.clone()).await;
    let (second, _) = agent.recv_record().await;
    assert_ne!(second.headers.get("message-id"), message.headers.get("message-id"));

    assert_eq!(metric(&hub, "usphub_records_in_total{mtp=\"stomp\"}").await, 2.0);
    assert_eq!(metric(&hub, "usphub_connections{mtp=\"stomp\"}").await, 1.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn stomp_controller_reaches_websocket_agent_and_routes_by_to_id() {
    let hub = start_hub(enable_stomp).await;
    let mut agent = connect(hub.ws_addr.unwrap(), "os::012345-WSAGENT").await;
    let mut controller = StompClient::connect_subscribed(hub.stomp_addr.unwrap(), "self::stomp-controller").await;

    // The destination is only a label: the Record's to_id decides.
    let request = record("self::stomp-controller", "os::012345-WSAGENT", &get("r", &["Device."]));
    controller.send_record("/somewhere/else", request.clone()).await;
    assert_eq!(agent.recv().await, request);
    let reply = record("os::012345-WSAGENT", "self::stomp-controller", &get_resp("r", "Device.", &[]));
    agent.send(reply.clone()).await;
    let (message, body) = controller.recv_record().await;
    assert_eq!(body, reply);
    assert_eq!(message.headers.get("reply-to-dest"), Some("/usp/v1/os::012345-WSAGENT"));
    hub.shutdown().await;
}

#[tokio::test]
async fn records_wait_until_the_endpoint_subscribes() {
    let hub = start_hub(enable_stomp).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let (mut agent, connected) = StompClient::connect(hub.stomp_addr.unwrap(), AGENT).await;
    let request = record(CONTROLLER, AGENT, &get("early", &["Device."]));
    controller.send(request.clone()).await;
    agent.expect_silence().await;

    let own = connected.headers.get("subscribe-dest").unwrap();
    agent.send_frame(Frame::new(Command::Subscribe).with_header("id", "0").with_header("destination", own)).await;
    assert_eq!(agent.recv_record().await.1, request);

    // Unsubscribed, Records wait again; they flow after the next SUBSCRIBE.
    agent.send_frame(Frame::new(Command::Unsubscribe).with_header("id", "0")).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    controller.send(request.clone()).await;
    agent.expect_silence().await;
    agent.send_frame(Frame::new(Command::Subscribe).with_header("id", "1").with_header("destination", own)).await;
    let (message, body) = agent.recv_record().await;
    assert_eq!((message.headers.get("subscription"), body), (Some("1"), request));
    hub.shutdown().await;
}

#[tokio::test]
async fn opening_refusals_get_an_error_frame() {
    let hub = start_hub(|c| {
        enable_stomp(c);
        c.stomp.virtual_host = Some("usp".into());
    })
    .await;
    let addr = hub.stomp_addr.unwrap();

    // STOMP 1.1 only: ERROR naming the version served.
    let mut old = StompClient::open(addr, AGENT).await;
    old.send_frame(Frame::new(Command::Connect).with_header("accept-version", "1.0,1.1").with_header("host", "usp"))
        .await;
    let error = old.recv_frame().await;
    assert_eq!(error.command, Command::Error);
    assert_eq!(error.headers.get("version"), Some("1.2"));
    old.expect_eof().await;

    let refused = |opened| match opened {
        Opened::Refused(frame) => frame.headers.get("message").unwrap().to_owned(),
        Opened::Connected(..) => panic!("accepted"),
    };
    let mut no_eid = StompClient::open(addr, AGENT).await;
    no_eid.send_frame(Frame::new(Command::Stomp).with_header("accept-version", "1.2").with_header("host", "usp")).await;
    assert!(no_eid.expect_error().await.contains("endpoint-id"));
    let right_host = StompClient::try_connect(addr, AGENT, &[]).await;
    assert!(matches!(right_host, Opened::Connected(..)), "host usp is the virtual host");
    let mut other = StompClient::open(addr, AGENT).await;
    other
        .send_frame(
            Frame::new(Command::Stomp)
                .with_header("accept-version", "1.2")
                .with_header("host", "x")
                .with_header("endpoint-id", AGENT),
        )
        .await;
    assert!(other.expect_error().await.contains("virtual host"));
    assert!(refused(StompClient::try_connect(addr, AGENT, &[("heart-beat", "soon")]).await).contains("heart-beat"));

    let mut first_send = StompClient::open(addr, AGENT).await;
    first_send.send_record("/x", Bytes::from_static(b"x")).await;
    assert!(first_send.expect_error().await.contains("STOMP or CONNECT"));
    hub.shutdown().await;
}

#[tokio::test]
async fn connect_frame_takes_the_endpoint_id_escaped_or_raw() {
    let hub = start_hub(enable_stomp).await;
    let addr = hub.stomp_addr.unwrap();
    // CONNECT is exempt from escaping; `\c` is read anyway (see README), and raw colons too.
    for (raw, eid) in [("os\\c\\c012345-ESCAPED", "os::012345-ESCAPED"), ("os::012345-RAW", "os::012345-RAW")] {
        let mut c = StompClient::open(addr, eid).await;
        c.send_raw(format!("CONNECT\naccept-version:1.2\nhost:usp\nendpoint-id:{raw}\n\n\0").as_bytes()).await;
        let connected = c.recv_frame().await;
        assert_eq!(connected.command, Command::Connected, "{connected:?}");
        assert_eq!(connected.headers.get("subscribe-dest"), Some(format!("/usp/v1/{eid}").as_str()));
        eventually(|| hub.router.is_connected(eid)).await;
    }
    hub.shutdown().await;
}

#[tokio::test]
async fn subscriptions_are_limited_to_the_endpoints_own_destinations() {
    let hub = start_hub(enable_stomp).await;
    let addr = hub.stomp_addr.unwrap();
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;

    let (mut thief, _) = StompClient::connect(addr, "os::012345-THIEF").await;
    thief
        .send_frame(
            Frame::new(Command::Subscribe)
                .with_header("id", "0")
                .with_header("destination", "/usp/v1/self::ws-controller"),
        )
        .await;
    assert!(thief.expect_error().await.contains("own destination"));

    let (mut client_ack, connected) = StompClient::connect(addr, "os::012345-ACK").await;
    let own = connected.headers.get("subscribe-dest").unwrap();
    client_ack
        .send_frame(
            Frame::new(Command::Subscribe)
                .with_header("id", "0")
                .with_header("destination", own)
                .with_header("ack", "client"),
        )
        .await;
    assert!(client_ack.expect_error().await.contains("ack:auto"));

    // A destination announced in a STOMPConnect Record may be subscribed to, and is the
    // MESSAGE destination then.
    let (mut agent, _) = StompClient::connect(addr, AGENT).await;
    agent.send_record("/usp/v1/self::ws-controller", stomp_connect_record(AGENT, CONTROLLER, "/agent/inbox")).await;
    controller.recv().await;
    agent
        .send_frame(
            Frame::new(Command::Subscribe)
                .with_header("id", "0")
                .with_header("destination", "/agent/inbox")
                .with_header("receipt", "r"),
        )
        .await;
    assert_eq!(agent.recv_frame().await.command, Command::Receipt);
    controller.send(record(CONTROLLER, AGENT, &get("x", &["Device."]))).await;
    assert_eq!(agent.recv_record().await.0.headers.get("destination"), Some("/agent/inbox"));
    hub.shutdown().await;
}

#[tokio::test]
async fn receipts_and_disconnect() {
    let hub = start_hub(enable_stomp).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut agent = StompClient::connect_subscribed(hub.stomp_addr.unwrap(), AGENT).await;
    let request = record(AGENT, CONTROLLER, &get("r", &["Device."]));
    agent
        .send_frame(
            Frame::new(Command::Send)
                .with_header("destination", "/usp/v1/self::ws-controller")
                .with_header("content-type", USP_CONTENT_TYPE)
                .with_header("receipt", "send-1")
                .with_body(request.clone()),
        )
        .await;
    let receipt = agent.recv_frame().await;
    assert_eq!((receipt.command, receipt.headers.get("receipt-id")), (Command::Receipt, Some("send-1")));
    assert_eq!(controller.recv().await, request);

    agent.send_frame(Frame::new(Command::Disconnect).with_header("receipt", "bye")).await;
    let receipt = agent.recv_frame().await;
    assert_eq!((receipt.command, receipt.headers.get("receipt-id")), (Command::Receipt, Some("bye")));
    agent.expect_eof().await;
    eventually(|| !hub.router.is_connected(AGENT)).await;
    hub.shutdown().await;
}

#[tokio::test]
async fn refused_frames_get_an_error_and_close_only_that_connection() {
    let hub = start_hub(enable_stomp).await;
    let addr = hub.stomp_addr.unwrap();
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut agent = StompClient::connect_subscribed(addr, AGENT).await;

    let good = record("os::012345-BAD", CONTROLLER, &get("x", &["Device."]));
    let send = |content_type: &str| {
        Frame::new(Command::Send)
            .with_header("destination", "/d")
            .with_header("content-type", content_type)
            .with_body(good.clone())
    };
    let cases: Vec<(Frame, &str)> = vec![
        (send("text/plain"), "content-type"),
        (send(USP_CONTENT_TYPE).with_header("transaction", "t"), "transaction"),
        (Frame::new(Command::Ack).with_header("id", "1"), "R-STOMP.26/27"),
        (Frame::new(Command::Begin).with_header("transaction", "t"), "R-STOMP.26/27"),
        (Frame::new(Command::Message), "server frame"),
        (Frame::new(Command::Stomp).with_header("accept-version", "1.2"), "already connected"),
        // The Record says it is from someone else (compare WebSocket's close 1008).
        (send(USP_CONTENT_TYPE).with_body(record(AGENT, CONTROLLER, &get("x", &["Device."]))), "from_id"),
        (send(USP_CONTENT_TYPE).with_body(Bytes::from_static(b"\xff\xff not a record")), "record cannot be parsed"),
    ];
    for (frame, expected) in cases {
        let (mut bad, _) = StompClient::connect(addr, "os::012345-BAD").await;
        bad.send_frame(frame.with_header("receipt", "r-1")).await;
        let message = bad.expect_error().await;
        assert!(message.contains(expected), "{message:?} should mention {expected:?}");
    }
    controller.expect_silence().await;
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"forged_from_id\"}").await, 1.0);

    let request = record(CONTROLLER, AGENT, &get("after", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv_record().await.1, request, "the well-behaved endpoint is unaffected");
    hub.shutdown().await;
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_close_only_that_connection() {
    let hub = start_hub(|c| {
        enable_stomp(c);
        c.stomp.max_record_size = 4096;
    })
    .await;
    let addr = hub.stomp_addr.unwrap();
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut agent = StompClient::connect_subscribed(addr, AGENT).await;

    let huge_header = format!("SEND\ndestination:/d\nx-padding:{}\n\n\0", "p".repeat(10_000));
    let huge_body = format!("SEND\ndestination:/d\ncontent-type:{USP_CONTENT_TYPE}\ncontent-length:5000\n\n");
    let cases: [(&[u8], bool, &str); 6] = [
        (b"SEND\ndestination:/d\ncontent-length:4\n\nabcdef\0", false, "content-length"),
        (b"SEND\ndestination:/a\\tb\n\n\0", false, "escape"),
        (huge_header.as_bytes(), false, "header line longer"),
        (huge_body.as_bytes(), false, "body larger"),
        (b"SEND\ndestination:/d\ncontent-length:100\n\npartial", true, "closed in the middle of a frame"),
        (b"HELLO\n\n\0", false, "unknown command"),
    ];
    for (bytes, then_eof, expected) in cases {
        let (mut bad, _) = StompClient::connect(addr, "os::012345-BAD").await;
        bad.send_raw(bytes).await;
        if then_eof {
            bad.shutdown_write().await;
        }
        let message = bad.expect_error().await;
        assert!(message.contains(expected), "{message:?} should mention {expected:?}");
    }
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"oversize\"}").await, 1.0);

    let request = record(CONTROLLER, AGENT, &get("after", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv_record().await.1, request, "the well-behaved endpoint is unaffected");
    hub.shutdown().await;
}

#[tokio::test]
async fn heart_beats_are_sent_and_a_silent_client_is_dropped() {
    let hub = start_hub(|c| {
        enable_stomp(c);
        c.stomp.heartbeat_send = Duration::from_millis(100);
        c.stomp.heartbeat_receive = Duration::from_millis(300);
    })
    .await;
    let addr = hub.stomp_addr.unwrap();

    // The client wants one every 50 ms; the hub can do 100: negotiated 100 ms (and 300 back).
    let Opened::Connected(mut listener, connected) =
        StompClient::try_connect(addr, AGENT, &[("heart-beat", "100,50")]).await
    else {
        panic!("refused")
    };
    assert_eq!(connected.headers.get("heart-beat"), Some("100,300"));
    // It keeps sending EOLs, so it stays; it counts the hub's.
    for _ in 0..8 {
        listener.send_raw(b"\n").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(hub.router.is_connected(AGENT));
    listener.expect_silence().await;
    assert!(listener.heartbeats >= 3, "got {} heart-beats", listener.heartbeats);

    // This one promised heart-beats and sends nothing: dropped after 2 x 300 ms.
    let Opened::Connected(mut silent, _) =
        StompClient::try_connect(addr, "self::silent", &[("heart-beat", "100,0")]).await
    else {
        panic!("refused")
    };
    let started = tokio::time::Instant::now();
    assert!(silent.expect_error().await.contains("heart-beat"));
    assert!(started.elapsed() >= Duration::from_millis(500), "dropped too early: {:?}", started.elapsed());
    eventually(|| !hub.router.is_connected("self::silent")).await;
    hub.shutdown().await;
}

#[tokio::test]
async fn newest_session_wins_across_mtps() {
    let hub = start_hub(enable_stomp).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut on_stomp = StompClient::connect_subscribed(hub.stomp_addr.unwrap(), AGENT).await;
    let mut on_ws = connect(hub.ws_addr.unwrap(), AGENT).await;

    assert!(on_stomp.expect_error().await.contains("replaced"));
    let request = record(CONTROLLER, AGENT, &get("to-ws", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(on_ws.recv().await, request);

    // And back: a STOMP session replaces the WebSocket one.
    let mut again = StompClient::connect_subscribed(hub.stomp_addr.unwrap(), AGENT).await;
    assert_eq!(on_ws.expect_close().await, tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal);
    controller.send(request.clone()).await;
    assert_eq!(again.recv_record().await.1, request);
    hub.shutdown().await;
}

#[tokio::test]
async fn shutdown_delivers_what_is_queued_then_sends_error() {
    let hub = start_hub(enable_stomp).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let mut agent = StompClient::connect_subscribed(hub.stomp_addr.unwrap(), AGENT).await;
    let request = record(CONTROLLER, AGENT, &get("last", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv_record().await.1, request);
    let shutdown = tokio::spawn(hub.shutdown());
    assert!(agent.expect_error().await.contains("shutting down"));
    tokio::time::timeout(PATIENCE, shutdown).await.unwrap().unwrap();
}

#[tokio::test]
async fn stomp_over_tls() {
    use std::sync::Arc;

    use rcgen::{CertificateParams, KeyPair};
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    use tokio_rustls::TlsConnector;
    use usphub::config::TlsConfig;

    let dir = std::env::temp_dir().join(format!("usphub-stomp-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(dir.join("server.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    let tls = TlsConfig {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
        client_ca: None,
        require_client_cert: false,
    };
    let hub = start_hub(|c| {
        enable_stomp(c);
        c.stomp.tls = Some(tls);
    })
    .await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(cert.pem().as_bytes()).unwrap()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(hub.stomp_addr.unwrap()).await.unwrap();
    let stream =
        TlsConnector::from(Arc::new(config)).connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    let Opened::Connected(mut agent, connected) = StompClient::over(stream, AGENT).stomp(&[]).await else {
        panic!("refused")
    };
    let own = connected.headers.get("subscribe-dest").unwrap();
    agent.send_frame(Frame::new(Command::Subscribe).with_header("id", "0").with_header("destination", own)).await;

    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let request = record(CONTROLLER, AGENT, &get("tls", &["Device."]));
    controller.send(request.clone()).await;
    assert_eq!(agent.recv_record().await.1, request);
    hub.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
