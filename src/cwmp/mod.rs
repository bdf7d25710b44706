//! CWMP (TR-069) adapter foundation: the pure, I/O-free layer under the ACS front.
//!
//! usphub speaks to legacy CPE as a TR-069 ACS so that they can appear to USP Controllers as
//! ordinary USP Agents. Everything here is a pure function of its inputs (bytes in, typed values
//! out, and back), so the session machinery, the device registry and the USP translation can be
//! built and tested on top of it without sockets or clocks:
//!
//! - [`soap`]: the SOAP 1.1 envelope codec (parse what a CPE POSTs, generate what the ACS
//!   answers), tolerant of the prefixes, namespace versions and array styles real CPE stacks use;
//! - [`rpc`]: the typed RPC arguments shared by parsing and generation;
//! - [`fault`]: CWMP fault codes and the single CWMP → USP error-code mapping;
//! - [`digest`]: server-side HTTP Digest/Basic verification for CPE connecting to the ACS port.

pub mod acs;
pub mod connreq;
pub mod digest;
pub mod engine;
pub mod fault;
pub mod gateway;
pub mod registry;
pub mod rpc;
pub mod soap;
pub mod task;
pub mod translate;

#[cfg(test)]
mod tests;
