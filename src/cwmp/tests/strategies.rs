//! proptest strategies for arbitrary envelopes, limited to what survives the wire unchanged:
//! structural strings without surrounding whitespace (the parser trims them), characters XML
//! can carry, and a type on every SetParameterValues value (an untyped one goes out typed).

use proptest::prelude::*;

use super::super::fault::{FaultCode, SoapFaultCode};
use super::super::rpc::*;
use super::super::soap::{Body, CwmpNamespace, Envelope};

/// Any text a value may hold: XML specials, quotes, CR/LF/tab, non-ASCII.
fn raw_text() -> impl Strategy<Value = String> {
    "[ -~\t\n\r\u{e9}\u{4e2d}\u{1F600}<>&\"']{0,12}"
}

/// Text as the parser returns structural fields: trimmed.
fn text() -> impl Strategy<Value = String> {
    raw_text().prop_map(|text| text.trim().to_owned())
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(), 0..4)
}

fn status() -> impl Strategy<Value = ChangeStatus> {
    prop_oneof![
        Just(ChangeStatus::Applied),
        Just(ChangeStatus::NotYetApplied)
    ]
}

fn xsd_type() -> impl Strategy<Value = XsdType> {
    prop_oneof![
        Just(XsdType::String),
        Just(XsdType::Int),
        Just(XsdType::UnsignedInt),
        Just(XsdType::Long),
        Just(XsdType::UnsignedLong),
        Just(XsdType::Boolean),
        Just(XsdType::DateTime),
        Just(XsdType::Base64),
        Just(XsdType::HexBinary),
        Just(XsdType::Decimal),
        prop::sample::select(vec!["float", "anyURI", "short"])
            .prop_map(|name| XsdType::Other(name.to_owned())),
    ]
}

fn parameter_values(typed: bool) -> impl Strategy<Value = Vec<ParameterValueStruct>> {
    let xsd_type = if typed {
        xsd_type().prop_map(Some).boxed()
    } else {
        prop::option::of(xsd_type()).boxed()
    };
    let parameter =
        (text(), raw_text(), xsd_type).prop_map(|(name, value, xsd_type)| ParameterValueStruct {
            name,
            value,
            xsd_type,
        });
    prop::collection::vec(parameter, 0..4)
}

fn fault_struct() -> impl Strategy<Value = FaultStruct> {
    (any::<u32>(), text()).prop_map(|(fault_code, fault_string)| FaultStruct {
        fault_code,
        fault_string,
    })
}

fn inform() -> impl Strategy<Value = Inform> {
    let device = (text(), text(), text(), text()).prop_map(
        |(manufacturer, oui, product_class, serial_number)| DeviceId {
            manufacturer,
            oui,
            product_class,
            serial_number,
        },
    );
    let events = prop::collection::vec(
        (text(), text()).prop_map(|(code, key)| EventStruct::new(code, key)),
        0..4,
    );
    (
        device,
        events,
        any::<u32>(),
        text(),
        any::<u32>(),
        parameter_values(false),
    )
        .prop_map(
            |(device_id, events, max_envelopes, current_time, retry_count, parameter_list)| {
                Inform {
                    device_id,
                    events,
                    max_envelopes,
                    current_time,
                    retry_count,
                    parameter_list,
                }
            },
        )
}

fn soap_fault() -> impl Strategy<Value = SoapFault> {
    let faultcode = prop_oneof![
        Just(SoapFaultCode::Client),
        Just(SoapFaultCode::Server),
        "[A-Za-z][A-Za-z0-9.]{0,8}".prop_filter_map("reserved", |name| {
            (name != "Client" && name != "Server").then_some(SoapFaultCode::Other(name))
        }),
    ];
    let cause = (text(), any::<u32>(), text()).prop_map(|(parameter_name, code, fault_string)| {
        SetParameterValuesFault {
            parameter_name,
            fault_code: FaultCode(code),
            fault_string,
        }
    });
    (
        faultcode,
        text(),
        any::<u32>(),
        text(),
        prop::collection::vec(cause, 0..3),
    )
        .prop_map(
            |(faultcode, faultstring, code, fault_string, set_parameter_values_faults)| SoapFault {
                faultcode,
                faultstring,
                detail: CwmpFault {
                    fault_code: FaultCode(code),
                    fault_string,
                    set_parameter_values_faults,
                },
            },
        )
}

