use super::*;
use crate::cwmp::translate::{LocalAnswer, NotifType, Subscriptions};
use crate::usp::proto::msg::add::{CreateObject, CreateParamSetting};
use crate::usp::proto::msg::add_resp::created_object_result::operation_status::OperStatus as AddStatus;
use crate::usp::proto::msg::set::{UpdateObject, UpdateParamSetting};
use crate::usp::proto::msg::set_resp::updated_object_result::operation_status::OperStatus as SetStatus;

const TABLE: &str = "Device.LocalAgent.Subscription.";

fn add(params: &[(&str, &str)], allow_partial: bool) -> Msg {
    let param_settings = params
        .iter()
        .map(|(p, v)| CreateParamSetting {
            param: (*p).into(),
            value: (*v).into(),
            required: false,
        })
        .collect();
    let create_objs = vec![CreateObject {
        obj_path: TABLE.into(),
        param_settings,
    }];
    request(
        "sub-1",
        ReqType::Add(msg::Add {
            allow_partial,
            create_objs,
        }),
    )
}

fn answer(table: &mut Subscriptions, controller: &str, request: &Msg) -> Msg {
    match table.handle(controller, request) {
        LocalAnswer::Answer(msg) => roundtrip(&msg),
        LocalAnswer::NotLocal => panic!("not local"),
    }
}

fn subscribed(
    table: &mut Subscriptions,
    controller: &str,
    id: &str,
    kind: &str,
    references: &str,
) -> Msg {
    let params = [
        ("Enable", "true"),
        ("ID", id),
        ("NotifType", kind),
        ("ReferenceList", references),
        ("NotifRetry", "1"),
    ];
    answer(table, controller, &add(&params, false))
}

#[test]
fn add_creates_a_row_with_its_unique_keys() {
    let mut table = Subscriptions::new();
    let reply = subscribed(
        &mut table,
        "self::ctrl-a",
        "s1",
        "ValueChange",
        "Device.WiFi.SSID.1.SSID,Device.DeviceInfo.",
    );
    assert_header(&reply, "sub-1", MsgType::AddResp);
    let RespType::AddResp(resp) = response(&reply) else {
        panic!()
    };
    let status = resp.created_obj_results[0]
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.as_ref());
    let Some(AddStatus::OperSuccess(success)) = status else {
        panic!("{status:?}")
    };
    assert_eq!(
        success.instantiated_path,
        "Device.LocalAgent.Subscription.1."
    );
    assert_eq!(success.unique_keys["ID"], "s1");
    assert_eq!(success.unique_keys["Alias"], "cpe-1");
    assert_eq!(
        success.unique_keys["Recipient"],
        "Device.LocalAgent.Controller.1"
    );
    assert_eq!(table.get(1).unwrap().reference_list.len(), 2);
}

#[test]
fn recipients_follow_reference_lists() {
    let mut table = Subscriptions::new();
    subscribed(
        &mut table,
        "self::ctrl-a",
        "s1",
        "ValueChange",
        "Device.WiFi.SSID.1.SSID,Device.DeviceInfo.",
    );
    subscribed(
        &mut table,
        "self::ctrl-b",
        "s1",
        "OperationComplete",
        "Device.DeviceInfo.FirmwareImage.*.Download()",
    );
    subscribed(&mut table, "self::ctrl-b", "boot", "Event", "Device.Boot!");

    let targets = table.recipients(NotifType::ValueChange, "Device.DeviceInfo.UpTime");
    assert_eq!(targets.len(), 1);
    assert_eq!(
        (
            targets[0].controller_eid.as_str(),
            targets[0].subscription_id.as_str()
        ),
        ("self::ctrl-a", "s1")
    );
    assert!(targets[0].send_resp, "NotifRetry");
    assert!(
        table
            .recipients(NotifType::ValueChange, "Device.WiFi.SSID.2.SSID")
            .is_empty()
    );
    let firmware = "Device.DeviceInfo.FirmwareImage.2.Download()";
    assert_eq!(
        table.recipients(NotifType::OperationComplete, firmware)[0].controller_eid,
        "self::ctrl-b"
    );
    assert_eq!(
        table.recipients(NotifType::Event, "Device.Boot!")[0].subscription_id,
        "boot"
    );
    assert!(
        table
            .recipients(NotifType::Event, "Device.LocalAgent.Periodic!")
            .is_empty()
    );
    assert_eq!(
        table.value_change_paths(),
        ["Device.DeviceInfo.", "Device.WiFi.SSID.1.SSID"]
    );
}

#[test]
fn ids_are_unique_per_controller_and_bad_values_are_param_errors() {
    let mut table = Subscriptions::new();
    subscribed(&mut table, "self::ctrl-a", "s1", "Event", "Device.Boot!");
    let clash = subscribed(&mut table, "self::ctrl-a", "s1", "Event", "Device.Boot!");
    assert_eq!(error(&clash).err_code, 7025);
    let other = subscribed(&mut table, "self::ctrl-b", "s1", "Event", "Device.Boot!");
    assert!(matches!(response(&other), RespType::AddResp(_)));

    let odd = answer(
        &mut table,
        "self::ctrl-a",
        &add(&[("NotifType", "Sometimes"), ("Recipient", "x")], true),
    );
    let RespType::AddResp(resp) = response(&odd) else {
        panic!()
    };
    let status = resp.created_obj_results[0]
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.as_ref());
    let Some(AddStatus::OperSuccess(success)) = status else {
        panic!()
    };
    let codes: Vec<u32> = success.param_errs.iter().map(|e| e.err_code).collect();
    assert_eq!(codes, [7012, 7013]);
    assert_eq!(table.iter().count(), 3);
}

