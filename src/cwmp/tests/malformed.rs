//! Bodies that are not usable CWMP envelopes: each gives its typed error and the right answer
//! for the ACS, and no input of any kind makes the parser panic.

use proptest::prelude::*;

use super::super::fault::FaultCode;
use super::super::soap::{
    AcsAnswer, ArgumentError, Body, CwmpNamespace, Envelope, SoapError, fuzz_parse,
};
use super::fixture;

const ENVELOPE_START: &str = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2">"#;

/// An envelope around `body` with cwmp:ID `7`.
fn envelope(body: &str) -> String {
    format!(
        r#"{ENVELOPE_START}<e:Header><cwmp:ID e:mustUnderstand="1">7</cwmp:ID></e:Header><e:Body>{body}</e:Body></e:Envelope>"#
    )
}

fn argument_error(xml: &str) -> ArgumentError {
    match Envelope::parse(xml.as_bytes()) {
        Err(SoapError::Arguments {
            cwmp_version: CwmpNamespace::V1_2,
            id,
            error,
        }) => {
            assert_eq!(id.as_deref(), Some("7"));
            error
        }
        other => panic!("expected an argument error, got {other:?}"),
    }
}

#[test]
fn truncated_xml() {
    let err = Envelope::parse(fixture!("malformed-truncated.xml")).unwrap_err();
    assert!(matches!(err, SoapError::MalformedXml { .. }), "{err:?}");
    assert_eq!(err.acs_answer(), AcsAnswer::BadRequest);
    assert!(err.fault_reply().is_none());
}

#[test]
fn wrong_root() {
    let err = Envelope::parse(fixture!("malformed-wrong-root.xml")).unwrap_err();
    assert_eq!(
        err,
        SoapError::NotSoapEnvelope {
            found: "html".into()
        }
    );
    assert_eq!(err.acs_answer(), AcsAnswer::BadRequest);
    // An Envelope in SOAP 1.2's namespace is not a SOAP 1.1 envelope either.
    let soap12 =
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#;
    assert!(matches!(
        Envelope::parse(soap12.as_bytes()),
        Err(SoapError::NotSoapEnvelope { .. })
    ));
}

#[test]
fn unknown_cwmp_namespace() {
    let err = Envelope::parse(fixture!("malformed-unknown-namespace.xml")).unwrap_err();
    let expected = SoapError::UnknownCwmpNamespace {
        namespace: "urn:dslforum-org:cwmp-2-0".into(),
        element: "Inform".into(),
    };
    assert_eq!(err, expected);
    assert_eq!(err.acs_answer(), AcsAnswer::BadRequest);
    let foreign = envelope(r#"<x:Inform xmlns:x="http://example.com/not-cwmp"/>"#);
    assert!(matches!(
        Envelope::parse(foreign.as_bytes()),
        Err(SoapError::UnknownCwmpNamespace { .. })
    ));
}

#[test]
fn inform_without_device_id_gets_an_8003_fault() {
    let err = Envelope::parse(fixture!("malformed-inform-without-deviceid.xml")).unwrap_err();
    let SoapError::Arguments {
        cwmp_version,
        id,
        error,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*cwmp_version, id.as_deref()),
        (CwmpNamespace::V1_2, Some("no-id-7"))
    );
    assert_eq!(
        *error,
        ArgumentError::Missing {
            method: "Inform",
            element: "DeviceId"
        }
    );
    assert_eq!(
        err.acs_answer(),
        AcsAnswer::Fault(FaultCode::ACS_INVALID_ARGUMENTS)
    );
    let reply = err.fault_reply().unwrap();
    assert_eq!(
        (reply.cwmp_version, reply.id.as_deref()),
        (CwmpNamespace::V1_2, Some("no-id-7"))
    );
    let Body::Fault(fault) = Envelope::parse(&reply.to_bytes()).unwrap().body else {
        panic!()
    };
    assert_eq!(fault.detail.fault_code, FaultCode::ACS_INVALID_ARGUMENTS);
    assert!(fault.detail.fault_string.contains("DeviceId"));
}

#[test]
fn missing_identity_and_invalid_values() {
    let no_serial = envelope("<cwmp:Inform><DeviceId><OUI>001122</OUI></DeviceId></cwmp:Inform>");
    assert_eq!(
        argument_error(&no_serial),
        ArgumentError::Missing {
            method: "Inform",
            element: "SerialNumber"
        }
    );
    let cases = [
        (
            "<cwmp:SetParameterValuesResponse><Status>7</Status></cwmp:SetParameterValuesResponse>",
            "Status",
        ),
        (
            "<cwmp:AddObjectResponse><InstanceNumber>-1</InstanceNumber><Status>0</Status></cwmp:AddObjectResponse>",
            "InstanceNumber",
        ),
        (
            "<cwmp:GetParameterNamesResponse><ParameterList><ParameterInfoStruct><Name>A</Name><Writable>maybe</Writable></ParameterInfoStruct></ParameterList></cwmp:GetParameterNamesResponse>",
            "Writable",
        ),
        (
            "<cwmp:Inform><DeviceId><OUI>1</OUI><SerialNumber>2</SerialNumber></DeviceId><RetryCount>x</RetryCount></cwmp:Inform>",
            "RetryCount",
        ),
    ];
    for (body, element) in cases {
        let error = argument_error(&envelope(body));
        assert!(
            matches!(error, ArgumentError::Invalid { element: found, .. } if found == element),
            "{body}: {error:?}"
        );
    }
    let bad_hold = envelope("<cwmp:GetRPCMethods/>").replace(
        "</e:Header>",
        "<cwmp:HoldRequests e:mustUnderstand=\"1\">yes</cwmp:HoldRequests></e:Header>",
    );
    // A bad header still gets a fault that echoes the ID.
    let error = argument_error(&bad_hold);
    assert!(matches!(error, ArgumentError::Invalid { element: "HoldRequests", .. }), "{error:?}");
}

