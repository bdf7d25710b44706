//! The USP traffic of the generator: real prost-encoded Get and GetResp Msgs (p2p; with
//! `--set-every`, Set and SetResp too, see [`set`]) and Notify Msgs with a ValueChange (fan-in)
//! in NoSessionContext Records, padded to a chosen size, with
//! a sequence number in `msg_id` (and, for Notify, the send time: the receiver is in the same
//! process, so one-way latency needs no clock synchronisation).
//!
//! The load must look like what agents and controllers really send, or the hub's figures would
//! mean nothing; and building it must cost the generator as little as possible, or we would be
//! measuring ourselves. So each side keeps one template Msg and one template Record, changes
//! only `msg_id` (and `to_id` for answers) in place, and encodes each Record exactly once into
//! a reusable buffer whose frozen slices are sent as they are. The receiving side decodes the
//! Record (its payload is a zero-copy slice) and only the Msg header: the padded body is
//! skipped by its length prefix.

mod set;

use std::fmt::Write as _;

use bytes::{Bytes, BytesMut};
use prost::Message as _;
use usphub::usp::proto::{
    msg::{self, body::MsgBody, header::MsgType, notify, request::ReqType, response::RespType},
    record::{self, record::RecordType},
};

/// TR-369 version the generated Records claim.
const USP_VERSION: &str = "1.4";
/// The object the padded parameter paths live under.
const BENCH_OBJECT: &str = "Device.X_USPHUB_Bench.";
/// Records encoded between two allocations of the encode buffer.
const BUFFER_RECORDS: usize = 64;

/// Identifies a request: the run it belongs to and its sequence number in that run.
/// Carried as `msg_id` in fixed width (`rrrrrrrr-ssssssssssssssss`, hex), so every Record of a
/// run has the same size and a late answer from an earlier run is recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgId {
    pub run: u32,
    pub seq: u64,
}

impl MsgId {
    const LEN: usize = 8 + 1 + 16;

    fn write_to(self, out: &mut String) {
        out.clear();
        let _ = write!(out, "{self}");
    }

    pub fn parse(s: &str) -> Option<Self> {
        let (run, seq) = s.split_once('-')?;
        (s.len() == Self::LEN).then_some(())?;
        Some(Self { run: u32::from_str_radix(run, 16).ok()?, seq: u64::from_str_radix(seq, 16).ok()? })
    }
}

/// Why a received Record is not the one expected.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("undecodable Record: {0}")]
    Record(prost::DecodeError),
    #[error("not a NoSessionContext Record")]
    NotNoSessionContext,
    #[error("undecodable Msg: {0}")]
    Msg(prost::DecodeError),
    #[error("the Msg has no header")]
    NoHeader,
    #[error("expected a {expected:?}, got msg_type {got}")]
    WrongType { expected: MsgType, got: i32 },
    #[error("msg_id {0:?} is not one of ours")]
    ForeignMsgId(String),
}

/// A Msg read only as far as its header: prost skips the body (field 2) by its length.
#[derive(Clone, PartialEq, prost::Message)]
struct MsgHeaderOnly {
    #[prost(message, optional, tag = "1")]
    header: Option<msg::Header>,
}

/// What the receiver of a Record needs from it.
#[derive(Debug)]
pub struct Received {
    pub from_id: String,
    pub msg_id: String,
    /// The Msg's type, as its header says.
    pub kind: MsgType,
}

/// Decodes a NoSessionContext Record and the header of its Msg, whose type must be one of
/// `accepted`.
fn decode_one_of(record: Bytes, accepted: &[MsgType]) -> Result<Received, DecodeError> {
    let record = record::Record::decode(record).map_err(DecodeError::Record)?;
    let Some(RecordType::NoSessionContext(nsc)) = record.record_type else {
        return Err(DecodeError::NotNoSessionContext);
    };
    let header = MsgHeaderOnly::decode(nsc.payload).map_err(DecodeError::Msg)?.header.ok_or(DecodeError::NoHeader)?;
    match accepted.iter().find(|t| **t as i32 == header.msg_type) {
        Some(&kind) => Ok(Received { from_id: record.from_id, msg_id: header.msg_id, kind }),
        None => Err(DecodeError::WrongType { expected: accepted[0], got: header.msg_type }),
    }
}

