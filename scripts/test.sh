#!/usr/bin/env bash
# The psephos test command: formatting, lints, the whole native test suite (also on
# curve25519-dalek's serial backend), the wasm32 build, the reproducible web bundle, the
# fuzz targets and the browser end-to-end test. It ends with a summary of every step's
# time and result, and fails if it changed a tracked file.
#
#   ./scripts/test.sh
#
# What it installs when missing (it says so before it does; nothing else is installed):
#   - Debian packages, with apt-get (as root, else through sudo): rustc-web, cargo-web,
#     rust-web-src, lld-19 (the pinned toolchain of the web bundle, scripts/lib/wasm.sh)
#     and chromium (the browser test).
#   - cargo-fuzz 0.13.2 and wasm-bindgen-cli 0.2.100, with `cargo install` into
#     ~/.cargo/bin (once per machine).
#   - the npm packages of tests/browser/package-lock.json (playwright-core), with
#     `npm ci` into tests/browser/node_modules (gitignored).
# Build output goes to target/ (debug, web-bundle) and fuzz/target/.
#
# PostgreSQL: if it is installed, it is started when not answering on
# 127.0.0.1:5432, and PSEPHOS_TEST_DATABASE_URL is exported (unless already
# set) so the board's PostgreSQL tests run too.
#
# Environment: PSEPHOS_FUZZ_SECONDS (default 60 per fuzz target).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
section() {
    printf '\n%s==== %s ====%s\n' "$bold" "$*" "$plain"
}
t0=$SECONDS
timings=()
results=()
step_name=
step_start=0
begin() {
    section "$*"
    step_name="$*"
    step_start=$SECONDS
}
end() {
    timings+=("$(printf '%5ss  %s' "$((SECONDS - step_start))" "$step_name")")
    step_name=
}

logs="$(mktemp -d)"
test_log="$logs/cargo-test.log"
: >"$test_log"

# The summary is printed however the script ends, with the step that failed if one did.
summary() {
    local status=$?
    set +e
    section "summary"
    printf '%s\n' "${timings[@]}"
    [ -n "$step_name" ] && printf '%5ss  %s  <- FAILED\n' "$((SECONDS - step_start))" "$step_name"
    printf '%5ss  total\n' "$((SECONDS - t0))"
    # Every "test result:" line of the cargo test steps, summed.
    awk '/^test result: /{
            for (i = 1; i <= NF; i++) {
                if ($(i) ~ /^passed/)  p += $(i-1);
                if ($(i) ~ /^failed/)  f += $(i-1);
                if ($(i) ~ /^ignored/) s += $(i-1);
            }
         }
         END { printf "cargo tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$test_log"
    printf '%s\n' "${results[@]}"
    if [ "$status" -eq 0 ]; then echo "test.sh: OK"; else echo "test.sh: FAILED (exit $status)"; fi
    rm -rf "$logs"
    exit "$status"
}
trap summary EXIT

# The tree as it was, to check at the end that the tests changed no tracked file and left
# no untracked one (on a fresh clone: `git status --porcelain` is empty at the end).
have_git=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    have_git=1
    git status --porcelain >"$logs/status-before"
fi

# ---------------------------------------------------------------------------
begin "what this run installs"
installed_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
to_install=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in rustc-web cargo-web rust-web-src lld-19; do
        installed_deb "$p" || to_install+=("Debian package $p (apt-get; web bundle toolchain)")
    done
fi
[ -x /usr/bin/chromium ] || to_install+=("Debian package chromium (apt-get; browser test)")
cargo fuzz --version >/dev/null 2>&1 || to_install+=("cargo-fuzz 0.13.2 (cargo install; fuzz step)")
bindgen_ok=0
for c in "$(command -v wasm-bindgen 2>/dev/null || true)" "${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen"; do
    if [ -n "$c" ] && [ -x "$c" ] && [ "$("$c" --version 2>/dev/null)" = "wasm-bindgen 0.2.100" ]; then bindgen_ok=1; fi
done
[ "$bindgen_ok" = 1 ] || to_install+=("wasm-bindgen-cli 0.2.100 (cargo install; web bundle)")
[ -x "${SCHEMATHESIS_VENV:-$HOME/.cache/psephos/schemathesis-4.32.5}/bin/schemathesis" ] ||
    to_install+=("schemathesis 4.32.5 (pip, into a venv under ~/.cache/psephos; schemathesis step)")
[ -d tests/browser/node_modules/playwright-core ] ||
    to_install+=("npm packages of tests/browser/package-lock.json (npm ci into tests/browser/node_modules)")
