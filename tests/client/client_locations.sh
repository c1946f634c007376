#!/bin/bash
# cardano-db download tries every location of an artifact part in order
# (immutables, ancillary, digests): a first location that refuses the
# connection, answers 404 or serves a corrupt archive is announced (URL and
# why) and the next one restores the DB; when every location fails the error
# lists each of them.
set -u
. "$MTL_SOURCE_DIR/tests/client/fixture_lib.sh"
BASE=http://localhost:8080/aggregator/cardano-database-download # rewritten by aggregator-fake
DEAD=http://127.0.0.1:1/nothing-listens-here

"$FIXTURE" "$W/db" "$W/data" "$W/files" 3 30000 7 || { echo "FAIL: fixture"; exit 1; }
export GENESIS_VERIFICATION_KEY="$W/data/genesis.vkey" MITHRIL_CLIENT_CACHE_DIR="$W/cache"
AVK="$W/data/ancillary.vkey"
# corrupt copies of every archive under files/bad/: immutable archives cut
# short, the ancillary archive with one flipped byte
mkdir -p "$W/files/bad/immutable" "$W/files/bad/ancillary"
for f in "$W"/files/immutable/*.tar.zst; do
    $PY -c 'import sys; b=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(b[:len(b)*2//3])' "$f" "$W/files/bad/immutable/$(basename "$f")"
done
for f in "$W"/files/ancillary/*.tar.zst; do
    $PY -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=0x40; open(sys.argv[2],"wb").write(b)' "$f" "$W/files/bad/ancillary/$(basename "$f")"
done

# serve DATA with the artifact's PART locations prefixed by FIRST (URIs, in order)
# and, when ONLY is set, reduced to those: locations PART ONLY URI...
locations() {
    local part=$1 only=$2
    shift 2
    rm -rf "$W/d"; cp -r "$W/data" "$W/d"
    $PY - "$W/d/cardano-databases.json" "$part" "$only" "$@" <<'PYEOF'
import json, sys
p, part, only, uris = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
d = json.load(open(p))
for art in d.values():
    locs = art[part]["locations"]
    new = []
    for u in uris:
        loc = dict(locs[0])
        loc["uri"] = {"Template": u} if part == "immutables" else u
        new.append(loc)
    art[part]["locations"] = new if only else new + locs
json.dump(d, open(p, "w"))
PYEOF
    start_fake "$W/d" "$W/files"
}
# restores NAME WARN [download args]: the restore succeeds, is byte-identical
# (but for trio 4, the ancillary in-progress one) and warned with WARN on stderr
n=0
restores() {
    local name=$1 warn=$2
    shift 2
    n=$((n + 1))
    if "$CLIENT" cardano-db download latest --download-dir "$W/r$n" "$@" >"$W/out" 2>"$W/err" &&
        diff -r -x '00004.*' "$W/db/immutable" "$W/r$n/db/immutable" >/dev/null && grep -q -- "$warn" "$W/err"; then
        pass "$name"
    else
        fail "$name"; cat "$W/err"
    fi
}
ANC=$(basename "$(ls "$W"/files/ancillary/*.tar.zst)")
IMM_TPL='{immutable_file_number}.tar.zst'

# --- immutables ---
locations immutables 0 "$DEAD/$IMM_TPL"
restores "immutables: first location refuses the connection" "location $DEAD/00001.tar.zst failed"
locations immutables 0 "$BASE/nowhere/$IMM_TPL"
restores "immutables: first location answers 404" "nowhere/00002.tar.zst failed (.*404"
locations immutables 0 "$BASE/bad/immutable/$IMM_TPL"
restores "immutables: first location serves corrupt archives" "bad/immutable/00003.tar.zst failed (archive 00003 is corrupt"
locations immutables 1 "$DEAD/$IMM_TPL" "$BASE/nowhere/$IMM_TPL" "$BASE/bad/immutable/$IMM_TPL"
ko "immutables: every location bad" "all 3 locations failed: \[1\] $DEAD/0000.\.tar\.zst: .*\[2\] .*nowhere/0000.\.tar\.zst: .*404.*\[3\] .*bad/immutable/0000.\.tar\.zst: archive 0000. is corrupt" \
    "$CLIENT" cardano-db download latest --download-dir "$W/k1"

# --- digests (the fixture lists a cloud_storage archive, then the aggregator route) ---
locations digests 0 "$DEAD/digests.tar.zst"
restores "digests: first location refuses the connection" "digests: location $DEAD/digests.tar.zst failed"
locations digests 1 "$DEAD/digests.tar.zst" "$BASE/nowhere/digests.tar.zst"
ko "digests: every location bad" "digests: all 2 locations failed: \[1\] $DEAD/digests.tar.zst: .*\[2\] .*nowhere/digests.tar.zst: .*404" \
    "$CLIENT" cardano-db download latest --download-dir "$W/k2"

# --- ancillary ---
locations ancillary 0 "$BASE/bad/ancillary/$ANC"
restores "ancillary: first location serves a corrupt archive" "ancillary: location .*bad/ancillary/$ANC failed" \
    --include-ancillary --ancillary-verification-key "$AVK"
ls "$W/r$n/db/ledger/"* >/dev/null 2>&1 || fail "ancillary files not restored from the second location"
locations ancillary 1 "$DEAD/a.tar.zst" "$BASE/bad/ancillary/$ANC"
ko "ancillary: every location bad" "ancillary: all 2 locations failed: \[1\] $DEAD/a.tar.zst: .*\[2\] .*bad/ancillary/$ANC: " \
    "$CLIENT" cardano-db download latest --download-dir "$W/k3" --include-ancillary --ancillary-verification-key "$AVK"

finish locations
