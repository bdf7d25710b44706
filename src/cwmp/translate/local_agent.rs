//! USP requests on `Device.LocalAgent.Subscription.` answered from the adapter's own table
//! (TR-369 Add/Delete/Get/Set/GetInstances semantics, TR-181 Subscription parameters), so a
//! Controller manages subscriptions on a CWMP device exactly as on a native Agent.

use std::collections::{BTreeSet, HashMap};

use crate::usp::proto::msg::{self, Msg, body::MsgBody, request::ReqType, response::RespType};

use super::notify::NotifType;
use super::path::{UspPath, instance_number, object_depth, owning_object};
use super::search;
use super::subscriptions::{SUBSCRIPTION_TABLE, Subscription, Subscriptions};
use super::usp_msg::{self, UspFailure, codes};

/// What [`Subscriptions::handle`] made of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalAnswer {
    /// None of its paths is local: run it on the CPE ([`super::start`]).
    NotLocal,
    /// The answer to send; the table may have changed (persist it).
    Answer(Msg),
}

const PARAMS: [&str; 10] = [
    "Alias",
    "Enable",
    "Recipient",
    "ID",
    "NotifType",
    "ReferenceList",
    "Persistent",
    "NotifRetry",
    "NotifExpiration",
    "TimeToLive",
];

impl Subscriptions {
    /// Answers `request` from `controller_eid` if it addresses the subscription table.
    /// A message mixing table paths with device paths is refused (7000): CWMP and local
    /// answers cannot be merged into one atomic USP response.
    pub fn handle(&mut self, controller_eid: &str, request: &Msg) -> LocalAnswer {
        let msg_id = usp_msg::msg_id(request);
        let Some(MsgBody::Request(body)) = request.body.as_ref().and_then(|b| b.msg_body.as_ref())
        else {
            return LocalAnswer::NotLocal;
        };
        let paths: Vec<&str> = match &body.req_type {
            Some(ReqType::Get(r)) => r.param_paths.iter().map(String::as_str).collect(),
            Some(ReqType::Set(r)) => r.update_objs.iter().map(|u| u.obj_path.as_str()).collect(),
            Some(ReqType::Add(r)) => r.create_objs.iter().map(|c| c.obj_path.as_str()).collect(),
            Some(ReqType::Delete(r)) => r.obj_paths.iter().map(String::as_str).collect(),
            Some(ReqType::GetInstances(r)) => r.obj_paths.iter().map(String::as_str).collect(),
            _ => return LocalAnswer::NotLocal,
        };
        let local = paths
            .iter()
            .filter(|p| p.starts_with(SUBSCRIPTION_TABLE))
            .count();
        if local == 0 {
            return LocalAnswer::NotLocal;
        }
        if local < paths.len() {
            let why =
                "Device.LocalAgent.Subscription. paths cannot share a message with device paths";
            return LocalAnswer::Answer(usp_msg::error(
                msg_id,
                UspFailure::new(codes::MESSAGE_FAILED, why),
            ));
        }
        let answer = match &body.req_type {
            Some(ReqType::Get(r)) => self.get_answer(msg_id, r),
            Some(ReqType::Add(r)) => self.add_answer(msg_id, controller_eid, r),
            Some(ReqType::Delete(r)) => self.delete_answer(msg_id, r),
            Some(ReqType::Set(r)) => self.set_answer(msg_id, r),
            Some(ReqType::GetInstances(r)) => self.instances_answer(msg_id, r),
            _ => unreachable!("filtered above"),
        };
        LocalAnswer::Answer(answer)
    }

    /// Every parameter as `(full name, value)`.
    pub(super) fn values(&self) -> Vec<(String, String)> {
        self.iter()
            .flat_map(|s| {
                let base = s.path();
                PARAMS
                    .iter()
                    .map(move |p| (format!("{base}{p}"), self.read(s, p)))
            })
            .collect()
    }

