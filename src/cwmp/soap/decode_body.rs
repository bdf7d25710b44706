//! Decoding of each CWMP method element into its typed [`Body`].
//!
//! What is required is what the ACS cannot work without (a CPE's identity, the values it
//! reports, the status it answers); everything else defaults, because real CPE omit elements
//! the schema calls mandatory and the ACS gains nothing by refusing them.

use super::super::fault::{FaultCode, SoapFaultCode};
use super::super::rpc::*;
use super::body::Body;
use super::fields::{Decoded, Fields};
use super::namespace::is_value_type_namespace;
use super::tree::Element;

/// Decodes a Body child that is in a CWMP namespace.
pub(crate) fn decode_method(element: &Element) -> Decoded<Body> {
    let name = element.local_name.as_str();
    Ok(match name {
        "Inform" => Body::Inform(inform(Fields::new("Inform", element))?),
        "TransferComplete" => {
            Body::TransferComplete(transfer_complete(Fields::new("TransferComplete", element))?)
        }
        "AutonomousTransferComplete" => Body::AutonomousTransferComplete(
            autonomous_transfer_complete(Fields::new("AutonomousTransferComplete", element))?,
        ),
        "GetRPCMethods" => Body::GetRpcMethods,
        "RequestDownload" => {
            Body::RequestDownload(request_download(Fields::new("RequestDownload", element))?)
        }
        "Kicked" => Body::Kicked(kicked(Fields::new("Kicked", element))),
        "InformResponse" => Body::InformResponse(InformResponse {
            max_envelopes: Fields::new("InformResponse", element).u32_or("MaxEnvelopes", 1)?,
        }),
        "TransferCompleteResponse" => Body::TransferCompleteResponse,
        "AutonomousTransferCompleteResponse" => Body::AutonomousTransferCompleteResponse,
        "GetRPCMethodsResponse" => Body::GetRpcMethodsResponse(GetRpcMethodsResponse {
            method_list: Fields::new("GetRPCMethodsResponse", element).strings("MethodList")?,
        }),
        "RequestDownloadResponse" => Body::RequestDownloadResponse,
        "KickedResponse" => Body::KickedResponse(KickedResponse {
            next_url: Fields::new("KickedResponse", element).text_or_empty("NextURL"),
        }),
        _ => return decode_acs_method(element),
    })
}

/// The ACS → CPE requests and the CPE's responses to them.
fn decode_acs_method(element: &Element) -> Decoded<Body> {
    let name = element.local_name.as_str();
    Ok(match name {
        "GetParameterValues" => Body::GetParameterValues(GetParameterValues {
            parameter_names: Fields::new("GetParameterValues", element)
                .strings("ParameterNames")?,
        }),
        "SetParameterValues" => {
            let fields = Fields::new("SetParameterValues", element);
            Body::SetParameterValues(SetParameterValues {
                parameter_list: parameter_values(fields, "ParameterList")?,
                parameter_key: fields.text_or_empty("ParameterKey"),
            })
        }
        "GetParameterNames" => {
            let fields = Fields::new("GetParameterNames", element);
            Body::GetParameterNames(GetParameterNames {
                parameter_path: fields.text("ParameterPath")?,
                next_level: fields.bool("NextLevel")?,
            })
        }
        "GetParameterAttributes" => Body::GetParameterAttributes(GetParameterAttributes {
            parameter_names: Fields::new("GetParameterAttributes", element)
                .strings("ParameterNames")?,
        }),
        "SetParameterAttributes" => {
            let fields = Fields::new("SetParameterAttributes", element);
            let parameter_list = fields
                .list("ParameterList")?
                .iter()
                .map(|item| set_attributes(fields.of(item)));
            Body::SetParameterAttributes(SetParameterAttributes {
                parameter_list: parameter_list.collect::<Decoded<_>>()?,
            })
        }
        "AddObject" => {
            let fields = Fields::new("AddObject", element);
            Body::AddObject(AddObject {
                object_name: fields.text("ObjectName")?,
                parameter_key: fields.text_or_empty("ParameterKey"),
            })
        }
        "DeleteObject" => {
            let fields = Fields::new("DeleteObject", element);
            Body::DeleteObject(DeleteObject {
                object_name: fields.text("ObjectName")?,
                parameter_key: fields.text_or_empty("ParameterKey"),
            })
        }
        "Reboot" => Body::Reboot(Reboot {
            command_key: Fields::new("Reboot", element).text_or_empty("CommandKey"),
        }),
        "FactoryReset" => Body::FactoryReset,
        "Download" => Body::Download(download(Fields::new("Download", element))?),
        _ => return decode_cpe_response(element),
    })
}

