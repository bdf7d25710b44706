//! Scripted-CPE tests of the translation tasks: each test plays the CPE's replies into a task,
//! checks the RPCs it sent, and decodes the USP answer after a prost round trip (the answer
//! must survive the wire, not just exist in memory).

mod add;
mod attributes;
mod boot;
mod delete;
mod get;
mod instances;
mod notify;
mod operate;
mod set;
mod start;
mod subscriptions;

use prost::Message;

use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::*;
use crate::cwmp::soap::Body;
use crate::cwmp::task::{CpeReply, CwmpTask, DeviceModel, TaskStep};
use crate::usp::proto::msg::{
    self, Msg, body::MsgBody, header::MsgType, request::ReqType, response::RespType,
};

use super::{TranslateConfig, start};

/// A request Msg.
pub(super) fn request(msg_id: &str, req: ReqType) -> Msg {
    Msg {
        header: Some(msg::Header {
            msg_id: msg_id.into(),
            msg_type: MsgType::Get as i32,
        }),
        body: Some(msg::Body {
            msg_body: Some(MsgBody::Request(msg::Request {
                req_type: Some(req),
            })),
        }),
    }
}

pub(super) fn device() -> DeviceModel {
    DeviceModel::new("Device.")
}

/// The RPCs a task sent and its final answer (after an encode/decode round trip).
pub(super) struct Run {
    pub rpcs: Vec<Body>,
    pub answer: Msg,
}

impl Run {
    pub fn methods(&self) -> Vec<&str> {
        self.rpcs.iter().map(Body::method_name).collect()
    }
}

/// Plays `replies` into the task started for `request`; panics if the task wants more
/// replies than scripted or finishes with some left over.
pub(super) fn run_with(
    request: &Msg,
    device: &DeviceModel,
    config: &TranslateConfig,
    replies: Vec<CpeReply>,
) -> Run {
    let mut task =
        start(request, device, config).unwrap_or_else(|msg| panic!("answered at once: {msg:?}"));
    drive(task.as_mut(), replies)
}

pub(super) fn run(request: &Msg, replies: Vec<CpeReply>) -> Run {
    run_with(request, &device(), &TranslateConfig::default(), replies)
}

pub(super) fn drive(task: &mut dyn CwmpTask, replies: Vec<CpeReply>) -> Run {
    let mut replies = replies.into_iter();
    let mut rpcs = Vec::new();
    let mut step = task.step(None);
    loop {
        match step {
            TaskStep::Rpc(body) => {
                rpcs.push(body);
                let reply = replies.next().unwrap_or_else(|| {
                    panic!(
                        "no scripted reply for RPC #{}: {:?}",
                        rpcs.len(),
                        rpcs.last()
                    )
                });
                step = task.step(Some(reply));
            }
            TaskStep::Done(answer) => {
                let rest = replies.count();
                assert_eq!(
                    rest, 0,
                    "{rest} scripted replies unused; RPCs sent: {rpcs:?}"
                );
                return Run {
                    rpcs,
                    answer: roundtrip(&answer),
                };
            }
        }
    }
}

/// Encodes and decodes a Msg with prost.
pub(super) fn roundtrip(msg: &Msg) -> Msg {
    Msg::decode(msg.encode_to_vec().as_slice()).expect("answer decodes")
}

pub(super) fn assert_header(answer: &Msg, msg_id: &str, msg_type: MsgType) {
    let header = answer.header.as_ref().expect("header");
    assert_eq!(header.msg_id, msg_id, "R-MSG.9: msg_id echoed");
    assert_eq!(
        header.msg_type, msg_type as i32,
        "msg_type matches the body"
    );
}

pub(super) fn response(answer: &Msg) -> &RespType {
    match answer.body.as_ref().and_then(|b| b.msg_body.as_ref()) {
        Some(MsgBody::Response(r)) => r.resp_type.as_ref().expect("response body"),
        other => panic!("expected a response, got {other:?}"),
    }
}

pub(super) fn error(answer: &Msg) -> &msg::Error {
    match answer.body.as_ref().and_then(|b| b.msg_body.as_ref()) {
        Some(MsgBody::Error(e)) => e,
        other => panic!("expected an Error, got {other:?}"),
    }
}

// CPE replies.

pub(super) fn values(list: &[(&str, &str, XsdType)]) -> CpeReply {
    let parameter_list = list
        .iter()
        .map(|(n, v, t)| ParameterValueStruct::new(*n, *v, t.clone()))
        .collect();
    CpeReply::Response(Body::GetParameterValuesResponse(
        GetParameterValuesResponse { parameter_list },
    ))
}

pub(super) fn names(list: &[(&str, bool)]) -> CpeReply {
    let parameter_list = list
        .iter()
        .map(|(n, w)| ParameterInfoStruct {
            name: (*n).into(),
            writable: *w,
        })
        .collect();
    CpeReply::Response(Body::GetParameterNamesResponse(GetParameterNamesResponse {
        parameter_list,
    }))
}

pub(super) fn fault(code: u32) -> CpeReply {
    CpeReply::Fault(SoapFault::new(FaultCode(code)))
}

/// A SetParameterValues fault (9003) naming each refused parameter.
pub(super) fn spv_fault(params: &[(&str, u32)]) -> CpeReply {
    let mut soap = SoapFault::new(FaultCode::INVALID_ARGUMENTS);
    soap.detail.set_parameter_values_faults = params
        .iter()
        .map(|(name, code)| SetParameterValuesFault {
            parameter_name: (*name).into(),
            fault_code: FaultCode(*code),
            fault_string: String::new(),
        })
        .collect();
    CpeReply::Fault(soap)
}

pub(super) fn spv_ok() -> CpeReply {
    CpeReply::Response(Body::SetParameterValuesResponse(
        SetParameterValuesResponse::default(),
    ))
}

pub(super) fn added(instance_number: u32) -> CpeReply {
    CpeReply::Response(Body::AddObjectResponse(AddObjectResponse {
        instance_number,
        status: ChangeStatus::Applied,
    }))
}

pub(super) fn deleted() -> CpeReply {
    CpeReply::Response(Body::DeleteObjectResponse(DeleteObjectResponse::default()))
}

/// The ParameterList of the `index`-th RPC, if it is a SetParameterValues.
pub(super) fn spv_list(run: &Run, index: usize) -> Vec<(String, String, String)> {
    match &run.rpcs[index] {
        Body::SetParameterValues(spv) => spv
            .parameter_list
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.value.clone(),
                    p.xsd_type.as_ref().map_or(String::new(), |t| t.to_string()),
                )
            })
            .collect(),
        other => panic!("RPC #{index} is {}", other.method_name()),
    }
}