/// Decodes a NoSessionContext Record and the header of its Msg, which must be of type `expected`.
pub fn decode(record: Bytes, expected: MsgType) -> Result<Received, DecodeError> {
    decode_one_of(record, &[expected])
}

/// Decodes a request an agent answers: a Get or a Set.
pub fn decode_request(record: Bytes) -> Result<Received, DecodeError> {
    decode_one_of(record, &[MsgType::Get, MsgType::Set])
}

/// Reads the [`MsgId`] of a GetResp or SetResp Record.
pub fn decode_response(record: Bytes) -> Result<MsgId, DecodeError> {
    let received = decode_one_of(record, &[MsgType::GetResp, MsgType::SetResp])?;
    MsgId::parse(&received.msg_id).ok_or(DecodeError::ForeignMsgId(received.msg_id))
}

/// One template Record and its Msg, re-encoded with a new `msg_id` each time.
struct Encoder {
    record: record::Record,
    msg: msg::Msg,
    msg_buf: BytesMut,
    record_buf: BytesMut,
}

impl Encoder {
    fn new(from_id: &str, to_id: &str, msg: msg::Msg) -> Self {
        let record = record::Record {
            version: USP_VERSION.into(),
            to_id: to_id.into(),
            from_id: from_id.into(),
            record_type: Some(RecordType::NoSessionContext(record::NoSessionContextRecord::default())),
            ..Default::default()
        };
        Self { record, msg, msg_buf: BytesMut::new(), record_buf: BytesMut::new() }
    }

    fn msg_id_mut(&mut self) -> &mut String {
        &mut self.msg.header.get_or_insert_with(Default::default).msg_id
    }

    /// Encodes the current template: Msg into the payload, then the Record around it.
    fn encode(&mut self) -> Bytes {
        let payload = encode_into(&self.msg, &mut self.msg_buf);
        self.set_payload(payload);
        let record = encode_into(&self.record, &mut self.record_buf);
        // Drop our reference to the payload so its buffer can be reused once sent.
        self.set_payload(Bytes::new());
        record
    }

    fn set_payload(&mut self, payload: Bytes) {
        if let Some(RecordType::NoSessionContext(nsc)) = &mut self.record.record_type {
            nsc.payload = payload;
        }
    }

    fn encoded_len(&mut self) -> usize {
        let msg_len = self.msg.encoded_len();
        self.set_payload(Bytes::from(vec![0; msg_len]));
        let len = self.record.encoded_len();
        self.set_payload(Bytes::new());
        len
    }
}

/// Encodes `message` at the end of `buf` and splits it off, so the bytes are written once and
/// the allocation serves [`BUFFER_RECORDS`] messages.
fn encode_into(message: &impl prost::Message, buf: &mut BytesMut) -> Bytes {
    let len = message.encoded_len();
    if buf.capacity() < len {
        buf.reserve(len * BUFFER_RECORDS);
    }
    // BytesMut grows as needed, so encoding cannot run out of room.
    let _ = message.encode(buf);
    buf.split().freeze()
}

/// Makes `set_pad(n)` give a Record of about `target` bytes: exact when the protobuf length
/// prefixes allow it, otherwise the nearest size above.
fn fit_padding(encoder: &mut Encoder, target: usize, set_pad: impl Fn(&mut Encoder, usize)) -> usize {
    set_pad(encoder, 0);
    let base = encoder.encoded_len();
    let mut pad = target.saturating_sub(base);
    loop {
        set_pad(encoder, pad);
        let len = encoder.encoded_len();
        if len <= target || pad == 0 {
            if len < target {
                // A length prefix grew by a byte as we shrank; step up and accept the result.
                set_pad(encoder, pad + (target - len));
            }
            return encoder.encoded_len();
        }
        pad -= (len - target).min(pad);
    }
}

/// The controller's side: Get requests to one agent, and every Nth a Set if asked for.
pub struct RequestEncoder {
    inner: Encoder,
    /// The Set template and N, with [`with_sets`](Self::with_sets).
    sets: Option<(Encoder, u64)>,
    run: u32,
    len: usize,
}

