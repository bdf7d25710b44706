//! The operating-system facts a benchmark needs and tokio does not give: CPU time spent (ours
//! and the system under test's), resident memory, and CPU pinning.
//!
//! A throughput figure is only comparable when we also know who burnt the CPU for it, so every
//! run samples the generator's own CPU time (getrusage) and, when it started the system under
//! test itself, that process's `/proc/<pid>/stat` and `/proc/<pid>/status`.

use std::{fs, io, time::Duration};

/// CPU time (user + system) of this whole process, every thread included.
pub fn own_cpu_time() -> io::Result<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete `rusage` into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: rc == 0, so the kernel filled it.
    let usage = unsafe { usage.assume_init() };
    Ok(timeval(usage.ru_utime) + timeval(usage.ru_stime))
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

/// CPU time (user + system, all threads) of process `pid`, from `/proc/<pid>/stat`.
/// Resolution is one clock tick (usually 10 ms), plenty over a run of seconds.
pub fn process_cpu_time(pid: u32) -> io::Result<Duration> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).ok_or_else(|| bad_proc("stat"))?;
    // After the name: state is field 3, utime field 14, stime field 15.
    let mut fields = after_comm.split_ascii_whitespace().skip(11);
    let mut tick_field =
        || -> io::Result<u64> { fields.next().and_then(|f| f.parse().ok()).ok_or_else(|| bad_proc("stat")) };
    let ticks = tick_field()? + tick_field()?;
    Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second()))
}

/// `pid` and every process descended from it, from the parent ids in `/proc/*/stat`. A broker
/// may be a shell script around its real process (RabbitMQ: `sh` → `beam.smp` → helpers), and
/// what it costs is the whole tree's.
pub fn process_tree(pid: u32) -> io::Result<Vec<u32>> {
    let mut parent_of = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        // Processes come and go while we look: skip the ones already gone.
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        if let Some(ppid) = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_ascii_whitespace().nth(1)) {
            if let Ok(ppid) = ppid.parse::<u32>() {
                parent_of.push((child, ppid));
            }
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parent_of.iter().filter(|&&(_, p)| p == parent).map(|&(c, _)| c));
        i += 1;
    }
    Ok(tree)
}

/// CPU time of `pid` and its descendants; a descendant that exits meanwhile is left out.
pub fn tree_cpu_time(pid: u32) -> io::Result<Duration> {
    let mut total = process_cpu_time(pid)?;
    for child in process_tree(pid)?.into_iter().skip(1) {
        total += process_cpu_time(child).unwrap_or_default();
    }
    Ok(total)
}

/// Memory of `pid` and its descendants, summed (the peak is the sum of each one's peak).
pub fn tree_memory(pid: u32) -> io::Result<Memory> {
    let mut total = process_memory(pid)?;
    for child in process_tree(pid)?.into_iter().skip(1) {
        let m = process_memory(child).unwrap_or_default();
        total.rss_kib += m.rss_kib;
        total.peak_rss_kib += m.peak_rss_kib;
    }
    Ok(total)
}

/// Memory of process `pid`, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    /// Resident set size now (VmRSS), KiB.
    pub rss_kib: u64,
    /// Peak resident set size (VmHWM), KiB.
    pub peak_rss_kib: u64,
}

pub fn process_memory(pid: u32) -> io::Result<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = |key: &str| -> io::Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| bad_proc("status"))
    };
    Ok(Memory { rss_kib: kib("VmRSS:")?, peak_rss_kib: kib("VmHWM:")? })
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

fn bad_proc(file: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("unexpected /proc/<pid>/{file} format"))
}

/// A set of CPUs for `sched_setaffinity`.
#[derive(Clone, Copy)]
pub struct CpuSet(libc::cpu_set_t);

impl CpuSet {
    pub fn single(cpu: usize) -> Self {
        // SAFETY: cpu_set_t is plain bits; all-zero is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: CPU_SET only writes a bit of the set, and ignores CPUs beyond its size.
        unsafe { libc::CPU_SET(cpu, &mut set) };
        Self(set)
    }

    /// Binds the calling thread to this set. Threads it creates afterwards inherit the mask,
    /// and so does a program it execs: call it before building the runtime, or in `pre_exec`.
    /// Only a system call: safe to use between fork and exec.
    pub fn apply_to_current_thread(&self) -> io::Result<()> {
        // SAFETY: pid 0 is the calling thread; the set is a valid cpu_set_t of the right size.
        let rc = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &self.0) };
        if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    }
}

/// The CPUs this process may run on (its affinity mask).
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    allowed_cpus_of(0)
}

/// The CPUs process `pid` may run on (0: this one).
pub fn allowed_cpus_of(pid: u32) -> io::Result<Vec<usize>> {
    // SAFETY: zeroed is a valid empty set; sched_getaffinity fills at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::sched_getaffinity(pid as libc::pid_t, size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CPU_ISSET only reads a bit of the set.
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

/// Raises this process's open-files soft limit to its hard limit; returns the limit now in
/// force. Every connection is a descriptor, so this is the generator's ceiling.
pub fn raise_nofile_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read and write one `rlimit` we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
    }
    Ok(limit.rlim_cur as u64)
}

/// The open-files (soft) limit of process `pid`, from `/proc/<pid>/limits`.
pub fn nofile_limit_of(pid: u32) -> io::Result<u64> {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits"))?;
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_ascii_whitespace().nth(3)?.parse().ok())
        .ok_or_else(|| bad_proc("limits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_process() {
        let pid = std::process::id();
        let burn: u64 = (0..2_000_000u64).fold(0, |a, b| a.wrapping_add(b * b));
        assert!(burn > 0);
        assert!(process_cpu_time(pid).is_ok());
        assert!(own_cpu_time().unwrap() > Duration::ZERO);
        let mem = process_memory(pid).unwrap();
        assert!(mem.rss_kib > 0 && mem.peak_rss_kib >= mem.rss_kib);
        assert!(!allowed_cpus().unwrap().is_empty());
        assert!(raise_nofile_limit().unwrap() >= 1024);
        assert_eq!(nofile_limit_of(pid).unwrap(), raise_nofile_limit().unwrap());
    }

    #[test]
    fn a_child_is_part_of_the_tree() {
        let mut child = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        let tree = process_tree(std::process::id()).unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(tree[0], std::process::id());
        assert!(tree.contains(&child.id()), "{tree:?}");
        assert!(tree_cpu_time(std::process::id()).is_ok());
        assert!(tree_memory(std::process::id()).unwrap().rss_kib > 0);
    }
}
