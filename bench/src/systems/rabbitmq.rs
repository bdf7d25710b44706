//! RabbitMQ with its STOMP plugin as the STOMP baseline, as a private node: its own node name,
//! ports, Erlang port mapper, data and log directories and Erlang cookie, all under the run's
//! log directory, so it neither needs nor disturbs a system-wide RabbitMQ.
//!
//! Steps: start `epmd` on a free port (as our own child, so that we can stop it: one started by
//! the Erlang VM would daemonise and outlive the run); enable `rabbitmq_stomp` offline into
//! the node's own plugins file (`rabbitmq-plugins --offline enable`); start RabbitMQ's own
//! start script with `RABBITMQ_*` variables pointing at all of that; wait until the STOMP
//! listener accepts. The AMQP listener is off; only STOMP is served. SIGTERM stops the node
//! cleanly (the script traps it).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};

use crate::sut::{self, Launch, Listeners, LogCheck, Readiness};

/// A node takes several seconds to boot, more on a loaded machine.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The launch of RabbitMQ's start script `server` (its sibling `rabbitmq-plugins` is used too).
/// `pin` is where the system under test runs: `epmd` goes there as well.
pub async fn rabbitmq(server: &Path, pin: Option<usize>, logs: &Path) -> anyhow::Result<Launch> {
    ensure!(
        server.exists(),
        "no RabbitMQ start script at {} (apt-get install -y rabbitmq-server, or pass --rabbitmq-server)",
        server.display()
    );
    let plugins = server.with_file_name("rabbitmq-plugins");
    let dir = logs.join("rabbitmq");
    let (data, log_dir, home) = (dir.join("mnesia"), dir.join("log"), dir.join("home"));
    for d in [&data, &log_dir, &home] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let (stomp, amqp, dist, epmd) = (sut::free_port()?, sut::free_port()?, sut::free_port()?, sut::free_port()?);
    let node = format!("usphub-bench-{}@localhost", std::process::id());
    let config = dir.join("rabbitmq.conf");
    std::fs::write(&config, config_text(stomp)).with_context(|| format!("writing {}", config.display()))?;
    // An empty environment file, so /etc/rabbitmq/rabbitmq-env.conf is not read.
    let env_file = dir.join("rabbitmq-env.conf");
    std::fs::write(&env_file, "").with_context(|| format!("writing {}", env_file.display()))?;
    let env: Vec<(&str, String)> = vec![
        ("RABBITMQ_NODENAME", node.clone()),
        ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1".into()),
        ("RABBITMQ_NODE_PORT", amqp.port().to_string()),
        ("RABBITMQ_DIST_PORT", dist.port().to_string()),
        ("RABBITMQ_MNESIA_BASE", path(&data)),
        ("RABBITMQ_LOG_BASE", path(&log_dir)),
        ("RABBITMQ_CONFIG_FILE", path(&config)),
        ("RABBITMQ_ENABLED_PLUGINS_FILE", path(&dir.join("enabled_plugins"))),
        ("RABBITMQ_ADVANCED_CONFIG_FILE", path(&dir.join("advanced.config"))),
        ("RABBITMQ_CONF_ENV_FILE", path(&env_file)),
        ("RABBITMQ_PID_FILE", path(&dir.join("rabbitmq.pid"))),
        ("ERL_EPMD_PORT", epmd.port().to_string()),
        // The Erlang cookie is created in $HOME.
        ("HOME", path(&home)),
    ];

    let mut epmd_command = Command::new("epmd");
    epmd_command.args(["-port", &epmd.port().to_string()]);
    sut::log_to(&mut epmd_command, &dir.join("epmd.log"))?;
    sut::pin_command(&mut epmd_command, pin);
    let mut epmd_child = epmd_command.spawn().context("starting epmd (from Debian package erlang-base)")?;
    if let Err(e) = wait_accepting(epmd, Duration::from_secs(10)).await {
        let _ = epmd_child.kill();
        let _ = epmd_child.wait();
        return Err(e.context("epmd did not start"));
    }

    let enable_log = dir.join("rabbitmq-plugins.log");
    let mut enable = Command::new(&plugins);
    enable.args(["--offline", "enable", "rabbitmq_stomp"]).envs(env.iter().map(|(k, v)| (k, v)));
    sut::log_to(&mut enable, &enable_log)?;
    // It boots an Erlang VM for a second or two: off the runtime's threads.
    let status = tokio::task::spawn_blocking(move || enable.status())
        .await
        .context("waiting for rabbitmq-plugins")?
        .with_context(|| format!("running {}", plugins.display()));
    if !matches!(&status, Ok(s) if s.success()) {
        let _ = epmd_child.kill();
        let _ = epmd_child.wait();
        bail!(
            "enabling rabbitmq_stomp failed ({status:?}): {}",
            std::fs::read_to_string(&enable_log).unwrap_or_default().trim()
        );
    }

    let mut command = Command::new(server);
    command.envs(env.iter().map(|(k, v)| (k, v)));
    let log = dir.join("rabbitmq-server.log");
    Ok(Launch {
        name: "rabbitmq".into(),
        command,
        listeners: Listeners { stomp: Some(stomp), ..Listeners::default() },
        admin: None,
        ready: Readiness::Accepts(stomp),
        ready_timeout: READY_TIMEOUT,
        checks: vec![LogCheck { path: log_dir.join(format!("{node}.log")), markers: &["[warning]", "[error]"] }],
        log,
        helpers: vec![epmd_child],
        scratch: Some(data),
    })
}

fn config_text(stomp: std::net::SocketAddr) -> String {
    format!(
        "# Written by usphub-bench compare: a private node serving STOMP only.\n\
         listeners.tcp = none\n\
         stomp.listeners.tcp.1 = {stomp}\n\
         # Clients log in without credentials, as with usphub's anonymous default.\n\
         stomp.default_user = guest\n\
         stomp.default_pass = guest\n\
         loopback_users = none\n\
         log.console = false\n\
         log.file.level = warning\n"
    )
}

fn path(p: &Path) -> String {
    PathBuf::from(p).display().to_string()
}

async fn wait_accepting(addr: std::net::SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("nothing accepts on {addr} after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