/// Messages a CPE sends.
fn cpe_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        inform().prop_map(Body::Inform),
        (text(), fault_struct(), text(), text()).prop_map(
            |(command_key, fault, start_time, complete_time)| {
                Body::TransferComplete(TransferComplete {
                    command_key,
                    fault,
                    start_time,
                    complete_time,
                })
            }
        ),
        (
            (text(), text(), any::<bool>(), text(), any::<u32>()),
            (text(), fault_struct(), text(), text())
        )
            .prop_map(
                |(
                    (announce_url, transfer_url, is_download, file_type, file_size),
                    (target_file_name, fault, start_time, complete_time),
                )| {
                    Body::AutonomousTransferComplete(AutonomousTransferComplete {
                        announce_url,
                        transfer_url,
                        is_download,
                        file_type,
                        file_size,
                        target_file_name,
                        fault,
                        start_time,
                        complete_time,
                    })
                }
            ),
        Just(Body::GetRpcMethods),
        (
            text(),
            prop::collection::vec(
                (text(), text()).prop_map(|(name, value)| ArgStruct { name, value }),
                0..3
            )
        )
            .prop_map(|(file_type, file_type_args)| Body::RequestDownload(
                RequestDownload {
                    file_type,
                    file_type_args
                }
            )),
        (text(), text(), text(), text()).prop_map(|(command, referer, arg, next)| Body::Kicked(
            Kicked {
                command,
                referer,
                arg,
                next
            }
        )),
        parameter_values(false).prop_map(|parameter_list| Body::GetParameterValuesResponse(
            GetParameterValuesResponse { parameter_list }
        )),
        status().prop_map(
            |status| Body::SetParameterValuesResponse(SetParameterValuesResponse { status })
        ),
        prop::collection::vec(
            (text(), any::<bool>())
                .prop_map(|(name, writable)| ParameterInfoStruct { name, writable }),
            0..3
        )
        .prop_map(|parameter_list| Body::GetParameterNamesResponse(
            GetParameterNamesResponse { parameter_list }
        )),
        prop::collection::vec(
            (text(), any::<u8>(), texts()).prop_map(|(name, notification, access_list)| {
                ParameterAttributeStruct {
                    name,
                    notification,
                    access_list,
                }
            }),
            0..3
        )
        .prop_map(|parameter_list| Body::GetParameterAttributesResponse(
            GetParameterAttributesResponse { parameter_list }
        )),
        Just(Body::SetParameterAttributesResponse),
        (any::<u32>(), status()).prop_map(|(instance_number, status)| Body::AddObjectResponse(
            AddObjectResponse {
                instance_number,
                status
            }
        )),
        status().prop_map(|status| Body::DeleteObjectResponse(DeleteObjectResponse { status })),
        Just(Body::RebootResponse),
        Just(Body::FactoryResetResponse),
        (status(), text(), text()).prop_map(|(status, start_time, complete_time)| {
            Body::DownloadResponse(DownloadResponse {
                status,
                start_time,
                complete_time,
            })
        }),
        soap_fault().prop_map(Body::Fault),
    ]
}

/// Messages the ACS sends.
fn acs_body() -> impl Strategy<Value = Body> {
    let download = (
        (text(), text(), text(), text(), text()),
        (any::<u32>(), text(), any::<u32>(), text(), text()),
    )
        .prop_map(
            |(
                (command_key, file_type, url, username, password),
                (file_size, target_file_name, delay_seconds, success_url, failure_url),
            )| {
                Body::Download(Download {
                    command_key,
                    file_type,
                    url,
                    username,
                    password,
                    file_size,
                    target_file_name,
                    delay_seconds,
                    success_url,
                    failure_url,
                })
            },
        );
    let attributes = (text(), any::<bool>(), any::<u8>(), any::<bool>(), texts()).prop_map(
        |(name, notification_change, notification, access_list_change, access_list)| {
            SetParameterAttributesStruct {
                name,
                notification_change,
                notification,
                access_list_change,
                access_list,
            }
        },
    );
    prop_oneof![
        any::<u32>()
            .prop_map(|max_envelopes| Body::InformResponse(InformResponse { max_envelopes })),
        Just(Body::TransferCompleteResponse),
        Just(Body::AutonomousTransferCompleteResponse),
        texts().prop_map(
            |method_list| Body::GetRpcMethodsResponse(GetRpcMethodsResponse { method_list })
        ),
        Just(Body::RequestDownloadResponse),
        text().prop_map(|next_url| Body::KickedResponse(KickedResponse { next_url })),
        texts().prop_map(
            |parameter_names| Body::GetParameterValues(GetParameterValues { parameter_names })
        ),
        (parameter_values(true), text()).prop_map(|(parameter_list, parameter_key)| {
            Body::SetParameterValues(SetParameterValues {
                parameter_list,
                parameter_key,
            })
        }),
        (text(), any::<bool>()).prop_map(|(parameter_path, next_level)| Body::GetParameterNames(
            GetParameterNames {
                parameter_path,
                next_level
            }
        )),
        texts().prop_map(
            |parameter_names| Body::GetParameterAttributes(GetParameterAttributes {
                parameter_names
            })
        ),
        prop::collection::vec(attributes, 0..3).prop_map(|parameter_list| {
            Body::SetParameterAttributes(SetParameterAttributes { parameter_list })
        }),
        (text(), text()).prop_map(|(object_name, parameter_key)| Body::AddObject(AddObject {
            object_name,
            parameter_key
        })),
        (text(), text()).prop_map(|(object_name, parameter_key)| Body::DeleteObject(
            DeleteObject {
                object_name,
                parameter_key
            }
        )),
        text().prop_map(|command_key| Body::Reboot(Reboot { command_key })),
        Just(Body::FactoryReset),
        download,
    ]
}

pub(crate) fn envelope() -> impl Strategy<Value = Envelope> {
    let headers = (
        prop::sample::select(CwmpNamespace::ALL.to_vec()),
        prop::option::of(text()),
        prop::option::of(any::<bool>()),
        any::<bool>(),
        prop::option::of(any::<u32>()),
    );
    (headers, prop_oneof![cpe_body(), acs_body()]).prop_map(
        |((cwmp_version, id, hold_requests, no_more_requests, session_timeout), body)| Envelope {
            cwmp_version,
            id,
            hold_requests,
            no_more_requests,
            session_timeout,
            body,
        },
    )
}
