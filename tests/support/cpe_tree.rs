//! The simulated CPE's data model: an in-memory parameter tree answering the ACS's RPCs as a
//! TR-069 CPE would (atomic SPV with per-parameter faults, AddObject from a per-table
//! template, DeleteObject of a whole sub-tree, partial-path GPV, GPN with NextLevel), with
//! notification attributes (SPA/GPA; partial paths apply to the sub-tree, refusals as 9009).

use std::collections::{BTreeMap, HashMap};

use usphub::cwmp::fault::FaultCode;
use usphub::cwmp::rpc::*;
use usphub::cwmp::soap::Body;

#[derive(Debug, Clone)]
pub struct Param {
    pub value: String,
    pub xsd_type: XsdType,
    pub writable: bool,
    /// TR-069 Notification attribute: 0 off, 1 passive, 2 active.
    pub notification: u8,
}

#[derive(Debug, Default, Clone)]
pub struct ParamTree {
    pub params: BTreeMap<String, Param>,
    /// Per table (`Device.NAT.PortMapping.`): the parameters a new instance gets.
    pub templates: HashMap<String, Vec<(String, XsdType)>>,
    /// The CommandKey of a Reboot not yet carried out.
    pub pending_reboot: Option<String>,
    /// RPC method names received, in order.
    pub rpc_log: Vec<String>,
    /// Parameters whose Notification attribute this CPE will not set to active (fault 9009).
    pub deny_active: Vec<String>,
    /// Passive parameters changed since the last Inform: reported in the next one.
    pub passive_changes: Vec<String>,
    /// Downloads accepted (DownloadResponse Status 1), not yet reported by TransferComplete.
    pub downloads: Vec<Download>,
}

impl ParamTree {
    pub fn set(&mut self, name: &str, value: &str, xsd_type: XsdType, writable: bool) {
        let notification = self.params.get(name).map_or(0, |p| p.notification);
        self.params.insert(name.into(), Param { value: value.into(), xsd_type, writable, notification });
    }

    /// The Notification attribute of a parameter (0 if it does not exist).
    pub fn notification(&self, name: &str) -> u8 {
        self.params.get(name).map_or(0, |p| p.notification)
    }

    /// A change made on the CPE itself (not by the ACS), with the attribute it has.
    pub fn change_locally(&mut self, name: &str, value: &str) -> u8 {
        let param = self.params.get_mut(name).expect("a parameter of the tree");
        param.value = value.into();
        if param.notification == 1 && !self.passive_changes.iter().any(|n| n == name) {
            self.passive_changes.push(name.into());
        }
        param.notification
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(|p| p.value.as_str())
    }

    /// The CPE's answer to one ACS request.
    pub fn answer(&mut self, request: &Body) -> Body {
        self.rpc_log.push(request.method_name().to_owned());
        match request {
            Body::GetParameterValues(gpv) => self.get_values(&gpv.parameter_names),
            Body::SetParameterValues(spv) => self.set_values(&spv.parameter_list),
            Body::GetParameterNames(gpn) => self.get_names(&gpn.parameter_path, gpn.next_level),
            Body::AddObject(add) => self.add_object(&add.object_name),
            Body::DeleteObject(delete) => self.delete_object(&delete.object_name),
            Body::GetParameterAttributes(gpa) => self.get_attributes(&gpa.parameter_names),
            Body::SetParameterAttributes(spa) => self.set_attributes(&spa.parameter_list),
            Body::Download(download) => {
                self.downloads.push(download.clone());
                Body::DownloadResponse(DownloadResponse {
                    status: ChangeStatus::NotYetApplied,
                    start_time: "0001-01-01T00:00:00Z".into(),
                    complete_time: "0001-01-01T00:00:00Z".into(),
                })
            }
            Body::Reboot(reboot) => {
                self.pending_reboot = Some(reboot.command_key.clone());
                Body::RebootResponse
            }
            _ => fault(FaultCode::METHOD_NOT_SUPPORTED, Vec::new()),
        }
    }

    fn get_values(&self, names: &[String]) -> Body {
        let mut list = Vec::new();
        for name in names {
            let matching: Vec<_> =
                self.params
                    .iter()
                    .filter(|(n, _)| {
                        if name.ends_with('.') || name.is_empty() { n.starts_with(name.as_str()) } else { *n == name }
                    })
                    .map(|(n, p)| ParameterValueStruct::new(n.clone(), p.value.clone(), p.xsd_type.clone()))
                    .collect();
            if matching.is_empty() {
                return fault(FaultCode::INVALID_PARAMETER_NAME, Vec::new());
            }
            list.extend(matching);
        }
        Body::GetParameterValuesResponse(GetParameterValuesResponse { parameter_list: list })
    }

