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
# blst 0.3.10 has no run-time CPU dispatch: its mulx/adcx field arithmetic
# (~1.4x faster than the mulq fallback) is compiled in with -D__ADX__ only, as
# blst's own build.sh does when this CPU has ADX. BLST_PORTABLE=1 builds the
# fallback for machines without ADX (pre-2014 x86-64).
adx=""
if [ -z "${BLST_PORTABLE:-}" ] && grep -q -E '^flags.*\badx\b' /proc/cpuinfo 2>/dev/null; then
    adx="-D__ADX__"
fi
want="$BLST_SHA512${adx:+ adx}"
if [ -z "${BLST_TARBALL:-}" ] && [ -f "$out/lib/libblst.a" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
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
# so the shared libmithril can embed it.
"$cc" -O2 -fPIC -fno-builtin -fvisibility=hidden $adx -Wall -c "$src/src/server.c" -o "$work/server.o"
"$cc" -O2 -fPIC $adx -c "$src/build/assembly.S" -o "$work/assembly.o"
mkdir -p "$out/lib" "$out/include"
rm -f "$out/lib/libblst.a"
ar rcs "$out/lib/libblst.a" "$work/server.o" "$work/assembly.o"
cp "$src/bindings/blst.h" "$src/bindings/blst_aux.h" "$out/include/"
cp "$src/LICENSE" "$out/LICENSE" 2>/dev/null || true
echo "$want" >"$stamp"
echo "fetch-blst: built $out/lib/libblst.a (blst from $BLST_NPM_PACKAGE, sha512 verified${adx:+, ADX})" >&2
