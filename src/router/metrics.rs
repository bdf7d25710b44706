//! The router's counters: plain atomics, read by the admin listener.
//!
//! Labels are MTP names and drop reasons only, never endpoint IDs, so the Prometheus series
//! count stays fixed however many devices connect. Per-endpoint figures are in
//! [`EndpointStats`], served as JSON.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::usp::Mtp;

/// Why a Record was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The Record could not be extracted or parsed.
    Malformed,
    /// Larger than the listener's maximum Record size.
    Oversize,
    /// `from_id` was not the sending connection's endpoint ID.
    ForgedFromId,
    /// The receiver's outbound queue was full.
    QueueFull,
    /// The receiver was offline and the hold refused the Record (byte cap, or hold disabled).
    HoldRefused,
    /// Pushed out of a full per-endpoint hold by a newer Record.
    HoldOverflow,
    /// Outlived the hold TTL.
    HoldExpired,
}

impl DropReason {
    pub const ALL: [DropReason; 7] = [
        Self::Malformed,
        Self::Oversize,
        Self::ForgedFromId,
        Self::QueueFull,
        Self::HoldRefused,
        Self::HoldOverflow,
        Self::HoldExpired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::Oversize => "oversize",
            Self::ForgedFromId => "forged_from_id",
            Self::QueueFull => "queue_full",
            Self::HoldRefused => "hold_refused",
            Self::HoldOverflow => "hold_overflow",
            Self::HoldExpired => "hold_expired",
        }
    }
}

/// Counters of one MTP.
#[derive(Debug, Default)]
pub struct MtpCounters {
    pub sessions: AtomicI64,
    pub sessions_total: AtomicU64,
    pub records_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub records_out: AtomicU64,
    pub bytes_out: AtomicU64,
}

/// Counters of the whole router.
#[derive(Debug, Default)]
pub struct RouterMetrics {
    per_mtp: [MtpCounters; Mtp::ALL.len()],
    drops: [AtomicU64; DropReason::ALL.len()],
    pub held: AtomicU64,
    pub replaced: AtomicU64,
}

impl RouterMetrics {
    pub fn mtp(&self, mtp: Mtp) -> &MtpCounters {
        &self.per_mtp[mtp.index()]
    }

    pub fn drop(&self, reason: DropReason, n: u64) {
        self.drops[reason as usize].fetch_add(n, Relaxed);
    }

    pub fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize].load(Relaxed)
    }
}

/// Counters of one connected endpoint, shown by `/api/v1/endpoints`.
#[derive(Debug, Default)]
pub struct EndpointStats {
    pub records_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub records_out: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Records addressed to this endpoint that its full queue refused.
    pub dropped: AtomicU64,
}
