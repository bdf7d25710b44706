//! Types generated at build time from our own `proto/usp-record-1-4.proto` and
//! `proto/usp-msg-1-4.proto` (see `build.rs`). `bytes` fields are `bytes::Bytes`.

#![allow(clippy::all, missing_docs)]

/// `package usp_record`: the Record envelope that every MTP carries.
pub mod record {
    include!(concat!(env!("OUT_DIR"), "/usp_record.rs"));
}

/// `package usp`: the Msg carried in a Record's payload.
pub mod msg {
    include!(concat!(env!("OUT_DIR"), "/usp.rs"));
}
