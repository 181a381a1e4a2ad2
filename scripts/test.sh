#!/usr/bin/env bash
# The psephos test command: formatting, lints, the whole native test suite,
# the wasm32 build of the browser-facing crates and (when present) the
# browser end-to-end test.
#
#   ./scripts/test.sh
#
# PostgreSQL: if it is installed, it is started when not answering on
# 127.0.0.1:5432, and PSEPHOS_TEST_DATABASE_URL is exported (unless already
# set) so the board's PostgreSQL tests run too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
section() {
    printf '\n%s==== %s ====%s\n' "$bold" "$*" "$plain"
}
t0=$SECONDS
timings=()
step_start=0
begin() {
    section "$*"
    step_name="$*"
    step_start=$SECONDS
}
end() {
    timings+=("$(printf '%5ss  %s' "$((SECONDS - step_start))" "$step_name")")
}

# ---------------------------------------------------------------------------
begin "PostgreSQL"
pg_url="postgres://postgres@127.0.0.1:5432/test"
if command -v pg_isready >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        echo "PostgreSQL not answering on 127.0.0.1:5432; starting it"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
        for _ in $(seq 1 30); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 1
        done
    fi
    if pg_isready -q -h 127.0.0.1 -p 5432; then
        if [ -z "${PSEPHOS_TEST_DATABASE_URL:-}" ]; then
            if ! command -v psql >/dev/null 2>&1 || psql "$pg_url" -Atqc 'select 1' >/dev/null 2>&1; then
                export PSEPHOS_TEST_DATABASE_URL="$pg_url"
            else
                echo "warning: PostgreSQL is up but $pg_url is not usable; PostgreSQL tests will be skipped"
            fi
        fi
    else
        echo "warning: PostgreSQL did not start; PostgreSQL tests will be skipped"
    fi
else
    echo "PostgreSQL is not installed; PostgreSQL tests will be skipped"
fi
echo "PSEPHOS_TEST_DATABASE_URL=${PSEPHOS_TEST_DATABASE_URL:-<unset>}"
end

# ---------------------------------------------------------------------------
begin "cargo fmt --all --check"
cargo fmt --all --check
end

# ---------------------------------------------------------------------------
begin "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
end

# ---------------------------------------------------------------------------
begin "cargo test --workspace"
test_log="$(mktemp)"
trap 'rm -f "$test_log"' EXIT
cargo test --workspace 2>&1 | tee "$test_log"
end

# ---------------------------------------------------------------------------
# The patched curve25519-dalek (vendor/README.md) decompresses points in batches with AVX-512
# IFMA where the CPU has it, else with interleaved serial arithmetic. `cargo test` above
# exercised whichever this CPU picks; this runs the same checks on the serial code.
begin "batched decompression on dalek's serial backend"
RUSTFLAGS='--cfg curve25519_dalek_backend="serial"' \
    cargo test -p psephos-crypto --lib --target-dir target/dalek-serial -- group::tests
end

# ---------------------------------------------------------------------------
begin "wasm32 build (scripts/check-wasm.sh)"
"$ROOT/scripts/check-wasm.sh"
end

# ---------------------------------------------------------------------------
begin "web bundle is reproducible (scripts/check-web-bundle.sh)"
"$ROOT/scripts/check-web-bundle.sh"
end

# ---------------------------------------------------------------------------
begin "fuzz targets, ${PSEPHOS_FUZZ_SECONDS:-60}s each (scripts/fuzz.sh)"
"$ROOT/scripts/fuzz.sh" "${PSEPHOS_FUZZ_SECONDS:-60}"
end

# ---------------------------------------------------------------------------
if [ -f tests/browser/run.sh ]; then
    begin "browser test (tests/browser/run.sh)"
    if [ -f tests/browser/package.json ] && [ ! -d tests/browser/node_modules ]; then
        (cd tests/browser && npm ci --no-audit --no-fund)
    fi
    bash tests/browser/run.sh
    end
else
    section "browser test: tests/browser/run.sh not present, skipped"
fi

# ---------------------------------------------------------------------------
section "summary"
printf '%s\n' "${timings[@]}"
printf '%5ss  total\n' "$((SECONDS - t0))"
# One closing line with the cargo test totals (every "test result:" line summed).
awk '/^test result: /{
        for (i = 1; i <= NF; i++) {
            if ($(i) ~ /^passed/)  p += $(i-1);
            if ($(i) ~ /^failed/)  f += $(i-1);
            if ($(i) ~ /^ignored/) s += $(i-1);
        }
     }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$test_log"
