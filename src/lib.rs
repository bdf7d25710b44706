//! usphub: a USP (TR-369) message hub.
//!
//! A Record travels `mtp` (read a frame, know who sent it) → `router` (check the sender's
//! identity, find the receiver's route) → `mtp` (write the same bytes in the receiver's
//! framing). See README.md § Architecture.

pub mod admin;
pub mod auth;
pub mod config;
pub mod cwmp;
pub mod hub;
pub mod limits;
pub mod mtp;
pub mod net;
pub mod router;
pub mod telemetry;
pub mod tls;
pub mod usp;