impl RequestEncoder {
    /// `size` is the Record size to aim for; the result is never below the unpadded minimum.
    pub fn new(from_id: &str, to_id: &str, run: u32, size: usize) -> Self {
        let msg = msg::Msg {
            header: Some(msg::Header { msg_id: String::new(), msg_type: MsgType::Get as i32 }),
            body: Some(msg::Body {
                msg_body: Some(MsgBody::Request(msg::Request {
                    req_type: Some(ReqType::Get(msg::Get { param_paths: vec![String::new()], max_depth: 0 })),
                })),
            }),
        };
        let mut inner = Encoder::new(from_id, to_id, msg);
        MsgId { run, seq: 0 }.write_to(inner.msg_id_mut());
        let len = fit_padding(&mut inner, size, |e, pad| {
            if let Some(MsgBody::Request(msg::Request { req_type: Some(ReqType::Get(get)) })) =
                e.msg.body.as_mut().and_then(|b| b.msg_body.as_mut())
            {
                get.param_paths[0] = padded_path(pad);
            }
        });
        Self { inner, sets: None, run, len }
    }

    /// Makes every `every`th request (0: none) a Set of about the same size as the Gets.
    pub fn with_sets(mut self, every: u32) -> Self {
        if every == 0 {
            return self;
        }
        let (from, to) = (self.inner.record.from_id.clone(), self.inner.record.to_id.clone());
        let mut sets = Encoder::new(&from, &to, set::request());
        MsgId { run: self.run, seq: 0 }.write_to(sets.msg_id_mut());
        fit_padding(&mut sets, self.len, |e, pad| set::pad_request(&mut e.msg, pad));
        self.sets = Some((sets, u64::from(every)));
        self
    }

    /// The encoded Record of request `seq`.
    pub fn encode(&mut self, seq: u64) -> Bytes {
        let encoder = match &mut self.sets {
            Some((sets, every)) if seq % *every == *every - 1 => sets,
            _ => &mut self.inner,
        };
        MsgId { run: self.run, seq }.write_to(encoder.msg_id_mut());
        encoder.encode()
    }

    /// Size of every Record this encoder makes, bytes.
    pub fn record_len(&self) -> usize {
        self.len
    }
}

/// The agent's side: a GetResp answering a Get (a SetResp answering a Set), of about the same
/// size.
pub struct ResponseEncoder {
    inner: Encoder,
    sets: Encoder,
    len: usize,
}

impl ResponseEncoder {
    pub fn new(from_id: &str, size: usize) -> Self {
        let result = msg::get_resp::RequestedPathResult {
            requested_path: BENCH_OBJECT.into(),
            resolved_path_results: vec![msg::get_resp::ResolvedPathResult {
                resolved_path: BENCH_OBJECT.into(),
                result_params: [("Pad".to_owned(), String::new())].into(),
            }],
            ..Default::default()
        };
        let msg = msg::Msg {
            header: Some(msg::Header {
                msg_id: MsgId { run: 0, seq: 0 }.to_string(),
                msg_type: MsgType::GetResp as i32,
            }),
            body: Some(msg::Body {
                msg_body: Some(MsgBody::Response(msg::Response {
                    resp_type: Some(RespType::GetResp(msg::GetResp { req_path_results: vec![result] })),
                })),
            }),
        };
        // Sized against a typical controller eid; a longer one adds its extra bytes.
        let mut inner = Encoder::new(from_id, "self::bench-ctrl-0", msg);
        let len = fit_padding(&mut inner, size, |e, pad| {
            if let Some(MsgBody::Response(msg::Response { resp_type: Some(RespType::GetResp(resp)) })) =
                e.msg.body.as_mut().and_then(|b| b.msg_body.as_mut())
            {
                let params = &mut resp.req_path_results[0].resolved_path_results[0].result_params;
                params.insert("Pad".to_owned(), "x".repeat(pad));
            }
        });
        let mut sets = Encoder::new(from_id, "self::bench-ctrl-0", set::response());
        MsgId { run: 0, seq: 0 }.write_to(sets.msg_id_mut());
        fit_padding(&mut sets, size, |e, pad| set::pad_response(&mut e.msg, pad));
        Self { inner, sets, len }
    }

