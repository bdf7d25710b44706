//! WebSocket opening handshake, along the path a real connection takes: the request head is
//! read by `upgrade::read_head` (httparse, size and header-count limits, conversion to an
//! `http::Request`), then checked by `check_upgrade`, routed by `is_mqtt` and negotiated by
//! `negotiate` / `negotiate_mqtt`, and every refusal is rendered as its HTTP response. The
//! pure string parsers `eid_from_query` and `eid_from_extension` also get the raw input. None
//! of it may panic, and an accepted handshake must carry a valid endpoint ID.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use libfuzzer_sys::fuzz_target;
use usphub::mtp::ws::handshake::{self, HandshakePolicy, Refusal};
use usphub::mtp::ws::upgrade::{self, HeadError};

/// Reading from a `&[u8]` never waits, so one poll finishes the future.
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("read_head waited on an in-memory reader"),
    }
}

fn refuse(r: &Refusal) {
    let resp = r.response();
    assert!(resp.starts_with("HTTP/1.1 "), "bad refusal response {resp:?}");
    assert!(resp.contains("\r\n\r\n"));
}

fuzz_target!(|data: &[u8]| {
    // The string parsers on their own, over the input as text.
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = handshake::eid_from_query(s);
        let _ = handshake::eid_from_extension(s);
    }

    let mut reader: &[u8] = data;
    let request = match block_on(upgrade::read_head(&mut reader)) {
        Ok((request, rest)) => {
            assert!(rest.len() <= data.len());
            request
        }
        Err(HeadError::Gone) => return,
        Err(HeadError::Refused(r)) => return refuse(&r),
    };

    let policies = [
        HandshakePolicy { path: "/usp".into(), server_eid: None, mqtt_path: Some("/mqtt".into()) },
        HandshakePolicy { path: "/".into(), server_eid: Some("self::hub".into()), mqtt_path: None },
    ];
    let accept = handshake::check_upgrade(&request);
    if let Err(r) = &accept {
        refuse(r);
    }
    for policy in &policies {
        if handshake::is_mqtt(&request, policy) {
            match handshake::negotiate_mqtt(&request) {
                Ok(sub) => {
                    if let Ok(key) = &accept {
                        let _ = handshake::switching_to_mqtt(key, sub);
                    }
                }
                Err(r) => refuse(&r),
            }
            continue;
        }
        match handshake::negotiate(&request, policy) {
            Ok(n) => {
                assert!(!n.eid.as_str().is_empty(), "accepted an empty endpoint ID");
                if let Ok(key) = &accept {
                    let resp = handshake::switching_protocols(key, &n, policy);
                    assert!(resp.starts_with("HTTP/1.1 101 ") && resp.ends_with("\r\n\r\n"));
                }
            }
            Err(r) => refuse(&r),
        }
    }
    // The parsers again on what the request really carries.
    if let Some(q) = request.uri().query() {
        let _ = handshake::eid_from_query(q);
    }
    for v in request.headers().values() {
        if let Ok(s) = v.to_str() {
            let _ = handshake::eid_from_extension(s);
        }
    }
});
