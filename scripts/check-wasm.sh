#!/usr/bin/env bash
# Check that the crates shared with the browser client (psephos-crypto,
# psephos-record) and the client itself (psephos-web) compile and link for
# wasm32-unknown-unknown (release, no wasm-bindgen step; for the JS bundle
# use scripts/build-web.sh).
#
#   ./scripts/check-wasm.sh            # psephos-crypto, psephos-record, psephos-web
#   ./scripts/check-wasm.sh -p foo     # extra cargo arguments replace the package list
#
# See scripts/lib/wasm.sh for the toolchain selection (rustup, else Debian's rustc-web).
#
# PSEPHOS_WASM_LIKE_BUNDLE=1 builds with the web bundle's toolchain, flags and target dir
# (Debian's rustc-web, target/web-bundle; scripts/build-web.sh), so that a following
# `scripts/check-web-bundle.sh --reuse-cache` finds the crates compiled (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/wasm.sh
. scripts/lib/wasm.sh

if [ $# -gt 0 ]; then
    pkgs=("$@")
else
    pkgs=(-p psephos-crypto -p psephos-record -p psephos-web)
fi

if [ "${PSEPHOS_WASM_LIKE_BUNDLE:-}" = 1 ]; then
    export PSEPHOS_WASM_TOOLCHAIN="${PSEPHOS_WASM_TOOLCHAIN:-debian}"
    export PSEPHOS_WASM_TARGET_DIR="${PSEPHOS_WASM_TARGET_DIR:-$WASM_ROOT/target/web-bundle}"
    wasm_bundle_env
fi
wasm_setup
start=$SECONDS
echo "+ ${WASM_CARGO[*]} ${pkgs[*]}" >&2
"${WASM_CARGO[@]}" "${pkgs[@]}"
echo "check-wasm: ${pkgs[*]} build for $WASM_TARGET ($WASM_MODE toolchain) OK in $((SECONDS - start))s" >&2
