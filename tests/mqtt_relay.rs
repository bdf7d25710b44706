//! The MQTT MTP end to end, driven by rumqttc (an independent client) in 5.0 and 3.1.1:
//! TR-369's CONNACK properties, cross-MTP Get/GetResp with WebSocket endpoints, reply-to in
//! both versions, MQTT-to-MQTT without double delivery, and malformed packets.

mod support;

use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::{self, mqttbytes::v5::{Packet as P5, PublishProperties}};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use usphub::config::Listen;
use usphub::hub::RunningHub;

const AGENT: &str = "os::012345-MQTTAGENT";
const CONTROLLER: &str = "self::mqtt-test-controller";

async fn hub_with_mqtt(tweak: impl FnOnce(&mut usphub::config::Config)) -> RunningHub {
    start_hub(|c| {
        c.mqtt.listen = Listen::addr("127.0.0.1:0");
        tweak(c);
    })
    .await
}

/// A rumqttc 5.0 client whose event loop runs in the background; incoming packets arrive on
/// `rx`.
struct V5Client {
    client: v5::AsyncClient,
    rx: mpsc::UnboundedReceiver<P5>,
    /// How the event loop ended, e.g. a server DISCONNECT, which rumqttc reports as an error.
    ended: mpsc::UnboundedReceiver<String>,
}

async fn v5_client(hub: &RunningHub, client_id: &str, eid: Option<&str>) -> V5Client {
    let addr = hub.mqtt_addr.unwrap();
    let mut opts = v5::MqttOptions::new(client_id, "127.0.0.1", addr.port());
    if let Some(eid) = eid {
        opts.set_user_properties(vec![("usp-endpoint-id".into(), eid.into())]);
    }
    opts.set_request_response_info(Some(1));
    let (client, mut eventloop) = v5::AsyncClient::new(opts, 64);
    let (tx, rx) = mpsc::unbounded_channel();
    let (end_tx, ended) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(v5::Event::Incoming(p)) => {
                    if tx.send(p).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = end_tx.send(format!("{e:?}"));
                    return;
                }
            }
        }
    });
    V5Client { client, rx, ended }
}

