//! One CWMP session as a pure state machine (TR-069 §3.7, cwmp.md §2.2): which answer each
//! POST of the CPE gets, and when the ACS may send its own requests.
//!
//! The CPE drives: Inform → InformResponse; then its own requests (TransferComplete …), each
//! answered at once; then an empty POST, after which every turn is the ACS's: it sends a
//! request, the CPE's next POST carries the response, and so on until the ACS answers 204.
//! The machine knows nothing of USP or sockets: the caller supplies the requests (from the
//! device's task queue) and gets back the envelopes to write, so every rule here is testable
//! without I/O.

use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{CwmpFault, GetRpcMethodsResponse, InformResponse, SoapFault};
use crate::cwmp::soap::{Body, CwmpNamespace, Envelope};

/// What the CPE POSTed.
#[allow(clippy::large_enum_variant)] // one per HTTP request, moved once: boxing buys nothing
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpePost {
    /// No body: "I have no (more) requests" (TR-069 §3.7.1.1).
    Empty,
    Envelope(Envelope),
}

/// What to do with a POST.
#[allow(clippy::large_enum_variant)] // one per HTTP request, moved once: boxing buys nothing
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// Write this envelope (the answer to a CPE request, or an ACS fault); the CPE keeps the
    /// turn. `report` is a TransferComplete or AutonomousTransferComplete to pass on.
    Answer { reply: Envelope, report: Option<Body> },
    /// The CPE answered the ACS's request with this (a response or a Fault): hand it to the
    /// task that asked, then [`CwmpSession::request`] the next RPC or [`CwmpSession::finish`].
    Reply(Body),
    /// The CPE is done with its own requests: [`CwmpSession::request`] or
    /// [`CwmpSession::finish`].
    Ready,
}

/// The state of one session, from its InformResponse to its 204.
#[derive(Debug)]
pub struct CwmpSession {
    /// Every ACS envelope uses the namespace of the CPE's Inform (FreeACS issue #222).
    namespace: CwmpNamespace,
    /// The CPE has sent its empty POST: from now on the ACS has the turn.
    acs_turn: bool,
    /// The request whose response the CPE's next POST must carry.
    outstanding: Option<Outstanding>,
    /// HoldRequests=true goes out on every answer while set: the CPE must not send requests.
    holding: bool,
    /// HoldRequests was sent, so releasing it must be said explicitly (`false`).
    hold_announced: bool,
    next_request: u64,
    finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outstanding {
    id: String,
    method: String,
}

impl CwmpSession {
    /// Opens a session on an Inform (already checked by the caller) and returns the
    /// InformResponse: MaxEnvelopes 1, the Inform's cwmp:ID and namespace.
    pub fn start(inform: &Envelope) -> (Self, Envelope) {
        let mut session = Self {
            namespace: inform.cwmp_version,
            acs_turn: false,
            outstanding: None,
            holding: false,
            hold_announced: false,
            next_request: 1,
            finished: false,
        };
        let reply = session.stamp(inform.reply(Body::InformResponse(InformResponse::default())));
        (session, reply)
    }

    pub fn namespace(&self) -> CwmpNamespace {
        self.namespace
    }

    /// Whether [`CwmpSession::finish`] ended the session.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Sets HoldRequests for the answers that follow: while set, a request from the CPE is
    /// refused with fault 8005 (retry later) instead of served.
    pub fn hold_requests(&mut self, hold: bool) {
        self.holding = hold;
    }

