#!/bin/bash
# mithril-client cardano-transaction / cardano-block against aggregator-fake
# on the reference data: the real proofs (v1, v2, blocks) certify their
# hashes back to genesis, unknown hashes are reported not certified, the
# snapshots list and verify; through a lying aggregator (evil_aggregator.py)
# a proof with one byte altered, a proof paired with another certificate, a
# proof of another transaction, and the fake leaf of shared/spec/
# transactions.md §8 are refused, never reported as certified.
set -u
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
. "$MTL_SOURCE_DIR/tests/lib.sh"
require_reference "$REF" "$VKEY"
. "$MTL_SOURCE_DIR/tests/client/evil_lib.sh"
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
FAKE="$MTL_BUILD_DIR/tools/aggregator-fake/aggregator-fake"
PY=/usr/bin/python3
FORGE="$PY $MTL_SOURCE_DIR/tests/client/forge_proof.py"
export GENESIS_VERIFICATION_KEY="$VKEY"
export MITHRIL_CLIENT_CACHE_DIR=

keys() { $PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$1"; }
TXS=($(keys "$REF/ctx-proofs.json"))
BLOCKS=($(keys "$REF/cblk-proofs.json"))
UNKNOWN=1111111111111111111111111111111111111111111111111111111111111111
FAKE_TX=2222222222222222222222222222222222222222222222222222222222222222
TX=${TXS[0]}
ALL_TXS=$(IFS=,; echo "${TXS[*]}")

# json_check NAME PYTHON-EXPR: the expression holds on d = the JSON on stdout.
json_check() {
    if $PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert $2, d" "$WORK/out" 2>"$WORK/py.err"
    then pass "$1"; else fail "$1"; cat "$WORK/py.err" "$WORK/out"; fi
}

start_bg aggregator-fake "$WORK/port" "$FAKE" --data-dir "$REF" --port 0 --port-file "$WORK/port"
UPSTREAM="http://127.0.0.1:$PORT/aggregator"
export AGGREGATOR_ENDPOINT=$UPSTREAM

# --- the reference proofs certify -------------------------------------------
accepted "v1: the 4 transactions in one request" "$CLIENT" --json cardano-transaction certify "$ALL_TXS"
json_check "v1: all 4 certified, none refused" \
    "sorted(d['certified_transactions']) == sorted('$ALL_TXS'.split(',')) and d['non_certified_transactions'] == []"
accepted "v1: a real and an unknown transaction" "$CLIENT" --json cardano-transaction certify "$TX,$UNKNOWN"
json_check "v1: the unknown one is not certified" \
    "d['certified_transactions'] == ['$TX'] and d['non_certified_transactions'] == ['$UNKNOWN']"
accepted "v1: text report" "$CLIENT" cardano-transaction certify "$TX" "$UNKNOWN"
grep -q "^$TX  *yes$" "$WORK/out" && grep -q "^$UNKNOWN  *no$" "$WORK/out" &&
    grep -q "successfully signed" "$WORK/out" && pass "v1: text rows" || { fail "v1: text rows"; cat "$WORK/out"; }
ko "v1: only unknown transactions" "certifies none" "$CLIENT" cardano-transaction certify "$UNKNOWN"
grep -q "^$UNKNOWN  *no$" "$WORK/out" && pass "v1: unknown reported not certified" || fail "v1: unknown row"
accepted "v2: a transaction" "$CLIENT" --json cardano-transaction certify --backend v2 "$TX,$UNKNOWN"
json_check "v2: block, slot, depth of the certified transaction" \
    "d['certified_transactions'][0]['transaction_hash'] == '$TX' and d['certified_transactions'][0]['block_number'] == 463 and d['certified_transactions'][0]['block_depth'] == 735 + 1 - 463 and d['non_certified_transactions'] == ['$UNKNOWN']"
for b in "${BLOCKS[0]}" "${BLOCKS[7]}"; do
    accepted "blocks: block ${b:0:12}" "$CLIENT" --json cardano-block certify "$b"
    json_check "blocks: ${b:0:12} certified" "[x['block_hash'] for x in d['certified_blocks']] == ['$b']"
done
ko "blocks: an unknown block" "certifies none" "$CLIENT" --json cardano-block certify "$UNKNOWN"
json_check "blocks: unknown listed" "d['certified_blocks'] == [] and d['non_certified_blocks'] == ['$UNKNOWN']"
ko "a malformed hash is a usage error" "not a hash" "$CLIENT" cardano-transaction certify "${TX:0:60}"
code=$(curl -s -o /dev/null -w '%{http_code}' "$UPSTREAM/proof/cardano-transaction?transaction_hashes=${TX:0:60}")
[ "$code" = 400 ] && pass "aggregator-fake: a malformed hash is a 400" || fail "aggregator-fake: malformed hash: HTTP $code"

# --- snapshots ---------------------------------------------------------------
accepted "cardano-transaction snapshot list --json" "$CLIENT" --json cardano-transaction snapshot list
$PY -c 'import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
    "$WORK/out" "$REF/ctx-snapshots-list.json" && pass "v1 list as served" || fail "v1 list differs"
accepted "cardano-block snapshot list" "$CLIENT" cardano-block snapshot list
grep -q "Block Number Signed" "$WORK/out" && pass "blocks list header" || fail "blocks list header"
for cmd in "cardano-transaction" "cardano-transaction --backend v2" "cardano-block"; do
    accepted "$cmd snapshot show latest" "$CLIENT" $cmd snapshot show latest
    grep -q "Certificate chain and artifact verified" "$WORK/out" && pass "$cmd: snapshot verified" ||
        { fail "$cmd: snapshot not verified"; cat "$WORK/out"; }
done

# --- a lying aggregator --------------------------------------------------------
evil_start "$UPSTREAM"
V1=/aggregator/proof/cardano-transaction V2=/aggregator/proof/v2/cardano-transaction
BLK=/aggregator/proof/v2/cardano-block
$FORGE "$REF/ctx-proofs.json" "$TX" flip-item "$WORK/v1-flip.json"
evil_routes "$UPSTREAM" $V1 "$WORK/v1-flip.json"
refused "v1: a byte of a proof item altered" "proof" "$CLIENT" cardano-transaction certify "$TX"
$FORGE "$REF/ctx-proofs.json" "$TX" certificate "$WORK/v1-cert.json" 676a1fde9898d79c4e8be8ca774c8e708f73b9a3f99ba566bd8d31fd3345459e
evil_routes "$UPSTREAM" $V1 "$WORK/v1-cert.json"
refused "v1: paired with another CardanoTransactions certificate (block 719)" "latest_block_number\|differ\|signed" \
    "$CLIENT" cardano-transaction certify "$TX"

MSD=$($PY -c 'import json,sys; print([h for h,c in json.load(open(sys.argv[1])).items() if "MithrilStakeDistribution" in c["signed_entity_type"]][0])' "$REF/certificates.json")
$FORGE "$REF/ctx-proofs.json" "$TX" certificate "$WORK/v1-msd.json" "$MSD"
evil_routes "$UPSTREAM" $V1 "$WORK/v1-msd.json"
refused "v1: paired with a stake distribution certificate" "not a CardanoTransactions" \
    "$CLIENT" cardano-transaction certify "$TX"
$FORGE "$REF/ctx-proofs.json" "$TX" fake-leaf "$WORK/v1-fake.json" "$FAKE_TX"
evil_routes "$UPSTREAM" $V1 "$WORK/v1-fake.json"
refused "v1: a fake leaf at a real leaf's position (transactions.md §8)" "position" \
    "$CLIENT" cardano-transaction certify "$FAKE_TX"
evil_routes "$UPSTREAM"
accepted "v1: through the proxy, the honest answer certifies" "$CLIENT" cardano-transaction certify "$TX"
$PY -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))[sys.argv[2]], open(sys.argv[3], "w"))' \
    "$REF/ctx-proofs.json" "${TXS[1]}" "$WORK/v1-other.json"
