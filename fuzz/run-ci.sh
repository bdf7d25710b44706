#!/usr/bin/env bash
# Bounded coverage-guided fuzzing of every decoder, for CI: installs cargo-fuzz if the `cargo
# fuzz` subcommand is missing, builds all targets once, runs each for FUZZ_SECONDS, and fails
# if any target finds a crash, a failed oracle (panic), a timeout or an out-of-memory.
# Works from any directory. Runs on the stable toolchain: RUSTC_BOOTSTRAP=1 lets stable rustc
# take the -Z flags cargo-fuzz passes for the sanitizer and coverage instrumentation.
#
# Environment (all optional):
#   FUZZ_SECONDS        seconds of fuzzing per target (default 20)
#   FUZZ_TARGETS        space-separated targets (default: every target, `cargo fuzz list`)
#   FUZZ_SANITIZER      address (default) or none (faster, finds panics only)
#   FUZZ_TIMEOUT        seconds one input may take before it counts as a hang (default 10)
#   CARGO_FUZZ_VERSION  cargo-fuzz version installed when missing (default 0.13.2)
set -euo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$FUZZ_DIR"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"
SANITIZER="${FUZZ_SANITIZER:-address}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
CARGO_FUZZ_VERSION="${CARGO_FUZZ_VERSION:-0.13.2}"
export RUSTC_BOOTSTRAP=1

now() { date +%s; }
start_all=$(now)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    t=$(now)
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
    echo "fuzz: cargo-fuzz installed in $(( $(now) - t )) s"
fi
echo "fuzz: $(cargo fuzz --version), $(rustc --version)"

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    listed=$(cargo fuzz list)
    mapfile -t targets <<<"$listed"
fi
(( ${#targets[@]} > 0 )) || { echo "fuzz: no targets" >&2; exit 1; }

t=$(now)
cargo fuzz build --sanitizer "$SANITIZER"
echo "fuzz: built ${#targets[@]} targets (sanitizer $SANITIZER) in $(( $(now) - t )) s"

logs="$FUZZ_DIR/target/ci-logs"
mkdir -p "$logs"
summary=()
failed=0
passed_count=0
failed_count=0
for target in "${targets[@]}"; do
    # New inputs go to a scratch corpus under target/ (git-ignored); the committed seeds in
    # corpus/<target>/ are read only, so a CI run never dirties the work tree.
    work="$FUZZ_DIR/target/ci-corpus/$target"
    mkdir -p "$work" "$FUZZ_DIR/corpus/$target"
    log="$logs/$target.log"
    echo "fuzz: running $target for ${SECONDS_PER_TARGET} s (log: $log)"
    t=$(now)
    rc=0
    cargo fuzz run --sanitizer "$SANITIZER" "$target" "$work" "$FUZZ_DIR/corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || rc=$?
    took=$(( $(now) - t ))

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    cov=$(grep -oE '^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+cov: [0-9]+' "$log" | tail -n1 | sed 's/.*cov: //')
    corpus=$(find "$work" -type f | wc -l)
    if (( rc == 0 )); then
        passed_count=$((passed_count + 1))
        line="fuzz: PASS $target: ${runs:-?} execs in ${took} s (${rate:-?} exec/s), cov ${cov:-?}, corpus ${corpus}"
    else
        failed=1
        failed_count=$((failed_count + 1))
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
        line="fuzz: FAIL $target (exit $rc) after ${took} s: ${artifact:-no artifact written}"
        echo "---- $target: failure report (full log: $log) ----"
        # The panic message and backtrace, or the sanitizer's / libFuzzer's report.
        awk '/panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|^error(\[|:)/ { p = 1 }
             p && n < 80 { print; n++ }' "$log"
        echo "---- last lines ----"
        grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)' "$log" | tail -n 20
        if [[ -n "$artifact" && -f "$artifact" ]]; then
            echo "---- input (hex, first 1024 bytes) ----"
            head -c 1024 "$artifact" | od -An -v -tx1 | tr -d ' \n'
            echo
            echo "reproduce: cd $FUZZ_DIR && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer $SANITIZER $target $artifact"
        fi
        echo "----"
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "fuzz summary (${SECONDS_PER_TARGET} s per target, total $(( $(now) - start_all )) s):"
printf '  %s\n' "${summary[@]}"
# Last, in the plain "N passed, N failed" form that CI reads.
echo "fuzz: ${passed_count} passed, ${failed_count} failed"
exit "$failed"
