use std::time::{Duration, SystemTime};

use super::*;
use crate::cwmp::rpc::{DeviceId, EventStruct};

fn inform(serial: &str, events: &[&str], params: &[(&str, &str, XsdType)]) -> Inform {
    Inform {
        device_id: DeviceId {
            manufacturer: "Acme".into(),
            oui: "00D09E".into(),
            product_class: "AX3000".into(),
            serial_number: serial.into(),
        },
        events: events.iter().map(|e| EventStruct::new(*e, "")).collect(),
        max_envelopes: 1,
        current_time: String::new(),
        retry_count: 0,
        parameter_list: params.iter().map(|(n, v, t)| ParameterValueStruct::new(*n, *v, t.clone())).collect(),
    }
}

fn temp_db() -> (tempdir::Dir, Registry) {
    let dir = tempdir::Dir::new();
    let registry = Registry::open(&dir.path().join("sub/registry.db")).unwrap();
    (dir, registry)
}

#[test]
fn inform_registers_then_updates_and_survives_reopening() {
    let dir = tempdir::Dir::new();
    let path = dir.path().join("r.db");
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let cr = "Device.ManagementServer.ConnectionRequestURL";
    {
        let registry = Registry::open(&path).unwrap();
        let first = inform("SN1", &["0 BOOTSTRAP", "1 BOOT"], &[(cr, "http://10.0.0.1:7547/x", XsdType::String)]);
        let outcome = registry.record_inform("os::00D09E-SN1", &first, t0).unwrap();
        assert!(outcome.new_device);
        assert_eq!(outcome.record.connection_request_url.as_deref(), Some("http://10.0.0.1:7547/x"));
        let second = inform("SN1", &["2 PERIODIC"], &[("Device.DeviceInfo.UpTime", "42", XsdType::UnsignedInt)]);
        let outcome = registry.record_inform("os::00D09E-SN1", &second, t0 + Duration::from_secs(60)).unwrap();
        assert!(!outcome.new_device);
        assert!(outcome.previous_values.is_empty(), "UpTime is new");
        assert_eq!(outcome.record.registered_at, t0, "first contact is kept");
        let third = inform("SN1", &["4 VALUE CHANGE"], &[("Device.DeviceInfo.UpTime", "43", XsdType::UnsignedInt)]);
        let outcome = registry.record_inform("os::00D09E-SN1", &third, t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(outcome.previous_values["Device.DeviceInfo.UpTime"], "42");
        let outcome = registry.record_inform("os::00D09E-SN1", &second, t0 + Duration::from_secs(60)).unwrap();
        assert_eq!(
            outcome.record.connection_request_url.as_deref(),
            Some("http://10.0.0.1:7547/x"),
            "kept when absent"
        );
        assert_eq!(outcome.record.last_events, [Event { code: "2 PERIODIC".into(), command_key: String::new() }]);
        registry.set_subscriptions("os::00D09E-SN1", b"opaque").unwrap();
    }
    let registry = Registry::open(&path).unwrap();
    let devices = registry.devices().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].identity.serial_number, "SN1");
    assert_eq!(devices[0].last_inform_at, Some(t0 + Duration::from_secs(60)));
    let params = registry.parameters("os::00D09E-SN1").unwrap();
    assert_eq!(params.len(), 2);
    assert_eq!(params[0], ParameterValueStruct::new("Device.DeviceInfo.UpTime", "42", XsdType::UnsignedInt));
    assert_eq!(registry.subscriptions("os::00D09E-SN1").unwrap().as_deref(), Some(&b"opaque"[..]));
}

