#!/bin/bash
# End-to-end: the devnet certifies Cardano transactions and blocks. The
# simulated node lists what it wrote (node/txs.log, cardano-node-sim
# --tx-log); transactions and blocks picked from it are certified by
# mithril-client (v1 and v2 proof routes, block proofs) back to genesis, with
# the block numbers, slots and hashes the node wrote; a transaction that does
# not exist and one not yet immutable are reported not certified; through a
# lying proxy (tests/client/evil_aggregator.py) a proof with one byte
# altered, or paired with another certificate, is refused.
. "${MTL_SOURCE_DIR:?}/tests/e2e/e2e_lib.sh" e2e-tx

export NUM_SIGNERS=2 NUM_POOLS=2 KEEP_RUNNING=1 WAIT_TIMEOUT=${WAIT_TIMEOUT:-180} EPOCH_GATE=1
if "$SRC/devnet/run" >"$RUN_DIR.summary" 2>"$RUN_DIR.run.log"; then
    pass "devnet run"
else
    cat "$RUN_DIR.run.log"; fail "devnet/run"; exit 1
fi
export GENESIS_VERIFICATION_KEY; GENESIS_VERIFICATION_KEY=$(cat "$RUN_DIR/keys/genesis.vkey")
export MITHRIL_CLIENT_CACHE_DIR=""
LOG=$RUN_DIR/node/txs.log
OUT=$RUN_DIR/client/tx
mkdir -p "$OUT"
client() { "$CLIENT_BIN" --aggregator-endpoint "${ENDPOINT:-$(agg_url)}" "$@" >"$OUT/out" 2>"$OUT/err"; }
# check NAME PYTHON-EXPR: the expression holds on d, the JSON in $OUT/out
check() {
    if py "import json,sys; d=json.load(open('$OUT/out')); assert $2, d" 2>"$OUT/py.err"; then pass "$1"
    else fail "$1: $(tail -1 "$OUT/py.err" | cut -c1-400)"; fi
}
# refused NAME CMD...: a failure, with nothing listed as certified
refused() {
    local name=$1; shift
    if client "$@"; then fail "$name: accepted"
    elif grep -qE '"certified_(transactions|blocks)": \[$' "$OUT/out" || grep -q ' yes$' "$OUT/out"; then
        fail "$name: something reported certified"
    else pass "$name refused: $(tail -1 "$OUT/err" | cut -c1-160)"; fi
}

# 1. Snapshots of both kinds, certified with transactions in them.
first() { get "$1" | py "import json,sys; print(json.load(sys.stdin)[0]['$2'])" 2>/dev/null; }
# a v1 snapshot covering a complete block range (15 blocks) holding transactions
v1_ready() { B1=$(first /artifact/cardano-transactions block_number) && [ "${B1:-0}" -ge 30 ]; }
v2_ready() { B2=$(first /artifact/cardano-blocks-transactions block_number_signed) && [ "${B2:-0}" -ge 30 ]; }
wait_until 300 "a CardanoTransactions snapshot past block 30" v1_ready && pass "CardanoTransactions snapshot at block $B1" ||
    { fail "no CardanoTransactions snapshot"; exit 1; }
wait_until 300 "a CardanoBlocksTransactions snapshot past block 30" v2_ready && pass "CardanoBlocksTransactions snapshot at block $B2" ||
    { fail "no CardanoBlocksTransactions snapshot"; exit 1; }
for cmd in "cardano-transaction" "cardano-transaction --backend v2" "cardano-block"; do
    client $cmd snapshot show latest && grep -q "Certificate chain and artifact verified" "$OUT/out" &&
        pass "$cmd snapshot show latest: verified" || fail "$cmd snapshot show: $(tail -1 "$OUT/err")"
done

# 2. Transactions the node wrote, in certified blocks: v1 proofs cover the
#    complete block ranges up to the snapshot's block, v2 every block to it.
# pick_txs MAX_BLOCK: "tx block_number slot block_hash" of the first, a middle
# and the last transaction of the blocks numbered below MAX_BLOCK
pick_txs() { awk -v max="$1" '$1 < max { for (i = 4; i <= NF; i++) print $i, $1, $2, $3 }' "$LOG" |
    awk '{ l[NR] = $0 } END { if (NR) { print l[1]; print l[int((NR + 1) / 2)]; print l[NR] } }' | sort -u; }