impl V5Client {
    async fn next(&mut self, what: &str, mut pick: impl FnMut(&P5) -> bool) -> P5 {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let p = self.rx.recv().await.expect("event loop ended");
                if pick(&p) {
                    return p;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {what} in time"))
    }

    async fn publish_record(&mut self, topic: &str, record: Bytes, response_topic: &str) {
        let props = PublishProperties {
            content_type: Some("usp.msg".into()),
            response_topic: Some(response_topic.into()),
            ..Default::default()
        };
        self.client
            .publish_with_properties(topic, v5::mqttbytes::QoS::AtLeastOnce, false, record, props)
            .await
            .unwrap();
    }

    async fn next_publish(&mut self) -> v5::mqttbytes::v5::Publish {
        match self.next("PUBLISH", |p| matches!(p, P5::Publish(_))).await {
            P5::Publish(p) => p,
            _ => unreachable!(),
        }
    }
}

#[tokio::test]
async fn v5_agent_and_websocket_controller_exchange_get_and_get_resp() {
    let hub = hub_with_mqtt(|_| {}).await;
    let mut agent = v5_client(&hub, "agent-client-1", Some(AGENT)).await;
    let P5::ConnAck(ack) = agent.next("CONNACK", |p| matches!(p, P5::ConnAck(_))).await else { unreachable!() };
    let props = ack.properties.expect("5.0 CONNACK properties");
    let topic = format!("usp/v1/{AGENT}");
    assert!(props.user_properties.contains(&("subscribe-topic".to_string(), topic.clone())), "R-MQTT.15");
    assert_eq!(props.response_information.as_deref(), Some(topic.as_str()), "R-MQTT.12");

    agent.client.subscribe(topic.clone(), v5::mqttbytes::QoS::AtLeastOnce).await.unwrap();
    agent.next("SUBACK", |p| matches!(p, P5::SubAck(_))).await;
    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;

    let request = record(CONTROLLER, AGENT, &get("mq-1", &["Device.DeviceInfo."]));
    controller.send(request.clone()).await;
    let publish = agent.next_publish().await;
    assert_eq!(publish.payload, request, "the Record arrives untouched");
    assert_eq!(std::str::from_utf8(&publish.topic).unwrap(), topic);
    let props = publish.properties.expect("properties");
    assert_eq!(props.content_type.as_deref(), Some("usp.msg"), "R-MQTT.27");
    let reply_to = props.response_topic.expect("a Response Topic leading back");
    assert_eq!(reply_to, format!("usp/v1/{CONTROLLER}"));

    let response = record(AGENT, CONTROLLER, &get_resp("mq-1", "Device.DeviceInfo.", &[("SerialNumber", "MQTTAGENT")]));
    agent.publish_record(&reply_to, response.clone(), &topic).await;
    assert_eq!(controller.recv().await, response);
    hub.shutdown().await;
}

#[tokio::test]
async fn v311_agent_gets_reply_to_in_the_topic() {
    let hub = hub_with_mqtt(|_| {}).await;
    let addr = hub.mqtt_addr.unwrap();
    let mut opts = rumqttc::MqttOptions::new(AGENT, "127.0.0.1", addr.port());
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 64);
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            if let rumqttc::Event::Incoming(p) = event {
                let _ = tx.send(p);
            }
        }
    });
    let own_topic = format!("usp/v1/{AGENT}");
    client.subscribe(format!("{own_topic}/#"), rumqttc::QoS::AtLeastOnce).await.unwrap();
    loop {
        if let Some(rumqttc::Packet::SubAck(_)) = rx.recv().await {
            break;
        }
    }

    let mut controller = connect(hub.ws_addr.unwrap(), CONTROLLER).await;
    let request = record(CONTROLLER, AGENT, &get("v3-1", &["Device."]));
    controller.send(request.clone()).await;
    let publish = v3_next_publish(&mut rx).await;
    assert_eq!(publish.payload, request);
    let expected = format!("{own_topic}/reply-to=usp%2Fv1%2F{CONTROLLER}");
    assert_eq!(publish.topic, expected, "R-MQTT.24");

    // The agent answers on the decoded reply topic, announcing its own reply-to (R-MQTT.25).
    let reply_topic = format!("usp/v1/{CONTROLLER}/reply-to=usp%2Fv1%2F{}", AGENT);
    let response = record(AGENT, CONTROLLER, &get_resp("v3-1", "Device.", &[("A", "1")]));
    client.publish(reply_topic, rumqttc::QoS::AtLeastOnce, false, response.clone()).await.unwrap();
    assert_eq!(controller.recv().await, response);
    hub.shutdown().await;
}

#[tokio::test]
async fn mqtt_to_mqtt_records_arrive_once() {
    let hub = hub_with_mqtt(|_| {}).await;
    let mut agent = v5_client(&hub, "agent-c", Some(AGENT)).await;
    let mut controller = v5_client(&hub, "ctrl-c", Some(CONTROLLER)).await;
    let agent_topic = format!("usp/v1/{AGENT}");
    let controller_topic = format!("usp/v1/{CONTROLLER}");
    agent.client.subscribe(agent_topic.clone(), v5::mqttbytes::QoS::AtLeastOnce).await.unwrap();
    controller.client.subscribe(controller_topic.clone(), v5::mqttbytes::QoS::AtLeastOnce).await.unwrap();
    agent.next("SUBACK", |p| matches!(p, P5::SubAck(_))).await;
    controller.next("SUBACK", |p| matches!(p, P5::SubAck(_))).await;

    let request = record(CONTROLLER, AGENT, &get("once", &["Device."]));
    controller.publish_record(&agent_topic, request.clone(), &controller_topic).await;
    assert_eq!(agent.next_publish().await.payload, request);
    let second = tokio::time::timeout(QUIET, async {
        loop {
            if let Some(P5::Publish(p)) = agent.rx.recv().await {
                return p;
            }
        }
    })
    .await;
    assert!(second.is_err(), "delivered twice: {second:?}");
    hub.shutdown().await;
}

