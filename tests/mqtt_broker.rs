//! Plain MQTT broker behaviour that users of mosquitto expect, driven by rumqttc: wildcards,
//! retained messages, QoS 1 and 2 kept for an offline persistent session, Wills, the ACL.

mod support;

use std::time::Duration;

use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use support::*;
use tokio::sync::mpsc;
use usphub::config::Listen;
use usphub::hub::RunningHub;

async fn open_hub() -> RunningHub {
    start_hub(|c| {
        c.mqtt.listen = Listen::addr("127.0.0.1:0");
        c.mqtt.acl_subscribe = vec!["#".into()];
    })
    .await
}

struct Client {
    client: AsyncClient,
    rx: mpsc::UnboundedReceiver<Packet>,
    task: tokio::task::JoinHandle<()>,
}

fn options(hub: &RunningHub, id: &str) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", hub.mqtt_addr.unwrap().port());
    o.set_keep_alive(Duration::from_secs(5));
    o
}

async fn client(opts: MqttOptions) -> Client {
    let (client, mut eventloop) = AsyncClient::new(opts, 64);
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            if let Event::Incoming(p) = event {
                let _ = tx.send(p);
            }
        }
    });
    let mut c = Client { client, rx, task };
    c.wait("CONNACK", |p| matches!(p, Packet::ConnAck(_))).await;
    c
}