#[test]
fn get_set_delete_and_get_instances_are_answered_locally() {
    let mut table = Subscriptions::new();
    subscribed(&mut table, "self::ctrl-a", "s1", "Event", "Device.Boot!");
    subscribed(
        &mut table,
        "self::ctrl-a",
        "s2",
        "Event",
        "Device.LocalAgent.Periodic!",
    );

    let get = request(
        "g",
        ReqType::Get(msg::Get {
            param_paths: vec![format!("{TABLE}[ID==\"s2\"].Enable"), TABLE.into()],
            max_depth: 0,
        }),
    );
    let reply = answer(&mut table, "self::ctrl-a", &get);
    let RespType::GetResp(resp) = response(&reply) else {
        panic!()
    };
    let first = &resp.req_path_results[0].resolved_path_results;
    assert_eq!(first[0].resolved_path, "Device.LocalAgent.Subscription.2.");
    assert_eq!(first[0].result_params["Enable"], "true");
    assert_eq!(resp.req_path_results[1].resolved_path_results.len(), 2);

    let update = UpdateObject {
        obj_path: format!("{TABLE}1."),
        param_settings: vec![
            UpdateParamSetting {
                param: "Enable".into(),
                value: "false".into(),
                required: true,
            },
            UpdateParamSetting {
                param: "ReferenceList".into(),
                value: "Device.".into(),
                required: false,
            },
        ],
    };
    let set = request(
        "s",
        ReqType::Set(msg::Set {
            allow_partial: false,
            update_objs: vec![update],
        }),
    );
    let reply = answer(&mut table, "self::ctrl-a", &set);
    let RespType::SetResp(resp) = response(&reply) else {
        panic!()
    };
    let status = resp.updated_obj_results[0]
        .oper_status
        .as_ref()
        .and_then(|s| s.oper_status.as_ref());
    let Some(SetStatus::OperSuccess(success)) = status else {
        panic!("{status:?}")
    };
    assert_eq!(
        success.updated_inst_results[0].updated_params["Enable"],
        "false"
    );
    assert_eq!(
        success.updated_inst_results[0].param_errs[0].err_code, 7013,
        "ReferenceList is immutable"
    );
    assert!(!table.get(1).unwrap().enable);

    let instances = request(
        "i",
        ReqType::GetInstances(msg::GetInstances {
            obj_paths: vec![TABLE.into()],
            first_level_only: true,
        }),
    );
    let reply = answer(&mut table, "self::ctrl-a", &instances);
    let RespType::GetInstancesResp(resp) = response(&reply) else {
        panic!()
    };
    assert_eq!(resp.req_path_results[0].curr_insts.len(), 2);

    let missing = request(
        "d",
        ReqType::Delete(msg::Delete {
            allow_partial: false,
            obj_paths: vec![format!("{TABLE}9.")],
        }),
    );
    assert_eq!(
        error(&answer(&mut table, "self::ctrl-a", &missing)).err_code,
        7016
    );
    let by_id = request(
        "d",
        ReqType::Delete(msg::Delete {
            allow_partial: false,
            obj_paths: vec![format!("{TABLE}[ID==\"s1\"].")],
        }),
    );
    let reply = answer(&mut table, "self::ctrl-a", &by_id);
    assert!(matches!(response(&reply), RespType::DeleteResp(_)));
    assert_eq!(
        table.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s2"]
    );
}

#[test]
fn device_paths_are_not_local_and_mixing_is_refused() {
    let mut table = Subscriptions::new();
    let device_get = request(
        "g",
        ReqType::Get(msg::Get {
            param_paths: vec!["Device.DeviceInfo.".into()],
            max_depth: 0,
        }),
    );
    assert_eq!(table.handle("c", &device_get), LocalAnswer::NotLocal);
    let mixed = request(
        "g",
        ReqType::Get(msg::Get {
            param_paths: vec!["Device.DeviceInfo.".into(), TABLE.into()],
            max_depth: 0,
        }),
    );
    let LocalAnswer::Answer(reply) = table.handle("c", &mixed) else {
        panic!()
    };
    assert_eq!(error(&reply).err_code, 7000);
}

#[test]
fn the_table_persists_with_serde() {
    let mut table = Subscriptions::new();
    subscribed(
        &mut table,
        "self::ctrl-a",
        "s1",
        "ObjectCreation",
        "Device.WiFi.SSID.",
    );
    let json = serde_json::to_string(&table).unwrap();
    let back: Subscriptions = serde_json::from_str(&json).unwrap();
    assert_eq!(back, table);
    assert_eq!(
        back.recipients(NotifType::ObjectCreation, "Device.WiFi.SSID.4.")
            .len(),
        1
    );
    let mut restarted = back.clone();
    restarted.forget_non_persistent();
    assert_eq!(restarted.iter().count(), 0);
    assert_eq!(
        restarted.add("self::ctrl-a"),
        2,
        "instance numbers are not reused"
    );
}