    pub(super) fn read(&self, s: &Subscription, param: &str) -> String {
        match param {
            "Alias" => s.alias.clone(),
            "Enable" => s.enable.to_string(),
            "Recipient" => self.recipient_path(&s.recipient_eid),
            "ID" => s.id.clone(),
            "NotifType" => s.notif_type.as_str().to_owned(),
            "ReferenceList" => s.reference_list.join(","),
            "Persistent" => s.persistent.to_string(),
            "NotifRetry" => s.notif_retry.to_string(),
            "NotifExpiration" => s.notif_expiration.to_string(),
            _ => s.time_to_live.to_string(),
        }
    }

    /// The instances an object path (exact or search) names.
    pub(super) fn resolve(&self, path: &str) -> Result<Vec<u32>, UspFailure> {
        let parsed =
            UspPath::parse(path).map_err(|e| UspFailure::new(e.usp_code(), e.to_string()))?;
        if !parsed.is_search() {
            let number = path
                .strip_prefix(SUBSCRIPTION_TABLE)
                .and_then(|r| r.strip_suffix('.'))
                .and_then(instance_number);
            return match number {
                Some(n) if self.get(n).is_some() => Ok(vec![n]),
                _ => Err(UspFailure::new(
                    codes::OBJECT_DOES_NOT_EXIST,
                    format!("{path} does not exist"),
                )),
            };
        }
        let values: HashMap<String, String> = self.values().into_iter().collect();
        let objects: Vec<String> = self.iter().map(Subscription::path).collect();
        let found = search::candidates(&parsed, objects.iter().map(String::as_str));
        Ok(search::select(found, &values)
            .iter()
            .filter_map(|p| {
                p.strip_prefix(SUBSCRIPTION_TABLE)?
                    .strip_suffix('.')
                    .and_then(instance_number)
            })
            .collect())
    }