impl Client {
    async fn wait(&mut self, what: &str, mut pick: impl FnMut(&Packet) -> bool) -> Packet {
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

    async fn subscribe(&mut self, filter: &str, qos: QoS) {
        self.client.subscribe(filter, qos).await.unwrap();
        self.wait("SUBACK", |p| matches!(p, Packet::SubAck(_))).await;
    }

    async fn next_publish(&mut self) -> rumqttc::Publish {
        match self.wait("PUBLISH", |p| matches!(p, Packet::Publish(_))).await {
            Packet::Publish(p) => p,
            _ => unreachable!(),
        }
    }

    async fn quiet(&mut self) {
        let got = tokio::time::timeout(QUIET, async {
            loop {
                if let Some(Packet::Publish(p)) = self.rx.recv().await {
                    return p;
                }
            }
        })
        .await;
        assert!(got.is_err(), "unexpected {got:?}");
    }

    /// Drops the TCP connection without DISCONNECT, as a crashed device would.
    fn vanish(self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn wildcards_and_plain_payloads() {
    let hub = open_hub().await;
    let mut sub = client(options(&hub, "sub")).await;
    let publisher = client(options(&hub, "pub")).await;
    sub.subscribe("bulkdata/+/report", QoS::AtLeastOnce).await;
    sub.subscribe("alarms/#", QoS::AtMostOnce).await;

    let json = br#"{"Report":[{"CollectionTime":1}]}"#.to_vec();
    publisher.client.publish("bulkdata/dev1/report", QoS::AtLeastOnce, false, json.clone()).await.unwrap();
    publisher.client.publish("bulkdata/dev1/other", QoS::AtLeastOnce, false, "no").await.unwrap();
    publisher.client.publish("alarms/a/b/c", QoS::AtMostOnce, false, "fire").await.unwrap();
    let first = sub.next_publish().await;
    assert_eq!((first.topic.as_str(), &first.payload[..]), ("bulkdata/dev1/report", &json[..]));
    let second = sub.next_publish().await;
    assert_eq!(second.topic, "alarms/a/b/c");
    sub.quiet().await;
    assert_eq!(metric(&hub, "usphub_mqtt_subscriptions").await, 2.0);
    assert_eq!(metric(&hub, "usphub_mqtt_sessions").await, 2.0);
    assert_eq!(metric(&hub, "usphub_mqtt_published_total").await, 3.0);
    hub.shutdown().await;
}

#[tokio::test]
async fn retained_messages_greet_new_subscribers_and_can_be_cleared() {
    let hub = open_hub().await;
    let publisher = client(options(&hub, "pub")).await;
    publisher.client.publish("status/gw1", QoS::AtLeastOnce, true, "online").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut late = client(options(&hub, "late")).await;
    late.subscribe("status/+", QoS::AtLeastOnce).await;
    let p = late.next_publish().await;
    assert!(p.retain && &p.payload[..] == b"online");

    publisher.client.publish("status/gw1", QoS::AtLeastOnce, true, "").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut later = client(options(&hub, "later")).await;
    later.subscribe("status/+", QoS::AtLeastOnce).await;
    later.quiet().await;
    hub.shutdown().await;
}

#[tokio::test]
async fn persistent_session_keeps_qos1_and_qos2_while_offline() {
    let hub = open_hub().await;
    let mut opts = options(&hub, "durable");
    opts.set_clean_session(false);
    let mut durable = client(opts.clone()).await;
    durable.subscribe("jobs/#", QoS::ExactlyOnce).await;
    durable.client.disconnect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    durable.vanish();

    let publisher = client(options(&hub, "pub")).await;
    publisher.client.publish("jobs/1", QoS::AtLeastOnce, false, "one").await.unwrap();
    publisher.client.publish("jobs/2", QoS::ExactlyOnce, false, "two").await.unwrap();
    publisher.client.publish("jobs/3", QoS::AtMostOnce, false, "dropped").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut back = client(opts).await;
    let a = back.next_publish().await;
    let b = back.next_publish().await;
    let mut got = vec![(a.topic, a.qos), (b.topic, b.qos)];
    got.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(got, [("jobs/1".to_string(), QoS::AtLeastOnce), ("jobs/2".to_string(), QoS::ExactlyOnce)]);
    back.quiet().await;
    hub.shutdown().await;
}

#[tokio::test]
async fn will_is_published_when_a_client_vanishes_but_not_after_disconnect() {
    let hub = open_hub().await;
    let mut watcher = client(options(&hub, "watcher")).await;
    watcher.subscribe("wills/#", QoS::AtLeastOnce).await;

    let mut opts = options(&hub, "fragile");
    opts.set_last_will(LastWill::new("wills/fragile", "gone", QoS::AtLeastOnce, false));
    let fragile = client(opts).await;
    fragile.vanish();
    let will = watcher.next_publish().await;
    assert_eq!((will.topic.as_str(), &will.payload[..]), ("wills/fragile", &b"gone"[..]));

    let mut opts = options(&hub, "polite");
    opts.set_last_will(LastWill::new("wills/polite", "gone", QoS::AtLeastOnce, false));
    let polite = client(opts).await;
    polite.client.disconnect().await.unwrap();
    watcher.quiet().await;
    hub.shutdown().await;
}

#[tokio::test]
async fn v5_will_delay_is_cancelled_by_a_quick_return() {
    use rumqttc::v5::{self, mqttbytes::v5::{LastWill as Will5, LastWillProperties}};
    let hub = open_hub().await;
    let mut watcher = client(options(&hub, "watcher")).await;
    watcher.subscribe("wills/#", QoS::AtLeastOnce).await;

    let connect = |hub: &RunningHub| {
        let mut o = v5::MqttOptions::new("delayed", "127.0.0.1", hub.mqtt_addr.unwrap().port());
        o.set_clean_start(false);
        o.set_session_expiry_interval(Some(60));
        let props = LastWillProperties {
            delay_interval: Some(1),
            payload_format_indicator: None,
            message_expiry_interval: None,
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        };
        o.set_last_will(Will5::new("wills/delayed", "gone", v5::mqttbytes::QoS::AtLeastOnce, false, Some(props)));
        let (c, mut el) = v5::AsyncClient::new(o, 8);
        let task = tokio::spawn(async move { while el.poll().await.is_ok() {} });
        (c, task)
    };
    let (_c, task) = connect(&hub);
    tokio::time::sleep(Duration::from_millis(200)).await;
    task.abort(); // vanish
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_c2, task2) = connect(&hub); // back within the delay
    tokio::time::sleep(Duration::from_millis(1500)).await;
    watcher.quiet().await;
    task2.abort(); // vanish for good: now the Will goes after its delay
    let will = watcher.next_publish().await;
    assert_eq!(will.topic, "wills/delayed");
    hub.shutdown().await;
}

#[tokio::test]
async fn default_acl_keeps_endpoints_to_their_own_topics() {
    let hub = start_hub(|c| c.mqtt.listen = Listen::addr("127.0.0.1:0")).await;
    let mut agent = client(options(&hub, "os::012345-ACLAGENT")).await;
    agent.client.subscribe("usp/v1/os::012345-ACLAGENT/#", QoS::AtLeastOnce).await.unwrap();
    agent.client.subscribe("usp/v1/#", QoS::AtLeastOnce).await.unwrap();
    let codes: Vec<Vec<rumqttc::SubscribeReasonCode>> = vec![
        match agent.wait("SUBACK", |p| matches!(p, Packet::SubAck(_))).await { Packet::SubAck(s) => s.return_codes, _ => unreachable!() },
        match agent.wait("SUBACK", |p| matches!(p, Packet::SubAck(_))).await { Packet::SubAck(s) => s.return_codes, _ => unreachable!() },
    ];
    assert_eq!(codes[0], [rumqttc::SubscribeReasonCode::Success(QoS::AtLeastOnce)]);
    assert_eq!(codes[1], [rumqttc::SubscribeReasonCode::Failure], "usp/v1/# would see everyone's Records");
    hub.shutdown().await;
}

#[tokio::test]
async fn takeover_that_resumes_the_session_cancels_a_delayed_will() {
    use rumqttc::v5::{self, mqttbytes::v5::{LastWill as Will5, LastWillProperties}};
    let hub = open_hub().await;
    let mut watcher = client(options(&hub, "watcher")).await;
    watcher.subscribe("wills/#", QoS::AtLeastOnce).await;

    let connect = |hub: &RunningHub, payload: &'static str| {
        let mut o = v5::MqttOptions::new("twice", "127.0.0.1", hub.mqtt_addr.unwrap().port());
        o.set_clean_start(false);
        o.set_session_expiry_interval(Some(60));
        let props = LastWillProperties {
            delay_interval: Some(1),
            payload_format_indicator: None,
            message_expiry_interval: None,
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Vec::new(),
        };
        o.set_last_will(Will5::new("wills/twice", payload, v5::mqttbytes::QoS::AtLeastOnce, false, Some(props)));
        let (c, mut el) = v5::AsyncClient::new(o, 8);
        let task = tokio::spawn(async move { while el.poll().await.is_ok() {} });
        (c, task)
    };
    let (_first, first_task) = connect(&hub, "first");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_second, second_task) = connect(&hub, "second"); // takes the session over
    tokio::time::sleep(Duration::from_millis(1600)).await;
    watcher.quiet().await;
    first_task.abort();
    second_task.abort(); // now the session really is left: the second connection's Will goes
    let will = watcher.next_publish().await;
    assert_eq!(&will.payload[..], b"second");
    hub.shutdown().await;
}
