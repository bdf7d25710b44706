//! One realistic, schema-valid instance of every message the codec generates.

use super::super::fault::FaultCode;
use super::super::rpc::*;
use super::super::soap::Body;

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn values() -> Vec<ParameterValueStruct> {
    vec![
        ParameterValueStruct::new(
            "Device.WiFi.SSID.1.SSID",
            "Café <guest> & \"friends\"",
            XsdType::String,
        ),
        ParameterValueStruct::new("Device.WiFi.Radio.1.Channel", "11", XsdType::UnsignedInt),
        ParameterValueStruct::new("Device.WiFi.Radio.1.Enable", "true", XsdType::Boolean),
        ParameterValueStruct::new(
            "Device.Time.LocalTimeZone",
            "CET-1CEST,M3.5.0,M10.5.0/3",
            XsdType::String,
        ),
        ParameterValueStruct::new("Device.DeviceInfo.X_ACME_Offset", "-5", XsdType::Int),
        ParameterValueStruct::new(
            "Device.Ethernet.Interface.1.Stats.BytesSent",
            "18446744073709551615",
            XsdType::UnsignedLong,
        ),
        ParameterValueStruct::new("Device.X_ACME_Counter", "-9000000000", XsdType::Long),
        ParameterValueStruct::new(
            "Device.Time.CurrentLocalTime",
            "2026-03-01T10:15:00Z",
            XsdType::DateTime,
        ),
        ParameterValueStruct::new("Device.X_ACME_Mac", "00d09e1a2b3c", XsdType::HexBinary),
    ]
}

fn fault_struct(code: u32) -> FaultStruct {
    FaultStruct {
        fault_code: code,
        fault_string: if code == 0 {
            String::new()
        } else {
            "Download failure".into()
        },
    }
}

