//! Renders the router's counters in the Prometheus text exposition format.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::router::{DropReason, Router, metrics::MtpCounters};
use crate::usp::Mtp;

pub fn render(router: &Router) -> String {
    let m = router.metrics();
    let mut out = String::with_capacity(4096);
    let per_mtp_i = |out: &mut String, name: &str, help: &str, f: fn(&MtpCounters) -> &AtomicI64| {
        header(out, name, help, "gauge");
        for mtp in Mtp::ALL {
            let _ = writeln!(out, "{name}{{mtp=\"{mtp}\"}} {}", f(m.mtp(mtp)).load(Relaxed));
        }
    };
    let per_mtp_u = |out: &mut String, name: &str, help: &str, f: fn(&MtpCounters) -> &AtomicU64| {
        header(out, name, help, "counter");
        for mtp in Mtp::ALL {
            let _ = writeln!(out, "{name}{{mtp=\"{mtp}\"}} {}", f(m.mtp(mtp)).load(Relaxed));
        }
    };
    per_mtp_i(&mut out, "usphub_connections", "Endpoint sessions open, per MTP.", |c| &c.sessions);
    per_mtp_u(&mut out, "usphub_connections_total", "Endpoint sessions opened, per MTP.", |c| &c.sessions_total);
    per_mtp_u(&mut out, "usphub_records_in_total", "Records received and routed, per MTP.", |c| &c.records_in);
    per_mtp_u(&mut out, "usphub_bytes_in_total", "Record bytes received and routed, per MTP.", |c| &c.bytes_in);
    per_mtp_u(&mut out, "usphub_records_out_total", "Records handed to a connection's writer, per MTP.", |c| &c.records_out);
    per_mtp_u(&mut out, "usphub_bytes_out_total", "Record bytes handed to a connection's writer, per MTP.", |c| &c.bytes_out);

    header(&mut out, "usphub_records_dropped_total", "Records not delivered, by reason.", "counter");
    for reason in DropReason::ALL {
        let _ = writeln!(out, "usphub_records_dropped_total{{reason=\"{}\"}} {}", reason.as_str(), m.drops(reason));
    }
    header(&mut out, "usphub_records_held_total", "Records put in the offline hold.", "counter");
    let _ = writeln!(out, "usphub_records_held_total {}", m.held.load(Relaxed));
    header(&mut out, "usphub_sessions_replaced_total", "Sessions closed because the same endpoint connected again.", "counter");
    let _ = writeln!(out, "usphub_sessions_replaced_total {}", m.replaced.load(Relaxed));

    let depths = router.queue_depths();
    header(&mut out, "usphub_queue_records", "Records waiting in outbound queues, per MTP.", "gauge");
    for mtp in Mtp::ALL {
        let _ = writeln!(out, "usphub_queue_records{{mtp=\"{mtp}\"}} {}", depths[mtp.index()].0);
    }
    header(&mut out, "usphub_queue_bytes", "Bytes waiting in outbound queues, per MTP.", "gauge");
    for mtp in Mtp::ALL {
        let _ = writeln!(out, "usphub_queue_bytes{{mtp=\"{mtp}\"}} {}", depths[mtp.index()].1);
    }
    let hold = router.hold_stats();
    header(&mut out, "usphub_hold_endpoints", "Offline endpoints with held Records.", "gauge");
    let _ = writeln!(out, "usphub_hold_endpoints {}", hold.endpoints);
    header(&mut out, "usphub_hold_records", "Records in the offline hold.", "gauge");
    let _ = writeln!(out, "usphub_hold_records {}", hold.records);
    header(&mut out, "usphub_hold_bytes", "Bytes in the offline hold.", "gauge");
    let _ = writeln!(out, "usphub_hold_bytes {}", hold.bytes);
    out
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}
