//! The session of the GenieACS trace in cwmp.md §8.1, replayed through the codec: Inform →
//! InformResponse → empty POST → GetParameterValues → GetParameterValuesResponse.

use super::super::rpc::*;
use super::super::soap::{Body, CwmpNamespace, Envelope, is_empty_body};
use super::fixture;

#[test]
fn genieacs_trace_session() {
    // 1. CPE → ACS: Inform.
    let inform = Envelope::parse(fixture!("trace-8-1-cpe-inform.xml")).unwrap();
    assert_eq!(inform.cwmp_version, CwmpNamespace::V1_0);
    let Body::Inform(details) = &inform.body else {
        panic!("{:?}", inform.body)
    };
    assert!(details.has_event("1 BOOT") && details.has_event("6 CONNECTION REQUEST"));
    assert_eq!(details.device_id.oui, "64680C");
    assert_eq!(
        details.parameter("InternetGatewayDevice.DeviceInfo.SoftwareVersion"),
        Some("CV2_TR69_CPE_04_00")
    );
    assert!(
        details
            .parameter("InternetGatewayDevice.DeviceSummary")
            .unwrap()
            .starts_with("InternetGatewayDevice:1.4")
    );

    // 2. ACS → CPE: InformResponse, exactly as GenieACS shapes it, in the CPE's namespace.
    let reply = inform.reply(Body::InformResponse(InformResponse::default()));
    assert_eq!(
        std::str::from_utf8(&reply.to_bytes()).unwrap(),
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" ",
            "xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" ",
            "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" ",
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
            "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">",
            "<soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">1804289383</cwmp:ID></soap-env:Header>",
            "<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap-env:Body>",
            "</soap-env:Envelope>",
        )
    );
    assert_eq!(reply.to_bytes(), reply.to_bytes(), "byte-deterministic");

    // 3. CPE → ACS: empty POST.
    assert!(is_empty_body(b""));

    // 4. ACS → CPE: GetParameterValues with the ACS's own ID.
    let request = Envelope::request(
        inform.cwmp_version,
        "usphub-1",
        Body::GetParameterValues(GetParameterValues {
            parameter_names: vec![
                "InternetGatewayDevice.ManagementServer.PeriodicInformInterval".into(),
                "InternetGatewayDevice.Time.NTPServer1".into(),
            ],
        }),
    );
    let request_xml = String::from_utf8(request.to_bytes().to_vec()).unwrap();
    assert!(request_xml.contains("<ParameterNames soap-enc:arrayType=\"xsd:string[2]\">"));

    // 5. CPE → ACS: the response echoes the ID.
    let response = Envelope::parse(fixture!("trace-8-1-cpe-gpv-response.xml")).unwrap();
    assert_eq!(response.id, request.id);
    assert_eq!(response.cwmp_version, request.cwmp_version);
    let Body::GetParameterValuesResponse(values) = response.body else {
        panic!()
    };
    assert_eq!(
        values.parameter_list,
        [
            ParameterValueStruct::new(
                "InternetGatewayDevice.ManagementServer.PeriodicInformInterval",
                "86400",
                XsdType::UnsignedInt
            ),
            ParameterValueStruct::new(
                "InternetGatewayDevice.Time.NTPServer1",
                "pool.ntp.org",
                XsdType::String
            ),
        ]
    );
}

#[test]
fn empty_body_detection() {
    for empty in [&b""[..], b"\r\n", b"  \t\n"] {
        assert!(is_empty_body(empty));
    }
    assert!(!is_empty_body(b" <x/>"));
}

#[test]
fn set_parameter_values_types_every_value() {
    let request = Envelope::request(
        CwmpNamespace::V1_2,
        "spv",
        Body::SetParameterValues(SetParameterValues {
            parameter_list: vec![
                ParameterValueStruct::new("Device.A", "1", XsdType::UnsignedInt),
                ParameterValueStruct {
                    name: "Device.B".into(),
                    value: "x".into(),
                    xsd_type: None,
                },
            ],
            parameter_key: "k".into(),
        }),
    );
    let xml = String::from_utf8(request.to_bytes().to_vec()).unwrap();
    assert!(xml.contains("<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[2]\">"));
    assert!(xml.contains("<Value xsi:type=\"xsd:unsignedInt\">1</Value>"));
    assert!(
        xml.contains("<Value xsi:type=\"xsd:string\">x</Value>"),
        "untyped values go out as strings"
    );
    assert!(xml.contains("<ParameterKey>k</ParameterKey>"));
}
