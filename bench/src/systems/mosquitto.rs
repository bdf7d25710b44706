//! mosquitto as the MQTT baseline: a generated configuration with one loopback listener,
//! anonymous clients, no persistence, the same queue and in-flight limits as usphub is given,
//! `TCP_NODELAY` as usphub sets it, and only warnings and errors logged.

use std::{path::Path, process::Command, time::Duration};

use anyhow::Context;

use super::{MAX_INFLIGHT, MAX_QUEUED};
use crate::scenario::LoadSpec;
use crate::sut::{self, Launch, Listeners, LogCheck, Readiness};

pub fn mosquitto(bin: &Path, _spec: &LoadSpec, logs: &Path) -> anyhow::Result<Launch> {
    let addr = sut::free_port()?;
    let config = logs.join("mosquitto.conf");
    std::fs::write(&config, config_text(addr)).with_context(|| format!("writing {}", config.display()))?;
    let mut command = Command::new(bin);
    command.arg("-c").arg(&config);
    let log = logs.join("mosquitto.log");
    Ok(Launch {
        name: "mosquitto".into(),
        command,
        listeners: Listeners { mqtt: Some(addr), ..Listeners::default() },
        admin: None,
        ready: Readiness::Accepts(addr),
        ready_timeout: Duration::from_secs(15),
        checks: vec![LogCheck { path: log.clone(), markers: &["Warning:", "Error:"] }],
        log,
        helpers: Vec::new(),
        scratch: None,
    })
}

fn config_text(addr: std::net::SocketAddr) -> String {
    format!(
        "# Written by usphub-bench compare.\n\
         listener {port} {ip}\n\
         allow_anonymous true\n\
         persistence false\n\
         # As usphub's mqtt.max_queued and mqtt.max_inflight in the same comparison.\n\
         max_queued_messages {MAX_QUEUED}\n\
         max_inflight_messages {MAX_INFLIGHT}\n\
         # usphub sets TCP_NODELAY on every connection: a Record is a message, not a stream chunk.\n\
         set_tcp_nodelay true\n\
         log_dest stderr\n\
         log_type error\n\
         log_type warning\n\
         connection_messages false\n",
        port = addr.port(),
        ip = addr.ip(),
    )
}
