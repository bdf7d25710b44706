//! UDS: default and tiny length limits, whole and split input must agree, and re-encoding the
//! decoded frames must give back the bytes consumed. The oracles live in
//! `usphub::mtp::uds::codec::fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    usphub::mtp::uds::codec::fuzz_decode(data);
});
