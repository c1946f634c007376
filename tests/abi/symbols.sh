#!/usr/bin/env bash
# symbols.sh - what libmithril exports (usage: symbols.sh BUILD_DIR):
#   1. every global symbol defined in libmithril.a and libmithril.so is
#      mtl_* or mithril_*: the internals (stm_*, pm_*, mtl_seterr...) and blst
#      are local in the archive and hidden in the shared library;
#   2. those internals are still in the archive, as local symbols (so that
#      check 1 looks at the right file);
#   3. the public ABI is exactly tests/abi/symbols.txt, in both libraries.
# After a deliberate API change: make the list again with
#   nm -D --defined-only build/libmithril.so | awk '{print $3}' | sort > tests/abi/symbols.txt
set -u
. "$MTL_SOURCE_DIR/tests/lib.sh"
build=${1:?build directory}
list=$MTL_SOURCE_DIR/tests/abi/symbols.txt

# globals defined in the archive (T D B R W V...), and in the .so's dynamic table
nm -g --defined-only "$build/libmithril.a" | awk 'NF == 3 {print $3}' | sort >"$WORK/a.txt"
nm -D --defined-only "$build/libmithril.so" | awk 'NF == 3 {print $3}' | sort >"$WORK/so.txt"
for lib in a so; do
    if [ -s "$WORK/$lib.txt" ]; then pass "libmithril.$lib defines $(wc -l <"$WORK/$lib.txt") global symbols"
    else fail "libmithril.$lib: no global symbol found"; fi
    bad=$(grep -Ev '^(mtl|mithril)_' "$WORK/$lib.txt")
    if [ -z "$bad" ]; then pass "libmithril.$lib: every global symbol is mtl_*/mithril_*"
    else fail "libmithril.$lib exports names outside mtl_/mithril_:"; echo "$bad" | head -20; fi
done

# the internals are there, local (lower-case type letter)
nm "$build/libmithril.a" | awk 'NF == 3 {print $2, $3}' >"$WORK/all.txt"
for sym in stm_tree_build pm_from_json set_from_json mtl_seterr mtl_buf_append blst_p1_add \
    ct_inverse_mod_256; do
    if grep -qx "[a-z] $sym" "$WORK/all.txt"; then pass "$sym is local in libmithril.a"
    else fail "$sym: not a local symbol of libmithril.a ($(grep " $sym\$" "$WORK/all.txt"))"; fi
    if grep -qx "$sym" "$WORK/so.txt"; then fail "$sym is exported by libmithril.so"; fi
done

# the public ABI, pinned
for lib in a so; do
    if diff -u "$list" "$WORK/$lib.txt" >"$WORK/diff"; then
        pass "libmithril.$lib exports exactly tests/abi/symbols.txt ($(wc -l <"$list") symbols)"
    else
        fail "libmithril.$lib: public ABI differs from tests/abi/symbols.txt (- listed, + exported);" \
            "update the list if the change is deliberate"
        cat "$WORK/diff"
    fi
done
finish "$checks"
