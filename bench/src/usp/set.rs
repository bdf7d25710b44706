//! The Set side of the request/response load: a Set of one padded parameter and the SetResp
//! that reports it updated, so a mixed load (`--set-every`) carries both kinds of Record a
//! controller sends to an agent, at the same size as the Get and GetResp.

use usphub::usp::proto::msg::{
    self, body::MsgBody, header::MsgType, request::ReqType, response::RespType,
    set_resp::updated_object_result::{OperationStatus, operation_status},
};

use super::BENCH_OBJECT;

/// A Set of `BENCH_OBJECT.Pad`, value padded later by [`pad_request`].
pub fn request() -> msg::Msg {
    let set = msg::Set {
        allow_partial: false,
        update_objs: vec![msg::set::UpdateObject {
            obj_path: BENCH_OBJECT.into(),
            param_settings: vec![msg::set::UpdateParamSetting {
                param: "Pad".into(),
                value: String::new(),
                required: true,
            }],
        }],
    };
    msg::Msg {
        header: Some(msg::Header { msg_id: String::new(), msg_type: MsgType::Set as i32 }),
        body: Some(msg::Body { msg_body: Some(MsgBody::Request(msg::Request { req_type: Some(ReqType::Set(set)) })) }),
    }
}

/// Sets the padding of a [`request`] to `pad` bytes.
pub fn pad_request(msg: &mut msg::Msg, pad: usize) {
    if let Some(MsgBody::Request(msg::Request { req_type: Some(ReqType::Set(set)) })) =
        msg.body.as_mut().and_then(|b| b.msg_body.as_mut())
    {
        set.update_objs[0].param_settings[0].value = "x".repeat(pad);
    }
}

/// A SetResp reporting `BENCH_OBJECT.Pad` updated, padded later by [`pad_response`].
pub fn response() -> msg::Msg {
    let updated = msg::set_resp::UpdatedInstanceResult {
        affected_path: BENCH_OBJECT.into(),
        updated_params: [("Pad".to_owned(), String::new())].into(),
        ..Default::default()
    };
    let result = msg::set_resp::UpdatedObjectResult {
        requested_path: BENCH_OBJECT.into(),
        oper_status: Some(OperationStatus {
            oper_status: Some(operation_status::OperStatus::OperSuccess(operation_status::OperationSuccess {
                updated_inst_results: vec![updated],
            })),
        }),
    };
    msg::Msg {
        header: Some(msg::Header { msg_id: String::new(), msg_type: MsgType::SetResp as i32 }),
        body: Some(msg::Body {
            msg_body: Some(MsgBody::Response(msg::Response {
                resp_type: Some(RespType::SetResp(msg::SetResp { updated_obj_results: vec![result] })),
            })),
        }),
    }
}

/// Sets the padding of a [`response`] to `pad` bytes.
pub fn pad_response(msg: &mut msg::Msg, pad: usize) {
    if let Some(MsgBody::Response(msg::Response { resp_type: Some(RespType::SetResp(resp)) })) =
        msg.body.as_mut().and_then(|b| b.msg_body.as_mut())
    {
        let status = resp.updated_obj_results[0].oper_status.as_mut().and_then(|s| s.oper_status.as_mut());
        if let Some(operation_status::OperStatus::OperSuccess(ok)) = status {
            ok.updated_inst_results[0].updated_params.insert("Pad".to_owned(), "x".repeat(pad));
        }
    }
}
