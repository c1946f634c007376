#!/usr/bin/env bash
# Fetch blst's C sources from the pinned npm tarball, check its sha512, build libblst.a.
#   scripts/fetch-blst.sh OUTDIR         -> OUTDIR/include/blst.h, OUTDIR/lib/libblst.a
# BLST_TARBALL=path uses a local tarball instead of `npm pack` (tests use it to
# prove a corrupted tarball stops the build). Idempotent: does nothing when
# OUTDIR already holds a library built from the pinned tarball.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=blst.lock
. "$here/blst.lock"
out=${1:?usage: fetch-blst.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stamp="$out/.built-from"
if [ -z "${BLST_TARBALL:-}" ] && [ -f "$out/lib/libblst.a" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$BLST_SHA512" ]; then
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${BLST_TARBALL:-}" ]; then
    tgz=$BLST_TARBALL
else
    command -v npm >/dev/null || { echo "fetch-blst: npm is required to fetch $BLST_NPM_PACKAGE" >&2; exit 1; }
    echo "fetch-blst: npm pack $BLST_NPM_PACKAGE" >&2
    (cd "$work" && npm pack --silent "$BLST_NPM_PACKAGE" >/dev/null 2>"$work/npm.err") || {
        cat "$work/npm.err" >&2; echo "fetch-blst: npm pack $BLST_NPM_PACKAGE failed" >&2; exit 1; }
    tgz="$work/$BLST_NPM_FILE"
fi
got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
if [ "$got" != "$BLST_SHA512" ]; then
    echo "fetch-blst: INTEGRITY CHECK FAILED for $tgz" >&2
    echo "fetch-blst:   expected sha512-$BLST_SHA512" >&2
    echo "fetch-blst:   got      sha512-$got" >&2
    echo "fetch-blst: refusing to build blst from an unverified tarball" >&2
    exit 1
fi
tar -xzf "$tgz" -C "$work" package/blst
src="$work/package/blst"
cc=${CC:-cc}
# Our own compile of blst's unity build (src/server.c) and its assembly; -fPIC
# so the shared libmithril can embed it. blst detects ADX/BMI2 at run time.
"$cc" -O2 -fPIC -fno-builtin -fvisibility=hidden -Wall -c "$src/src/server.c" -o "$work/server.o"
"$cc" -O2 -fPIC -c "$src/build/assembly.S" -o "$work/assembly.o"
mkdir -p "$out/lib" "$out/include"
rm -f "$out/lib/libblst.a"
ar rcs "$out/lib/libblst.a" "$work/server.o" "$work/assembly.o"
cp "$src/bindings/blst.h" "$src/bindings/blst_aux.h" "$out/include/"
cp "$src/LICENSE" "$out/LICENSE" 2>/dev/null || true
echo "$BLST_SHA512" >"$stamp"
echo "fetch-blst: built $out/lib/libblst.a (blst from $BLST_NPM_PACKAGE, sha512 verified)" >&2
