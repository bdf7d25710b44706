//! The session state machine, turn by turn.

use super::session::{CpePost, CwmpSession, Turn};
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::*;
use crate::cwmp::soap::{Body, CwmpNamespace, Envelope};

fn inform(namespace: CwmpNamespace) -> Envelope {
    let inform = Inform {
        device_id: DeviceId { oui: "00D09E".into(), serial_number: "SN1".into(), ..Default::default() },
        events: vec![EventStruct::new("1 BOOT", "")],
        max_envelopes: 1,
        current_time: String::new(),
        retry_count: 0,
        parameter_list: Vec::new(),
    };
    let mut envelope = Envelope::new(namespace, Body::Inform(inform));
    envelope.id = Some("inform-7".into());
    envelope
}

fn cpe(id: &str, body: Body) -> CpePost {
    let mut envelope = Envelope::new(CwmpNamespace::V1_0, body);
    envelope.id = Some(id.into());
    CpePost::Envelope(envelope)
}

fn fault_code(turn: &Turn) -> u32 {
    match turn {
        Turn::Answer { reply: Envelope { body: Body::Fault(fault), .. }, .. } => fault.detail.fault_code.0,
        other => panic!("not a fault answer: {other:?}"),
    }
}

fn gpv(name: &str) -> Body {
    Body::GetParameterValues(GetParameterValues { parameter_names: vec![name.into()] })
}

fn gpv_response(name: &str, value: &str) -> Body {
    Body::GetParameterValuesResponse(GetParameterValuesResponse {
        parameter_list: vec![ParameterValueStruct::new(name, value, XsdType::String)],
    })
}

#[test]
fn inform_gets_inform_response_with_its_id_namespace_and_max_envelopes_1() {
    let (session, reply) = CwmpSession::start(&inform(CwmpNamespace::V1_2));
    assert_eq!(reply.id.as_deref(), Some("inform-7"));
    assert_eq!(reply.cwmp_version, CwmpNamespace::V1_2);
    assert_eq!(reply.body, Body::InformResponse(InformResponse { max_envelopes: 1 }));
    assert_eq!(reply.hold_requests, None);
    assert_eq!(session.namespace(), CwmpNamespace::V1_2);
}

#[test]
fn full_session_inform_empty_post_rpc_response_then_204() {
    let (mut session, _) = CwmpSession::start(&inform(CwmpNamespace::V1_0));
    assert_eq!(session.on_post(CpePost::Empty), Turn::Ready);
    let request = session.request(gpv("Device.DeviceInfo.UpTime"));
    assert_eq!(request.id.as_deref(), Some("usphub-1"));
    assert_eq!(request.cwmp_version, CwmpNamespace::V1_0);
    let response = gpv_response("Device.DeviceInfo.UpTime", "42");
    assert_eq!(session.on_post(cpe("usphub-1", response.clone())), Turn::Reply(response));
    let second = session.request(gpv("Device.DeviceInfo.SerialNumber"));
    assert_eq!(second.id.as_deref(), Some("usphub-2"), "each request has a fresh ID");
    let fault = Body::Fault(SoapFault::new(FaultCode::INVALID_PARAMETER_NAME));
    assert_eq!(session.on_post(cpe("usphub-2", fault.clone())), Turn::Reply(fault), "faults reach the task");
    session.finish();
    assert!(session.is_finished());
}

#[test]
fn cpe_requests_are_answered_before_the_empty_post() {
    let (mut session, _) = CwmpSession::start(&inform(CwmpNamespace::V1_2));
    let transfer = Body::TransferComplete(TransferComplete { command_key: "fw1".into(), ..Default::default() });
    let Turn::Answer { reply, report } = session.on_post(cpe("tc-1", transfer.clone())) else { panic!() };
    assert_eq!((reply.id.as_deref(), &reply.body), (Some("tc-1"), &Body::TransferCompleteResponse));
    assert_eq!(reply.cwmp_version, CwmpNamespace::V1_2, "the session's namespace, whatever the POST said");
    assert_eq!(report, Some(transfer));

    let autonomous = Body::AutonomousTransferComplete(AutonomousTransferComplete::default());
    let Turn::Answer { reply, report } = session.on_post(cpe("atc", autonomous)) else { panic!() };
    assert_eq!(reply.body, Body::AutonomousTransferCompleteResponse);
    assert!(report.is_some());

    let Turn::Answer { reply, report: None } = session.on_post(cpe("rpc", Body::GetRpcMethods)) else { panic!() };
    let Body::GetRpcMethodsResponse(methods) = reply.body else { panic!() };
    assert!(methods.method_list.iter().any(|m| m == "TransferComplete"));
}

