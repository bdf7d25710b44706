//! The broker's figures on `/metrics`: state that only MQTT has. Records that cross the
//! router are counted there, per MTP.

use std::fmt::Write;
use std::sync::atomic::Ordering::Relaxed;

use super::connection::Shared;
use crate::telemetry::MetricsSource;

impl MetricsSource for Shared {
    fn render(&self, out: &mut String) {
        let b = &self.broker;
        let gauges = [
            ("usphub_mqtt_sessions", "MQTT sessions, connected or kept for an offline client.", b.session_count() as u64),
            ("usphub_mqtt_subscriptions", "MQTT subscriptions.", b.subscription_count() as u64),
            ("usphub_mqtt_retained_messages", "Retained MQTT messages.", b.retained_count() as u64),
        ];
        let counters = [
            ("usphub_mqtt_published_total", "MQTT messages published to the broker.", b.stats.published.load(Relaxed)),
            ("usphub_mqtt_delivered_total", "MQTT messages queued for a subscriber.", b.stats.delivered.load(Relaxed)),
            ("usphub_mqtt_dropped_total", "MQTT messages dropped: a subscriber's queue was full, or QoS 0 for an offline one.", b.stats.dropped.load(Relaxed)),
            ("usphub_mqtt_sessions_expired_total", "Offline MQTT sessions removed after their expiry.", b.stats.expired_sessions.load(Relaxed)),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        }
    }
}
