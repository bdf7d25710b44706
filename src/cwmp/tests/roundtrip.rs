//! Generation and parsing agree: whatever the ACS generates parses back to the same value, and
//! a CPE's answer to each generated request parses with the request's ID and namespace.

use proptest::prelude::*;

use super::super::rpc::*;
use super::super::soap::{Body, CwmpNamespace, Envelope};
use super::samples::every_message;
use super::strategies;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_envelope_round_trips(envelope in strategies::envelope()) {
        let bytes = envelope.to_bytes();
        let parsed = Envelope::parse(&bytes).map_err(|err| TestCaseError::fail(format!("{err}\n{}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(parsed, envelope);
    }
}

#[test]
fn every_sample_round_trips() {
    for (name, body) in every_message() {
        let envelope = Envelope::request(CwmpNamespace::V1_0, name, body);
        assert_eq!(
            Envelope::parse(&envelope.to_bytes()).unwrap(),
            envelope,
            "{name}"
        );
    }
}

/// What a conforming CPE answers to each ACS request.
fn cpe_answer(request: &Body) -> Option<Body> {
    Some(match request {
        Body::GetParameterValues(request) => {
            Body::GetParameterValuesResponse(GetParameterValuesResponse {
                parameter_list: request
                    .parameter_names
                    .iter()
                    .map(|name| ParameterValueStruct::new(name, "v", XsdType::String))
                    .collect(),
            })
        }
        Body::SetParameterValues(_) => {
            Body::SetParameterValuesResponse(SetParameterValuesResponse {
                status: ChangeStatus::Applied,
            })
        }
        Body::GetParameterNames(request) => {
            Body::GetParameterNamesResponse(GetParameterNamesResponse {
                parameter_list: vec![ParameterInfoStruct {
                    name: format!("{}1.", request.parameter_path),
                    writable: true,
                }],
            })
        }
        Body::GetParameterAttributes(request) => {
            Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
                parameter_list: request
                    .parameter_names
                    .iter()
                    .map(|name| ParameterAttributeStruct {
                        name: name.clone(),
                        notification: 0,
                        access_list: vec![],
                    })
                    .collect(),
            })
        }
        Body::SetParameterAttributes(_) => Body::SetParameterAttributesResponse,
        Body::AddObject(_) => Body::AddObjectResponse(AddObjectResponse {
            instance_number: 5,
            status: ChangeStatus::Applied,
        }),
        Body::DeleteObject(_) => Body::DeleteObjectResponse(DeleteObjectResponse {
            status: ChangeStatus::NotYetApplied,
        }),
        Body::Reboot(_) => Body::RebootResponse,
        Body::FactoryReset => Body::FactoryResetResponse,
        Body::Download(_) => Body::DownloadResponse(DownloadResponse {
            status: ChangeStatus::NotYetApplied,
            start_time: "0001-01-01T00:00:00Z".into(),
            complete_time: "0001-01-01T00:00:00Z".into(),
        }),
        Body::GetRpcMethods => Body::GetRpcMethodsResponse(GetRpcMethodsResponse {
            method_list: vec!["GetParameterValues".into()],
        }),
        _ => return None,
    })
}

#[test]
fn cpe_answers_to_generated_requests_parse_back() {
    let mut answered = 0;
    for namespace in [
        CwmpNamespace::V1_0,
        CwmpNamespace::V1_2,
        CwmpNamespace::V1_4,
    ] {
        for (index, (name, body)) in every_message().into_iter().enumerate() {
            let Some(answer) = cpe_answer(&body) else {
                continue;
            };
            let request = Envelope::request(namespace, format!("acs-{index}"), body);
            // The CPE parses the request, then answers in the same namespace with the same ID.
            let received = Envelope::parse(&request.to_bytes()).unwrap();
            assert_eq!(received, request, "{name}");
            let response = received.reply(answer.clone());
            let parsed = Envelope::parse(&response.to_bytes()).unwrap();
            assert_eq!(
                (parsed.cwmp_version, parsed.id.as_deref()),
                (namespace, request.id.as_deref()),
                "{name}"
            );
            assert_eq!(parsed.body, answer, "{name}");
            assert!(parsed.body.is_response());
            answered += 1;
        }
    }
    assert_eq!(answered, 3 * 11, "every ACS request kind must be covered");
}
