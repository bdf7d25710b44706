//! Router behaviour without any transport: presence, replacement, re-routing on detach.

use std::time::Duration;

use bytes::Bytes;

use super::*;

fn limits() -> RouterLimits {
    RouterLimits {
        queue: QueueLimits { max_records: 4, max_bytes: 1 << 20 },
        hold: HoldLimits { max_records: 10, ttl: Duration::from_secs(60), max_bytes: 1 << 20 },
    }
}

fn eid(s: &str) -> EndpointId {
    EndpointId::new(s).unwrap()
}

fn delivery(from: &str, tag: u8) -> Delivery {
    Delivery { from: eid(from), record: Bytes::from(vec![tag]) }
}

#[test]
fn presence_reports_connect_replace_and_disconnect() {
    let router = Router::new(limits());
    let mut events = router.subscribe_presence();
    let first = router.attach(eid("doc::a"), Mtp::WebSocket, "peer1");
    let second = router.attach(eid("doc::a"), Mtp::Mqtt, "peer2");
    assert!(first.is_replaced() && !second.is_replaced());
    drop(first); // the replaced session leaving must not announce the endpoint gone
    drop(second);
    let seen: Vec<(PresenceChange, Mtp)> =
        std::iter::from_fn(|| events.try_recv().ok()).map(|e| (e.change, e.mtp)).collect();
    assert_eq!(
        seen,
        [
            (PresenceChange::Connected, Mtp::WebSocket),
            (PresenceChange::Replaced, Mtp::WebSocket),
            (PresenceChange::Connected, Mtp::Mqtt),
            (PresenceChange::Disconnected, Mtp::Mqtt),
        ]
    );
    assert_eq!(router.metrics().mtp(Mtp::WebSocket).sessions.load(Relaxed), 0);
    assert_eq!(router.metrics().mtp(Mtp::Mqtt).sessions.load(Relaxed), 0);
}

#[test]
fn queued_records_follow_the_endpoint_to_its_new_session() {
    let router = Router::new(limits());
    let old = router.attach(eid("doc::a"), Mtp::WebSocket, "p");
    assert_eq!(router.deliver("doc::a", delivery("doc::c", 1)), Outcome::Queued);
    let mut new = router.attach(eid("doc::a"), Mtp::WebSocket, "p");
    drop(old);
    assert_eq!(new.try_recv().unwrap().record[0], 1);
}

#[test]
fn queued_records_go_to_the_hold_when_the_endpoint_leaves() {
    let router = Router::new(limits());
    let gone = router.attach(eid("doc::a"), Mtp::WebSocket, "p");
    router.deliver("doc::a", delivery("doc::c", 7));
    drop(gone);
    assert!(!router.is_connected("doc::a"));
    assert_eq!(router.hold_stats().records, 1);
    let mut back = router.attach(eid("doc::a"), Mtp::WebSocket, "p");
    assert_eq!(back.try_recv().unwrap().record[0], 7);
}

#[test]
fn a_full_queue_drops_and_counts() {
    let router = Router::new(limits());
    let _slow = router.attach(eid("doc::slow"), Mtp::WebSocket, "p");
    for i in 0..4 {
        assert_eq!(router.deliver("doc::slow", delivery("doc::c", i)), Outcome::Queued);
    }
    assert_eq!(router.deliver("doc::slow", delivery("doc::c", 9)), Outcome::Dropped(DropReason::QueueFull));
    assert_eq!(router.metrics().drops(DropReason::QueueFull), 1);
    assert_eq!(router.endpoints()[0].dropped, 1);
}

#[test]
fn ingress_checks_identity_and_counts() {
    let router = Router::new(limits());
    let sender = router.attach(eid("doc::c"), Mtp::WebSocket, "p");
    let mut receiver = router.attach(eid("doc::a"), Mtp::WebSocket, "p");
    let ok = Bytes::from_static(b"\x0a\x031.4\x12\x06doc::a\x1a\x06doc::c\x4a\x00");
    let forged = Bytes::from_static(b"\x0a\x031.4\x12\x06doc::a\x1a\x06doc::x\x4a\x00");
    assert_eq!(sender.ingress(ok.clone()).unwrap().outcome, Outcome::Queued);
    assert!(matches!(sender.ingress(forged), Err(IngressError::ForgedFromId { .. })));
    assert!(matches!(sender.ingress(Bytes::from_static(b"junk")), Err(IngressError::Malformed(_))));
    assert_eq!(receiver.try_recv().unwrap().record, ok);
    assert!(receiver.try_recv().is_none());
    let snapshot = router.endpoints();
    let sender_row = snapshot.iter().find(|e| e.eid.as_str() == "doc::c").unwrap();
    assert_eq!((sender_row.records_in, sender_row.bytes_in), (1, ok.len() as u64));
}