mapfile -t V1 < <(pick_txs $(((B1 + 1) / 15 * 15)))
mapfile -t V2 < <(pick_txs $((B2 + 1)))
[ ${#V1[@]} -ge 2 ] && [ ${#V2[@]} -ge 2 ] && pass "picked ${#V1[@]} + ${#V2[@]} transactions from the node's listing" ||
    { fail "no transactions in the node's listing $LOG below blocks $B1 / $B2"; exit 1; }
hashes() { for l in "$@"; do echo "${l%% *}"; done | paste -sd, -; }
UNKNOWN=1111111111111111111111111111111111111111111111111111111111111111
TIP_TX=$(awk 'NF > 3 { t = $4 } END { print t }' "$LOG")  # a volatile block's: not certified yet
H1=$(hashes "${V1[@]}")
client --json cardano-transaction certify "$H1,$UNKNOWN" &&
    check "v1: ${#V1[@]} transactions certified, the unknown one not" \
        "sorted(d['certified_transactions']) == sorted('$H1'.split(',')) and d['non_certified_transactions'] == ['$UNKNOWN']" ||
    fail "v1 certify: $(tail -2 "$OUT/err")"
H2=$(hashes "${V2[@]}")
EXPECT=$(printf '%s\n' "${V2[@]}" | py 'import sys, json
print(json.dumps({t: [int(n), int(s), h] for t, n, s, h in (l.split() for l in sys.stdin)}))')
client --json cardano-transaction certify --backend v2 "$H2,$TIP_TX" &&
    check "v2: transactions certified in the blocks, slots and block hashes the node wrote; the tip's not yet" \
        "{x['transaction_hash']: [x['block_number'], x['slot_number'], x['block_hash']] for x in d['certified_transactions']} == $EXPECT and d['non_certified_transactions'] == ['$TIP_TX']" ||
    fail "v2 certify: $(tail -2 "$OUT/err")"
if client cardano-transaction certify "$UNKNOWN"; then fail "a non-existent transaction: exit 0"
else grep -q "^$UNKNOWN  *no$" "$OUT/out" && pass "a non-existent transaction is reported not certified" ||
    fail "non-existent transaction: $(cat "$OUT/out" "$OUT/err" | tail -3)"; fi

# 3. Blocks the node wrote: number, slot and hash as written.
mapfile -t BL < <(awk -v max=$((B2 + 1)) '$1 < max { print $3, $1, $2 }' "$LOG" |
    awk '{ l[NR] = $0 } END { print l[1]; print l[int((NR + 1) / 2)]; print l[NR] }' | sort -u)
for b in "${BL[@]}"; do
    read -r bh bn bs <<<"$b"
    client --json cardano-block certify "$bh" &&
        check "block $bn certified (slot $bs)" \
            "[(x['block_hash'], x['block_number'], x['slot_number']) for x in d['certified_blocks']] == [('$bh', $bn, $bs)]" ||
        fail "block $bn: $(tail -2 "$OUT/err")"
done

# 4. A lying proxy in front of the aggregator: altered proofs are refused.
EVIL_SCRIPT=$RUN_DIR/evil-script.json
T=${V1[0]%% *}
BH=${BL[0]%% *}
get "/proof/cardano-transaction?transaction_hashes=$T" | py "import json,sys; json.dump({'$T': json.load(sys.stdin)}, sys.stdout)" >"$OUT/v1.json"
get "/proof/v2/cardano-block?block_hashes=$BH" | py "import json,sys; json.dump({'$BH': json.load(sys.stdin)}, sys.stdout)" >"$OUT/blk.json"
FORGE="/usr/bin/python3 $SRC/tests/client/forge_proof.py"
MSD_CERT=$(get /certificates | py 'import json,sys
print([c["hash"] for c in json.load(sys.stdin) if "MithrilStakeDistribution" in c["signed_entity_type"]][0])')
$FORGE "$OUT/v1.json" "$T" flip-item "$OUT/v1-flip.json" &&
    $FORGE "$OUT/v1.json" "$T" certificate "$OUT/v1-msd.json" "$MSD_CERT" &&
    $FORGE "$OUT/blk.json" "$BH" flip-byte "$OUT/blk-flip.json" 40 || fail "forging proofs"
script() { # script ROUTE FILE: the proxy answers FILE on ROUTE
    py "import json; json.dump({'upstream': '$(agg_url)', 'routes': {'/aggregator$1': ['$2']}}, open('$EVIL_SCRIPT.tmp', 'w'))"
    mv "$EVIL_SCRIPT.tmp" "$EVIL_SCRIPT"
}
script /proof/cardano-transaction "$OUT/v1-flip.json"
/usr/bin/python3 "$SRC/tests/client/evil_aggregator.py" "$EVIL_SCRIPT" "$RUN_DIR/evil.port" 2>"$RUN_DIR/logs/evil.log" &
echo "evil $!" >>"$RUN_DIR/pids"
wait_until 30 "the lying proxy" test -s "$RUN_DIR/evil.port"
ENDPOINT="http://127.0.0.1:$(cat "$RUN_DIR/evil.port")/aggregator"
refused "v1: a proof with one byte altered" --json cardano-transaction certify "$T"
script /proof/cardano-transaction "$OUT/v1-msd.json"
refused "v1: a proof paired with a stake distribution certificate" --json cardano-transaction certify "$T"
script /proof/v2/cardano-block "$OUT/blk-flip.json"
refused "blocks: a proof with one byte altered" --json cardano-block certify "$BH"
script /none /dev/null
client --json cardano-block certify "$BH" && pass "through the proxy, the honest proof still certifies" ||
    fail "honest proof through the proxy: $(tail -1 "$OUT/err")"
[ "$fails" = 0 ] && echo "e2e_transactions: all checks passed"
exit $((fails > 0))