    fn matching(&self, name: &str) -> Vec<String> {
        let partial = name.ends_with('.') || name.is_empty();
        self.params.keys().filter(|n| if partial { n.starts_with(name) } else { *n == name }).cloned().collect()
    }

    fn get_attributes(&self, names: &[String]) -> Body {
        let mut list = Vec::new();
        for name in names {
            let matching = self.matching(name);
            if matching.is_empty() {
                return fault(FaultCode::INVALID_PARAMETER_NAME, Vec::new());
            }
            list.extend(matching.into_iter().map(|n| ParameterAttributeStruct {
                notification: self.params[&n].notification,
                name: n,
                access_list: Vec::new(),
            }));
        }
        Body::GetParameterAttributesResponse(GetParameterAttributesResponse { parameter_list: list })
    }

    /// All or nothing, as TR-069 requires of SetParameterAttributes.
    fn set_attributes(&mut self, changes: &[SetParameterAttributesStruct]) -> Body {
        let mut planned = Vec::new();
        for change in changes.iter().filter(|c| c.notification_change) {
            let matching = self.matching(&change.name);
            if matching.is_empty() {
                return fault(FaultCode::INVALID_PARAMETER_NAME, Vec::new());
            }
            if change.notification == 2 && matching.iter().any(|n| self.deny_active.contains(n)) {
                return fault(FaultCode::NOTIFICATION_REJECTED, Vec::new());
            }
            planned.extend(matching.into_iter().map(|n| (n, change.notification)));
        }
        for (name, notification) in planned {
            self.params.get_mut(&name).expect("matched").notification = notification;
        }
        Body::SetParameterAttributesResponse
    }

    fn set_values(&mut self, values: &[ParameterValueStruct]) -> Body {
        let refused: Vec<_> = values
            .iter()
            .filter_map(|v| {
                let code = match self.params.get(&v.name) {
                    None => FaultCode::INVALID_PARAMETER_NAME,
                    Some(p) if !p.writable => FaultCode::NON_WRITABLE_PARAMETER,
                    Some(_) => return None,
                };
                Some(SetParameterValuesFault {
                    parameter_name: v.name.clone(),
                    fault_code: code,
                    fault_string: String::new(),
                })
            })
            .collect();
        if !refused.is_empty() {
            return fault(FaultCode::INVALID_ARGUMENTS, refused);
        }
        for v in values {
            self.params.get_mut(&v.name).expect("checked").value = v.value.clone();
        }
        Body::SetParameterValuesResponse(SetParameterValuesResponse::default())
    }

    fn get_names(&self, path: &str, next_level: bool) -> Body {
        let mut names = BTreeMap::new();
        for (name, param) in self.params.range(path.to_owned()..).take_while(|(n, _)| n.starts_with(path)) {
            let rest = &name[path.len()..];
            // Every object on the way, then the parameter itself.
            for (i, _) in rest.match_indices('.') {
                names.entry(format!("{path}{}", &rest[..=i])).or_insert(true);
            }
            names.insert(name.clone(), param.writable);
        }
        let depth = |n: &str| n[path.len()..].trim_end_matches('.').matches('.').count();
        let list = names
            .into_iter()
            .filter(|(n, _)| !next_level || depth(n) == 0)
            .map(|(name, writable)| ParameterInfoStruct { name, writable })
            .collect();
        Body::GetParameterNamesResponse(GetParameterNamesResponse { parameter_list: list })
    }

    fn add_object(&mut self, table: &str) -> Body {
        let Some(template) = self.templates.get(table).cloned() else {
            return fault(FaultCode::INVALID_PARAMETER_NAME, Vec::new());
        };
        let next = self
            .params
            .keys()
            .filter_map(|n| n.strip_prefix(table)?.split('.').next()?.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        for (param, xsd_type) in template {
            let default = if xsd_type == XsdType::String { "" } else { "0" };
            self.set(&format!("{table}{next}.{param}"), default, xsd_type, true);
        }
        Body::AddObjectResponse(AddObjectResponse { instance_number: next, status: ChangeStatus::Applied })
    }

    fn delete_object(&mut self, instance: &str) -> Body {
        let before = self.params.len();
        self.params.retain(|n, _| !n.starts_with(instance));
        if self.params.len() == before {
            return fault(FaultCode::INVALID_PARAMETER_NAME, Vec::new());
        }
        Body::DeleteObjectResponse(DeleteObjectResponse::default())
    }
}

fn fault(code: FaultCode, set_parameter_values_faults: Vec<SetParameterValuesFault>) -> Body {
    Body::Fault(SoapFault::from_detail(CwmpFault {
        fault_code: code,
        fault_string: code.description().unwrap_or_default().into(),
        set_parameter_values_faults,
    }))
}
