#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time (default 60 s) starting from the committed
# corpus (fuzz/corpus/<target>), which it only reads: the inputs libFuzzer finds go to a
# temporary directory, removed at the end, so the work tree is unchanged afterwards. Crashes
# are written to fuzz/artifacts/<target>/ (gitignored) and fail the script.
#
#   scripts/fuzz.sh [seconds-per-target]          # e.g. scripts/fuzz.sh 60
#   scripts/fuzz.sh [seconds-per-target] --grow   # add the new inputs to fuzz/corpus (to commit)
#
# Installs cargo-fuzz 0.13.2 with `cargo install` (into ~/.cargo/bin) if it is missing.
# Prints one line per target: "fuzz: <target>: <runs> runs in <s>s, no crash".
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
grow=0
[ "${2:-}" = --grow ] && grow=1
targets=(ballot_decoder log_entry_decoder record_loader)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz 0.13.2 (cargo install, into ${CARGO_HOME:-$HOME/.cargo}/bin; once per machine)"
    cargo install cargo-fuzz --locked --version 0.13.2
fi
# cargo-fuzz passes -Z flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

# One build for the three targets (they share every dependency), timed apart from fuzzing.
start=$SECONDS
echo "== cargo fuzz build --sanitizer none (${targets[*]})"
cargo fuzz build --sanitizer none
echo "== fuzz targets built in $((SECONDS - start))s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in "${targets[@]}"; do
    if [ "$grow" = 1 ]; then
        mkdir -p "fuzz/corpus/$target"
        corpora=("fuzz/corpus/$target")
    else
        # libFuzzer writes new inputs to the FIRST corpus directory and only reads the others.
        mkdir -p "$work/$target"
        corpora=("$work/$target")
        [ -d "fuzz/corpus/$target" ] && corpora+=("fuzz/corpus/$target")
    fi
    echo "== fuzzing $target for ${secs}s"
    log="$work/$target.log"
    status=0
    cargo fuzz run --sanitizer none "$target" "${corpora[@]}" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    tail -n 12 "$log"
    runs="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n1)"
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target: FAILED (exit $status) after ${runs:-?} runs; see fuzz/artifacts/$target/"
        exit 1
    fi
    echo "fuzz: $target: ${runs:-?} runs in ${secs}s, no crash"
done