    /// Takes one POST of the CPE.
    pub fn on_post(&mut self, post: CpePost) -> Turn {
        let envelope = match post {
            CpePost::Empty => return self.on_empty_post(),
            CpePost::Envelope(envelope) => envelope,
        };
        if let Some(outstanding) = self.outstanding.take() {
            if envelope.body.is_response() {
                return Turn::Reply(answer_to(&outstanding, envelope.body));
            }
            // A request instead of the answer we wait for: refuse it, keep waiting.
            self.outstanding = Some(outstanding);
            return self.refuse(&envelope, FaultCode::ACS_RETRY_REQUEST, "a response to the ACS request is due");
        }
        if envelope.body.is_response() {
            return self.refuse(&envelope, FaultCode::ACS_METHOD_NOT_SUPPORTED, "no ACS request is outstanding");
        }
        if self.acs_turn || self.holding {
            // TR-069 §3.7.1.1: no CPE requests after the empty POST, nor under HoldRequests.
            return self.refuse(&envelope, FaultCode::ACS_RETRY_REQUEST, "the CPE may not send requests now");
        }
        self.answer_cpe_request(envelope)
    }

    /// The envelope carrying the ACS's next request; the CPE's next POST must answer it.
    pub fn request(&mut self, body: Body) -> Envelope {
        debug_assert!(self.acs_turn && self.outstanding.is_none(), "not the ACS's turn");
        let id = format!("usphub-{}", self.next_request);
        self.next_request += 1;
        self.outstanding = Some(Outstanding { id: id.clone(), method: body.method_name().to_owned() });
        self.stamp(Envelope::request(self.namespace, id, body))
    }

    /// Ends the session: the caller answers 204 No Content.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    fn on_empty_post(&mut self) -> Turn {
        self.acs_turn = true;
        match self.outstanding.take() {
            None => Turn::Ready,
            // The CPE skipped its answer: the task learns it failed instead of waiting forever.
            Some(outstanding) => {
                Turn::Reply(cpe_fault(format!("empty POST instead of {}Response", outstanding.method)))
            }
        }
    }

    fn answer_cpe_request(&mut self, envelope: Envelope) -> Turn {
        let (body, report) = match &envelope.body {
            Body::GetRpcMethods => (Body::GetRpcMethodsResponse(GetRpcMethodsResponse::acs_methods()), None),
            Body::TransferComplete(_) => (Body::TransferCompleteResponse, Some(envelope.body.clone())),
            Body::AutonomousTransferComplete(_) => {
                (Body::AutonomousTransferCompleteResponse, Some(envelope.body.clone()))
            }
            _ => return self.refuse(&envelope, FaultCode::ACS_METHOD_NOT_SUPPORTED, ""),
        };
        Turn::Answer { reply: self.stamp(envelope.reply(body)), report }
    }

    fn refuse(&mut self, envelope: &Envelope, code: FaultCode, why: &str) -> Turn {
        let mut fault = SoapFault::new(code);
        if !why.is_empty() {
            fault.detail.fault_string = format!("{}: {why}", fault.detail.fault_string);
        }
        Turn::Answer { reply: self.stamp(envelope.reply(Body::Fault(fault))), report: None }
    }

    /// Adds the HoldRequests header the session's state calls for.
    fn stamp(&mut self, mut envelope: Envelope) -> Envelope {
        envelope.cwmp_version = self.namespace;
        if self.holding || self.hold_announced {
            envelope.hold_requests = Some(self.holding);
            self.hold_announced = self.holding;
        }
        envelope
    }
}

/// The CPE's POST as the answer to `outstanding`: itself, unless it answers another method.
/// The cwmp:ID is not compared: CPE that echo it wrongly exist, and with one request
/// outstanding at a time the method name is what tells a wrong answer.
fn answer_to(outstanding: &Outstanding, body: Body) -> Body {
    let expected = format!("{}Response", outstanding.method);
    if matches!(body, Body::Fault(_)) || body.method_name() == expected {
        return body;
    }
    cpe_fault(format!("{} instead of {expected}", body.method_name()))
}

/// A CPE fault standing for a broken answer, so tasks see one kind of failure.
fn cpe_fault(why: String) -> Body {
    Body::Fault(SoapFault::from_detail(CwmpFault {
        fault_code: FaultCode::INTERNAL_ERROR,
        fault_string: format!("protocol error: {why}"),
        set_parameter_values_faults: Vec::new(),
    }))
}
