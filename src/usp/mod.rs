//! USP (TR-369) data as the hub sees it.
//!
//! The hub is a relay: it reads only what routing needs (the header fast path in [`header`]) and
//! forwards the Record bytes untouched, because re-encoding would break `mac_signature`
//! integrity (TR-369 §E2E) and cost a copy. The full generated types in [`proto`] are for the
//! places that really speak USP: tests, the CWMP adapter, and the load generator.

pub mod endpoint_id;
pub mod header;
pub mod mtp;
pub mod proto;

pub use endpoint_id::{EndpointId, EndpointIdError};
pub use header::{HeaderError, RecordHeader, RecordKind};
pub use mtp::Mtp;