    /// The encoded GetResp (or SetResp) Record answering `request`.
    pub fn encode(&mut self, request: &Received) -> Bytes {
        let encoder = if request.kind == MsgType::Set { &mut self.sets } else { &mut self.inner };
        encoder.record.to_id.clone_from(&request.from_id);
        encoder.msg_id_mut().clone_from(&request.msg_id);
        encoder.encode()
    }

    /// Size of an answer to the controller eid this encoder was sized for, bytes.
    pub fn record_len(&self) -> usize {
        self.len
    }
}

/// Identifies a Notify: run, sending agent, that agent's sequence number, and when it was
/// sent (nanoseconds since the run's epoch). Carried as `msg_id` in fixed width, hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyId {
    pub run: u32,
    pub agent: u32,
    pub seq: u64,
    pub sent_ns: u64,
}

impl NotifyId {
    const LEN: usize = 8 + 1 + 8 + 1 + 16 + 1 + 16;

    fn write_to(self, out: &mut String) {
        out.clear();
        let _ = write!(out, "{:08x}-{:08x}-{:016x}-{:016x}", self.run, self.agent, self.seq, self.sent_ns);
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == Self::LEN).then_some(())?;
        let mut parts = s.split('-');
        let mut next = || parts.next();
        let run = u32::from_str_radix(next()?, 16).ok()?;
        let agent = u32::from_str_radix(next()?, 16).ok()?;
        let seq = u64::from_str_radix(next()?, 16).ok()?;
        let sent_ns = u64::from_str_radix(next()?, 16).ok()?;
        Some(Self { run, agent, seq, sent_ns })
    }
}

/// An agent's side of fan-in: Notify (ValueChange, `send_resp` false) to one controller.
pub struct NotifyEncoder {
    inner: Encoder,
    len: usize,
}

impl NotifyEncoder {
    /// `size` is the Record size to aim for; the result is never below the unpadded minimum.
    pub fn new(from_id: &str, to_id: &str, size: usize) -> Self {
        let msg = msg::Msg {
            header: Some(msg::Header { msg_id: String::new(), msg_type: MsgType::Notify as i32 }),
            body: Some(msg::Body {
                msg_body: Some(MsgBody::Request(msg::Request {
                    req_type: Some(ReqType::Notify(msg::Notify {
                        subscription_id: "bench-fanin".into(),
                        send_resp: false,
                        notification: Some(notify::Notification::ValueChange(notify::ValueChange {
                            param_path: format!("{BENCH_OBJECT}Counter"),
                            param_value: String::new(),
                        })),
                    })),
                })),
            }),
        };
        let mut inner = Encoder::new(from_id, to_id, msg);
        NotifyId { run: 0, agent: 0, seq: 0, sent_ns: 0 }.write_to(inner.msg_id_mut());
        let len = fit_padding(&mut inner, size, |e, pad| {
            if let Some(MsgBody::Request(msg::Request { req_type: Some(ReqType::Notify(n)) })) =
                e.msg.body.as_mut().and_then(|b| b.msg_body.as_mut())
            {
                if let Some(notify::Notification::ValueChange(vc)) = &mut n.notification {
                    vc.param_value = "x".repeat(pad);
                }
            }
        });
        Self { inner, len }
    }

    /// The encoded Record of Notify `id`.
    pub fn encode(&mut self, id: NotifyId) -> Bytes {
        id.write_to(self.inner.msg_id_mut());
        self.inner.encode()
    }

    /// Size of every Record this encoder makes, bytes.
    pub fn record_len(&self) -> usize {
        self.len
    }
}

/// Reads the [`NotifyId`] of a Notify Record.
pub fn decode_notify(record: Bytes) -> Result<NotifyId, DecodeError> {
    let received = decode(record, MsgType::Notify)?;
    NotifyId::parse(&received.msg_id).ok_or(DecodeError::ForeignMsgId(received.msg_id))
}

impl std::fmt::Display for MsgId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:08x}-{:016x}", self.run, self.seq)
    }
}

