#!/usr/bin/env bash
# Build the voter's browser client (crate psephos-web) to WebAssembly and run
# wasm-bindgen on it:
#
#   crates/psephos-web/www/pkg/psephos_web.js
#   crates/psephos-web/www/pkg/psephos_web_bg.wasm
#
# The bundle is COMMITTED (the board serves www/ so that `cargo run` alone works on a
# fresh machine) and must be reproducible: scripts/check-web-bundle.sh rebuilds it and
# compares bytes. Hence: one pinned toolchain by default (Debian's rustc-web, whose
# version is recorded in crates/psephos-web/www-toolchain.txt), one codegen unit, fat LTO,
# no debug info, and source paths remapped (--remap-path-prefix) so neither the checkout's
# location nor $CARGO_HOME ends up in the .wasm.
#
# Toolchain: the rustup toolchain with the wasm32-unknown-unknown target when
# rustup can fetch it, else Debian's rustc-web 1.96 with -Z build-std (see
# scripts/lib/wasm.sh). The wasm build uses its own target dir (target/wasm or
# target/wasm-debian) so it does not invalidate the native build cache.
#
# Environment: PSEPHOS_WASM_TOOLCHAIN=auto|rustup|debian (default debian: the committed
# bundle is built with it), PSEPHOS_WEB_OUT=DIR (default crates/psephos-web/www/pkg),
# PSEPHOS_WASM_TARGET_DIR (default target/web-bundle: kept apart from check-wasm.sh's
# cache because the flags differ).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/wasm.sh
. scripts/lib/wasm.sh

BINDGEN_VERSION=0.2.100 # must equal the `wasm-bindgen = "=..."` pin in crates/psephos-web/Cargo.toml
OUT_DIR="${PSEPHOS_WEB_OUT:-crates/psephos-web/www/pkg}"
export PSEPHOS_WASM_TOOLCHAIN="${PSEPHOS_WASM_TOOLCHAIN:-debian}"
export PSEPHOS_WASM_TARGET_DIR="${PSEPHOS_WASM_TARGET_DIR:-$PWD/target/web-bundle}"

# --- 1. cargo build --------------------------------------------------------
wasm_setup
wasm_bundle_env
start=$SECONDS
echo "+ ${WASM_CARGO[*]} -p psephos-web" >&2
"${WASM_CARGO[@]}" -p psephos-web
wasm="$CARGO_TARGET_DIR/$WASM_TARGET/release/psephos_web.wasm"
[ -f "$wasm" ] || { echo "build-web: $wasm was not produced" >&2; exit 1; }
echo "build-web: cargo build ($WASM_MODE toolchain) took $((SECONDS - start))s, $(stat -c %s "$wasm") bytes" >&2

# --- 2. wasm-bindgen CLI ------------------------------------------------------
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
find_bindgen() {
    local c
    for c in "$(command -v wasm-bindgen 2>/dev/null || true)" "$cargo_bin/wasm-bindgen"; do
        if [ -n "$c" ] && [ -x "$c" ] && [ "$("$c" --version 2>/dev/null)" = "wasm-bindgen $BINDGEN_VERSION" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}
if ! bindgen="$(find_bindgen)"; then
    echo "build-web: installing wasm-bindgen-cli $BINDGEN_VERSION" >&2
    start=$SECONDS
    if [ "$WASM_MODE" = rustup ]; then
        cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION" --locked
    else
        # Debian's cargo/rustc build the host tool; keep it out of the wasm target dir.
        env -u CARGO_TARGET_DIR RUSTC=/usr/bin/rustc /usr/bin/cargo install \
            --root "${CARGO_HOME:-$HOME/.cargo}" wasm-bindgen-cli --version "$BINDGEN_VERSION" --locked
    fi
    echo "build-web: wasm-bindgen-cli install took $((SECONDS - start))s" >&2
    bindgen="$(find_bindgen)" || { echo "build-web: wasm-bindgen $BINDGEN_VERSION still not found" >&2; exit 1; }
fi

# --- 3. wasm-bindgen ------------------------------------------------------------
mkdir -p "$OUT_DIR"
# Only the two served files: no .d.ts, no package.json (everything in pkg/ is hashed into
# the election record by the board).
echo "+ $bindgen --target web --no-typescript --out-dir $OUT_DIR --out-name psephos_web $wasm" >&2
"$bindgen" --target web --no-typescript --out-dir "$OUT_DIR" --out-name psephos_web "$wasm"
rm -f "$OUT_DIR/package.json" "$OUT_DIR/.gitignore"
if [ -z "${PSEPHOS_WEB_OUT:-}" ]; then
    # Record the toolchain of the committed bundle (check-web-bundle.sh compares it).
    if [ "$WASM_MODE" = debian ]; then rustc_cmd=/usr/bin/rustc; else rustc_cmd=rustc; fi
    { echo "rustc: $("$rustc_cmd" --version)"; echo "mode: $WASM_MODE"; echo "wasm-bindgen: $BINDGEN_VERSION"; } \
        >crates/psephos-web/www-toolchain.txt
fi
echo "build-web: wrote $OUT_DIR:" >&2
ls -l "$OUT_DIR" >&2
