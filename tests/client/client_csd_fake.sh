#!/bin/bash
# mithril-client cardano-stake-distribution against aggregator-fake on the
# reference data: the reference's Cardano stake distributions download and
# verify (chain to genesis, hash, Merkle root of their stakes = the signed
# one) by hash, epoch and latest; a changed stake, pool or epoch is refused
# even with the artifact's hash recomputed around the change (only the Merkle
# root check can catch it), and so is a broken chain, with no file written.
set -u
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
. "$MTL_SOURCE_DIR/tests/lib.sh"
require_reference "$REF" "$VKEY"
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
FAKE="$MTL_BUILD_DIR/tools/aggregator-fake/aggregator-fake"
PY=/usr/bin/python3
export GENESIS_VERIFICATION_KEY="$VKEY" MITHRIL_CLIENT_CACHE_DIR=""

start_fake() { # $1 = data dir
    start_bg aggregator-fake "$WORK/port" "$FAKE" --data-dir "$1" --port 0 --port-file "$WORK/port"
    export AGGREGATOR_ENDPOINT="http://127.0.0.1:$PORT/aggregator"
}
ok() { # ok <name> <cmd...>: must succeed
    local name=$1; shift
    if "$@" >"$WORK/out" 2>"$WORK/err"; then pass "$name"
    else fail "$name (exit $?): $(tail -2 "$WORK/err")"; fi
}
same() { # same <name> <file> <reference item hash>: the file is the reference artifact
    $PY -c 'import json,sys; a=json.load(open(sys.argv[1])); r=json.load(open(sys.argv[2]))[sys.argv[3]]; assert a == r' \
        "$2" "$REF/cardano-stake-distributions.json" "$3" && pass "$1" || fail "$1: file differs"
}
start_fake "$REF"

# --- the reference artifacts verify ---
ok "csd list" "$CLIENT" cardano-stake-distribution list
grep -q "599e744d9f051816bdd63b6bf85487a4fff621ab2524b8b792a1b270cc6c84cf" "$WORK/out" \
    && pass "csd list shows the latest" || fail "csd list: $(head -3 "$WORK/out")"
ok "csd list --json" "$CLIENT" --json cardano-stake-distribution list
$PY -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
    "$WORK/out" "$REF/cardano-stake-distributions-list.json" && pass "csd list --json is the reference list" \
    || fail "csd list --json differs"
ok "csd download latest" "$CLIENT" cardano-stake-distribution download latest --download-dir "$WORK/l"
same "latest written as cardano_stake_distribution-23.json" "$WORK/l/cardano_stake_distribution-23.json" \
    599e744d9f051816bdd63b6bf85487a4fff621ab2524b8b792a1b270cc6c84cf
ok "csd download by epoch 16 (--json)" "$CLIENT" --json csd download 16 --download-dir "$WORK/e"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["cardano_stake_distribution_epoch"] == "16" and d["verified"], d' \
    "$WORK/out" && pass "--json names epoch 16" || fail "--json document: $(cat "$WORK/out")"
same "epoch 16 written" "$WORK/e/cardano_stake_distribution-16.json" \
    52d7bdc1a6792083358bc30796ffbb11a922c580881a18c8f8b930972c7d46b0
n=0
for h in $($PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$REF/cardano-stake-distributions.json"); do
    "$CLIENT" csd download "$h" --download-dir "$WORK/all" >/dev/null 2>"$WORK/err" && n=$((n + 1)) \
        || echo "   $h: $(tail -1 "$WORK/err")"
done
[ "$n" = 9 ] && pass "every reference CSD (9) downloads by hash and verifies" || fail "$n of 9 verified"
ko "unknown epoch" "not found" "$CLIENT" csd download 99 --download-dir "$WORK/x"
ko "neither hash nor epoch" "neither a hash" "$CLIENT" csd download 12zz
ko "download without id" "expected 'list' or 'download" "$CLIENT" csd download

# --- tampered copies: the fake serves them, the client refuses them ---
LATEST=599e744d9f051816bdd63b6bf85487a4fff621ab2524b8b792a1b270cc6c84cf
# tamper <python editing a (the latest artifact), d (all artifacts)> [file]:
# rehash=1 recomputes the artifact's hash as the reference does, so only the
# checks behind the hash can refuse it.
tamper() {
    rm -rf "$WORK/data"; cp -r "$REF" "$WORK/data"
    $PY - "$WORK/data/${2:-cardano-stake-distributions.json}" "$LATEST" <<PYEOF || exit 1
import hashlib, json, struct, sys
path, latest = sys.argv[1], sys.argv[2]
d = json.load(open(path))
a = d.get(latest)
def rehash(a):
    h = hashlib.sha256(struct.pack(">Q", a["epoch"]))
    for k in sorted(a["stake_distribution"]):
        h.update(k.encode() + struct.pack(">Q", a["stake_distribution"][k]))
    a["hash"] = h.hexdigest()
$1
json.dump(d, open(path, "w"))
PYEOF
    start_fake "$WORK/data"
}
refused() { # refused <name> <error text> [id]: the download (by epoch 23, so that no
    # hash asked for can give it away) fails, nothing written
    rm -rf "$WORK/t"
    ko "$1" "$2" "$CLIENT" csd download "${3:-23}" --download-dir "$WORK/t"
    [ -z "$(ls "$WORK/t" 2>/dev/null)" ] || fail "$1: a file was written"
}
tamper "k = sorted(a['stake_distribution'])[0]; a['stake_distribution'][k] += 1; rehash(a)"
refused "a stake + 1 (hash recomputed)" "Merkle root"
tamper "a['stake_distribution']['pool1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'] = 1; rehash(a)"
refused "a pool added (hash recomputed)" "Merkle root"
tamper "del a['stake_distribution'][sorted(a['stake_distribution'])[1]]; rehash(a)"
refused "a pool dropped (hash recomputed)" "Merkle root"
tamper "a['epoch'] += 1; rehash(a)"
refused "another epoch (hash recomputed)" "is not what certificate" 24
tamper "k = sorted(a['stake_distribution'])[0]; a['stake_distribution'][k] += 1"
refused "a stake + 1 (hash kept)" "does not match its content"
# the artifact of another epoch served for the latest's hash, or for epoch 23
tamper "d[latest] = d['52d7bdc1a6792083358bc30796ffbb11a922c580881a18c8f8b930972c7d46b0']; d.pop('52d7bdc1a6792083358bc30796ffbb11a922c580881a18c8f8b930972c7d46b0'); d[latest]['epoch'] = 23"
refused "an artifact of epoch 16 relabelled 23" "does not match its content"
tamper "d[latest] = d['52d7bdc1a6792083358bc30796ffbb11a922c580881a18c8f8b930972c7d46b0']"
refused "another artifact served for the hash asked" "asked for $LATEST" "$LATEST"
# one certificate under the CSD's certificate broken: the chain walk refuses it
CERT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["certificate_hash"])' \
    "$REF/cardano-stake-distributions.json" "$LATEST")
tamper "c = d[d['$CERT']['previous_hash']]; s = c['signed_message']; c['signed_message'] = s[:-1] + ('0' if s[-1] != '0' else '1')" certificates.json
refused "a broken certificate under it" "certificate" "$LATEST"

finish client_csd_fake
