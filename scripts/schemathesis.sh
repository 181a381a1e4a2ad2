#!/usr/bin/env bash
# Runs schemathesis (property-based HTTP tests generated from docs/openapi.json) against a
# live board, bounded: a fixed seed and a time budget.
#
#   ./scripts/schemathesis.sh            # about 3 minutes
#   SCHEMATHESIS_MAX_TIME=60 ./scripts/schemathesis.sh
#
# What it installs: schemathesis (pinned below) and its Python dependencies, with pip, into
# a virtual environment in ~/.cache/psephos/schemathesis-<version> (override with
# SCHEMATHESIS_VENV); nothing in the source tree. It needs python3 with the venv module,
# and builds the `psephos` binary (cargo, target/debug).
#
# The board is a fresh election in a temporary directory (deleted afterwards), served on
# 127.0.0.1 on a free port, with the per-address rate limit off. Requests carry the admin
# token, so the admin routes are exercised past authentication; trustee routes answer 401.
# Checks: no server error (5xx), status codes, content types, headers and bodies as
# documented, and invalid data refused.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

VERSION=4.32.5
SEED="${SCHEMATHESIS_SEED:-20261201}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-180}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-200}"
VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/psephos/schemathesis-$VERSION}"

if [ ! -x "$VENV/bin/schemathesis" ]; then
    echo "Installing schemathesis $VERSION into $VENV (pip)"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

# PSEPHOS_BIN: a `psephos` already built (scripts/test.sh passes the one `cargo test` built).
if [ -n "${PSEPHOS_BIN:-}" ]; then
    PSEPHOS="$PSEPHOS_BIN"
else
    cargo build --quiet -p psephos-cli --bin psephos
    PSEPHOS="$ROOT/target/debug/psephos"
fi

WORK="$(mktemp -d)"
board_pid=""
cleanup() {
    if [ -n "$board_pid" ]; then
        kill "$board_pid" 2>/dev/null || true
        wait "$board_pid" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/election.toml" <<'TOML'
title = "schemathesis"
election_id = "schemathesis"
revote_policy = "last_counts"
trustees = 2
threshold = 2

[[questions]]
title = "Which?"
options = ["A", "B", "C"]
min_selections = 1
max_selections = 1
TOML

export PSEPHOS_BOARD_PASSPHRASE="schemathesis passphrase"
"$PSEPHOS" admin init --data "$WORK/board" --manifest "$WORK/election.toml" \
    --tokens-out "$WORK/tokens.txt" >/dev/null
admin_token="$(awk '$1 == "admin" { print $2 }' "$WORK/tokens.txt")"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PSEPHOS_RATE_LIMIT=off RUST_LOG="${RUST_LOG:-warn}" \
    "$PSEPHOS" serve --data "$WORK/board" --listen "127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
board_pid=$!
for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then
        break
    fi
    sleep 0.2
done

status=0
# From the temporary directory: whatever schemathesis leaves in its working directory
# (hypothesis' example database) goes with it.
(cd "$WORK" && "$VENV/bin/schemathesis" run "$ROOT/docs/openapi.json" \
    --url "http://127.0.0.1:$port" \
    --header "Authorization: Bearer $admin_token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
    --seed "$SEED" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --workers 2 \
    --request-timeout 30 \
    --suppress-health-check all \
    --no-color) || status=$?
if [ "$status" -ne 0 ]; then
    echo "schemathesis failed (exit $status); the board's log:"
    tail -n 50 "$WORK/serve.log"
fi
exit "$status"
