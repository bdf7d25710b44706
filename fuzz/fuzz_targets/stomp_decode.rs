//! STOMP: default and tiny limits, whole and split input must agree, and each decoded frame
//! must survive encode -> decode. The oracles live in `usphub::mtp::stomp::codec::fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    usphub::mtp::stomp::codec::fuzz_decode(data);
});