/// Raw bytes, for what no well-behaved client library will send.
async fn raw(hub: &RunningHub, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(hub.mqtt_addr.unwrap()).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, tcp.read_to_end(&mut got)).await.expect("the hub closes the connection");
    got
}

/// A 5.0 CONNECT with ClientId "c1" and Clean Start.
const CONNECT_V5: &[u8] = &[0x10, 0x0F, 0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, 0, 0, 2, b'c', b'1'];

#[tokio::test]
async fn malformed_packets_get_their_reason_code_and_others_carry_on() {
    let hub = hub_with_mqtt(|c| c.mqtt.max_packet_size = 1024).await;
    let mut agent = connect(hub.ws_addr.unwrap(), AGENT).await;
    let mut controller = v5_client(&hub, "bystander", Some(CONTROLLER)).await;
    controller.next("CONNACK", |p| matches!(p, P5::ConnAck(_))).await;

    // A packet before CONNECT: closed without an answer.
    assert_eq!(raw(&hub, &[0xC0, 0x00]).await, b"");
    // A Remaining Length longer than four bytes: closed.
    assert_eq!(raw(&hub, &[0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]).await, b"");
    // A second CONNECT: CONNACK, then DISCONNECT 0x82 Protocol Error.
    let mut twice = CONNECT_V5.to_vec();
    twice.extend_from_slice(CONNECT_V5);
    let got = raw(&hub, &twice).await;
    assert_eq!(got[0], 0x20, "CONNACK first");
    assert_eq!(&got[got.len() - 3..got.len() - 1], &[0xE0, 0x01], "then a 5.0 DISCONNECT");
    assert_eq!(&got[got.len() - 1..], &[0x82]);
    // An oversize PUBLISH: DISCONNECT 0x95 Packet Too Large.
    let mut big = CONNECT_V5.to_vec();
    big.extend_from_slice(&[0x30, 0xD0, 0x0F]); // remaining length 2000 > 1024
    let got = raw(&hub, &big).await;
    assert_eq!(&got[got.len() - 3..], &[0xE0, 0x01, 0x95]);
    // A topic that is not UTF-8: DISCONNECT 0x81 Malformed Packet.
    let mut bad_topic = CONNECT_V5.to_vec();
    bad_topic.extend_from_slice(&[0x30, 0x06, 0x00, 0x02, 0xC3, 0x28, 0x00, b'x']);
    let got = raw(&hub, &bad_topic).await;
    assert_eq!(&got[got.len() - 3..], &[0xE0, 0x01, 0x81]);

    // Nobody else noticed.
    controller.client.subscribe(format!("usp/v1/{CONTROLLER}"), v5::mqttbytes::QoS::AtLeastOnce).await.unwrap();
    controller.next("SUBACK", |p| matches!(p, P5::SubAck(_))).await;
    let hello = ws_connect_record(AGENT, CONTROLLER);
    agent.send(hello.clone()).await;
    assert_eq!(controller.next_publish().await.payload, hello);
    hub.shutdown().await;
}

async fn v3_next_publish(rx: &mut mpsc::UnboundedReceiver<rumqttc::Packet>) -> rumqttc::Publish {
    tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(rumqttc::Packet::Publish(p)) = rx.recv().await {
                return p;
            }
        }
    })
    .await
    .expect("a PUBLISH in time")
}

fn mqtt_string(s: &[u8]) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s);
    out
}

