//! Notification attributes follow the ValueChange subscriptions: activation reads the
//! originals first, refusals are per path, reverts restore the originals and leave alone what
//! a still-wanted path covers.

use super::*;
use crate::cwmp::task::{AttributeChange, WatchedPath};
use crate::cwmp::translate::{NotifType, Subscriptions, attribute_upkeep};

/// A table with one enabled subscription per `(notif_type, reference list)`.
fn table(rows: &[(NotifType, &str)]) -> Subscriptions {
    let mut table = Subscriptions::new();
    for (notif_type, references) in rows {
        let instance = table.add("self::ctrl");
        let mut row = table.get(instance).cloned().unwrap();
        row.enable = true;
        row.notif_type = *notif_type;
        row.reference_list = references.split(',').map(str::to_owned).collect();
        table.insert(row);
    }
    table
}

fn attributes(list: &[(&str, u8)]) -> CpeReply {
    let parameter_list = list
        .iter()
        .map(|(name, notification)| ParameterAttributeStruct {
            name: (*name).into(),
            notification: *notification,
            access_list: Vec::new(),
        })
        .collect();
    CpeReply::Response(Body::GetParameterAttributesResponse(GetParameterAttributesResponse { parameter_list }))
}

fn spa_ok() -> CpeReply {
    CpeReply::Response(Body::SetParameterAttributesResponse)
}

/// `(name, notification)` of a SetParameterAttributes, with NotificationChange checked.
fn spa_list(body: &Body) -> Vec<(String, u8)> {
    let Body::SetParameterAttributes(spa) = body else { panic!("{} is not SPA", body.method_name()) };
    spa.parameter_list
        .iter()
        .map(|s| {
            assert!(s.notification_change && !s.access_list_change, "{s:?}");
            (s.name.clone(), s.notification)
        })
        .collect()
}

fn owned(list: &[(&str, u8)]) -> Vec<(String, u8)> {
    list.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect()
}

#[test]
fn only_enabled_value_change_paths_are_activated_and_originals_are_read_first() {
    let mut subs = table(&[
        (NotifType::ValueChange, "Device.WiFi.SSID.1.SSID,Device.Hosts.Host.*.IPAddress"),
        (NotifType::Event, "Device.Boot!"),
    ]);
    let disabled = subs.add("self::ctrl");
    let mut row = subs.get(disabled).cloned().unwrap();
    row.reference_list = vec!["Device.DeviceInfo.UpTime".into()];
    subs.insert(row);
    let upkeep = attribute_upkeep(&subs, &device());
    assert!(upkeep.settled.is_empty());
    let mut task = upkeep.task.expect("a path to activate");
    assert_eq!(task.activating().collect::<Vec<_>>(), ["Device.WiFi.SSID.1.SSID"], "no wildcards, no Event, no disabled");
    let run = drive(&mut task, vec![attributes(&[("Device.WiFi.SSID.1.SSID", 1)]), spa_ok()]);
    assert_eq!(run.methods(), ["GetParameterAttributes", "SetParameterAttributes"]);
    assert_eq!(spa_list(&run.rpcs[1]), owned(&[("Device.WiFi.SSID.1.SSID", 2)]));
    assert_eq!(
        task.attribute_changes(),
        [AttributeChange::Activated { path: "Device.WiFi.SSID.1.SSID".into(), originals: owned(&[("Device.WiFi.SSID.1.SSID", 1)]) }]
    );
}

#[test]
fn a_refused_path_does_not_cost_the_others_and_is_not_retried() {
    let subs = table(&[(NotifType::ValueChange, "Device.A,Device.B,Device.C")]);
    let mut task = attribute_upkeep(&subs, &device()).task.unwrap();
    let replies = vec![
        attributes(&[("Device.A", 0)]),
        fault(9009), // the CPE will not notify this one
        fault(9005), // GPA: no such parameter, no SPA tried
        fault(9000), // GPA unsupported: SPA anyway, originals unknown
        spa_ok(),
    ];
    let run = drive(&mut task, replies);
    assert_eq!(
        run.methods(),
        ["GetParameterAttributes", "SetParameterAttributes", "GetParameterAttributes", "GetParameterAttributes", "SetParameterAttributes"]
    );
    let changes = task.attribute_changes();
    assert_eq!(
        changes,
        [
            AttributeChange::Refused { path: "Device.A".into(), fault: 9009 },
            AttributeChange::Refused { path: "Device.B".into(), fault: 9005 },
            AttributeChange::Activated { path: "Device.C".into(), originals: Vec::new() },
        ]
    );
    // Recorded as the engine does: nothing left to do while the table stays the same.
    let mut model = device();
    model.watched.insert("Device.A".into(), WatchedPath { originals: Vec::new(), refused: Some(9009) });
    model.watched.insert("Device.B".into(), WatchedPath { originals: Vec::new(), refused: Some(9005) });
    model.watched.insert("Device.C".into(), WatchedPath::default());
    let again = attribute_upkeep(&subs, &model);
    assert!(again.task.is_none() && again.settled.is_empty());
}

#[test]
fn unsubscribing_restores_originals_but_not_what_another_subscription_covers() {
    let mut model = device();
    let wifi = WatchedPath { originals: owned(&[("Device.WiFi.SSID.1.SSID", 2), ("Device.WiFi.SSID.1.Enable", 1)]), refused: None };
    model.watched.insert("Device.WiFi.".into(), wifi);
    model.watched.insert("Device.Gone".into(), WatchedPath::default());
    model.watched.insert("Device.Refused".into(), WatchedPath { originals: Vec::new(), refused: Some(9009) });
    // Only the SSID stays wanted.
    let subs = table(&[(NotifType::ValueChange, "Device.WiFi.SSID.1.SSID")]);
    let upkeep = attribute_upkeep(&subs, &model);
    assert_eq!(upkeep.settled, [AttributeChange::Reverted { path: "Device.Refused".into(), fault: None }], "never active: no RPC");
    let mut task = upkeep.task.unwrap();
    assert_eq!(task.activating().collect::<Vec<_>>(), ["Device.WiFi.SSID.1.SSID"]);
    // The SSID reads 2 (the adapter's own doing through Device.WiFi.): its original is kept.
    let replies = vec![attributes(&[("Device.WiFi.SSID.1.SSID", 2)]), spa_ok(), spa_ok(), fault(9005)];
    let run = drive(&mut task, replies);
    assert_eq!(spa_list(&run.rpcs[2]), owned(&[("Device.Gone", 0)]), "unknown original: off");
    assert_eq!(spa_list(&run.rpcs[3]), owned(&[("Device.WiFi.SSID.1.Enable", 1)]), "the SSID is left active");
    assert_eq!(
        task.attribute_changes(),
        [
            AttributeChange::Activated { path: "Device.WiFi.SSID.1.SSID".into(), originals: owned(&[("Device.WiFi.SSID.1.SSID", 2)]) },
            AttributeChange::Reverted { path: "Device.Gone".into(), fault: None },
            AttributeChange::Reverted { path: "Device.WiFi.".into(), fault: Some(9005) },
        ]
    );
}