fn decode_cpe_response(element: &Element) -> Decoded<Body> {
    let name = element.local_name.as_str();
    Ok(match name {
        "GetParameterValuesResponse" => {
            Body::GetParameterValuesResponse(GetParameterValuesResponse {
                parameter_list: parameter_values(
                    Fields::new("GetParameterValuesResponse", element),
                    "ParameterList",
                )?,
            })
        }
        "SetParameterValuesResponse" => {
            Body::SetParameterValuesResponse(SetParameterValuesResponse {
                status: Fields::new("SetParameterValuesResponse", element).status()?,
            })
        }
        "GetParameterNamesResponse" => {
            let fields = Fields::new("GetParameterNamesResponse", element);
            let items = fields.list("ParameterList")?.iter().map(|item| {
                let item = fields.of(item);
                Ok(ParameterInfoStruct {
                    name: item.text("Name")?,
                    writable: item.bool("Writable")?,
                })
            });
            Body::GetParameterNamesResponse(GetParameterNamesResponse {
                parameter_list: items.collect::<Decoded<_>>()?,
            })
        }
        "GetParameterAttributesResponse" => {
            let fields = Fields::new("GetParameterAttributesResponse", element);
            let items = fields.list("ParameterList")?.iter().map(|item| {
                let item = fields.of(item);
                Ok(ParameterAttributeStruct {
                    name: item.text("Name")?,
                    notification: item.u8("Notification")?,
                    access_list: access_list(item),
                })
            });
            Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
                parameter_list: items.collect::<Decoded<_>>()?,
            })
        }
        "SetParameterAttributesResponse" => Body::SetParameterAttributesResponse,
        "AddObjectResponse" => {
            let fields = Fields::new("AddObjectResponse", element);
            Body::AddObjectResponse(AddObjectResponse {
                instance_number: fields.u32("InstanceNumber")?,
                status: fields.status()?,
            })
        }
        "DeleteObjectResponse" => Body::DeleteObjectResponse(DeleteObjectResponse {
            status: Fields::new("DeleteObjectResponse", element).status()?,
        }),
        "RebootResponse" => Body::RebootResponse,
        "FactoryResetResponse" => Body::FactoryResetResponse,
        "DownloadResponse" => {
            let fields = Fields::new("DownloadResponse", element);
            Body::DownloadResponse(DownloadResponse {
                status: fields.status()?,
                start_time: fields.text_or_empty("StartTime"),
                complete_time: fields.text_or_empty("CompleteTime"),
            })
        }
        _ => Body::Unknown {
            method: name.to_owned(),
        },
    })
}

/// Decodes the `detail/cwmp:Fault` of a SOAP Fault (`fault` is the SOAP `Fault` element, and
/// `detail` the `cwmp:Fault` inside it).
pub(crate) fn decode_fault(fault: &Element, detail: &Element) -> Decoded<SoapFault> {
    let soap = Fields::new("Fault", fault);
    let fields = Fields::new("Fault", detail);
    let set_parameter_values_faults = detail
        .children
        .iter()
        .filter(|child| child.local_name == "SetParameterValuesFault")
        .map(|child| {
            let item = fields.of(child);
            Ok(SetParameterValuesFault {
                parameter_name: item.text("ParameterName")?,
                fault_code: FaultCode(item.u32("FaultCode")?),
                fault_string: item.text_or_empty("FaultString"),
            })
        })
        .collect::<Decoded<_>>()?;
    Ok(SoapFault {
        faultcode: SoapFaultCode::parse(&soap.text_or_empty("faultcode")),
        faultstring: soap.text_or_empty("faultstring"),
        detail: CwmpFault {
            fault_code: FaultCode(fields.u32("FaultCode")?),
            fault_string: fields.text_or_empty("FaultString"),
            set_parameter_values_faults,
        },
    })
}

fn inform(fields: Fields<'_>) -> Decoded<Inform> {
    let device = fields.nested("DeviceId")?;
    let events = fields.list_or_empty("Event").iter().map(|item| {
        let item = fields.of(item);
        EventStruct::new(
            item.text_or_empty("EventCode"),
            item.text_or_empty("CommandKey"),
        )
    });
    Ok(Inform {
        device_id: DeviceId {
            manufacturer: device.text_or_empty("Manufacturer"),
            oui: device.text("OUI")?,
            product_class: device.text_or_empty("ProductClass"),
            serial_number: device.text("SerialNumber")?,
        },
        events: events.collect(),
        max_envelopes: fields.u32_or("MaxEnvelopes", 1)?,
        current_time: fields.text_or_empty("CurrentTime"),
        retry_count: fields.u32_or("RetryCount", 0)?,
        parameter_list: match fields.element.child("ParameterList") {
            Some(_) => parameter_values(fields, "ParameterList")?,
            None => Vec::new(),
        },
    })
}

