//! Systems under test as child processes: start on free ports, optionally pinned to a core,
//! wait until ready, watch their CPU and memory, stop them.
//!
//! `compare` starts every system itself so that each gets the same conditions (same machine,
//! same pinning, fresh process) and so that it can charge each one's CPU and memory from
//! `/proc`, which is what makes "records per second" comparable between a hub and a baseline.

use std::{
    fs::File,
    net::{SocketAddr, TcpListener},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::sys::{self, CpuSet, Memory};

/// How long a system may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a system may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads one process's CPU time and memory.
#[derive(Debug, Clone, Copy)]
pub struct SutProbe {
    pub pid: u32,
    /// Cores it may run on.
    pub cores: usize,
}

impl SutProbe {
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        sys::process_cpu_time(self.pid).with_context(|| format!("reading the CPU time of pid {}", self.pid))
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        sys::process_memory(self.pid).with_context(|| format!("reading the memory of pid {}", self.pid))
    }
}

/// How to tell that a started system is ready.
#[derive(Debug, Clone, Copy)]
pub enum Readiness {
    /// `GET /healthz` on this address answers 200.
    Healthz(SocketAddr),
    /// The listener accepts TCP connections.
    Accepts(SocketAddr),
}

/// A started system under test. Dropping it kills the process.
pub struct Sut {
    pub name: String,
    /// Where the load goes.
    pub addr: SocketAddr,
    /// Admin listener (`/metrics`), if it has one.
    pub admin: Option<SocketAddr>,
    pub log: PathBuf,
    cores: usize,
    child: Child,
}

impl Sut {
    /// Starts `command` (stdout and stderr to `log`), pinned to `pin` if given, and waits until
    /// `ready`.
    pub async fn start(
        name: &str,
        mut command: Command,
        addr: SocketAddr,
        admin: Option<SocketAddr>,
        ready: Readiness,
        pin: Option<usize>,
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        command.stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
        let mut cores = sys::allowed_cpus().map_or(0, |c| c.len());
        if let Some(cpu) = pin {
            let set = CpuSet::single(cpu);
            // SAFETY: the closure makes one system call and allocates nothing, as code between
            // fork and exec must.
            unsafe {
                command.pre_exec(move || set.apply_to_current_thread());
            }
            cores = 1;
        }
        let child = command.spawn().with_context(|| format!("starting {name}: {command:?}"))?;
        let mut sut = Self { name: name.to_owned(), addr, admin, log, cores, child };
        sut.wait_ready(ready).await?;
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

    async fn wait_ready(&mut self, ready: Readiness) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
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
                bail!("{} not ready after {READY_TIMEOUT:?}; its output is in {}", self.name, self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Records the hub has dropped so far, summed over reasons, from its `/metrics`.
    pub async fn dropped_records(&self) -> Option<u64> {
        let (status, body) = http_get(self.admin?, "/metrics").await.ok()?;
        (status == 200).then(|| {
            body.lines()
                .filter(|l| l.starts_with("usphub_records_dropped_total{"))
                .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
                .sum()
        })
    }

    /// SIGTERM, then SIGKILL if it has not exited within [`STOP_TIMEOUT`].
    pub async fn stop(mut self) -> anyhow::Result<()> {
        // SAFETY: kill has no memory-safety preconditions; the pid is our own unreaped child.
        unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("{} did not exit within {STOP_TIMEOUT:?} of SIGTERM; killed it", self.name)
    }
}

impl Drop for Sut {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
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

/// Counts WARN and ERROR lines in a system's log, and returns the first few.
pub fn log_problems(log: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let problems: Vec<&str> = text.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
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
