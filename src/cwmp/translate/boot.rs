//! `1 BOOT` → the TR-181 `Boot!` event (`CommandKey`, `Cause`, `FirmwareUpdated`,
//! `ParameterMap`), from what CWMP tells: the Inform's events and parameters, the values they
//! had before, and whether the adapter itself sent a FactoryReset.
//!
//! | Inform | Cause | CommandKey |
//! |---|---|---|
//! | `0 BOOTSTRAP`, after a FactoryReset the adapter sent | RemoteFactoryReset | "" |
//! | `0 BOOTSTRAP` otherwise | LocalFactoryReset | "" |
//! | `M Reboot` | RemoteReboot | its CommandKey |
//! | `M Download` (no `M Reboot`) | RemoteReboot | the Download's CommandKey: the ACS asked for the transfer, and CWMP applies a firmware image by rebooting |
//! | anything else (`M X_…` vendor methods included) | LocalReboot | "" |
//!
//! `FirmwareUpdated`: CWMP has no such flag, and `M Download` also covers configuration files
//! and failed transfers. So the `DeviceInfo.SoftwareVersion` the Inform carries (a
//! forced-inform parameter) decides when its previous value is known: true if it changed. Only
//! without a previous value does `M Download` alone count as a firmware update.
//!
//! `ParameterMap`: TR-181 fills it with the values of the recipient Controller's
//! `LocalAgent.Controller.{i}.BootParameter.{i}.`, a table the adapter does not emulate. What
//! the CPE itself sends at boot is its Inform's ParameterList (forced-inform parameters plus
//! those an ACS asked for), so the map holds those: `{"<full path>": "<value>", …}`, the same
//! for every recipient.

use std::collections::{BTreeMap, HashMap};

use crate::cwmp::rpc::Inform;

use super::notify::{InformHints, NotifyContent, event};

pub(super) fn boot_event(root: &str, inform: &Inform, hints: &InformHints) -> NotifyContent {
    let key_of = |code: &str| inform.events.iter().find(|e| e.event_code == code).map(|e| e.command_key.clone());
    let (reboot_key, download_key) = (key_of("M Reboot"), key_of("M Download"));
    let (cause, command_key) = if inform.has_event("0 BOOTSTRAP") {
        let remote = hints.factory_reset_requested;
        (if remote { "RemoteFactoryReset" } else { "LocalFactoryReset" }, String::new())
    } else if let Some(key) = reboot_key.or(download_key.clone()) {
        ("RemoteReboot", key)
    } else if hints.factory_reset_requested {
        // Accepted but not announced with 0 BOOTSTRAP (some CPE keep their bootstrap state).
        ("RemoteFactoryReset", String::new())
    } else {
        ("LocalReboot", String::new())
    };
    let software_version = inform.parameter_list.iter().find(|p| p.name.ends_with(".DeviceInfo.SoftwareVersion"));
    let previous = software_version.and_then(|p| hints.previous_values.get(&p.name));
    let firmware_updated = match (software_version, previous) {
        (Some(now), Some(before)) => &now.value != before,
        _ => download_key.is_some(),
    };
    let parameter_map: BTreeMap<&str, &str> =
        inform.parameter_list.iter().map(|p| (p.name.as_str(), p.value.as_str())).collect();
    let params = HashMap::from([
        ("CommandKey".to_owned(), command_key),
        ("Cause".to_owned(), cause.to_owned()),
        ("FirmwareUpdated".to_owned(), firmware_updated.to_string()),
        ("ParameterMap".to_owned(), serde_json::to_string(&parameter_map).expect("strings serialise")),
    ]);
    event(root, "Boot!", params)
}