    /// Applies one parameter to a row; `others` are the remaining rows (uniqueness).
    pub(super) fn write(
        &self,
        row: &mut Subscription,
        param: &str,
        value: &str,
    ) -> Result<(), UspFailure> {
        let invalid = |why: &str| {
            Err(UspFailure::new(
                codes::INVALID_VALUE,
                format!("{param}: {why}"),
            ))
        };
        let boolean = |v: &str| match v {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        };
        match param {
            "Alias" if value.is_empty() || value.len() > 64 => {
                return invalid("1 to 64 characters");
            }
            "Alias" => row.alias = value.to_owned(),
            "ID" if value.is_empty() || value.len() > 64 => return invalid("1 to 64 characters"),
            "ID" => row.id = value.to_owned(),
            "Enable" | "Persistent" | "NotifRetry" => {
                let Some(flag) = boolean(value) else {
                    return invalid("not a boolean");
                };
                *match param {
                    "Enable" => &mut row.enable,
                    "Persistent" => &mut row.persistent,
                    _ => &mut row.notif_retry,
                } = flag;
            }
            "NotifExpiration" | "TimeToLive" => {
                let Ok(number) = value.parse() else {
                    return invalid("not an unsignedInt");
                };
                *if param == "TimeToLive" {
                    &mut row.time_to_live
                } else {
                    &mut row.notif_expiration
                } = number;
            }
            "NotifType" => match NotifType::from_subscription(value) {
                Some(kind) => row.notif_type = kind,
                None => return invalid("not a subscription NotifType"),
            },
            "ReferenceList" if !row.reference_list.is_empty() => {
                let why =
                    "ReferenceList cannot change once set (delete and re-add the subscription)";
                return Err(UspFailure::new(codes::PARAM_READ_ONLY, why));
            }
            "ReferenceList" => {
                row.reference_list = value
                    .split(',')
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "Recipient" => {
                return Err(UspFailure::new(
                    codes::PARAM_READ_ONLY,
                    "Recipient is read-only",
                ));
            }
            _ => {
                return Err(UspFailure::new(
                    codes::UNSUPPORTED_PARAMETER,
                    format!("{param} is not supported"),
                ));
            }
        }
        Ok(())
    }

    /// Unique keys (Alias) and (Recipient, ID) must stay unique (7025).
    pub(super) fn check_unique(&self, row: &Subscription) -> Result<(), UspFailure> {
        let clash = self
            .iter()
            .filter(|s| s.instance != row.instance)
            .find(|s| {
                s.alias == row.alias || (s.recipient_eid == row.recipient_eid && s.id == row.id)
            });
        match clash {
            Some(other) => Err(UspFailure::new(
                codes::DUPLICATE_KEY,
                format!("Alias or ID already used by {}", other.path()),
            )),
            None => Ok(()),
        }
    }

    pub(super) fn unique_keys(&self, row: &Subscription) -> HashMap<String, String> {
        ["Alias", "Recipient", "ID"]
            .into_iter()
            .map(|k| (k.to_owned(), self.read(row, k)))
            .collect()
    }

    /// The `(full name, value)` pairs one Get path reads.
    fn get_one(
        &self,
        path: &str,
        max_depth: u32,
        values: &[(String, String)],
    ) -> Result<Vec<(String, String)>, UspFailure> {
        if path.ends_with('.') {
            let bases: Vec<String> = if path == SUBSCRIPTION_TABLE {
                vec![path.to_owned()]
            } else {
                self.resolve(path)?
                    .iter()
                    .map(|n| format!("{SUBSCRIPTION_TABLE}{n}."))
                    .collect()
            };
            let in_depth = |name: &str| {
                let depth_ok = |d: u32| max_depth == 0 || d <= max_depth;
                bases
                    .iter()
                    .any(|b| object_depth(owning_object(name), b).is_some_and(depth_ok))
            };
            return Ok(values
                .iter()
                .filter(|(n, _)| in_depth(n))
                .cloned()
                .collect());
        }
        let (object, name) = super::path::split_parameter(path);
        let wanted: BTreeSet<String> = self
            .resolve(object)?
            .iter()
            .map(|n| format!("{SUBSCRIPTION_TABLE}{n}.{name}"))
            .collect();
        let found: Vec<(String, String)> = values
            .iter()
            .filter(|(n, _)| wanted.contains(n))
            .cloned()
            .collect();
        if found.is_empty() && !path.contains(['*', '[']) {
            return Err(UspFailure::new(
                codes::INVALID_PATH,
                format!("{path}: no such parameter"),
            ));
        }
        Ok(found)
    }

    fn get_answer(&self, msg_id: &str, get: &msg::Get) -> Msg {
        use msg::get_resp::RequestedPathResult;
        let values = self.values();
        let results = get
            .param_paths
            .iter()
            .map(|path| match self.get_one(path, get.max_depth, &values) {
                Ok(found) => RequestedPathResult {
                    requested_path: path.clone(),
                    resolved_path_results: super::get::group_by_object(found),
                    ..Default::default()
                },
                Err(failure) => RequestedPathResult {
                    requested_path: path.clone(),
                    err_code: codes::INVALID_PATH,
                    err_msg: failure.message,
                    ..Default::default()
                },
            })
            .collect();
        usp_msg::response(
            msg_id,
            RespType::GetResp(msg::GetResp {
                req_path_results: results,
            }),
        )
    }

    fn instances_answer(&self, msg_id: &str, request: &msg::GetInstances) -> Msg {
        use msg::get_instances_resp::{CurrInstance, RequestedPathResult};
        let results = request
            .obj_paths
            .iter()
            .map(|path| {
                let instances = if path == SUBSCRIPTION_TABLE {
                    Ok(self.entries.keys().copied().collect())
                } else {
                    self.resolve(path)
                };
                match instances {
                    Ok(numbers) => RequestedPathResult {
                        requested_path: path.clone(),
                        curr_insts: numbers
                            .iter()
                            .filter_map(|n| self.get(*n))
                            .map(|s| CurrInstance {
                                instantiated_obj_path: s.path(),
                                unique_keys: self.unique_keys(s),
                            })
                            .collect(),
                        ..Default::default()
                    },
                    Err(failure) => RequestedPathResult {
                        requested_path: path.clone(),
                        err_code: failure.code,
                        err_msg: failure.message,
                        ..Default::default()
                    },
                }
            })
            .collect();
        usp_msg::response(
            msg_id,
            RespType::GetInstancesResp(msg::GetInstancesResp {
                req_path_results: results,
            }),
        )
    }
}
