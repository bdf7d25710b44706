//! Parsing envelopes in the styles of real CPE stacks (`tests/fixtures/cwmp/*.xml`).

use super::super::fault::{FaultCode, SoapFaultCode, UspErrorCode, UspErrorContext};
use super::super::rpc::*;
use super::super::soap::{Body, CwmpNamespace, Envelope};
use super::fixture;

fn parse(xml: &[u8]) -> Envelope {
    Envelope::parse(xml).unwrap_or_else(|err| panic!("{err}"))
}

fn inform(envelope: &Envelope) -> &Inform {
    match &envelope.body {
        Body::Inform(inform) => inform,
        other => panic!("not an Inform: {other:?}"),
    }
}

#[test]
fn inform_with_every_boot_event_crlf_and_uppercase_prefixes() {
    let xml = fixture!("inform-boot-crlf-soap-env-upper.xml");
    assert!(
        xml.windows(2).any(|pair| pair == b"\r\n"),
        "fixture must keep its CRLF line ends"
    );
    let envelope = parse(xml);
    assert_eq!(envelope.cwmp_version, CwmpNamespace::V1_2);
    assert_eq!(envelope.id.as_deref(), Some("inform-42"));
    assert_eq!(envelope.session_timeout, Some(60));
    assert_eq!(envelope.hold_requests, None);
    let inform = inform(&envelope);
    assert_eq!(
        inform.device_id,
        DeviceId {
            manufacturer: "Acme Networks".into(),
            oui: "00D09E".into(),
            product_class: "AX3000".into(),
            serial_number: "ACME0001".into(),
        }
    );
    let codes: Vec<_> = inform
        .events
        .iter()
        .map(|event| event.event_code.as_str())
        .collect();
    assert_eq!(
        codes,
        ["0 BOOTSTRAP", "1 BOOT", "4 VALUE CHANGE", "2 PERIODIC"]
    );
    assert!(
        inform
            .events
            .iter()
            .all(|event| event.command_key.is_empty())
    );
    assert_eq!((inform.max_envelopes, inform.retry_count), (1, 2));
    assert_eq!(inform.current_time, "2026-03-01T10:15:00+01:00");
    assert_eq!(inform.parameter_list.len(), 7);
    assert_eq!(
        inform.parameter("Device.DeviceInfo.SoftwareVersion"),
        Some("4.2.1 build <7> & more")
    );
    let types: Vec<_> = inform
        .parameter_list
        .iter()
        .map(|p| p.xsd_type.clone().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        [
            "xsd:string",
            "xsd:string",
            "xsd:string",
            "xsd:unsignedInt",
            "xsd:boolean",
            "xsd:unsignedInt",
            "xsd:dateTime"
        ]
    );
}

#[test]
fn genieacs_sim_inform_with_wrong_array_count() {
    let envelope = parse(fixture!("inform-genieacs-sim-cwmp10.xml"));
    assert_eq!(envelope.cwmp_version, CwmpNamespace::V1_0);
    assert_eq!(envelope.id.as_deref(), Some("8g5kvno2x9"));
    let inform = inform(&envelope);
    assert!(inform.has_event("2 PERIODIC"));
    assert_eq!(
        (
            inform.device_id.oui.as_str(),
            inform.device_id.serial_number.as_str()
        ),
        ("202BC1", "000000")
    );
    // arrayType says 16; the 7 items actually sent are what counts.
    assert_eq!(inform.parameter_list.len(), 7);
    assert_eq!(
        inform.parameter("InternetGatewayDevice.DeviceInfo.ProvisioningCode"),
        Some("")
    );
}

#[test]
fn soapenv_prefix_custom_cwmp_prefix_and_arrays_without_array_type() {
    let envelope = parse(fixture!("inform-soapenv-custom-prefix-no-arraytype.xml"));
    assert_eq!(envelope.cwmp_version, CwmpNamespace::V1_2);
    assert_eq!(
        (envelope.id.as_deref(), envelope.hold_requests),
        (Some("1"), Some(false))
    );
    let inform = inform(&envelope);
    assert_eq!(inform.device_id.serial_number, "SN 12/34");
    assert_eq!(inform.events[1], EventStruct::new("M Reboot", "reboot-7"));
    assert_eq!(inform.current_time, "0001-01-01T00:00:00Z");
    let parameters = &inform.parameter_list;
    assert_eq!(parameters[0].value, "  padded  ", "values are not trimmed");
    assert_eq!(parameters[0].xsd_type, Some(XsdType::String));
    assert_eq!(parameters[1].xsd_type, Some(XsdType::Base64));
    assert_eq!(parameters[2].xsd_type, None);
    assert_eq!(parameters[3].xsd_type, Some(XsdType::UnsignedLong));
    assert_eq!(parameters[4].xsd_type, Some(XsdType::HexBinary));
}

