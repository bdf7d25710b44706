#!/usr/bin/env bash
# Runs every test of usphub: Rust unit, integration and property tests, then the
# independent-client suite (Python websockets + protobuf modules generated from proto/).
# Needs only the Rust toolchain and Python 3.11; the Python venv is created on first run.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --workspace --all-targets
cargo test --workspace
USPHUB_BIN="$PWD/target/debug/usphub" bash tests/python/run.sh
