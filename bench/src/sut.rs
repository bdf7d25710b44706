//! Systems under test as child processes: start on free ports, optionally pinned to a core,
//! wait until ready, watch their CPU and memory, stop them.
//!
//! `compare` starts every system itself so that each gets the same conditions (same machine,
//! same pinning, fresh process) and so that it can charge each one's CPU and memory from
//! `/proc`, which is what makes "records per second" comparable between a hub and a baseline.
//! CPU and memory are those of the whole process tree: RabbitMQ runs as a shell script around
//! an Erlang VM with helper processes. Helpers a system needs beside it (RabbitMQ's `epmd`)
//! are started, pinned and stopped with it.

use std::{
    fs::File,
    net::{SocketAddr, TcpListener},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::sys::{self, CpuSet, Memory};

/// How long a system may take to exit after SIGTERM (RabbitMQ takes seconds).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads one process's CPU time and memory.
#[derive(Debug, Clone, Copy)]
pub struct SutProbe {
    pub pid: u32,
    /// Cores it may run on.
    pub cores: usize,
}

impl SutProbe {
    /// A probe of a process this tool did not start (`run --sut-pid`).
    pub fn of(pid: u32) -> anyhow::Result<Self> {
        ensure!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "no process {pid} (--sut-pid)");
        let cores = sys::allowed_cpus_of(pid).map_or(0, |c| c.len());
        Ok(Self { pid, cores })
    }

    /// CPU time of the process and its descendants.
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        sys::tree_cpu_time(self.pid).with_context(|| format!("reading the CPU time of pid {}", self.pid))
    }

    /// Memory of the process and its descendants.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        sys::tree_memory(self.pid).with_context(|| format!("reading the memory of pid {}", self.pid))
    }
}

/// Where a system listens, per protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listeners {
    pub ws: Option<SocketAddr>,
    pub mqtt: Option<SocketAddr>,
    pub stomp: Option<SocketAddr>,
    /// The ACS (CWMP) listener.
    pub cwmp: Option<SocketAddr>,
    /// The forwarder's raw TCP listener.
    pub raw: Option<SocketAddr>,
}

/// A log to search for problems, and the markers of a problem line in it.
#[derive(Debug, Clone)]
pub struct LogCheck {
    pub path: PathBuf,
    pub markers: &'static [&'static str],
}

/// Everything needed to start one system.
pub struct Launch {
    pub name: String,
    pub command: Command,
    pub listeners: Listeners,
    /// Admin listener (`/metrics`), if it has one.
    pub admin: Option<SocketAddr>,
    pub ready: Readiness,
    /// How long it may take to become ready.
    pub ready_timeout: Duration,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// Logs searched for problems after the runs.
    pub checks: Vec<LogCheck>,
    /// Processes it needs beside it, already started; stopped after it.
    pub helpers: Vec<Child>,
    /// Removed once it has stopped (its scratch data; logs stay).
    pub scratch: Option<PathBuf>,
}

/// How to tell that a started system is ready.
#[derive(Debug, Clone, Copy)]
pub enum Readiness {
    /// `GET /healthz` on this address answers 200.
    Healthz(SocketAddr),
    /// The listener accepts TCP connections.
    Accepts(SocketAddr),
}

/// A started system under test. Dropping it kills its process tree and helpers.
pub struct Sut {
    pub name: String,
    /// Where the load goes.
    pub listeners: Listeners,
    /// Admin listener (`/metrics`), if it has one.
    pub admin: Option<SocketAddr>,
    pub log: PathBuf,
    pub checks: Vec<LogCheck>,
    cores: usize,
    child: Child,
    helpers: Vec<Child>,
    scratch: Option<PathBuf>,
}