#[test]
fn legacy_1999_schema_uris_and_default_cwmp_namespace() {
    let envelope = parse(fixture!("inform-legacy-1999-default-namespace.xml"));
    assert_eq!(envelope.cwmp_version, CwmpNamespace::V1_0);
    assert_eq!(envelope.id.as_deref(), Some("legacy-1"));
    let inform = inform(&envelope);
    assert_eq!(inform.device_id.oui, "001122");
    assert_eq!(inform.parameter_list[0].xsd_type, Some(XsdType::Int));
    assert_eq!(inform.parameter_list[0].value, "-1");
    assert_eq!(
        inform.parameter_list[1].xsd_type,
        Some(XsdType::String),
        "soap-enc:string"
    );
}

#[test]
fn get_parameter_values_response_with_soap_prefix() {
    let envelope = parse(fixture!("gpv-response-soap-cwmp10.xml"));
    assert_eq!(
        (envelope.cwmp_version, envelope.id.as_deref()),
        (CwmpNamespace::V1_0, Some("gpv-1"))
    );
    let Body::GetParameterValuesResponse(response) = &envelope.body else {
        panic!("{:?}", envelope.body)
    };
    let list = &response.parameter_list;
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].value, "Café \"guest\" & co");
    assert_eq!(
        list[1],
        ParameterValueStruct::new(
            "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel",
            "11",
            XsdType::UnsignedInt
        )
    );
    assert_eq!(list[2].value, "1");
    assert!(envelope.body.is_response());
}

#[test]
fn set_parameter_values_fault_with_per_parameter_faults() {
    let envelope = parse(fixture!("spv-fault-soap-env-upper.xml"));
    assert_eq!(
        (envelope.cwmp_version, envelope.id.as_deref()),
        (CwmpNamespace::V1_2, Some("spv-9"))
    );
    let Body::Fault(fault) = &envelope.body else {
        panic!("{:?}", envelope.body)
    };
    assert_eq!(fault.faultcode, SoapFaultCode::Client);
    assert_eq!(fault.faultstring, "CWMP fault");
    assert_eq!(fault.detail.fault_code, FaultCode::INVALID_ARGUMENTS);
    let causes: Vec<_> = fault
        .detail
        .set_parameter_values_faults
        .iter()
        .map(|cause| {
            (
                cause.parameter_name.as_str(),
                cause.fault_code.usp_error(UspErrorContext::Parameter),
            )
        })
        .collect();
    assert_eq!(
        causes,
        [
            ("Device.WiFi.Radio.1.Channel", UspErrorCode::INVALID_VALUE),
            (
                "Device.DeviceInfo.SerialNumber",
                UspErrorCode::PARAM_READ_ONLY
            ),
        ]
    );
    assert!(
        fault.detail.set_parameter_values_faults[0]
            .fault_string
            .contains("regulatory")
    );
}

#[test]
fn transfer_complete_with_fault_struct_out_of_schema_order() {
    let envelope = parse(fixture!("transfer-complete-fault-genieacs-sim.xml"));
    let Body::TransferComplete(report) = &envelope.body else {
        panic!("{:?}", envelope.body)
    };
    assert_eq!(report.command_key, "fw-2026-03");
    assert!(!report.fault.is_success());
    assert_eq!(report.fault.code(), FaultCode::FILE_TRANSFER_FAILURE);
    assert_eq!(report.fault.fault_string, "Download failure: HTTP 404");
    assert_eq!(
        report.fault.code().usp_error(UspErrorContext::Command),
        UspErrorCode::COMMAND_FAILURE
    );
    assert_eq!(
        (report.start_time.as_str(), report.complete_time.as_str()),
        ("2026-03-01T09:01:00.000Z", "2026-03-01T09:02:30.000Z")
    );
}

#[test]
fn autonomous_transfer_complete() {
    let envelope = parse(fixture!("autonomous-transfer-complete-cwmp12.xml"));
    let Body::AutonomousTransferComplete(report) = &envelope.body else {
        panic!("{:?}", envelope.body)
    };
    assert!(report.is_download && report.fault.is_success());
    assert_eq!(
        (report.file_type.as_str(), report.file_size),
        ("1 Firmware Upgrade Image", 16_777_216)
    );
    assert_eq!(report.target_file_name, "ax3000-4.2.2.bin");
}

#[test]
fn cpe_get_rpc_methods_with_no_more_requests_header() {
    let envelope = parse(fixture!("get-rpc-methods-request.xml"));
    assert_eq!(envelope.cwmp_version, CwmpNamespace::V1_1);
    assert!(envelope.no_more_requests);
    assert_eq!(envelope.body, Body::GetRpcMethods);
    assert!(!envelope.body.is_response());
    let reply = envelope.reply(Body::GetRpcMethodsResponse(
        GetRpcMethodsResponse::acs_methods(),
    ));
    let xml = String::from_utf8(reply.to_bytes().to_vec()).unwrap();
    assert!(xml.contains("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-1\""));
    assert!(xml.contains("<cwmp:ID soap-env:mustUnderstand=\"1\">rpc-1</cwmp:ID>"));
    assert!(
        xml.contains("<MethodList soap-enc:arrayType=\"xsd:string[4]\"><string>Inform</string>")
    );
}