#[test]
fn soap_structure_errors() {
    assert_eq!(Envelope::parse(b"  \r\n"), Err(SoapError::EmptyBody));
    let no_body = format!("{ENVELOPE_START}<e:Header/></e:Envelope>");
    assert_eq!(
        Envelope::parse(no_body.as_bytes()),
        Err(SoapError::MissingBody)
    );
    let two = envelope("<cwmp:GetRPCMethods/><cwmp:GetRPCMethods/>");
    assert_eq!(
        Envelope::parse(two.as_bytes()),
        Err(SoapError::BodyChildCount { count: 2 })
    );
    assert_eq!(
        Envelope::parse(envelope("").as_bytes()),
        Err(SoapError::BodyChildCount { count: 0 })
    );
    let bare_fault =
        envelope("<e:Fault><faultcode>Server</faultcode><faultstring>oops</faultstring></e:Fault>");
    assert_eq!(
        argument_error(&bare_fault),
        ArgumentError::Missing {
            method: "Fault",
            element: "detail/Fault"
        }
    );
    let deep =
        envelope(&("<cwmp:X>".to_owned() + &"<a>".repeat(40) + &"</a>".repeat(40) + "</cwmp:X>"));
    assert!(matches!(
        Envelope::parse(deep.as_bytes()),
        Err(SoapError::TooDeep { .. })
    ));
}

#[test]
fn unknown_methods_are_answered_with_8000() {
    let request = Envelope::parse(
        envelope("<cwmp:DUStateChangeComplete><Results/></cwmp:DUStateChangeComplete>").as_bytes(),
    )
    .unwrap();
    assert_eq!(
        request.body,
        Body::Unknown {
            method: "DUStateChangeComplete".into()
        }
    );
    let reply = request.reply(Body::Fault(super::super::rpc::SoapFault::new(
        FaultCode::ACS_METHOD_NOT_SUPPORTED,
    )));
    let xml = String::from_utf8(reply.to_bytes().to_vec()).unwrap();
    assert!(xml.contains(
        "<soap-env:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring>"
    ));
    assert!(xml.contains("<detail><cwmp:Fault><FaultCode>8000</FaultCode><FaultString>Method not supported</FaultString></cwmp:Fault></detail>"));
    assert!(xml.contains("<cwmp:ID soap-env:mustUnderstand=\"1\">7</cwmp:ID>"));
}

#[test]
fn utf8_bom_is_accepted_and_invalid_utf8_is_not() {
    let with_bom = [
        &b"\xEF\xBB\xBF"[..],
        envelope("<cwmp:GetRPCMethods/>").as_bytes(),
    ]
    .concat();
    assert_eq!(
        Envelope::parse(&with_bom).unwrap().body,
        Body::GetRpcMethods
    );
    let invalid =
        envelope("<cwmp:Reboot><CommandKey>X</CommandKey></cwmp:Reboot>").replace('X', "\u{FFFD}");
    let invalid: Vec<u8> = invalid
        .bytes()
        .map(|b| if b == 0xBD { 0xFF } else { b })
        .collect();
    assert!(matches!(
        Envelope::parse(&invalid),
        Err(SoapError::MalformedXml { .. })
    ));
}

/// All fixtures, the raw material for mutations.
fn fixtures() -> Vec<&'static [u8]> {
    vec![
        fixture!("inform-boot-crlf-soap-env-upper.xml"),
        fixture!("inform-genieacs-sim-cwmp10.xml"),
        fixture!("inform-soapenv-custom-prefix-no-arraytype.xml"),
        fixture!("inform-legacy-1999-default-namespace.xml"),
        fixture!("gpv-response-soap-cwmp10.xml"),
        fixture!("spv-fault-soap-env-upper.xml"),
        fixture!("transfer-complete-fault-genieacs-sim.xml"),
        fixture!("autonomous-transfer-complete-cwmp12.xml"),
        fixture!("get-rpc-methods-request.xml"),
        fixture!("trace-8-1-cpe-inform.xml"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        fuzz_parse(&data);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..10,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    ) {
        let mut data = fixtures()[which].to_vec();
        for (index, byte, kind) in edits {
            if data.is_empty() { break; }
            let at = index.index(data.len());
            match kind {
                0 => data[at] = byte,
                1 => { data.remove(at); }
                2 => data.insert(at, byte),
                _ => data.truncate(at),
            }
        }
        fuzz_parse(&data);
        // What still parses must also survive a re-encode and re-parse.
        if let Ok(envelope) = Envelope::parse(&data) {
            prop_assert!(Envelope::parse(&envelope.to_bytes()).is_ok());
        }
    }
}