/// Pins `command` to `pin` (when given) from before it runs; returns the cores it may use.
pub fn pin_command(command: &mut Command, pin: Option<usize>) -> usize {
    let Some(cpu) = pin else {
        return sys::allowed_cpus().map_or(0, |c| c.len());
    };
    let set = CpuSet::single(cpu);
    // SAFETY: the closure makes one system call and allocates nothing, as code between fork
    // and exec must.
    unsafe {
        command.pre_exec(move || set.apply_to_current_thread());
    }
    1
}

/// Sends stdout and stderr of `command` to `log`.
pub fn log_to(command: &mut Command, log: &Path) -> anyhow::Result<()> {
    let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    command.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
    Ok(())
}

impl Sut {
    /// Starts the system (stdout and stderr to its log), pinned to `pin` if given, and waits
    /// until it is ready.
    pub async fn start(launch: Launch, pin: Option<usize>) -> anyhow::Result<Self> {
        let Launch { name, mut command, listeners, admin, ready, ready_timeout, log, checks, helpers, scratch } =
            launch;
        log_to(&mut command, &log)?;
        let cores = pin_command(&mut command, pin);
        let child = command.spawn().with_context(|| format!("starting {name}: {command:?}"))?;
        let mut sut = Self { name, listeners, admin, log, checks, cores, child, helpers, scratch };
        sut.wait_ready(ready, ready_timeout).await?;
        Ok(sut)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn probe(&self) -> SutProbe {
        SutProbe { pid: self.pid(), cores: self.cores }
    }

    /// Fails if the process has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited ({status}); its output is in {}", self.name, self.log.display());
        }
        Ok(())
    }

    async fn wait_ready(&mut self, ready: Readiness, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.check_alive()?;
            let is_ready = match ready {
                Readiness::Healthz(admin) => http_get(admin, "/healthz").await.is_ok_and(|(status, _)| status == 200),
                Readiness::Accepts(addr) => TcpStream::connect(addr).await.is_ok(),
            };
            if is_ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("{} not ready after {timeout:?}; its output is in {}", self.name, self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Records the hub has dropped so far, summed over the router's reasons and the MQTT
    /// broker's drops, from its `/metrics`.
    pub async fn dropped_records(&self) -> Option<u64> {
        let (status, body) = http_get(self.admin?, "/metrics").await.ok()?;
        (status == 200).then(|| {
            body.lines()
                .filter(|l| {
                    l.starts_with("usphub_records_dropped_total{") || l.starts_with("usphub_mqtt_dropped_total ")
                })
                .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
                .sum()
        })
    }

    /// SIGTERM, then SIGKILL if it has not exited within [`STOP_TIMEOUT`]; then its helpers.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // SAFETY: kill has no memory-safety preconditions; the pid is our own unreaped child.
        unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        let mut exited = false;
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                exited = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Drop kills what is left (the tree if it did not exit, and the helpers).
        if exited { Ok(()) } else { bail!("{} did not exit within {STOP_TIMEOUT:?} of SIGTERM; killed it", self.name) }
    }
}

impl Drop for Sut {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // Its descendants first, while they can still be found through it: every one of
            // them was started by this system, that is by us.
            let tree = sys::process_tree(self.pid()).unwrap_or_default();
            for pid in tree.into_iter().skip(1) {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for helper in &mut self.helpers {
            let _ = helper.kill();
            let _ = helper.wait();
        }
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

/// Where a system's output goes: a fresh directory per `compare`, under the system temp dir.
pub fn log_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("usphub-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Counts the problem lines in a log (lines with any of `check.markers`), and returns the
/// first few.
pub fn log_problems(check: &LogCheck) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(&check.path).unwrap_or_default();
    let problems: Vec<&str> = text.lines().filter(|l| check.markers.iter().any(|m| l.contains(m))).collect();
    (problems.len(), problems.iter().take(5).map(|l| l.to_string()).collect())
}

/// A minimal HTTP/1.1 GET, enough for `/healthz` and `/metrics`: status and body.
async fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let text = String::from_utf8_lossy(&response);
        let status = text
            .split_ascii_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no HTTP status line"))?;
        let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_owned());
        Ok((status, body))
    };
    tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}