fn transfer_complete(fields: Fields<'_>) -> Decoded<TransferComplete> {
    Ok(TransferComplete {
        command_key: fields.text_or_empty("CommandKey"),
        fault: fault_struct(fields)?,
        start_time: fields.text_or_empty("StartTime"),
        complete_time: fields.text_or_empty("CompleteTime"),
    })
}

fn autonomous_transfer_complete(fields: Fields<'_>) -> Decoded<AutonomousTransferComplete> {
    Ok(AutonomousTransferComplete {
        announce_url: fields.text_or_empty("AnnounceURL"),
        transfer_url: fields.text_or_empty("TransferURL"),
        is_download: fields.bool("IsDownload")?,
        file_type: fields.text_or_empty("FileType"),
        file_size: fields.u32_or("FileSize", 0)?,
        target_file_name: fields.text_or_empty("TargetFileName"),
        fault: fault_struct(fields)?,
        start_time: fields.text_or_empty("StartTime"),
        complete_time: fields.text_or_empty("CompleteTime"),
    })
}

/// The `FaultStruct` of a transfer report; required, since success is `FaultCode` 0.
fn fault_struct(fields: Fields<'_>) -> Decoded<FaultStruct> {
    let fault = fields.nested("FaultStruct")?;
    Ok(FaultStruct {
        fault_code: fault.u32("FaultCode")?,
        fault_string: fault.text_or_empty("FaultString"),
    })
}

fn request_download(fields: Fields<'_>) -> Decoded<RequestDownload> {
    let args = fields.list_or_empty("FileTypeArg").iter().map(|item| {
        let item = fields.of(item);
        ArgStruct {
            name: item.text_or_empty("Name"),
            value: item.text_or_empty("Value"),
        }
    });
    Ok(RequestDownload {
        file_type: fields.text("FileType")?,
        file_type_args: args.collect(),
    })
}

fn kicked(fields: Fields<'_>) -> Kicked {
    Kicked {
        command: fields.text_or_empty("Command"),
        referer: fields.text_or_empty("Referer"),
        arg: fields.text_or_empty("Arg"),
        next: fields.text_or_empty("Next"),
    }
}

fn download(fields: Fields<'_>) -> Decoded<Download> {
    Ok(Download {
        command_key: fields.text_or_empty("CommandKey"),
        file_type: fields.text("FileType")?,
        url: fields.text("URL")?,
        username: fields.text_or_empty("Username"),
        password: fields.text_or_empty("Password"),
        file_size: fields.u32_or("FileSize", 0)?,
        target_file_name: fields.text_or_empty("TargetFileName"),
        delay_seconds: fields.u32_or("DelaySeconds", 0)?,
        success_url: fields.text_or_empty("SuccessURL"),
        failure_url: fields.text_or_empty("FailureURL"),
    })
}

fn set_attributes(item: Fields<'_>) -> Decoded<SetParameterAttributesStruct> {
    Ok(SetParameterAttributesStruct {
        name: item.text("Name")?,
        notification_change: item.bool("NotificationChange")?,
        notification: item.u8("Notification")?,
        access_list_change: item.bool("AccessListChange")?,
        access_list: access_list(item),
    })
}

fn access_list(item: Fields<'_>) -> Vec<String> {
    item.list_or_empty("AccessList")
        .iter()
        .map(|entry| entry.text.trim().to_owned())
        .collect()
}

/// A required array of `ParameterValueStruct`.
fn parameter_values(fields: Fields<'_>, list: &'static str) -> Decoded<Vec<ParameterValueStruct>> {
    fields
        .list(list)?
        .iter()
        .map(|item| {
            let item = fields.of(item);
            let value = item.element.child("Value");
            Ok(ParameterValueStruct {
                name: item.text("Name")?,
                value: value.map(|v| v.text.clone()).unwrap_or_default(),
                xsd_type: value.and_then(value_type),
            })
        })
        .collect()
}

/// The `xsi:type` of a `Value`, by local name unless its prefix is bound to a namespace that is
/// not a type system at all (then the local name is kept as an unknown type).
fn value_type(value: &Element) -> Option<XsdType> {
    let type_name = value.xsi_type.as_ref()?;
    let known_namespace = type_name
        .namespace
        .as_deref()
        .is_none_or(is_value_type_namespace);
    Some(match known_namespace {
        true => XsdType::from_local_name(&type_name.local_name),
        false => XsdType::Other(type_name.local_name.clone()),
    })
}
