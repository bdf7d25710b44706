//! The USP side of a virtual agent: reading the Records Controllers send it, writing the
//! Records it answers with. Here the hub really speaks USP (it relays opaque bytes elsewhere),
//! so Records and Msgs are fully decoded with prost.

use bytes::Bytes;
use prost::Message as _;

use crate::usp::proto::msg::{self, Msg};
use crate::usp::proto::record::{NoSessionContextRecord, Record, record::RecordType};

/// The USP version the virtual agents put in their Records.
const RECORD_VERSION: &str = "1.4";

/// A Record a virtual agent cannot act on.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("not a USP Record: {0}")]
    Record(prost::DecodeError),
    #[error("not a NoSessionContext Record (CWMP devices keep no USP session context)")]
    NotNoSessionContext,
    #[error("payload is not a USP Msg: {0}")]
    Msg(prost::DecodeError),
}

/// The Msg inside a Record addressed to a virtual agent.
pub fn decode(record: &[u8]) -> Result<Msg, InboundError> {
    let record = Record::decode(record).map_err(InboundError::Record)?;
    match record.record_type {
        Some(RecordType::NoSessionContext(ctx)) => Msg::decode(ctx.payload).map_err(InboundError::Msg),
        _ => Err(InboundError::NotNoSessionContext),
    }
}

/// A NoSessionContext Record carrying `msg` from the virtual agent `from` to `to`.
pub fn encode(from: &str, to: &str, msg: &Msg) -> Bytes {
    let record = Record {
        version: RECORD_VERSION.into(),
        to_id: to.into(),
        from_id: from.into(),
        record_type: Some(RecordType::NoSessionContext(NoSessionContextRecord { payload: msg.encode_to_vec().into() })),
        ..Default::default()
    };
    record.encode_to_vec().into()
}

/// What a Controller's Msg asks of the virtual agent.
pub enum Inbound {
    /// A request to carry out (Get, Set, Add, Delete, Operate …).
    Request,
    /// The acknowledgement of a Notify sent with `send_resp`: nothing more to do.
    NotifyResp,
    /// A response or error addressed to an agent, which sends no requests but Notify.
    Other,
}

pub fn classify(msg: &Msg) -> Inbound {
    match msg.body.as_ref().and_then(|b| b.msg_body.as_ref()) {
        Some(msg::body::MsgBody::Request(_)) => Inbound::Request,
        Some(msg::body::MsgBody::Response(msg::Response {
            resp_type: Some(msg::response::RespType::NotifyResp(_)),
        })) => Inbound::NotifyResp,
        _ => Inbound::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let msg = Msg {
            header: Some(msg::Header { msg_id: "m1".into(), msg_type: msg::header::MsgType::Get as i32 }),
            body: Some(msg::Body {
                msg_body: Some(msg::body::MsgBody::Request(msg::Request {
                    req_type: Some(msg::request::ReqType::Get(msg::Get::default())),
                })),
            }),
        };
        let record = encode("os::00D09E-SN1", "self::ctrl", &msg);
        let header = crate::usp::RecordHeader::parse(&record).unwrap();
        assert_eq!((header.from_id, header.to_id), ("os::00D09E-SN1", "self::ctrl"));
        let decoded = decode(&record).unwrap();
        assert_eq!(decoded, msg);
        assert!(matches!(classify(&decoded), Inbound::Request));
        assert!(matches!(decode(b"\xff\xff"), Err(InboundError::Record(_))));
        let bare = Record { to_id: "a".into(), from_id: "b".into(), ..Default::default() }.encode_to_vec();
        assert!(matches!(decode(&bare), Err(InboundError::NotNoSessionContext)));
    }
}
