//! One run's result, whichever scenario made it: the traffic scenarios' [`Report`], or the
//! connection and CWMP scenarios' own reports. `run` prints and saves it; `compare` lays the
//! same figures of two systems side by side through [`Outcome::figures`].

use std::{fmt, path::Path};

use serde::Serialize;

use crate::report::{Report, mib, write_json};
use crate::scenario::{cwmp_inform::CwmpReport, idle::IdleReport, storm::StormReport};

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    Traffic(Report),
    Idle(IdleReport),
    Storm(StormReport),
    Cwmp(CwmpReport),
}

/// One figure of a run, for comparison tables.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// Column header, with its unit.
    pub name: &'static str,
    pub value: f64,
    pub decimals: usize,
}

const fn figure(name: &'static str, value: f64, decimals: usize) -> Figure {
    Figure { name, value, decimals }
}

impl Outcome {
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        write_json(path, self)
    }

    pub fn traffic(&self) -> Option<&Report> {
        match self {
            Self::Traffic(r) => Some(r),
            _ => None,
        }
    }

    /// The figures a comparison shows, in table order. Connection scenarios only (traffic
    /// reports have their own, richer table).
    pub fn figures(&self) -> Vec<Figure> {
        match self {
            Self::Traffic(r) => vec![figure("records/s", r.records_per_s, 0), figure("p99 µs", r.latency_us.p99, 1)],
            Self::Idle(r) => {
                let s = r.sut.as_ref();
                vec![
                    figure("RSS B/conn", s.map_or(f64::NAN, |s| s.headline_bytes_per_connection()), 0),
                    figure("avg B/conn", s.map_or(f64::NAN, |s| s.bytes_per_connection), 0),
                    figure("connected", r.connected as f64, 0),
                    figure("failed", r.failed.total as f64, 0),
                    figure("conn/s", r.connects_per_s, 0),
                    figure("conn p50 µs", r.connect_latency_us.p50, 0),
                    figure("conn p99 µs", r.connect_latency_us.p99, 0),
                    figure("RSS MiB", s.map_or(f64::NAN, |s| mib(s.rss_held_kib)), 1),
                    figure("idle cpu %", s.map_or(f64::NAN, |s| s.hold_core_pct), 1),
                ]
            }
            Self::Storm(r) => vec![
                figure("reconn/s", r.reconnects_per_s, 0),
                figure("all back ms", r.all_back_ms_max, 0),
                figure("p50 ms", r.reconnect_latency_ms.p50, 1),
                figure("p99 ms", r.reconnect_latency_ms.p99, 1),
                figure("max ms", r.reconnect_latency_ms.max, 1),
                figure("failed", r.failed.total as f64, 0),
                figure("lost recs", r.lost_records as f64, 0),
            ],
            Self::Cwmp(r) => vec![
                figure("sessions/s", r.periodic.sessions_per_s, 0),
                figure("p99 ms", r.periodic.latency_ms.p99, 2),
                figure("errors", r.errors.total as f64, 0),
            ],
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Traffic(r) => r.fmt(f),
            Self::Idle(r) => r.fmt(f),
            Self::Storm(r) => r.fmt(f),
            Self::Cwmp(r) => r.fmt(f),
        }
    }
}
