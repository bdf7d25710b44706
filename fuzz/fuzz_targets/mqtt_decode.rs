//! MQTT: every decoder state (fresh server, server past CONNECT on 3.1.1 and 5.0, client on
//! 3.1.1 and 5.0) over the input as a stream; each accepted packet must re-encode to the same
//! packet. The oracles live in `usphub::mtp::mqtt::codec::fuzz`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    usphub::mtp::mqtt::codec::fuzz_decode(data);
});
