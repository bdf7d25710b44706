//! USP Record header fast path against a full prost decode, with the rule of
//! `tests/header_props.rs::check_against_prost`:
//! - prost decodes a routable Record (non-empty to_id and from_id, a record_type): the fast
//!   path must accept it with the same to_id, from_id, version and kind;
//! - prost decodes an unroutable Record: the fast path must refuse it;
//! - prost refuses the bytes: no constraint (the fast path does not look inside
//!   sub-messages), beyond never panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use usphub::usp::proto::record::{self, record::RecordType};
use usphub::usp::{RecordHeader, RecordKind};

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

fuzz_target!(|data: &[u8]| {
    let fast = RecordHeader::parse(data);
    if let Ok(h) = &fast {
        // Exercise the accessors a router would use.
        let _ = (h.kind.is_connect(), h.version.len());
    }
    if let Err(e) = &fast {
        let _ = e.to_string();
    }
    if let Ok(full) = record::Record::decode(data) {
        let routable = !full.to_id.is_empty() && !full.from_id.is_empty() && full.record_type.is_some();
        if routable {
            let h = fast.expect("prost decodes a routable Record, the fast path must too");
            assert_eq!(h.to_id, full.to_id);
            assert_eq!(h.from_id, full.from_id);
            assert_eq!(h.version, full.version);
            assert_eq!(h.kind, kind_of(full.record_type.as_ref().unwrap()));
        } else {
            assert!(fast.is_err(), "an unroutable Record must be refused: {fast:?}");
        }
    }
});
