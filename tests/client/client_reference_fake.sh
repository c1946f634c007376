#!/bin/bash
# mithril-client against aggregator-fake on the reference data: the reference
# chain, stake distribution and cardano-db artifacts verify; tampered copies
# (one certificate anywhere in the chain, an artifact) fail with exit != 0 and
# an error naming what was wrong.
set -u
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
if [ ! -d "$REF" ] || [ ! -f "$VKEY" ]; then
    echo "SKIP: reference data absent ($REF)"
    exit 77
fi
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
FAKE="$MTL_BUILD_DIR/tools/aggregator-fake/aggregator-fake"
PY=/usr/bin/python3
WORK=$(mktemp -d)
FAKE_PID=
fails=0
cleanup() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

start_fake() { # $1 = data dir
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    rm -f "$WORK/port"
    "$FAKE" --data-dir "$1" --port 0 --port-file "$WORK/port" >/dev/null 2>"$WORK/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 1200); do [ -s "$WORK/port" ] && break; sleep 0.05; done  # up to 60 s (ASan, loaded)
    [ -s "$WORK/port" ] || { echo "FAIL: aggregator-fake did not start"; cat "$WORK/fake.err"; exit 1; }
    export AGGREGATOR_ENDPOINT="http://127.0.0.1:$(cat "$WORK/port")/aggregator"
}
ok() { # ok <name> <cmd...>: must succeed
    local name=$1; shift
    if "$@" >"$WORK/out" 2>"$WORK/err"; then echo "ok   $name"
    else echo "FAIL $name (exit $?)"; cat "$WORK/err"; fails=$((fails + 1)); fi
}
ko() { # ko <name> <expected text in stderr> <cmd...>: must fail naming it
    local name=$1 want=$2; shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    local rc=$?
    if [ $rc -ne 0 ] && grep -q -- "$want" "$WORK/err" && ! grep -q "Sanitizer" "$WORK/err"; then echo "ok   $name (exit $rc)"
    else echo "FAIL $name: exit $rc, stderr lacks '$want'"; cat "$WORK/err"; fails=$((fails + 1)); fi
}

export GENESIS_VERIFICATION_KEY="$VKEY"
export MITHRIL_CLIENT_CACHE_DIR="$WORK/cache"
start_fake "$REF"

# --- the reference data verifies ---
ok "certificate verify latest" "$CLIENT" certificate verify latest
grep -q "genesis ok" "$WORK/out" || { echo "FAIL: walk did not reach genesis"; fails=$((fails + 1)); }
ok "certificate verify latest (cached)" "$CLIENT" certificate verify latest
grep -q "cached" "$WORK/out" || { echo "FAIL: second walk did not use the cache"; fails=$((fails + 1)); }
ok "certificate verify --json" "$CLIENT" --json --cache-dir "$WORK/cache2" certificate verify latest
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["verified"] and d["certificates_checked"]>=2, d' \
    "$WORK/out" || { echo "FAIL: --json verify document"; fails=$((fails + 1)); }
ok "certificate list" "$CLIENT" certificate list
ok "certificate list --json" "$CLIENT" --json certificate list
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); r=json.load(open(sys.argv[2])); assert d==r' \
    "$WORK/out" "$REF/certificates-list.json" || { echo "FAIL: --json list differs"; fails=$((fails + 1)); }
ok "certificate show" "$CLIENT" certificate show latest
ok "msd list" "$CLIENT" mithril-stake-distribution list
ok "msd download latest" "$CLIENT" mithril-stake-distribution download latest --download-dir "$WORK/msd"
ls "$WORK/msd"/mithril_stake_distribution-*.json >/dev/null 2>&1 || { echo "FAIL: msd file missing"; fails=$((fails + 1)); }
ok "cardano-db snapshot list" "$CLIENT" cardano-db snapshot list
ok "cardano-db snapshot show latest" "$CLIENT" cardano-db snapshot show latest
grep -q "verified" "$WORK/out" || { echo "FAIL: snapshot show did not verify"; fails=$((fails + 1)); }
ok "cardano-db snapshot show --json" "$CLIENT" --json cardano-db snapshot show latest

# --- usage and configuration errors ---
ko "unknown command" "unknown command" "$CLIENT" frobnicate
ko "bad hash" "not a hash" "$CLIENT" certificate verify 12zz
ko "unknown certificate" "not found" "$CLIENT" certificate verify "$(printf 'ab%.0s' $(seq 32))"
ko "no genesis key" "genesis verification key" env -u GENESIS_VERIFICATION_KEY "$CLIENT" certificate verify latest
ko "wrong genesis key" "genesis" "$CLIENT" --cache-dir "$WORK/c-wrong" \
    --genesis-verification-key "$MTL_SHARED_DIR/reference-data/genesis-keys/release-mainnet/genesis.vkey" \
    certificate verify latest