evil_routes "$UPSTREAM" $V1 "$WORK/v1-other.json"
ko "v1: the proof of another transaction" "certifies none of them" "$CLIENT" --json cardano-transaction certify "$TX"
json_check "v1: the asked transaction is not certified by another's proof" \
    "d['certified_transactions'] == [] and d['non_certified_transactions'] == ['$TX']"

for n in 5 -1; do
    $FORGE "$REF/ctx-proofs-v2.json" "$TX" flip-byte "$WORK/v2-flip.json" "$n"
    evil_routes "$UPSTREAM" $V2 "$WORK/v2-flip.json"
    refused "v2: proof byte $n altered" "proof" "$CLIENT" cardano-transaction certify --backend v2 "$TX"
    $FORGE "$REF/cblk-proofs.json" "${BLOCKS[0]}" flip-byte "$WORK/blk-flip.json" "$n"
    evil_routes "$UPSTREAM" $BLK "$WORK/blk-flip.json"
    refused "blocks: proof byte $n altered" "proof" "$CLIENT" cardano-block certify "${BLOCKS[0]}"
done
$FORGE "$REF/cblk-proofs.json" "${BLOCKS[0]}" certificate "$WORK/blk-cert.json" 37b97737e6a37c8bd392bdf78298ff44182273ab3c63950b1b7df0ad0d7f5ba2
evil_routes "$UPSTREAM" $BLK "$WORK/blk-cert.json"
refused "blocks: paired with another CardanoBlocksTransactions certificate" "differ\|signed\|latest" \
    "$CLIENT" cardano-block certify "${BLOCKS[0]}"
$PY - "$REF/ctx-snapshots.json" "$WORK/snap.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); a = list(d.values())[0]
a["block_number"] += 1
json.dump(a, open(sys.argv[2], "w"))
PYEOF
SNAP=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["hash"])' "$WORK/snap.json")
evil_routes "$UPSTREAM" "/aggregator/artifact/cardano-transaction/$SNAP" "$WORK/snap.json"
refused "a snapshot whose block number was changed" "hash\|block" \
    "$CLIENT" cardano-transaction snapshot show "$SNAP"
finish client_tx_proofs