if [ ${#to_install[@]} -eq 0 ]; then
    echo "nothing: every tool is already here"
else
    printf 'will install: %s\n' "${to_install[@]}"
fi
end

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

# On CI (a fresh clone, built once) incremental compilation only writes files nobody reads.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

# ---------------------------------------------------------------------------
begin "cargo fmt --all --check"
cargo fmt --all --check
end

# ---------------------------------------------------------------------------
# Clippy first: the build scripts and proc macros it compiles are the very ones `cargo test`
# needs next (same profile, Cargo.toml [profile.dev.package."*"]), so they are built once.
begin "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
end

# ---------------------------------------------------------------------------
begin "cargo test --workspace"
cargo test --workspace 2>&1 | tee -a "$test_log"
end

# ---------------------------------------------------------------------------
# The patched curve25519-dalek (vendor/README.md) decompresses points in batches with AVX-512
# IFMA where the CPU has it, else with interleaved serial arithmetic. `cargo test` above
# exercised whichever this CPU picks; this runs psephos-crypto's tests again on dalek's serial
# backend. A feature (not RUSTFLAGS) selects it, so only curve25519-dalek, psephos-crypto and
# the few crates whose features differ for psephos-crypto alone are compiled again, in the
# same target dir, without invalidating anything built above.
begin "psephos-crypto on dalek's serial backend"
cargo test -p psephos-crypto --lib --features dalek-serial-backend -- group::tests 2>&1 | tee -a "$test_log"
end

# ---------------------------------------------------------------------------
# With the web bundle's toolchain, flags and target dir, so the next step finds them compiled.
begin "wasm32 build (scripts/check-wasm.sh)"
PSEPHOS_WASM_LIKE_BUNDLE=1 "$ROOT/scripts/check-wasm.sh"
end

# ---------------------------------------------------------------------------
begin "web bundle is reproducible (scripts/check-web-bundle.sh)"
"$ROOT/scripts/check-web-bundle.sh" --reuse-cache
end

# ---------------------------------------------------------------------------
fuzz_secs="${PSEPHOS_FUZZ_SECONDS:-60}"
begin "fuzz targets, ${fuzz_secs}s each (scripts/fuzz.sh)"
"$ROOT/scripts/fuzz.sh" "$fuzz_secs" 2>&1 | tee "$logs/fuzz.log"
fuzz_lines="$(grep -c '^fuzz: .*no crash$' "$logs/fuzz.log" || true)"
fuzz_runs="$(sed -n 's/^fuzz: .*: \([0-9]*\) runs in .*/\1/p' "$logs/fuzz.log" | awk '{ s += $1 } END { print s + 0 }')"
results+=("fuzz: $fuzz_lines targets, $fuzz_runs runs, no crash")
end

# ---------------------------------------------------------------------------
# The browser test drives the `psephos` and `psephos-verify` that `cargo test` built above
# (target/debug) instead of building release binaries, a third full build of every crate.
if [ -f tests/browser/run.sh ]; then
    begin "browser test (tests/browser/run.sh)"
    PSEPHOS_BIN="$ROOT/target/debug/psephos" PSEPHOS_VERIFY_BIN="$ROOT/target/debug/psephos-verify" \
        bash tests/browser/run.sh 2>&1 | tee "$logs/browser.log"
    # node --test's spec reporter ends with "ℹ pass N", "ℹ fail N", ...
    b_pass="$(sed -n 's/^[^ ]* pass \([0-9][0-9]*\)$/\1/p' "$logs/browser.log" | tail -n1)"
    b_fail="$(sed -n 's/^[^ ]* fail \([0-9][0-9]*\)$/\1/p' "$logs/browser.log" | tail -n1)"
    b_skip="$(sed -n 's/^[^ ]* skipped \([0-9][0-9]*\)$/\1/p' "$logs/browser.log" | tail -n1)"
    results+=("browser tests: ${b_pass:-?} passed, ${b_fail:-?} failed, ${b_skip:-0} skipped")
    end
else
    section "browser test: tests/browser/run.sh not present, skipped"
    results+=("browser tests: not present, skipped")
fi

# ---------------------------------------------------------------------------
# schemathesis: requests generated from docs/openapi.json against a live board, bounded by a
# fixed seed and a time budget (scripts/schemathesis.sh says what it installs).
schemathesis_secs="${SCHEMATHESIS_MAX_TIME:-120}"
begin "schemathesis against a live board, ${schemathesis_secs}s (scripts/schemathesis.sh)"
SCHEMATHESIS_MAX_TIME="$schemathesis_secs" PSEPHOS_BIN="$ROOT/target/debug/psephos" \
    ./scripts/schemathesis.sh 2>&1 | tee "$logs/schemathesis.log"
results+=("schemathesis: $(grep -E -o '[0-9]+ generated' "$logs/schemathesis.log" | tail -n1 || echo '?') requests, no failure")
end

# ---------------------------------------------------------------------------
begin "the work tree is unchanged (git status --porcelain)"
if [ "$have_git" = 1 ]; then
    git status --porcelain >"$logs/status-after"
    if ! cmp -s "$logs/status-before" "$logs/status-after"; then
        echo "the tests changed the work tree (before / after):"
        diff "$logs/status-before" "$logs/status-after" | head -n 40
        exit 1
    fi
    echo "unchanged"
else
    echo "not a git work tree; not checked"
fi
end