ko "no endpoint" "aggregator endpoint" env -u AGGREGATOR_ENDPOINT "$CLIENT" certificate list

# --- tampered copies: one edit each, fresh cache each time ---
LATEST=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["hash"])' "$REF/certificates-list.json")
# tamper <name> <python expression editing d (the file's JSON)> <file>
tamper() {
    rm -rf "$WORK/data"; cp -r "$REF" "$WORK/data"
    $PY - "$WORK/data/$3" "$LATEST" <<PYEOF || exit 1
import json, sys
path, latest = sys.argv[1], sys.argv[2]
d = json.load(open(path))
certs = d
def chain():
    out, h = [], latest
    while h:
        out.append(h); h = certs[h]["previous_hash"]
    return out
$2
json.dump(d, open(path, "w"))
PYEOF
    start_fake "$WORK/data"
    rm -rf "$WORK/cache"
}
flip() { # flip the last hex digit of a string
    echo "s[:-1] + ('0' if s[-1] != '0' else '1')"
}
for pos in 0 3 last; do
    case $pos in last) idx=-1 ;; *) idx=$pos ;; esac
    # signed_message of one certificate in the chain (hash left as is)
    tamper "signed_message@$pos" "c = d[chain()[$idx]]; s = c['signed_message']; c['signed_message'] = $(flip)" certificates.json
    H=$($PY -c "import json,sys; d=json.load(open(sys.argv[1])); h='$LATEST'; ch=[]
while h: ch.append(h); h=d[h]['previous_hash']
print(ch[$idx])" "$WORK/data/certificates.json")
    ko "tampered signed_message at chain position $pos" "${H:0:16}" "$CLIENT" certificate verify latest
done
tamper "genesis signature" "c = d[chain()[-1]]; s = c['genesis_signature']; c['genesis_signature'] = $(flip)" certificates.json
GEN=$($PY -c "import json,sys; d=json.load(open(sys.argv[1])); print([h for h in d if not d[h]['previous_hash']][0])" "$REF/certificates.json")
ko "tampered genesis signature" "${GEN:0:16}" "$CLIENT" certificate verify latest
tamper "multi_signature" "c = d[chain()[2]]; s = c['multi_signature']; c['multi_signature'] = s[:-4] + ('3030' if s[-4:] != '3030' else '3131')" certificates.json
ko "tampered multi-signature" "certificate" "$CLIENT" certificate verify latest
tamper "sealed_at" "c = d[chain()[4]]; c['metadata']['sealed_at'] = c['metadata']['sealed_at'].replace('2026', '2027')" certificates.json
ko "tampered metadata (hash mismatch)" "hash" "$CLIENT" certificate verify latest
# a certificate under the stake distribution's certificate: msd download fails
MSD_CERT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["certificate_hash"])' "$REF/mithril-stake-distributions-list.json")
tamper "msd chain" "h = '$MSD_CERT'; p = d[h]['previous_hash']; c = d[p]; s = c['signed_message']; c['signed_message'] = $(flip)" certificates.json
ko "msd download with a tampered chain" "certificate" "$CLIENT" mithril-stake-distribution download latest --download-dir "$WORK/msd2"
[ -z "$(ls "$WORK/msd2" 2>/dev/null)" ] || { echo "FAIL: file written despite failure"; fails=$((fails + 1)); }
tamper "msd stake" "k = next(iter(d)); d[k]['signers'][0]['stake'] += 1" mithril-stake-distributions.json
MSD_LATEST=$($PY -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1])))))' "$WORK/data/mithril-stake-distributions.json")
ko "msd download with a tampered signer stake" "mithril stake distribution" "$CLIENT" mithril-stake-distribution download "$MSD_LATEST" --download-dir "$WORK/msd3"
DB_LATEST=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["hash"])' "$REF/cardano-databases-list.json")
DB_CERT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["certificate_hash"])' "$REF/cardano-databases-list.json")
tamper "db chain" "h = '$DB_CERT'; p = d[d[h]['previous_hash']]['previous_hash']; c = d[p]; s = c['signed_message']; c['signed_message'] = $(flip)" certificates.json
ko "snapshot show with a tampered certificate under it" "certificate" "$CLIENT" cardano-db snapshot show latest
tamper "db merkle" "c = d['$DB_LATEST']; s = c['merkle_root']; c['merkle_root'] = $(flip)" cardano-databases.json
ko "snapshot show with a tampered merkle root" "verification failed" "$CLIENT" cardano-db snapshot show latest

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all client checks passed"
