# shellcheck shell=bash
# Shared helpers for building psephos crates for wasm32-unknown-unknown.
# Sourced by scripts/check-wasm.sh and scripts/build-web.sh; not run directly.
#
# Two toolchains are supported:
#   rustup  - the rustup toolchain on PATH, with `rustup target add wasm32-unknown-unknown`.
#   debian  - when rustup cannot fetch the wasm32 std (no access to the Rust dist
#             server), Debian's rustc-web/cargo-web 1.96 (/usr/bin/rustc, /usr/bin/cargo)
#             build std from source (rust-web-src) with `-Z build-std` and link
#             with Debian's wasm-ld from lld-19.
#
# Environment knobs:
#   PSEPHOS_WASM_TOOLCHAIN=auto|rustup|debian   (default auto: rustup, else debian)
#   PSEPHOS_WASM_TARGET_DIR=DIR                 (default target/wasm, target/wasm-debian)
#   PSEPHOS_WASM_LD=PATH                        (wasm linker for the debian toolchain,
#                                                default /usr/lib/llvm-19/bin/wasm-ld)

WASM_TARGET=wasm32-unknown-unknown
WASM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

wasm_log() { printf '[wasm] %s\n' "$*" >&2; }

# Run a command as root (directly if we are root, else through sudo if possible).
wasm_as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        wasm_log "need root to run: $*"
        return 1
    fi
}

# Install Debian packages that are missing (apt-get update first).
wasm_apt_install() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        wasm_log "missing packages ${missing[*]} and no apt-get to install them"
        return 1
    fi
    wasm_log "installing Debian packages: ${missing[*]}"
    wasm_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    wasm_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# True when the rustup toolchain on PATH has (or can get) the wasm32 std.
wasm_rustup_ready() {
    command -v rustup >/dev/null 2>&1 || return 1
    command -v cargo >/dev/null 2>&1 || return 1
    if rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
        return 0
    fi
    wasm_log "rustup target add $WASM_TARGET"
    if timeout 180 rustup target add "$WASM_TARGET" </dev/null; then
        rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"
    else
        wasm_log "rustup could not fetch $WASM_TARGET"
        return 1
    fi
}

# The wasm linker for Debian's rustc 1.96 (LLVM 22). Pinned to lld-19 (Debian
# bookworm package lld-19) rather than "whatever wasm-ld is newest", because
# the linker is part of what makes the committed web bundle reproducible.
# (bookworm's default lld, 14, also links our crates, but its output differs.)
WASM_DEBIAN_LD_PKG=lld-19
wasm_debian_linker() {
    echo "${PSEPHOS_WASM_LD:-/usr/lib/llvm-19/bin/wasm-ld}"
}

# Make sure Debian's rustc-web toolchain is installed.
wasm_debian_install() {
    wasm_apt_install rustc-web cargo-web rust-web-src "$WASM_DEBIAN_LD_PKG"
}

# Sets WASM_MODE, WASM_CARGO (array: the cargo command up to and including
# `build --release --target wasm32-unknown-unknown ...`) and exports CARGO_TARGET_DIR.
wasm_setup() {
    local want="${PSEPHOS_WASM_TOOLCHAIN:-auto}"
    case "$want" in
        auto | rustup)
            if wasm_rustup_ready; then
                WASM_MODE=rustup
            elif [ "$want" = rustup ]; then
                wasm_log "PSEPHOS_WASM_TOOLCHAIN=rustup but the rustup wasm32 target is unavailable"
                return 1
            else
                WASM_MODE=debian
            fi
            ;;
        debian) WASM_MODE=debian ;;
        *)
            wasm_log "unknown PSEPHOS_WASM_TOOLCHAIN=$want (auto|rustup|debian)"
            return 1
            ;;
    esac

    if [ "$WASM_MODE" = rustup ]; then
        export CARGO_TARGET_DIR="${PSEPHOS_WASM_TARGET_DIR:-$WASM_ROOT/target/wasm}"
        WASM_CARGO=(cargo build --release --target "$WASM_TARGET")
    else
        wasm_log "falling back to Debian's rustc-web toolchain with -Z build-std"
        wasm_debian_install
        local ld
        ld="$(wasm_debian_linker)"
        if [ ! -x "$ld" ]; then
            wasm_log "no wasm linker at $ld (apt-get install $WASM_DEBIAN_LD_PKG)"
            return 1
        fi
        export CARGO_TARGET_DIR="${PSEPHOS_WASM_TARGET_DIR:-$WASM_ROOT/target/wasm-debian}"
        # shellcheck disable=SC2034,SC2054 # used by the sourcing scripts; the comma is cargo syntax
        WASM_CARGO=(env -u RUSTUP_TOOLCHAIN -u CARGO
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$ld"
            RUSTC=/usr/bin/rustc
            RUSTDOC=/usr/bin/rustdoc
            RUSTC_BOOTSTRAP=1
            /usr/bin/cargo build --release --target "$WASM_TARGET"
            -Z build-std=std,panic_abort)
    fi
    wasm_log "toolchain: $WASM_MODE, target dir: $CARGO_TARGET_DIR"
}

# The flags of the committed web bundle (scripts/build-web.sh). Reproducibility: paths out,
# one codegen unit. Speed: fat LTO, opt-level 3. scripts/check-wasm.sh uses them too when
# PSEPHOS_WASM_LIKE_BUNDLE=1, so that scripts/test.sh compiles the wasm32 crates once for
# both checks.
wasm_bundle_env() {
    local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    export CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$WASM_ROOT=/psephos$(printf '\x1f')--remap-path-prefix=$cargo_home=/cargo$(printf '\x1f')-Cdebuginfo=0"
    export CARGO_PROFILE_RELEASE_LTO=fat
    export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=3
    export CARGO_PROFILE_RELEASE_PANIC=abort
    export CARGO_PROFILE_RELEASE_DEBUG=false
    export CARGO_INCREMENTAL=0
    export SOURCE_DATE_EPOCH=0
}
