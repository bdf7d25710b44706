//! The measurement window every timed scenario shares: wait for the window to open, read the
//! generator's and the system's CPU, wait for it to close, read them again (and the system's
//! memory). Turned into per-record figures once the scenario knows how many records the
//! window saw.

use std::time::{Duration, Instant};

use tokio::time::sleep_until;

use crate::report::{CpuUse, SutUse};
use crate::stats::Clock;
use crate::sut::SutProbe;
use crate::sys::{self, Memory};

/// What the window measured.
pub struct Window {
    pub wall: Duration,
    gen_cpu: Duration,
    /// The system, its CPU over the window and its memory at the end.
    sut: Option<(SutProbe, Duration, Memory)>,
}

impl Window {
    /// Sleeps through `clock`'s measurement window, sampling at both ends.
    pub async fn measure(clock: Clock, sut: Option<&SutProbe>) -> anyhow::Result<Self> {
        sleep_until(clock.measure_start.into()).await;
        let start = Instant::now();
        let gen_start = sys::own_cpu_time()?;
        let sut_start = sut.map(SutProbe::cpu_time).transpose()?;
        sleep_until(clock.measure_end.into()).await;
        let wall = start.elapsed();
        let gen_cpu = sys::own_cpu_time()?.saturating_sub(gen_start);
        let sut = match (sut, sut_start) {
            (Some(p), Some(start)) => Some((*p, p.cpu_time()?.saturating_sub(start), p.memory()?)),
            _ => None,
        };
        Ok(Self { wall, gen_cpu, sut })
    }

    /// The generator's CPU over the window, per record.
    pub fn generator(&self, records: u64) -> CpuUse {
        CpuUse::new(self.gen_cpu, self.wall, records, sys::allowed_cpus().map_or(0, |c| c.len()))
    }

    /// The system's CPU over the window, per record, and its memory at the end.
    pub fn sut(&self, records: u64) -> Option<SutUse> {
        self.sut.map(|(probe, cpu, memory)| SutUse {
            pid: probe.pid,
            cpu: CpuUse::new(cpu, self.wall, records, probe.cores),
            rss_kib: memory.rss_kib,
            peak_rss_kib: memory.peak_rss_kib,
            dropped: None,
        })
    }
}
