//! `cwmp-inform` (in progress).

use std::{fmt, sync::Arc};

use serde::Serialize;

use super::{LoadSpec, Target};
use crate::report::Latency;
use crate::source::Sources;
use crate::sut::SutProbe;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Phase {
    pub sessions_per_s: f64,
    pub latency_ms: Latency,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Errors {
    pub total: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CwmpReport {
    pub periodic: Phase,
    pub errors: Errors,
}

pub async fn run(_: &LoadSpec, _: &Target, _: Arc<Sources>, _: Option<&SutProbe>) -> anyhow::Result<CwmpReport> {
    anyhow::bail!("cwmp-inform is not implemented yet")
}

impl fmt::Display for CwmpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cwmp-inform")
    }
}