fn padded_path(pad: usize) -> String {
    let mut path = String::with_capacity(BENCH_OBJECT.len() + 4 + pad);
    path.push_str(BENCH_OBJECT);
    path.push_str("Pad");
    path.extend(std::iter::repeat_n('x', pad));
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use usphub::usp::RecordHeader;

    #[test]
    fn request_round_trip_and_size() {
        for size in [150, 256, 1000, 4096, 70_000] {
            let mut enc = RequestEncoder::new("self::bench-ctrl-3", "os::BENCH-agent-3", 7, size);
            let rec = enc.encode(42);
            assert_eq!(rec.len(), enc.record_len());
            assert!(rec.len() >= size && rec.len() <= size + 2, "size {size} gave {}", rec.len());
            let header = RecordHeader::parse(&rec).unwrap();
            assert_eq!((header.to_id, header.from_id), ("os::BENCH-agent-3", "self::bench-ctrl-3"));
            let got = decode(rec, MsgType::Get).unwrap();
            assert_eq!(got.from_id, "self::bench-ctrl-3");
            assert_eq!(MsgId::parse(&got.msg_id), Some(MsgId { run: 7, seq: 42 }));
        }
    }

    #[test]
    fn response_answers_the_request() {
        let mut req = RequestEncoder::new("self::bench-ctrl-0", "os::BENCH-agent-0", 1, 256);
        let mut resp = ResponseEncoder::new("os::BENCH-agent-0", 256);
        let got = decode(req.encode(9), MsgType::Get).unwrap();
        let answer = resp.encode(&got);
        assert_eq!(answer.len(), resp.record_len());
        assert!(answer.len().abs_diff(256) <= 2);
        let header = RecordHeader::parse(&answer).unwrap();
        assert_eq!((header.to_id, header.from_id), ("self::bench-ctrl-0", "os::BENCH-agent-0"));
        assert_eq!(decode_response(answer).unwrap(), MsgId { run: 1, seq: 9 });
    }

    #[test]
    fn small_sizes_give_the_minimum() {
        let enc = RequestEncoder::new("self::c", "os::a", 0, 1);
        assert!(enc.record_len() > 1);
    }

    #[test]
    fn notify_round_trip_and_size() {
        for size in [100, 256, 4096] {
            let mut enc = NotifyEncoder::new("os::BENCH-agent-12", "self::bench-collector", size);
            let id = NotifyId { run: 3, agent: 12, seq: 99, sent_ns: 123_456_789 };
            let rec = enc.encode(id);
            assert_eq!(rec.len(), enc.record_len());
            if size >= 256 {
                assert!(rec.len() >= size && rec.len() <= size + 2, "size {size} gave {}", rec.len());
            }
            let header = RecordHeader::parse(&rec).unwrap();
            assert_eq!((header.to_id, header.from_id), ("self::bench-collector", "os::BENCH-agent-12"));
            assert_eq!(decode_notify(rec).unwrap(), id);
        }
        let mut get = RequestEncoder::new("self::c", "os::a", 0, 100);
        assert!(decode_notify(get.encode(1)).is_err());
    }

    #[test]
    fn wrong_type_is_refused() {
        let mut req = RequestEncoder::new("self::c", "os::a", 0, 100);
        assert!(matches!(decode_response(req.encode(1)), Err(DecodeError::WrongType { .. })));
    }

    #[test]
    fn every_nth_request_is_a_set_answered_by_a_set_resp() {
        let mut req = RequestEncoder::new("self::bench-ctrl-0", "os::BENCH-agent-0", 2, 256).with_sets(4);
        let mut resp = ResponseEncoder::new("os::BENCH-agent-0", 256);
        for seq in 0..8u64 {
            let rec = req.encode(seq);
            assert!(rec.len().abs_diff(256) <= 2, "request {seq}: {} bytes", rec.len());
            let got = decode_request(rec).unwrap();
            let expected = if seq % 4 == 3 { MsgType::Set } else { MsgType::Get };
            assert_eq!(got.kind, expected, "request {seq}");
            let answer = resp.encode(&got);
            assert!(answer.len().abs_diff(256) <= 2, "answer {seq}: {} bytes", answer.len());
            let resp_type = if expected == MsgType::Set { MsgType::SetResp } else { MsgType::GetResp };
            assert_eq!(decode(answer.clone(), resp_type).unwrap().msg_id, got.msg_id);
            assert_eq!(decode_response(answer).unwrap(), MsgId { run: 2, seq });
        }
    }
}
