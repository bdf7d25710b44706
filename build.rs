//! Compiles our own USP schemas in `proto/` with protox, so that no system `protoc` is needed.
//!
//! `bytes` fields (Record payloads, signatures) are generated as `bytes::Bytes`, so decoding a
//! Record from a `Bytes` buffer slices the payload instead of copying it.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/usp-record-1-4.proto", "proto/usp-msg-1-4.proto"];
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(protos, ["proto"])?;
    prost_build::Config::new()
        .bytes(["."])
        .compile_fds(fds)?;
    Ok(())
}
