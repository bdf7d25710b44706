//! The connection ramp every scenario opens its endpoints with: a bounded number of
//! handshakes in flight, optionally no more than a given number of new connections per second,
//! each handshake timed.
//!
//! Two forms: [`connect_all`] for traffic scenarios, where one endpoint that cannot connect
//! spoils the run (it fails at once), and [`connect_each`] for the connection scenarios, where
//! failures are a result to count, not a reason to stop.

use std::{
    collections::BTreeMap,
    sync::atomic::Ordering::Relaxed,
    time::{Duration, Instant},
};

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt, stream};
use hdrhistogram::Histogram;

use crate::stats::{Live, new_histogram};
use crate::transport::{Connector, Endpoint, LinkError};

/// How fast connections are opened.
#[derive(Debug, Clone, Copy)]
pub struct Ramp {
    /// New connections per second at most; `None`: as fast as `concurrency` allows.
    pub rate: Option<f64>,
    /// Handshakes in flight at once.
    pub concurrency: usize,
}

impl Default for Ramp {
    fn default() -> Self {
        Self { rate: None, concurrency: 64 }
    }
}

impl Ramp {
    /// When connection `index` of a ramp that began at `start` may begin.
    pub fn slot(&self, start: Instant, index: usize) -> Instant {
        self.rate.map_or(start, |rate| start + Duration::from_secs_f64(index as f64 / rate))
    }
}

/// Opens one link per endpoint; fails on the first endpoint that cannot connect.
pub async fn connect_all<C: Connector>(
    connector: &C,
    endpoints: impl Iterator<Item = Endpoint>,
    live: &Live,
    ramp: Ramp,
) -> anyhow::Result<Vec<(Endpoint, C::Link)>> {
    let start = Instant::now();
    stream::iter(endpoints.enumerate())
        .map(|(i, endpoint)| async move {
            tokio::time::sleep_until(ramp.slot(start, i).into()).await;
            let link = connector.connect(&endpoint).await.with_context(|| format!("connecting {}", endpoint.eid))?;
            live.connections.fetch_add(1, Relaxed);
            anyhow::Ok((endpoint, link))
        })
        .buffer_unordered(ramp.concurrency.max(1))
        .try_collect()
        .await
}

/// What [`connect_each`] got.
pub struct Connected<L> {
    pub links: Vec<(Endpoint, L)>,
    pub failed: Failures,
    /// Handshake times of the links that connected, nanoseconds.
    pub latency: Histogram<u64>,
    /// From the first connect to the last answer.
    pub elapsed: Duration,
}

/// Opens one link per endpoint, each attempted once; failures are kept, not fatal. Connected
/// links are counted in `live.connections`.
pub async fn connect_each<C: Connector>(
    connector: &C,
    endpoints: impl Iterator<Item = Endpoint>,
    live: &Live,
    ramp: Ramp,
) -> Connected<C::Link> {
    let start = Instant::now();
    let results: Vec<_> = stream::iter(endpoints.enumerate())
        .map(|(i, endpoint)| async move {
            tokio::time::sleep_until(ramp.slot(start, i).into()).await;
            let began = Instant::now();
            let result = connector.connect(&endpoint).await;
            if result.is_ok() {
                live.connections.fetch_add(1, Relaxed);
            }
            (endpoint, result, began.elapsed())
        })
        .buffer_unordered(ramp.concurrency.max(1))
        .collect()
        .await;
    let elapsed = start.elapsed();
    let mut latency = new_histogram();
    let (mut links, mut failed) = (Vec::new(), Failures::default());
    for (endpoint, result, took) in results {
        match result {
            Ok(link) => {
                latency.saturating_record(took.as_nanos().max(1) as u64);
                links.push((endpoint, link));
            }
            Err(e) => failed.add(&e),
        }
    }
    Connected { links, failed, latency, elapsed }
}

/// Connects that failed, by kind, and the first one's story.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Failures {
    pub total: u64,
    pub by_kind: BTreeMap<&'static str, u64>,
    pub first: Option<String>,
}

impl Failures {
    pub fn add(&mut self, error: &LinkError) {
        self.total += 1;
        *self.by_kind.entry(kind_of(error)).or_default() += 1;
        if self.first.is_none() {
            self.first = Some(error.to_string());
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Failures) {
        self.total += other.total;
        for (kind, n) in &other.by_kind {
            *self.by_kind.entry(kind).or_default() += n;
        }
        if self.first.is_none() {
            self.first.clone_from(&other.first);
        }
    }

    /// `refused (TCP) 3, rate limited 10`, or `none`.
    pub fn breakdown(&self) -> String {
        if self.by_kind.is_empty() {
            return "none".into();
        }
        self.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
    }
}

/// What kind of failure a connect was, in a few words.
pub fn kind_of(error: &LinkError) -> &'static str {
    use crate::transport::mqtt::codec::MqttError;
    use std::io::ErrorKind as Io;
    match error {
        LinkError::Connect { error, .. } if error.raw_os_error() == Some(libc::EMFILE) => "out of descriptors",
        LinkError::Connect { error, .. } => match error.kind() {
            Io::ConnectionRefused => "refused (TCP)",
            Io::AddrNotAvailable | Io::AddrInUse => "no free port",
            Io::TimedOut => "TCP timeout",
            Io::ConnectionReset => "reset",
            _ => "connect error",
        },
        LinkError::Mqtt(MqttError::Refused { code: 0x9F | 0x03, .. }) => "rate limited (CONNACK)",
        LinkError::Mqtt(MqttError::Refused { .. }) => "refused (CONNACK)",
        LinkError::Refused { .. } => "refused (HTTP)",
        LinkError::Stomp(crate::transport::stomp::codec::StompError::ServerError { .. }) => "refused (STOMP ERROR)",
        LinkError::Timeout { .. } => "handshake timeout",
        LinkError::Closed => "closed during handshake",
        LinkError::Io(e) if e.kind() == Io::ConnectionReset => "reset",
        _ => "handshake error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_by_kind() {
        let mut failures = Failures::default();
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        failures.add(&LinkError::Connect { target: "t".into(), error: refused });
        failures.add(&LinkError::Closed);
        failures.add(&LinkError::Closed);
        assert_eq!(failures.total, 3);
        assert_eq!(failures.breakdown(), "closed during handshake 2, refused (TCP) 1");
        assert!(failures.first.unwrap().starts_with("connecting to t"));
    }

    #[test]
    fn slots_follow_the_rate() {
        let start = Instant::now();
        let free = Ramp::default();
        assert_eq!(free.slot(start, 1000), start);
        let paced = Ramp { rate: Some(100.0), concurrency: 8 };
        assert_eq!(paced.slot(start, 250), start + Duration::from_millis(2500));
    }
}
