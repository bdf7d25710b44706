//! Property tests: the header fast path agrees with a full prost decode on random Records,
//! including concatenated encodings (protobuf merge: the last occurrence of a field wins).

use bytes::Bytes;
use prost::Message;
use proptest::prelude::*;
use usphub::usp::proto::record::{self, record::RecordType};
use usphub::usp::{RecordHeader, RecordKind};

fn record_type() -> impl Strategy<Value = RecordType> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300)
            .prop_map(|p| RecordType::NoSessionContext(record::NoSessionContextRecord { payload: Bytes::from(p) })),
        (any::<u64>(), any::<u64>(), proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..3))
            .prop_map(|(session_id, sequence_id, payload)| RecordType::SessionContext(record::SessionContextRecord {
                session_id,
                sequence_id,
                expected_id: sequence_id.wrapping_add(1),
                payload: payload.into_iter().map(Bytes::from).collect(),
                ..Default::default()
            })),
        Just(RecordType::WebsocketConnect(record::WebSocketConnectRecord {})),
        ("[a-z/]{0,20}", 0..2i32).prop_map(|(t, v)| RecordType::MqttConnect(record::MqttConnectRecord {
            version: v,
            subscribed_topic: t,
        })),
        ".{0,20}".prop_map(|d| RecordType::StompConnect(record::StompConnectRecord {
            version: 0,
            subscribed_destination: d,
        })),
        (".{0,20}", any::<u32>()).prop_map(|(reason, reason_code)| RecordType::Disconnect(record::DisconnectRecord {
            reason,
            reason_code,
        })),
        Just(RecordType::UdsConnect(record::UdsConnectRecord {})),
    ]
}

prop_compose! {
    fn any_record()(
        version in "[0-9]\\.[0-9]",
        to_id in ".{0,70}",
        from_id in ".{0,70}",
        payload_security in 0..2i32,
        mac_signature in proptest::collection::vec(any::<u8>(), 0..40),
        sender_cert in proptest::collection::vec(any::<u8>(), 0..40),
        record_type in proptest::option::weighted(0.95, record_type()),
    ) -> record::Record {
        record::Record {
            version,
            to_id,
            from_id,
            payload_security,
            mac_signature: mac_signature.into(),
            sender_cert: sender_cert.into(),
            record_type,
        }
    }
}

fn kind_of(t: &RecordType) -> RecordKind {
    match t {
        RecordType::NoSessionContext(_) => RecordKind::NoSessionContext,
        RecordType::SessionContext(_) => RecordKind::SessionContext,
        RecordType::WebsocketConnect(_) => RecordKind::WebSocketConnect,
        RecordType::MqttConnect(_) => RecordKind::MqttConnect,
        RecordType::StompConnect(_) => RecordKind::StompConnect,
        RecordType::Disconnect(_) => RecordKind::Disconnect,
        RecordType::UdsConnect(_) => RecordKind::UdsConnect,
    }
}

/// What the fast path must say about `bytes`, according to prost.
fn check_against_prost(bytes: &[u8]) {
    let fast = RecordHeader::parse(bytes);
    match record::Record::decode(bytes) {
        Ok(full) => {
            let routable = !full.to_id.is_empty() && !full.from_id.is_empty() && full.record_type.is_some();
            if routable {
                let h = fast.expect("prost decodes a routable Record, the fast path must too");
                assert_eq!(h.to_id, full.to_id);
                assert_eq!(h.from_id, full.from_id);
                assert_eq!(h.version, full.version);
                assert_eq!(h.kind, kind_of(full.record_type.as_ref().unwrap()));
            } else {
                assert!(fast.is_err(), "an unroutable Record must be refused");
            }
        }
        // The fast path does not look inside sub-messages, so it may accept what prost refuses
        // there; but whatever it accepts must carry the ids prost would see at the top level.
        Err(_) => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agrees_with_prost_on_random_records(rec in any_record()) {
        check_against_prost(&rec.encode_to_vec());
    }

    #[test]
    fn last_occurrence_wins_like_prost(a in any_record(), b in any_record()) {
        let mut bytes = a.encode_to_vec();
        bytes.extend(b.encode_to_vec());
        check_against_prost(&bytes);
    }

    #[test]
    fn never_panics_and_agrees_on_mutated_records(rec in any_record(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = rec.encode_to_vec();
        if !bytes.is_empty() {
            for (at, byte) in flips {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
        }
        check_against_prost(&bytes);
    }

    #[test]
    fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_against_prost(&bytes);
    }
}

#[test]
fn unknown_groups_are_skipped_like_prost() {
    let mut bytes = b"\x0a\x031.3\x12\x01a\x1a\x01b\x4a\x00".to_vec();
    // Field 20 as a group holding a varint field, then its end.
    bytes.extend_from_slice(&[0xa3, 0x01, 0x08, 0x05, 0xa4, 0x01]);
    check_against_prost(&bytes);
    assert!(RecordHeader::parse(&bytes).is_ok());
    // An end-group with no start is refused by both.
    let mut bad = b"\x0a\x031.3\x12\x01a\x1a\x01b\x4a\x00".to_vec();
    bad.extend_from_slice(&[0xa4, 0x01]);
    assert!(RecordHeader::parse(&bad).is_err() && record::Record::decode(&bad[..]).is_err());
}