#[test]
fn other_cpe_methods_get_fault_8000() {
    let (mut session, _) = CwmpSession::start(&inform(CwmpNamespace::V1_2));
    let unknown = Body::Unknown { method: "X_ACME_Hello".into() };
    let turn = session.on_post(cpe("x", unknown));
    assert_eq!(fault_code(&turn), 8000);
    let Turn::Answer { reply, .. } = turn else { panic!() };
    assert_eq!(reply.id.as_deref(), Some("x"), "faults echo the ID too");
    assert_eq!(fault_code(&session.on_post(cpe("k", Body::Kicked(Kicked::default())))), 8000);
    assert_eq!(fault_code(&session.on_post(cpe("r", Body::RebootResponse))), 8000, "a response nobody asked for");
    assert_eq!(session.on_post(CpePost::Empty), Turn::Ready, "the session goes on");
}

#[test]
fn no_cpe_requests_after_the_empty_post_or_instead_of_a_response() {
    let (mut session, _) = CwmpSession::start(&inform(CwmpNamespace::V1_2));
    assert_eq!(session.on_post(CpePost::Empty), Turn::Ready);
    session.request(gpv("Device.X"));
    let early = session.on_post(cpe("tc", Body::TransferComplete(TransferComplete::default())));
    assert_eq!(fault_code(&early), FaultCode::ACS_RETRY_REQUEST.0);
    let response = gpv_response("Device.X", "1");
    assert_eq!(session.on_post(cpe("usphub-1", response.clone())), Turn::Reply(response), "still awaited");
    let late = session.on_post(cpe("tc", Body::GetRpcMethods));
    assert_eq!(fault_code(&late), FaultCode::ACS_RETRY_REQUEST.0);
}

#[test]
fn wrong_or_missing_answers_become_cpe_faults_for_the_task() {
    let (mut session, _) = CwmpSession::start(&inform(CwmpNamespace::V1_2));
    session.on_post(CpePost::Empty);
    session.request(gpv("Device.X"));
    let Turn::Reply(Body::Fault(fault)) = session.on_post(cpe("usphub-1", Body::RebootResponse)) else { panic!() };
    assert_eq!(fault.detail.fault_code, FaultCode::INTERNAL_ERROR);
    assert!(fault.detail.fault_string.contains("RebootResponse instead of GetParameterValuesResponse"));

    session.request(gpv("Device.Y"));
    let Turn::Reply(Body::Fault(fault)) = session.on_post(CpePost::Empty) else { panic!() };
    assert!(fault.detail.fault_string.contains("empty POST"));
}

#[test]
fn hold_requests_goes_out_and_is_enforced_then_released() {
    let (mut session, _) = CwmpSession::start(&inform(CwmpNamespace::V1_2));
    session.hold_requests(true);
    let turn = session.on_post(cpe("tc", Body::TransferComplete(TransferComplete::default())));
    assert_eq!(fault_code(&turn), FaultCode::ACS_RETRY_REQUEST.0);
    let Turn::Answer { reply, .. } = turn else { panic!() };
    assert_eq!(reply.hold_requests, Some(true));
    assert_eq!(session.on_post(CpePost::Empty), Turn::Ready);
    assert_eq!(session.request(gpv("Device.X")).hold_requests, Some(true));
    session.on_post(cpe("usphub-1", gpv_response("Device.X", "1")));
    session.hold_requests(false);
    assert_eq!(session.request(gpv("Device.Y")).hold_requests, Some(false), "release is said once");
    session.on_post(cpe("usphub-2", gpv_response("Device.Y", "1")));
    assert_eq!(session.request(gpv("Device.Z")).hold_requests, None);
}
