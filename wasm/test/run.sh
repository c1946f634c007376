#!/usr/bin/env bash
# CTest wasm_node: the Node tests of mithril.mjs (wasm/test/test_mithril.mjs)
# on the module `make wasm` built in $MTL_BUILD_DIR/wasm/pkg. Skipped (77),
# saying why, without node, emcc, the built module or the reference data.
set -euo pipefail
src=${MTL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pkg=${MITHRIL_WASM_PKG:-${MTL_BUILD_DIR:-$src/build}/wasm/pkg}
skip() { echo "wasm_node: skipped: $*"; exit 77; }
command -v node >/dev/null || skip "node not found"
command -v emcc >/dev/null || skip "emcc not found (apt-get install emscripten)"
[ -f "$pkg/mithril.mjs" ] || skip "$pkg/mithril.mjs not built (make wasm)"
[ -f "${MTL_SHARED_DIR:-$src/../shared}/reference-data/aggregator-fake-2026-05-21/certificates.json" ] ||
    skip "reference data not found under ${MTL_SHARED_DIR:-$src/../shared}"
export MTL_SHARED_DIR=${MTL_SHARED_DIR:-$src/../shared}
MITHRIL_MJS="$pkg/mithril.mjs" exec node --test "$src/wasm/test/test_mithril.mjs"
