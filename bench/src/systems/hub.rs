//! usphub as a system under test: every listener the scenarios use on free loopback ports, and
//! a configuration that differs from the built-in defaults only where a benchmark from one
//! address needs it (written next to its log, so a run can be reproduced by hand).

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context, ensure};

use super::{MAX_INFLIGHT, MAX_QUEUED};
use crate::scenario::LoadSpec;
use crate::sut::{self, Launch, Listeners, LogCheck, Readiness};

/// The launch of the hub binary `bin` for `spec`.
pub fn hub(bin: &Path, spec: &LoadSpec, logs: &Path) -> anyhow::Result<Launch> {
    ensure!(
        bin.exists(),
        "no usphub binary at {} (build it: cargo build --release -p usphub, or pass --hub-bin)",
        bin.display()
    );
    let config = logs.join("usphub.toml");
    std::fs::write(&config, config_text(spec)).with_context(|| format!("writing {}", config.display()))?;
    let (ws, mqtt, stomp, admin) = (sut::free_port()?, sut::free_port()?, sut::free_port()?, sut::free_port()?);
    let mut command = Command::new(bin);
    command.arg("--config").arg(&config);
    for (flag, addr) in [("--ws", ws), ("--mqtt", mqtt), ("--stomp", stomp), ("--admin", admin)] {
        command.args([flag, &addr.to_string()]);
    }
    command.args(["--cwmp", "off", "--uds", "off"]);
    command.env("NO_COLOR", "1");
    let log = logs.join("usphub.log");
    Ok(Launch {
        name: "usphub".into(),
        command,
        listeners: Listeners { ws: Some(ws), mqtt: Some(mqtt), stomp: Some(stomp), cwmp: None, raw: None },
        admin: Some(admin),
        ready: Readiness::Healthz(admin),
        ready_timeout: Duration::from_secs(15),
        checks: vec![LogCheck { path: log.clone(), markers: &[" WARN ", " ERROR "] }],
        log,
        helpers: Vec::new(),
        scratch: None,
    })
}

fn config_text(spec: &LoadSpec) -> String {
    format!(
        "# Written by usphub-bench compare: usphub's defaults, except:\n\
         [mqtt]\n\
         # Thousands of clients connect from 127.0.0.1 within seconds (default 100/s per address).\n\
         connect_rate_per_ip = 0\n\
         # The same per-session queue as the baseline broker's max_queued_messages.\n\
         max_queued = {MAX_QUEUED}\n\
         max_inflight = {MAX_INFLIGHT}\n\
         # Records routed to MQTT endpoints from another MTP (cross-mtp) at the scenario's QoS.\n\
         usp_qos = {}\n",
        spec.mtp.qos
    )
}
