//! What a run counts while it runs: shared counters for the live progress line and the error
//! breakdown, the measurement window, and latency samples headed for one histogram.
//!
//! Hot-path cost matters here, since every cycle the generator spends is a cycle the system
//! under test may not get on a shared machine: counters are relaxed atomics, and latencies are
//! buffered per connection and merged into the shared histogram a batch at a time.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;

/// Things that go wrong, counted by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A connection closed or failed before the run ended.
    Disconnected,
    /// No answer within `--timeout`.
    Timeout,
    /// A later request was answered first, so this one will never be (answers keep their
    /// order on one path).
    Lost,
    /// An answer to no outstanding request: stale, duplicated or of the wrong type.
    Unexpected,
    /// Bytes that are not a decodable USP Record and Msg.
    Malformed,
}

impl ErrorKind {
    pub const ALL: [Self; 5] = [Self::Disconnected, Self::Timeout, Self::Lost, Self::Unexpected, Self::Malformed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disconnected => "disconnected",
            Self::Timeout => "timeout",
            Self::Lost => "lost",
            Self::Unexpected => "unexpected",
            Self::Malformed => "malformed",
        }
    }
}

/// Counters shared by every task of a run.
#[derive(Debug, Default)]
pub struct Live {
    /// Answers matched to their request, whole run.
    pub round_trips: AtomicU64,
    /// Connections open now.
    pub connections: AtomicUsize,
    /// Open-loop sends skipped because the window was full: the target cannot keep the rate.
    pub late_sends: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
    first_error: OnceLock<String>,
}

impl Live {
    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind as usize].fetch_add(1, Relaxed);
    }

    /// Counts an error and keeps the first one's story for the report.
    pub fn error_with(&self, kind: ErrorKind, detail: impl std::fmt::Display) {
        self.error(kind);
        if self.first_error.get().is_none() {
            let _ = self.first_error.set(format!("{}: {detail}", kind.as_str()));
        }
    }

    /// The first error that came with a story, if any.
    pub fn first_error(&self) -> Option<String> {
        self.first_error.get().cloned()
    }

    pub fn errors_total(&self) -> u64 {
        self.errors.iter().map(|e| e.load(Relaxed)).sum()
    }

    /// Non-zero error counts by name.
    pub fn errors_by_kind(&self) -> BTreeMap<&'static str, u64> {
        ErrorKind::ALL
            .iter()
            .map(|&k| (k.as_str(), self.errors[k as usize].load(Relaxed)))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// When traffic started, and the window in which it is measured (after the warm-up).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Instant,
    pub measure_start: Instant,
    pub measure_end: Instant,
}

impl Clock {
    pub fn new(start: Instant, warmup: Duration, duration: Duration) -> Self {
        let measure_start = start + warmup;
        Self { start, measure_start, measure_end: measure_start + duration }
    }

    pub fn measures(&self, at: Instant) -> bool {
        at >= self.measure_start && at < self.measure_end
    }
}

/// Latencies up to this are recorded; longer ones saturate at it.
const LATENCY_MAX: Duration = Duration::from_secs(60);
/// Samples a connection buffers before taking the histogram's lock.
const BATCH: usize = 256;

/// An empty latency histogram: nanoseconds, 1 ns to [`LATENCY_MAX`], 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    // Bounds and precision are constants that hdrhistogram accepts.
    Histogram::new_with_bounds(1, LATENCY_MAX.as_nanos() as u64, 3).expect("valid histogram bounds")
}

/// The histogram every connection records into, in nanoseconds, 3 significant digits.
#[derive(Clone)]
pub struct SharedHistogram(Arc<Mutex<Histogram<u64>>>);

impl SharedHistogram {
    pub fn new() -> Self {
        Self(Arc::new(Mutex::new(new_histogram())))
    }

    pub fn recorder(&self) -> LatencyRecorder {
        LatencyRecorder { shared: self.clone(), batch: Vec::with_capacity(BATCH) }
    }

    /// A copy of what has been recorded so far.
    pub fn snapshot(&self) -> Histogram<u64> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// One connection's buffered latency samples; flushed when full and when dropped.
pub struct LatencyRecorder {
    shared: SharedHistogram,
    batch: Vec<u64>,
}

impl LatencyRecorder {
    pub fn record(&mut self, latency: Duration) {
        self.batch.push(latency.as_nanos().min(LATENCY_MAX.as_nanos()) as u64);
        if self.batch.len() == BATCH {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut histogram = self.shared.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for &ns in &self.batch {
            histogram.saturating_record(ns.max(1));
        }
        drop(histogram);
        self.batch.clear();
    }
}

impl Drop for LatencyRecorder {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorders_merge_into_one_histogram() {
        let shared = SharedHistogram::new();
        let mut a = shared.recorder();
        let mut b = shared.recorder();
        for us in 1..=1000 {
            a.record(Duration::from_micros(us));
        }
        b.record(Duration::from_secs(3600));
        drop((a, b));
        let h = shared.snapshot();
        assert_eq!(h.len(), 1001);
        assert!((h.value_at_quantile(0.5) as f64 / 1000.0 - 500.0).abs() < 2.0);
        assert_eq!(h.max(), h.highest_equivalent(LATENCY_MAX.as_nanos() as u64));
    }

    #[test]
    fn errors_are_counted_by_kind() {
        let live = Live::default();
        live.error(ErrorKind::Timeout);
        live.error(ErrorKind::Timeout);
        live.error(ErrorKind::Lost);
        assert_eq!(live.errors_total(), 3);
        assert_eq!(live.errors_by_kind(), BTreeMap::from([("lost", 1), ("timeout", 2)]));
    }
}
