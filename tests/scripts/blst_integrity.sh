#!/usr/bin/env bash
# A tarball whose bytes differ from the pinned sha512 must stop the blst build
# with a clear message, and build nothing.
set -euo pipefail
src=${MTL_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# A corrupted "tarball": the real one is not needed to prove the check runs first.
head -c 4096 /dev/urandom >"$work/chainsafe-blst-0.2.11.tgz"
if BLST_TARBALL="$work/chainsafe-blst-0.2.11.tgz" "$src/scripts/fetch-blst.sh" "$work/out" 2>"$work/err"; then
    echo "fetch-blst accepted a corrupted tarball"; exit 1
fi
cat "$work/err"
grep -q "INTEGRITY CHECK FAILED" "$work/err"
[ ! -e "$work/out/lib/libblst.a" ]
echo "1 passed, 0 failed"