/// A packet: first byte, Remaining Length (§1.5.5 variable byte integer), body.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut n = body.len();
    loop {
        let byte = (n % 128) as u8;
        n /= 128;
        out.push(if n > 0 { byte | 0x80 } else { byte });
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

#[tokio::test]
async fn forged_from_id_disconnects_with_not_authorized() {
    let hub = hub_with_mqtt(|_| {}).await;
    // CONNECT 5.0 with usp-endpoint-id = os::012345-FORGER ...
    let mut user_property = vec![0x26];
    user_property.extend(mqtt_string(b"usp-endpoint-id"));
    user_property.extend(mqtt_string(b"os::012345-FORGER"));
    let mut connect = mqtt_string(b"MQTT");
    connect.extend_from_slice(&[5, 0x02, 0, 60, user_property.len() as u8]);
    connect.extend(user_property);
    connect.extend(mqtt_string(b"forger"));
    // ... then a USP Record claiming to come from someone else, QoS 1, Content Type usp.msg.
    let forged = record(AGENT, CONTROLLER, &get("f", &["Device."]));
    let mut publish = mqtt_string(format!("usp/v1/{CONTROLLER}").as_bytes());
    publish.extend_from_slice(&[0, 1]);
    let mut props = vec![0x03];
    props.extend(mqtt_string(b"usp.msg"));
    publish.push(props.len() as u8);
    publish.extend(props);
    publish.extend_from_slice(&forged);
    let mut wire = packet(0x10, &connect);
    wire.extend(packet(0x32, &publish));

    let got = raw(&hub, &wire).await;
    assert_eq!(got[0], 0x20, "CONNACK");
    assert_eq!(&got[got.len() - 3..], &[0xE0, 0x01, 0x87], "DISCONNECT Not Authorized");
    assert_eq!(metric(&hub, "usphub_records_dropped_total{reason=\"forged_from_id\"}").await, 1.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn mqtt_over_websocket_shares_the_ws_port() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let hub = hub_with_mqtt(|_| {}).await;
    let ws_addr = hub.ws_addr.unwrap();
    let mut req = format!("ws://{ws_addr}/mqtt").into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "mqtt".parse().unwrap());
    let tcp = TcpStream::connect(ws_addr).await.unwrap();
    let (mut mqtt_ws, resp) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    assert_eq!(resp.headers()["Sec-WebSocket-Protocol"], "mqtt");

    // CONNECT 5.0 as endpoint AGENT, then SUBSCRIBE to its topic, each in its own message.
    let mut user_property = vec![0x26];
    user_property.extend(mqtt_string(b"usp-endpoint-id"));
    user_property.extend(mqtt_string(AGENT.as_bytes()));
    let mut connect_packet = mqtt_string(b"MQTT");
    connect_packet.extend_from_slice(&[5, 0x02, 0, 60, user_property.len() as u8]);
    connect_packet.extend(user_property);
    connect_packet.extend(mqtt_string(b"ws-agent"));
    mqtt_ws.send(Message::Binary(packet(0x10, &connect_packet).into())).await.unwrap();
    let mut subscribe = vec![0, 1, 0];
    subscribe.extend(mqtt_string(format!("usp/v1/{AGENT}").as_bytes()));
    subscribe.push(1);
    mqtt_ws.send(Message::Binary(packet(0x82, &subscribe).into())).await.unwrap();

    // Collect MQTT bytes until CONNACK and SUBACK have both arrived.
    let mut stream = Vec::new();
    let mut next_bytes = async |stream: &mut Vec<u8>| {
        match tokio::time::timeout(PATIENCE, mqtt_ws.next()).await.unwrap().unwrap().unwrap() {
            Message::Binary(b) => stream.extend_from_slice(&b),
            other => panic!("unexpected {other:?}"),
        }
    };
    while !(stream.first() == Some(&0x20) && stream.contains(&0x90)) {
        next_bytes(&mut stream).await;
    }
    stream.clear();

    let mut controller = connect(ws_addr, CONTROLLER).await;
    let request = record(CONTROLLER, AGENT, &get("over-ws", &["Device."]));
    controller.send(request.clone()).await;
    while !stream.ends_with(&request) {
        next_bytes(&mut stream).await;
    }
    assert_eq!(stream[0] & 0xF0, 0x30, "a PUBLISH carrying the Record");
    hub.shutdown().await;
}
