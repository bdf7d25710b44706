//! WebSocket framing: client frames under a 1 MiB and a 64-byte message limit; whole and split
//! input must agree, decoded items must obey the rules the decoder enforces, and re-encoding
//! them as masked single frames must decode to the same items. The oracles live in
//! `usphub::mtp::ws::codec::fuzz_decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    usphub::mtp::ws::codec::fuzz_decode(data);
});
