//! Encoding of the Body's content: each CWMP method element, children in the order cwmp-1-2.xsd
//! declares them, or a SOAP Fault.

use super::super::rpc::*;
use super::body::Body;
use super::writer::XmlWriter;

/// The content of the SOAP Body: a method element, or a SOAP Fault.
pub(crate) fn encode_body(xml: &mut XmlWriter<'_>, body: &Body) {
    if let Body::Fault(fault) = body {
        return encode_fault(xml, fault);
    }
    let element = format!("cwmp:{}", method_element_name(body.method_name()));
    xml.open(&element);
    encode_arguments(xml, body);
    xml.close(&element);
}

fn encode_arguments(xml: &mut XmlWriter<'_>, body: &Body) {
    match body {
        Body::Inform(inform) => encode_inform(xml, inform),
        Body::TransferComplete(report) => {
            xml.leaf("CommandKey", &report.command_key);
            fault_struct(xml, &report.fault);
            xml.leaf("StartTime", &report.start_time);
            xml.leaf("CompleteTime", &report.complete_time);
        }
        Body::AutonomousTransferComplete(report) => {
            xml.leaf("AnnounceURL", &report.announce_url);
            xml.leaf("TransferURL", &report.transfer_url);
            xml.leaf_bool("IsDownload", report.is_download);
            xml.leaf("FileType", &report.file_type);
            xml.leaf_u32("FileSize", report.file_size);
            xml.leaf("TargetFileName", &report.target_file_name);
            fault_struct(xml, &report.fault);
            xml.leaf("StartTime", &report.start_time);
            xml.leaf("CompleteTime", &report.complete_time);
        }
        Body::RequestDownload(request) => {
            xml.leaf("FileType", &request.file_type);
            xml.open_array(
                "FileTypeArg",
                "cwmp:ArgStruct",
                request.file_type_args.len(),
            );
            for arg in &request.file_type_args {
                xml.open("ArgStruct");
                xml.leaf("Name", &arg.name);
                xml.leaf("Value", &arg.value);
                xml.close("ArgStruct");
            }
            xml.close("FileTypeArg");
        }
        Body::Kicked(kicked) => {
            xml.leaf("Command", &kicked.command);
            xml.leaf("Referer", &kicked.referer);
            xml.leaf("Arg", &kicked.arg);
            xml.leaf("Next", &kicked.next);
        }
        Body::InformResponse(response) => xml.leaf_u32("MaxEnvelopes", response.max_envelopes),
        Body::GetRpcMethodsResponse(response) => {
            xml.string_array("MethodList", &response.method_list)
        }
        Body::KickedResponse(response) => xml.leaf("NextURL", &response.next_url),
        Body::GetParameterValues(request) => {
            xml.string_array("ParameterNames", &request.parameter_names)
        }
        Body::SetParameterValues(request) => {
            parameter_values(xml, &request.parameter_list, Some(XsdType::String));
            xml.leaf("ParameterKey", &request.parameter_key);
        }
        Body::GetParameterNames(request) => {
            xml.leaf("ParameterPath", &request.parameter_path);
            xml.leaf_bool("NextLevel", request.next_level);
        }
        Body::GetParameterAttributes(request) => {
            xml.string_array("ParameterNames", &request.parameter_names)
        }
        Body::SetParameterAttributes(request) => {
            encode_set_attributes(xml, &request.parameter_list)
        }
        Body::AddObject(AddObject {
            object_name,
            parameter_key,
        })
        | Body::DeleteObject(DeleteObject {
            object_name,
            parameter_key,
        }) => {
            xml.leaf("ObjectName", object_name);
            xml.leaf("ParameterKey", parameter_key);
        }
        Body::Reboot(request) => xml.leaf("CommandKey", &request.command_key),
        Body::Download(request) => encode_download(xml, request),
        Body::GetParameterValuesResponse(response) => {
            parameter_values(xml, &response.parameter_list, None)
        }
        Body::SetParameterValuesResponse(SetParameterValuesResponse { status })
        | Body::DeleteObjectResponse(DeleteObjectResponse { status }) => {
            xml.leaf_u32("Status", status.to_wire())
        }
        Body::GetParameterNamesResponse(response) => {
            let list = &response.parameter_list;
            xml.open_array("ParameterList", "cwmp:ParameterInfoStruct", list.len());
            for info in list {
                xml.open("ParameterInfoStruct");
                xml.leaf("Name", &info.name);
                xml.leaf_bool("Writable", info.writable);
                xml.close("ParameterInfoStruct");
            }
            xml.close("ParameterList");
        }
        Body::GetParameterAttributesResponse(response) => {
            let list = &response.parameter_list;
            xml.open_array("ParameterList", "cwmp:ParameterAttributeStruct", list.len());
            for attribute in list {
                xml.open("ParameterAttributeStruct");
                xml.leaf("Name", &attribute.name);
                xml.leaf_u32("Notification", attribute.notification.into());
                xml.string_array("AccessList", &attribute.access_list);
                xml.close("ParameterAttributeStruct");
            }
            xml.close("ParameterList");
        }
        Body::AddObjectResponse(response) => {
            xml.leaf_u32("InstanceNumber", response.instance_number);
            xml.leaf_u32("Status", response.status.to_wire());
        }
        Body::DownloadResponse(response) => {
            xml.leaf_u32("Status", response.status.to_wire());
            xml.leaf("StartTime", &response.start_time);
            xml.leaf("CompleteTime", &response.complete_time);
        }
        Body::GetRpcMethods
        | Body::TransferCompleteResponse
        | Body::AutonomousTransferCompleteResponse
        | Body::RequestDownloadResponse
        | Body::FactoryReset
        | Body::SetParameterAttributesResponse
        | Body::RebootResponse
        | Body::FactoryResetResponse
        | Body::Unknown { .. } => {}
        Body::Fault(_) => {} // Not a method element: see encode_body.
    }
}

