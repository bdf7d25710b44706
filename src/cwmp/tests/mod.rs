//! Tests of the CWMP codec as a whole: real-world fixtures, generated messages validated by
//! xmllint against `cwmp-schemas/`, round trips, and malformed or random input.

mod fixtures;
mod malformed;
mod roundtrip;
mod samples;
mod session;
mod strategies;
mod xmllint;

/// A file of `tests/fixtures/cwmp/`, embedded at compile time so the tests do not depend on the
/// working directory.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/cwmp/", $name)).as_slice()
    };
}
pub(crate) use fixture;
