//! Dispatch in `start`, immediate answers, and the DeviceModel the engine keeps.

use super::*;

fn immediate(request: &Msg) -> Msg {
    let answer = start(request, &device(), &TranslateConfig::default())
        .err()
        .expect("an immediate answer");
    roundtrip(&answer)
}

#[test]
fn get_supported_protocol_is_answered_by_the_adapter() {
    let request = request(
        "p-1",
        ReqType::GetSupportedProtocol(msg::GetSupportedProtocol {
            controller_supported_protocol_versions: "1.3".into(),
        }),
    );
    let answer = immediate(&request);
    assert_header(&answer, "p-1", MsgType::GetSupportedProtoResp);
    let RespType::GetSupportedProtocolResp(resp) = response(&answer) else {
        panic!()
    };
    assert_eq!(
        resp.agent_supported_protocol_versions,
        "1.0,1.1,1.2,1.3,1.4"
    );
}

#[test]
fn messages_an_agent_does_not_take_are_refused() {
    let notify = request("n", ReqType::Notify(msg::Notify::default()));
    assert_eq!(error(&immediate(&notify)).err_code, 7001);
    let register = request("r", ReqType::Register(msg::Register::default()));
    assert_eq!(error(&immediate(&register)).err_code, 7001);

    let mut empty = request("e", ReqType::Get(msg::Get::default()));
    empty.body = None;
    let answer = immediate(&empty);
    assert_header(&answer, "e", MsgType::Error);
    assert_eq!(error(&answer).err_code, 7004);

    let mut no_request = request("x", ReqType::Get(msg::Get::default()));
    if let Some(MsgBody::Request(r)) = no_request.body.as_mut().and_then(|b| b.msg_body.as_mut()) {
        r.req_type = None;
    }
    assert_eq!(error(&immediate(&no_request)).err_code, 7004);

    let response = Msg {
        header: no_request.header.clone(),
        body: Some(msg::Body {
            msg_body: Some(MsgBody::Response(msg::Response {
                resp_type: Some(RespType::NotifyResp(msg::NotifyResp::default())),
            })),
        }),
    };
    assert_eq!(error(&immediate(&response)).err_code, 7001);
}

#[test]
fn an_empty_get_is_answered_at_once() {
    let answer = immediate(&request("g", ReqType::Get(msg::Get::default())));
    let RespType::GetResp(resp) = response(&answer) else {
        panic!()
    };
    assert!(resp.req_path_results.is_empty());
}

#[test]
fn the_device_model_types_every_instance_and_persists() {
    let mut device = device();
    device.learn_from(&Body::GetParameterValuesResponse(
        GetParameterValuesResponse {
            parameter_list: vec![
                ParameterValueStruct::new("Device.Hosts.Host.3.Active", "1", XsdType::Boolean),
                ParameterValueStruct {
                    name: "Device.X".into(),
                    value: "y".into(),
                    xsd_type: None,
                },
            ],
        },
    ));
    assert_eq!(
        device.type_of("Device.Hosts.Host.12.Active"),
        Some(&XsdType::Boolean)
    );
    assert_eq!(
        device.type_of("Device.X"),
        None,
        "untyped values teach nothing"
    );
    let json = serde_json::to_string(&device).unwrap();
    assert!(
        json.contains(r#""Device.Hosts.Host.{i}.Active":"boolean""#),
        "{json}"
    );
    let back: DeviceModel = serde_json::from_str(&json).unwrap();
    assert_eq!(back, device);
}
