//! USP messages a Controller sends to a CWMP device in the end-to-end tests, and readers for
//! what comes back (declared from `cpe.rs`, the CPE simulator these tests drive).

use usphub::usp::proto::msg::{self, Msg};

pub fn request(msg_id: &str, msg_type: msg::header::MsgType, req: msg::request::ReqType) -> Msg {
    Msg {
        header: Some(msg::Header { msg_id: msg_id.into(), msg_type: msg_type as i32 }),
        body: Some(msg::Body { msg_body: Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(req) })) }),
    }
}

pub fn set(msg_id: &str, obj: &str, param: &str, value: &str) -> Msg {
    use msg::set::{UpdateObject, UpdateParamSetting};
    let setting = UpdateParamSetting { param: param.into(), value: value.into(), required: true };
    let update = UpdateObject { obj_path: obj.into(), param_settings: vec![setting] };
    request(
        msg_id,
        msg::header::MsgType::Set,
        msg::request::ReqType::Set(msg::Set { allow_partial: false, update_objs: vec![update] }),
    )
}

pub fn add(msg_id: &str, table: &str, params: &[(&str, &str)]) -> Msg {
    use msg::add::{CreateObject, CreateParamSetting};
    let settings =
        params.iter().map(|(p, v)| CreateParamSetting { param: (*p).into(), value: (*v).into(), required: true });
    let create = CreateObject { obj_path: table.into(), param_settings: settings.collect() };
    request(
        msg_id,
        msg::header::MsgType::Add,
        msg::request::ReqType::Add(msg::Add { allow_partial: false, create_objs: vec![create] }),
    )
}

pub fn delete(msg_id: &str, path: &str) -> Msg {
    let delete = msg::Delete { allow_partial: false, obj_paths: vec![path.into()] };
    request(msg_id, msg::header::MsgType::Delete, msg::request::ReqType::Delete(delete))
}

pub fn reboot(msg_id: &str, key: &str) -> Msg {
    let operate = msg::Operate {
        command: "Device.Reboot()".into(),
        command_key: key.into(),
        send_resp: true,
        input_args: Default::default(),
    };
    request(msg_id, msg::header::MsgType::Operate, msg::request::ReqType::Operate(operate))
}

pub fn response_of(m: &Msg) -> msg::response::RespType {
    match m.body.as_ref().and_then(|b| b.msg_body.clone()) {
        Some(msg::body::MsgBody::Response(msg::Response { resp_type: Some(resp) })) => resp,
        other => panic!("not a response: {other:?}"),
    }
}

pub fn notification_of(m: &Msg) -> msg::notify::Notification {
    match m.body.as_ref().and_then(|b| b.msg_body.clone()) {
        Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) })) => {
            n.notification.unwrap()
        }
        other => panic!("not a Notify: {other:?}"),
    }
}

/// A Controller's Add of a `Device.LocalAgent.Subscription.` row.
pub fn subscribe(msg_id: &str, id: &str, notif_type: &str, references: &str) -> Msg {
    add(
        msg_id,
        "Device.LocalAgent.Subscription.",
        &[("Enable", "true"), ("ID", id), ("NotifType", notif_type), ("ReferenceList", references)],
    )
}

/// The `subscription_id` of a Notify.
pub fn subscription_id_of(m: &Msg) -> String {
    match m.body.as_ref().and_then(|b| b.msg_body.clone()) {
        Some(msg::body::MsgBody::Request(msg::Request { req_type: Some(msg::request::ReqType::Notify(n)) })) => {
            n.subscription_id
        }
        other => panic!("not a Notify: {other:?}"),
    }
}
