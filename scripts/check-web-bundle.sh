#!/usr/bin/env bash
# Check that the committed web bundle (crates/psephos-web/www/pkg) is exactly what the
# sources build: rebuild it into a temporary directory with scripts/build-web.sh and
# compare every file byte for byte (cmp). Fails if a file differs, is missing or is extra.
#
#   ./scripts/check-web-bundle.sh                # cold build in a fresh target dir (as CI)
#   ./scripts/check-web-bundle.sh --reuse-cache  # reuse target/web-bundle (quick, local)
#
# The bundle is built with the toolchain recorded in crates/psephos-web/www-toolchain.txt
# (Debian's rustc-web by default); another compiler gives other bytes, so the check says so
# first. To update the bundle after changing psephos-web, -record or -crypto:
# ./scripts/build-web.sh and commit crates/psephos-web/www/pkg and www-toolchain.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
committed=crates/psephos-web/www/pkg

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ "${1:-}" = --reuse-cache ]; then
    unset PSEPHOS_WASM_TARGET_DIR
else
    export PSEPHOS_WASM_TARGET_DIR="$tmp/target"
fi

export PSEPHOS_WASM_TOOLCHAIN="${PSEPHOS_WASM_TOOLCHAIN:-debian}"
if [ "$PSEPHOS_WASM_TOOLCHAIN" = debian ] && [ -x /usr/bin/rustc ]; then
    want="$(sed -n 's/^rustc: //p' crates/psephos-web/www-toolchain.txt)"
    have="$(/usr/bin/rustc --version)"
    if [ "$want" != "$have" ]; then
        echo "check-web-bundle: the committed bundle was built with '$want', this machine has '$have';" >&2
        echo "check-web-bundle: the bytes will differ for that reason alone." >&2
    fi
fi

start=$SECONDS
PSEPHOS_WEB_OUT="$tmp/pkg" ./scripts/build-web.sh
echo "check-web-bundle: rebuilt in $((SECONDS - start))s" >&2

status=0
for f in "$committed"/* "$tmp/pkg"/*; do
    name="$(basename "$f")"
    if [ ! -e "$committed/$name" ]; then
        echo "check-web-bundle: $name is built but not committed" >&2
        status=1
    elif [ ! -e "$tmp/pkg/$name" ]; then
        echo "check-web-bundle: $name is committed but not built" >&2
        status=1
    elif ! cmp "$committed/$name" "$tmp/pkg/$name"; then
        status=1
    fi
done
if [ $status -ne 0 ]; then
    echo "check-web-bundle: FAIL: crates/psephos-web/www/pkg is not what the sources build;" >&2
    echo "check-web-bundle: run ./scripts/build-web.sh and commit www/pkg" >&2
    exit 1
fi
echo "check-web-bundle: OK, www/pkg matches the sources byte for byte:" >&2
b3="$(command -v b3sum || true)"
for f in "$committed"/*; do
    if [ -n "$b3" ]; then "$b3" "$f"; else sha256sum "$f"; fi
done >&2