/// Every `Body` variant the codec can generate (all but `Unknown`), named for file names.
pub(crate) fn every_message() -> Vec<(&'static str, Body)> {
    let inform = Inform {
        device_id: DeviceId {
            manufacturer: "Acme Networks".into(),
            oui: "00D09E".into(),
            product_class: "AX3000".into(),
            serial_number: "ACME0001".into(),
        },
        events: vec![
            EventStruct::new("0 BOOTSTRAP", ""),
            EventStruct::new("M Reboot", "reboot-1"),
        ],
        max_envelopes: 1,
        current_time: "2026-03-01T10:15:00+01:00".into(),
        retry_count: 0,
        parameter_list: values(),
    };
    vec![
        ("inform", Body::Inform(inform)),
        (
            "transfer-complete",
            Body::TransferComplete(TransferComplete {
                command_key: "fw-1".into(),
                fault: fault_struct(9010),
                start_time: "2026-03-01T09:01:00Z".into(),
                complete_time: "2026-03-01T09:02:30Z".into(),
            }),
        ),
        (
            "autonomous-transfer-complete",
            Body::AutonomousTransferComplete(AutonomousTransferComplete {
                announce_url: String::new(),
                transfer_url: "http://files.example.net/fw.bin".into(),
                is_download: true,
                file_type: "1 Firmware Upgrade Image".into(),
                file_size: 16_777_216,
                target_file_name: "fw.bin".into(),
                fault: fault_struct(0),
                start_time: "0001-01-01T00:00:00Z".into(),
                complete_time: "0001-01-01T00:00:00Z".into(),
            }),
        ),
        ("get-rpc-methods", Body::GetRpcMethods),
        (
            "request-download",
            Body::RequestDownload(RequestDownload {
                file_type: "1 Firmware Upgrade Image".into(),
                file_type_args: vec![ArgStruct {
                    name: "Version".into(),
                    value: "4.2".into(),
                }],
            }),
        ),
        (
            "kicked",
            Body::Kicked(Kicked {
                command: "login".into(),
                referer: "http://192.0.2.1/".into(),
                arg: "user=a&b".into(),
                next: "http://192.0.2.1/done".into(),
            }),
        ),
        (
            "inform-response",
            Body::InformResponse(InformResponse::default()),
        ),
        ("transfer-complete-response", Body::TransferCompleteResponse),
        (
            "autonomous-transfer-complete-response",
            Body::AutonomousTransferCompleteResponse,
        ),
        (
            "get-rpc-methods-response",
            Body::GetRpcMethodsResponse(GetRpcMethodsResponse::acs_methods()),
        ),
        ("request-download-response", Body::RequestDownloadResponse),
        (
            "kicked-response",
            Body::KickedResponse(KickedResponse {
                next_url: "http://192.0.2.1/next".into(),
            }),
        ),
        (
            "get-parameter-values",
            Body::GetParameterValues(GetParameterValues {
                parameter_names: strings(&["Device.DeviceInfo.", "Device.ManagementServer.URL"]),
            }),
        ),
        (
            "set-parameter-values",
            Body::SetParameterValues(SetParameterValues {
                parameter_list: values(),
                parameter_key: "usphub-17".into(),
            }),
        ),
        (
            "get-parameter-names",
            Body::GetParameterNames(GetParameterNames {
                parameter_path: "Device.WiFi.SSID.".into(),
                next_level: true,
            }),
        ),
        (
            "get-parameter-attributes",
            Body::GetParameterAttributes(GetParameterAttributes {
                parameter_names: strings(&["Device.DeviceInfo.SoftwareVersion"]),
            }),
        ),
        (
            "set-parameter-attributes",
            Body::SetParameterAttributes(SetParameterAttributes {
                parameter_list: vec![SetParameterAttributesStruct {
                    name: "Device.DeviceInfo.SoftwareVersion".into(),
                    notification_change: true,
                    notification: 2,
                    access_list_change: true,
                    access_list: strings(&["Subscriber"]),
                }],
            }),
        ),
        (
            "add-object",
            Body::AddObject(AddObject {
                object_name: "Device.NAT.PortMapping.".into(),
                parameter_key: "usphub-18".into(),
            }),
        ),
        (
            "delete-object",
            Body::DeleteObject(DeleteObject {
                object_name: "Device.NAT.PortMapping.3.".into(),
                parameter_key: "usphub-19".into(),
            }),
        ),
        (
            "reboot",
            Body::Reboot(Reboot {
                command_key: "usphub-reboot-1".into(),
            }),
        ),
        ("factory-reset", Body::FactoryReset),
        (
            "download",
            Body::Download(Download {
                command_key: "usphub-fw-1".into(),
                file_type: "1 Firmware Upgrade Image".into(),
                url: "https://files.example.net/fw.bin?token=a&b=c".into(),
                username: "cpe".into(),
                password: "p<a>ss&\"word\"".into(),
                file_size: 16_777_216,
                target_file_name: "fw.bin".into(),
                delay_seconds: 0,
                success_url: String::new(),
                failure_url: String::new(),
            }),
        ),
        (
            "get-parameter-values-response",
            Body::GetParameterValuesResponse(GetParameterValuesResponse {
                parameter_list: values(),
            }),
        ),
        (
            "set-parameter-values-response",
            Body::SetParameterValuesResponse(SetParameterValuesResponse {
                status: ChangeStatus::NotYetApplied,
            }),
        ),
        (
            "get-parameter-names-response",
            Body::GetParameterNamesResponse(GetParameterNamesResponse {
                parameter_list: vec![
                    ParameterInfoStruct {
                        name: "Device.WiFi.SSID.1.".into(),
                        writable: true,
                    },
                    ParameterInfoStruct {
                        name: "Device.WiFi.SSID.1.SSID".into(),
                        writable: true,
                    },
                    ParameterInfoStruct {
                        name: "Device.WiFi.SSID.1.BSSID".into(),
                        writable: false,
                    },
                ],
            }),
        ),
        (
            "get-parameter-attributes-response",
            Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
                parameter_list: vec![ParameterAttributeStruct {
                    name: "Device.DeviceInfo.SoftwareVersion".into(),
                    notification: 2,
                    access_list: vec![],
                }],
            }),
        ),
        (
            "set-parameter-attributes-response",
            Body::SetParameterAttributesResponse,
        ),
        (
            "add-object-response",
            Body::AddObjectResponse(AddObjectResponse {
                instance_number: 4,
                status: ChangeStatus::Applied,
            }),
        ),
        (
            "delete-object-response",
            Body::DeleteObjectResponse(DeleteObjectResponse {
                status: ChangeStatus::Applied,
            }),
        ),
        ("reboot-response", Body::RebootResponse),
        ("factory-reset-response", Body::FactoryResetResponse),
        (
            "download-response",
            Body::DownloadResponse(DownloadResponse {
                status: ChangeStatus::NotYetApplied,
                start_time: "0001-01-01T00:00:00Z".into(),
                complete_time: "0001-01-01T00:00:00Z".into(),
            }),
        ),
        (
            "fault-acs-method-not-supported",
            Body::Fault(SoapFault::new(FaultCode::ACS_METHOD_NOT_SUPPORTED)),
        ),
        (
            "fault-set-parameter-values",
            Body::Fault(SoapFault::from_detail(CwmpFault {
                fault_code: FaultCode::INVALID_ARGUMENTS,
                fault_string: "Invalid arguments".into(),
                set_parameter_values_faults: vec![SetParameterValuesFault {
                    parameter_name: "Device.WiFi.Radio.1.Channel".into(),
                    fault_code: FaultCode::INVALID_PARAMETER_VALUE,
                    fault_string: "Invalid parameter value".into(),
                }],
            })),
        ),
    ]
}
