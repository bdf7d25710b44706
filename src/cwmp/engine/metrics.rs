//! The CWMP adapter's figures on `/metrics`: what only the gateway knows (CWMP sessions,
//! Inform events, RPCs and faults, connection requests, USP work waiting for a CPE). Records
//! the virtual agents exchange with Controllers are counted by the router, per MTP `cwmp`.
//!
//! Labels come partly from what CPE send (event codes, fault codes), so they are folded into
//! bounded sets: a CPE cannot grow the series count by inventing codes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::cwmp::fault::FaultCode;

/// Counters shared by every device actor.
#[derive(Default)]
pub struct CwmpMetrics {
    sessions_started: AtomicU64,
    sessions_completed: AtomicU64,
    sessions_failed: AtomicU64,
    informs: Mutex<BTreeMap<&'static str, u64>>,
    rpcs: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<BTreeMap<String, u64>>,
    connection_requests_sent: AtomicU64,
    connection_requests_failed: AtomicU64,
    /// USP requests queued or running on a CPE.
    pending_requests: AtomicI64,
    attribute_refusals: AtomicU64,
    notify_retries: AtomicU64,
}

/// Standard Inform event codes (TR-069 Table 7, cwmp.md §4) and `M` method codes; anything
/// else is `X vendor` or `other`.
const EVENT_CODES: [&str; 21] = [
    "0 BOOTSTRAP",
    "1 BOOT",
    "2 PERIODIC",
    "3 SCHEDULED",
    "4 VALUE CHANGE",
    "5 KICKED",
    "6 CONNECTION REQUEST",
    "7 TRANSFER COMPLETE",
    "8 DIAGNOSTICS COMPLETE",
    "9 REQUEST DOWNLOAD",
    "10 AUTONOMOUS TRANSFER COMPLETE",
    "11 DU STATE CHANGE COMPLETE",
    "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
    "13 WAKEUP",
    "14 HEARTBEAT",
    "M Reboot",
    "M ScheduleInform",
    "M Download",
    "M ScheduleDownload",
    "M Upload",
    "M ChangeDUState",
];

fn event_label(code: &str) -> &'static str {
    match EVENT_CODES.iter().find(|c| **c == code) {
        Some(known) => known,
        None if code.starts_with("X ") => "X vendor",
        None => "other",
    }
}

/// CWMP fault codes as labels: the defined ones as numbers, vendor ones grouped.
fn fault_label(code: FaultCode) -> String {
    match code.0 {
        8000..=8006 | 9000..=9032 => code.0.to_string(),
        9800..=9899 => "vendor".into(),
        _ => "other".into(),
    }
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    *map.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default() += 1;
}

impl CwmpMetrics {
    pub fn session_started(&self, events: impl IntoIterator<Item = impl AsRef<str>>) {
        self.sessions_started.fetch_add(1, Relaxed);
        for event in events {
            bump(&self.informs, event_label(event.as_ref()));
        }
    }

    pub fn session_completed(&self) {
        self.sessions_completed.fetch_add(1, Relaxed);
    }

    /// Timed out, replaced by a new Inform, or cut by shutdown.
    pub fn session_failed(&self) {
        self.sessions_failed.fetch_add(1, Relaxed);
    }

    pub fn rpc_sent(&self, method: &str) {
        bump(&self.rpcs, method.to_owned());
    }

    pub fn fault_received(&self, code: FaultCode) {
        bump(&self.faults, fault_label(code));
    }

    pub fn connection_request_sent(&self) {
        self.connection_requests_sent.fetch_add(1, Relaxed);
    }

    pub fn connection_request_failed(&self) {
        self.connection_requests_failed.fetch_add(1, Relaxed);
    }

    /// A Controller's request joined (`+1`) or left (`-1`) a CPE's queue.
    pub fn pending(&self, delta: i64) {
        self.pending_requests.fetch_add(delta, Relaxed);
    }

    pub fn attribute_refused(&self) {
        self.attribute_refusals.fetch_add(1, Relaxed);
    }

    pub fn notify_retried(&self) {
        self.notify_retries.fetch_add(1, Relaxed);
    }

    /// Prometheus text, with the number of registered devices (known to the engine).
    pub fn render(&self, devices: usize, out: &mut String) {
        let gauges = [
            ("usphub_cwmp_devices", "CWMP devices registered (each a virtual USP agent).", devices as i64),
            ("usphub_cwmp_pending_requests", "USP requests queued or running on CWMP devices.", self.pending_requests.load(Relaxed).max(0)),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        let counters = [
            ("usphub_cwmp_sessions_started_total", "CWMP sessions opened by an Inform.", &self.sessions_started),
            ("usphub_cwmp_sessions_completed_total", "CWMP sessions ended by the ACS's 204.", &self.sessions_completed),
            ("usphub_cwmp_sessions_failed_total", "CWMP sessions lost: CPE silent, replaced by a new Inform, or shutdown.", &self.sessions_failed),
            ("usphub_cwmp_connection_requests_total", "Connection requests sent to CPE.", &self.connection_requests_sent),
            ("usphub_cwmp_connection_requests_failed_total", "Connection requests the CPE did not accept.", &self.connection_requests_failed),
            ("usphub_cwmp_attribute_refusals_total", "Notification attribute changes a CPE refused or failed.", &self.attribute_refusals),
            ("usphub_cwmp_notify_retries_total", "Notify messages sent again for want of a NotifyResp.", &self.notify_retries),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Relaxed));
        }
        labelled(out, "usphub_cwmp_informs_total", "Inform events received, by event code.", "event", &self.informs);
        labelled(out, "usphub_cwmp_rpcs_total", "RPCs sent to CPE, by method.", "method", &self.rpcs);
        labelled(out, "usphub_cwmp_faults_total", "CWMP faults CPE answered with, by fault code.", "code", &self.faults);
    }
}

fn labelled<K: std::fmt::Display>(out: &mut String, name: &str, help: &str, label: &str, map: &Mutex<BTreeMap<K, u64>>) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (key, value) in map.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        // Keys are bounded labels of our own (see above): no quote or backslash to escape.
        let _ = writeln!(out, "{name}{{{label}=\"{key}\"}} {value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_supplied_codes_fold_into_bounded_labels() {
        let metrics = CwmpMetrics::default();
        metrics.session_started(["1 BOOT", "M Reboot", "X 00D09E Custom", "99 INVENTED\"}"]);
        metrics.fault_received(FaultCode(9005));
        metrics.fault_received(FaultCode(9850));
        metrics.fault_received(FaultCode(12345));
        metrics.rpc_sent("GetParameterValues");
        metrics.pending(1);
        let mut out = String::new();
        metrics.render(3, &mut out);
        for line in [
            "usphub_cwmp_devices 3",
            "usphub_cwmp_pending_requests 1",
            "usphub_cwmp_sessions_started_total 1",
            "usphub_cwmp_informs_total{event=\"1 BOOT\"} 1",
            "usphub_cwmp_informs_total{event=\"M Reboot\"} 1",
            "usphub_cwmp_informs_total{event=\"X vendor\"} 1",
            "usphub_cwmp_informs_total{event=\"other\"} 1",
            "usphub_cwmp_faults_total{code=\"9005\"} 1",
            "usphub_cwmp_faults_total{code=\"vendor\"} 1",
            "usphub_cwmp_faults_total{code=\"other\"} 1",
            "usphub_cwmp_rpcs_total{method=\"GetParameterValues\"} 1",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
        }
        assert!(!out.contains("INVENTED"));
    }
}
