#!/usr/bin/env bash
# Runs the independent-client test suite: the hub driven by the `websockets` library and by
# protobuf modules generated from proto/*.proto.
#
#   tests/python/run.sh [pytest args...]      e.g.  tests/python/run.sh -k hold -x
#
# USPHUB_BIN selects the hub binary (default: target/debug/usphub; build it with `cargo build`).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

venv="$here/.venv"
gen="$here/gen"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" >"$stamp"
fi

rm -rf "$gen"
mkdir -p "$gen"
"$venv/bin/python" -m grpc_tools.protoc -I proto --python_out="$gen" \
    proto/usp-record-1-4.proto proto/usp-msg-1-4.proto

export USPHUB_BIN="${USPHUB_BIN:-target/debug/usphub}"
if [[ ! -x "$USPHUB_BIN" ]]; then
    echo "run.sh: hub binary $USPHUB_BIN not found; run 'cargo build' first (or set USPHUB_BIN)" >&2
    exit 1
fi
USPHUB_BIN="$(cd "$(dirname "$USPHUB_BIN")" && pwd)/$(basename "$USPHUB_BIN")"

exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
