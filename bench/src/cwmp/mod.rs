//! A lean simulated TR-069 CPE for load: just enough CWMP to run the sessions a fleet of
//! devices runs all day (Inform, InformResponse, empty POST, 204), over a minimal HTTP/1.1
//! client, with none of a real CPE's data model.
//!
//! Written for cost and control, not completeness: one request at a time per connection
//! (CPE do not pipeline), `Content-Length` bodies only (what the hub's ACS sends), and the SOAP
//! built from a template rather than through the hub's own codec, so that the hub is tested
//! against an independent encoder. The hub's test CPE (`tests/support/cpe.rs`) is the complete
//! one, for correctness.

pub mod cpe;
pub mod http;
pub mod soap;
