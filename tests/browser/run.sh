#!/usr/bin/env bash
# End-to-end test of the voter's pages in real headless Chromium (Debian's /usr/bin/chromium,
# driven by playwright-core): starts `psephos demo --keep-open`, then runs test.mjs with
# node's built-in test runner (`node --test`, which prints "pass N / fail N").
#
#   tests/browser/run.sh                 # builds psephos and psephos-verify (release) first
#   PSEPHOS_BIN=… PSEPHOS_VERIFY_BIN=… tests/browser/run.sh   # use given binaries
#
# Screenshots of every screen go to tests/browser/output/ (gitignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# --- binaries -----------------------------------------------------------------
if [ -z "${PSEPHOS_BIN:-}" ] || [ -z "${PSEPHOS_VERIFY_BIN:-}" ]; then
    echo "+ cargo build --release -p psephos-cli -p psephos-verify" >&2
    cargo build --release -p psephos-cli -p psephos-verify
fi
export PSEPHOS_BIN="$(realpath "${PSEPHOS_BIN:-$root/target/release/psephos}")"
export PSEPHOS_VERIFY_BIN="$(realpath "${PSEPHOS_VERIFY_BIN:-$root/target/release/psephos-verify}")"
for b in "$PSEPHOS_BIN" "$PSEPHOS_VERIFY_BIN"; do
    [ -x "$b" ] || { echo "browser test: $b not found" >&2; exit 1; }
done

# --- browser and driver -------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
    echo "browser test: installing Debian's chromium" >&2
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund)
fi

# --- the demo election, kept open ----------------------------------------------------
tmp="$(mktemp -d)"
demo_pid=
cleanup() {
    if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
    if [ -n "${KEEP_TMP:-}" ]; then echo "browser test: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
"$PSEPHOS_BIN" demo --voters 40 --votes 10,8,2 --keep-open --out "$tmp/demo" >"$tmp/demo.log" 2>&1 &
demo_pid=$!
url=
for _ in $(seq 1 600); do
    url="$(sed -n 's#^Voter page: \(http://[^ ]*\)/$#\1#p' "$tmp/demo.log" | head -n1)"
    [ -n "$url" ] && break
    if ! kill -0 "$demo_pid" 2>/dev/null; then
        echo "browser test: psephos demo exited early:" >&2
        cat "$tmp/demo.log" >&2
        exit 1
    fi
    sleep 0.5
done
[ -n "$url" ] || { echo "browser test: no 'Voter page:' line after 300s" >&2; cat "$tmp/demo.log" >&2; exit 1; }
token="$(sed -n 's/^Admin token: \(.*\)$/\1/p' "$tmp/demo.log" | head -n1)"
echo "browser test: demo board at $url" >&2

export PSEPHOS_URL="$url" PSEPHOS_TOKEN="$token" PSEPHOS_TMP="$tmp"
export PSEPHOS_CODES="$tmp/demo/voting-codes.csv"
mkdir -p "$here/output"
cd "$here"
node --test --test-reporter=spec test.mjs