fn encode_inform(xml: &mut XmlWriter<'_>, inform: &Inform) {
    let device = &inform.device_id;
    xml.open("DeviceId");
    xml.leaf("Manufacturer", &device.manufacturer);
    xml.leaf("OUI", &device.oui);
    xml.leaf("ProductClass", &device.product_class);
    xml.leaf("SerialNumber", &device.serial_number);
    xml.close("DeviceId");
    xml.open_array("Event", "cwmp:EventStruct", inform.events.len());
    for event in &inform.events {
        xml.open("EventStruct");
        xml.leaf("EventCode", &event.event_code);
        xml.leaf("CommandKey", &event.command_key);
        xml.close("EventStruct");
    }
    xml.close("Event");
    xml.leaf_u32("MaxEnvelopes", inform.max_envelopes);
    xml.leaf("CurrentTime", &inform.current_time);
    xml.leaf_u32("RetryCount", inform.retry_count);
    parameter_values(xml, &inform.parameter_list, None);
}

fn encode_download(xml: &mut XmlWriter<'_>, request: &Download) {
    xml.leaf("CommandKey", &request.command_key);
    xml.leaf("FileType", &request.file_type);
    xml.leaf("URL", &request.url);
    xml.leaf("Username", &request.username);
    xml.leaf("Password", &request.password);
    xml.leaf_u32("FileSize", request.file_size);
    xml.leaf("TargetFileName", &request.target_file_name);
    xml.leaf_u32("DelaySeconds", request.delay_seconds);
    xml.leaf("SuccessURL", &request.success_url);
    xml.leaf("FailureURL", &request.failure_url);
}

fn encode_set_attributes(xml: &mut XmlWriter<'_>, list: &[SetParameterAttributesStruct]) {
    xml.open_array(
        "ParameterList",
        "cwmp:SetParameterAttributesStruct",
        list.len(),
    );
    for change in list {
        xml.open("SetParameterAttributesStruct");
        xml.leaf("Name", &change.name);
        xml.leaf_bool("NotificationChange", change.notification_change);
        xml.leaf_u32("Notification", change.notification.into());
        xml.leaf_bool("AccessListChange", change.access_list_change);
        xml.string_array("AccessList", &change.access_list);
        xml.close("SetParameterAttributesStruct");
    }
    xml.close("ParameterList");
}

/// A `ParameterList` of `ParameterValueStruct`; `default_type` stands in for a missing type
/// where the protocol demands one (SetParameterValues).
fn parameter_values(
    xml: &mut XmlWriter<'_>,
    list: &[ParameterValueStruct],
    default_type: Option<XsdType>,
) {
    xml.open_array("ParameterList", "cwmp:ParameterValueStruct", list.len());
    for parameter in list {
        xml.open("ParameterValueStruct");
        xml.leaf("Name", &parameter.name);
        match parameter.xsd_type.as_ref().or(default_type.as_ref()) {
            Some(xsd_type) => xml.leaf_with(
                "Value",
                &[("xsi:type", &xsd_type.to_string())],
                &parameter.value,
            ),
            None => xml.leaf("Value", &parameter.value),
        }
        xml.close("ParameterValueStruct");
    }
    xml.close("ParameterList");
}

fn fault_struct(xml: &mut XmlWriter<'_>, fault: &FaultStruct) {
    xml.open("FaultStruct");
    xml.leaf_u32("FaultCode", fault.fault_code);
    xml.leaf("FaultString", &fault.fault_string);
    xml.close("FaultStruct");
}

/// A method name fit to be an element name: parsed names always are; a hand-built
/// `Body::Unknown` with characters XML names cannot hold gets them replaced by `_`.
fn method_element_name(method: &str) -> String {
    let mut name: String = method
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.') {
                ch
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|ch: char| ch.is_ascii_alphabetic() || ch == '_') {
        name.insert(0, '_');
    }
    name
}

/// SOAP 1.1 Fault; `faultcode`, `faultstring` and `detail` are unqualified, as SOAP 1.1
/// requires and TR-069's examples show (GenieACS's `soap-env:Body:Fault` is not a model).
fn encode_fault(xml: &mut XmlWriter<'_>, fault: &SoapFault) {
    xml.open("soap-env:Fault");
    xml.leaf("faultcode", fault.faultcode.as_str());
    xml.leaf("faultstring", &fault.faultstring);
    xml.open("detail");
    xml.open("cwmp:Fault");
    xml.leaf_u32("FaultCode", fault.detail.fault_code.0);
    xml.leaf("FaultString", &fault.detail.fault_string);
    for parameter in &fault.detail.set_parameter_values_faults {
        xml.open("SetParameterValuesFault");
        xml.leaf("ParameterName", &parameter.parameter_name);
        xml.leaf_u32("FaultCode", parameter.fault_code.0);
        xml.leaf("FaultString", &parameter.fault_string);
        xml.close("SetParameterValuesFault");
    }
    xml.close("cwmp:Fault");
    xml.close("detail");
    xml.close("soap-env:Fault");
}
