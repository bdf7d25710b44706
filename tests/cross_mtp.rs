//! Records between endpoints on different MTPs that the other test files do not pair:
//! STOMP ↔ MQTT 5 and UDS ↔ MQTT 3.1.1, Get and GetResp in both directions.

mod support;

use rumqttc::v5::{self, mqttbytes::v5::{Packet as P5, PublishProperties}};
use support::stomp::*;
use support::*;
use tokio::sync::mpsc;
use usphub::config::Listen;

const STOMP_AGENT: &str = "os::012345-XSTOMP";
const MQTT_CONTROLLER: &str = "self::x-mqtt-controller";

#[tokio::test]
async fn stomp_agent_and_mqtt_controller() {
    let hub = start_hub(|c| {
        enable_stomp(c);
        c.mqtt.listen = Listen::addr("127.0.0.1:0");
    })
    .await;
    // The controller: rumqttc 5.0, subscribed to its own topic.
    let mut opts = v5::MqttOptions::new("x-controller", "127.0.0.1", hub.mqtt_addr.unwrap().port());
    opts.set_user_properties(vec![("usp-endpoint-id".into(), MQTT_CONTROLLER.into())]);
    let (client, mut eventloop) = v5::AsyncClient::new(opts, 16);
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            if let v5::Event::Incoming(p) = event {
                let _ = tx.send(p);
            }
        }
    });
    let own_topic = format!("usp/v1/{MQTT_CONTROLLER}");
    client.subscribe(own_topic.clone(), v5::mqttbytes::QoS::AtLeastOnce).await.unwrap();
    loop {
        if let Some(P5::SubAck(_)) = rx.recv().await {
            break;
        }
    }
    let mut agent = StompClient::connect_subscribed(hub.stomp_addr.unwrap(), STOMP_AGENT).await;

    // MQTT → STOMP: the controller publishes to the agent's canonical topic.
    let request = record(MQTT_CONTROLLER, STOMP_AGENT, &get("x-1", &["Device."]));
    let props = PublishProperties {
        content_type: Some("usp.msg".into()),
        response_topic: Some(own_topic.clone()),
        ..Default::default()
    };
    client
        .publish_with_properties(format!("usp/v1/{STOMP_AGENT}"), v5::mqttbytes::QoS::AtLeastOnce, false, request.clone(), props)
        .await
        .unwrap();
    let (message, body) = agent.recv_record().await;
    assert_eq!(body, request);
    assert_eq!(message.headers.get("reply-to-dest"), Some(format!("/usp/v1/{MQTT_CONTROLLER}").as_str()));

    // STOMP → MQTT: the agent answers to the reply-to-dest it was given.
    let response = record(STOMP_AGENT, MQTT_CONTROLLER, &get_resp("x-1", "Device.", &[("X", "1")]));
    agent.send_record(&format!("/usp/v1/{MQTT_CONTROLLER}"), response.clone()).await;
    let publish = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(P5::Publish(p)) = rx.recv().await {
                return p;
            }
        }
    })
    .await
    .expect("the GetResp in time");
    assert_eq!(publish.payload, response);
    assert_eq!(std::str::from_utf8(&publish.topic).unwrap(), own_topic);
    let props = publish.properties.unwrap();
    assert_eq!(props.response_topic.as_deref(), Some(format!("usp/v1/{STOMP_AGENT}").as_str()));
    hub.shutdown().await;
}

#[tokio::test]
async fn uds_controller_and_mqtt_311_agent() {
    use support::uds::*;

    const UDS_CONTROLLER: &str = "self::x-uds-controller";
    const MQTT_AGENT: &str = "os::012345-XMQTT311";
    let socket = temp_socket_path("x");
    let path = socket.to_path_buf();
    let hub = start_hub(|c| {
        enable_uds(c, &path);
        c.mqtt.listen = Listen::addr("127.0.0.1:0");
    })
    .await;
    let (mut controller, _) = UdsClient::connect(&socket, UDS_CONTROLLER).await;

    let opts = rumqttc::MqttOptions::new(MQTT_AGENT, "127.0.0.1", hub.mqtt_addr.unwrap().port());
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 16);
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            if let rumqttc::Event::Incoming(p) = event {
                let _ = tx.send(p);
            }
        }
    });
    let own_topic = format!("usp/v1/{MQTT_AGENT}");
    client.subscribe(format!("{own_topic}/#"), rumqttc::QoS::AtLeastOnce).await.unwrap();
    loop {
        if let Some(rumqttc::Packet::SubAck(_)) = rx.recv().await {
            break;
        }
    }

    let request = record(UDS_CONTROLLER, MQTT_AGENT, &get("u-1", &["Device."]));
    controller.send_record(&request).await;
    let publish = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(rumqttc::Packet::Publish(p)) = rx.recv().await {
                return p;
            }
        }
    })
    .await
    .expect("the Get in time");
    assert_eq!(publish.payload, request);
    let reply = format!("usp/v1/{UDS_CONTROLLER}");
    assert_eq!(publish.topic, format!("{own_topic}/reply-to={}", reply.replace('/', "%2F")));

    let response = record(MQTT_AGENT, UDS_CONTROLLER, &get_resp("u-1", "Device.", &[("Y", "2")]));
    client.publish(format!("{reply}/reply-to={}", own_topic.replace('/', "%2F")), rumqttc::QoS::AtLeastOnce, false, response.clone()).await.unwrap();
    assert_eq!(controller.recv_record().await, response);
    hub.shutdown().await;
}
