//! `Boot!` from `1 BOOT` Informs: Cause and CommandKey from the `M` events, FirmwareUpdated
//! from the SoftwareVersion change, ParameterMap from the Inform's parameters (`boot.rs`).

use std::collections::HashMap;

use super::*;
use crate::cwmp::translate::{InformHints, notifications_with};
use crate::usp::proto::msg::notify::Notification;

const VERSION: &str = "Device.DeviceInfo.SoftwareVersion";

/// The Boot! params for an Inform with `events`, SoftwareVersion `version` (previously
/// `before`, if known) and ProvisioningCode "lab".
fn boot(events: &[(&str, &str)], version: &str, before: Option<&str>, factory_reset_requested: bool) -> HashMap<String, String> {
    let inform = Inform {
        device_id: DeviceId { oui: "00D09E".into(), serial_number: "SN1".into(), ..Default::default() },
        events: events.iter().map(|(c, k)| EventStruct::new(*c, *k)).collect(),
        max_envelopes: 1,
        current_time: "2025-01-01T00:00:00Z".into(),
        retry_count: 0,
        parameter_list: vec![
            ParameterValueStruct::new(VERSION, version, XsdType::String),
            ParameterValueStruct::new("Device.DeviceInfo.ProvisioningCode", "lab", XsdType::String),
        ],
    };
    let hints = InformHints {
        factory_reset_requested,
        previous_values: before.map(|b| HashMap::from([(VERSION.to_owned(), b.to_owned())])).unwrap_or_default(),
        ..Default::default()
    };
    let notes = notifications_with(&inform, "os::00D09E-SN1", &hints);
    notes
        .iter()
        .find_map(|n| match &n.notification {
            Notification::Event(e) if e.event_name == "Boot!" => Some(e.params.clone()),
            _ => None,
        })
        .expect("a Boot! event")
}

fn summary(params: &HashMap<String, String>) -> (&str, &str, &str) {
    (params["Cause"].as_str(), params["CommandKey"].as_str(), params["FirmwareUpdated"].as_str())
}

#[test]
fn cause_and_command_key_follow_the_m_events() {
    assert_eq!(summary(&boot(&[("1 BOOT", "")], "1.0", Some("1.0"), false)), ("LocalReboot", "", "false"));
    let vendor = boot(&[("1 BOOT", ""), ("M X_ACME_Upgrade", "k")], "1.0", None, false);
    assert_eq!(summary(&vendor), ("LocalReboot", "", "false"), "vendor methods are not the ACS's reboot");
    let rebooted = boot(&[("1 BOOT", ""), ("M Reboot", "rb-1")], "1.0", Some("1.0"), false);
    assert_eq!(summary(&rebooted), ("RemoteReboot", "rb-1", "false"));
    let reset = boot(&[("0 BOOTSTRAP", ""), ("1 BOOT", "")], "1.0", None, true);
    assert_eq!(summary(&reset), ("RemoteFactoryReset", "", "false"));
    let reset_quietly = boot(&[("1 BOOT", "")], "1.0", Some("1.0"), true);
    assert_eq!(summary(&reset_quietly).0, "RemoteFactoryReset", "accepted FactoryReset without BOOTSTRAP");
}

#[test]
fn firmware_updated_is_the_software_version_changing() {
    let events = [("1 BOOT", ""), ("7 TRANSFER COMPLETE", ""), ("M Download", "fw-2")];
    assert_eq!(summary(&boot(&events, "2.0", Some("1.0"), false)), ("RemoteReboot", "fw-2", "true"));
    // A configuration file download (or a failed image): same version, no firmware update.
    assert_eq!(summary(&boot(&events, "1.0", Some("1.0"), false)), ("RemoteReboot", "fw-2", "false"));
    // Nothing to compare with: the Download is taken at its word.
    assert_eq!(summary(&boot(&events, "2.0", None, false)).2, "true");
    // A version change without any Download: the CPE updated itself.
    assert_eq!(summary(&boot(&[("1 BOOT", "")], "2.1", Some("2.0"), false)), ("LocalReboot", "", "true"));
}

#[test]
fn parameter_map_is_a_json_object_of_the_inform_parameters() {
    let params = boot(&[("1 BOOT", "")], "1.0", None, false);
    let map: serde_json::Value = serde_json::from_str(&params["ParameterMap"]).expect("JSON");
    assert_eq!(map, serde_json::json!({ VERSION: "1.0", "Device.DeviceInfo.ProvisioningCode": "lab" }));
}