#[test]
fn parameters_stay_per_device_and_untyped_values_are_strings() {
    let (_dir, registry) = temp_db();
    let now = SystemTime::now();
    registry.record_inform("os::00D09E-A", &inform("A", &[], &[]), now).unwrap();
    registry.record_inform("os::00D09E-AB", &inform("AB", &[], &[]), now).unwrap();
    let untyped = ParameterValueStruct { name: "Device.X".into(), value: "v".into(), xsd_type: None };
    registry.record_parameters("os::00D09E-A", &[untyped]).unwrap();
    registry
        .record_parameters("os::00D09E-AB", &[ParameterValueStruct::new("Device.Y", "1", XsdType::Boolean)])
        .unwrap();
    assert_eq!(
        registry.parameters("os::00D09E-A").unwrap(),
        [ParameterValueStruct::new("Device.X", "v", XsdType::String)]
    );
    assert_eq!(registry.parameters("os::00D09E-AB").unwrap().len(), 1);
    assert!(registry.parameters("os::00D09E-").unwrap().is_empty());
}

#[test]
fn per_device_acs_logins_are_unique_and_replaceable() {
    let (_dir, registry) = temp_db();
    let now = SystemTime::now();
    registry.record_inform("os::00D09E-A", &inform("A", &[], &[]), now).unwrap();
    registry.record_inform("os::00D09E-B", &inform("B", &[], &[]), now).unwrap();
    registry.set_acs_credentials("os::00D09E-A", Some(Credentials::new("cpe-a", "pw"))).unwrap();
    let (owner, creds) = registry.acs_login("cpe-a").unwrap().unwrap();
    assert_eq!((owner.as_str(), creds.password.as_str()), ("os::00D09E-A", "pw"));
    let taken = registry.set_acs_credentials("os::00D09E-B", Some(Credentials::new("cpe-a", "x")));
    assert!(matches!(taken, Err(RegistryError::UsernameTaken { .. })));
    registry.set_acs_credentials("os::00D09E-A", Some(Credentials::new("cpe-a2", "pw2"))).unwrap();
    assert!(registry.acs_login("cpe-a").unwrap().is_none());
    assert!(registry.acs_login("cpe-a2").unwrap().is_some());
    assert!(matches!(registry.set_acs_credentials("os::nope", None), Err(RegistryError::UnknownDevice(_))));
    assert!(!format!("{creds:?}").contains("pw"));
}

#[test]
fn deleting_a_device_removes_everything_kept_about_it() {
    let (_dir, registry) = temp_db();
    let params = [("Device.WiFi.SSID.1.SSID", "home", XsdType::String)];
    registry.record_inform("os::00D09E-A", &inform("A", &["1 BOOT"], &params), SystemTime::now()).unwrap();
    registry.record_inform("os::00D09E-B", &inform("B", &["1 BOOT"], &params), SystemTime::now()).unwrap();
    registry.set_acs_credentials("os::00D09E-A", Some(Credentials::new("cpe-a", "pw"))).unwrap();
    registry.set_subscriptions("os::00D09E-A", b"[]").unwrap();
    registry.set_operations("os::00D09E-A", b"[]").unwrap();
    registry.set_model("os::00D09E-A", b"{}").unwrap();
    assert!(registry.delete_device("os::00D09E-A").unwrap());
    assert!(!registry.delete_device("os::00D09E-A").unwrap(), "already gone");
    assert!(registry.device("os::00D09E-A").unwrap().is_none());
    assert!(registry.parameters("os::00D09E-A").unwrap().is_empty());
    assert!(registry.acs_login("cpe-a").unwrap().is_none());
    assert!(registry.subscriptions("os::00D09E-A").unwrap().is_none());
    assert!(registry.operations("os::00D09E-A").unwrap().is_none());
    assert!(registry.model("os::00D09E-A").unwrap().is_none());
    assert_eq!(registry.parameters("os::00D09E-B").unwrap().len(), 1, "the other device is untouched");
}

#[test]
fn database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir::Dir::new();
    let path = dir.path().join("p.db");
    Registry::open(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

/// A temporary directory removed on drop (no tempfile crate in the dependency tree).
mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> Self {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!("usphub-registry-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
