#!/bin/bash
# End-to-end: a missed epoch and the re-genesis of a running devnet (the
# procedure of docs/aggregator.md, "Re-genesis").
#   - the devnet runs (devnet/run, epochs paced by devnet/conductor) and
#     certifies epoch E;
#   - the aggregator is stopped and the node led through epoch E+1 (the test
#     holds the epoch gate itself): E+1 ends without a certificate;
#   - restarted on the same store and port in E+2, the aggregator is blocked
#     and says why: /status runtime_state=blocked-epoch-gap with its reason,
#     an error event in its log; it certifies nothing, though the signers
#     register again;
#   - the documented steps: devnet/genesis (genesis bootstrap with the
#     aggregator's settings and the key file) once the signers of the current
#     epoch are known; /status is no longer blocked;
#   - certificates resume in the next epoch, chained to the new genesis, and
#     mithril-client verifies that chain and restores its Cardano DB (the
#     ancillary archive signed with the key the aggregator read at start: its
#     file was moved away meanwhile); the old certificates stay served.
. "${MTL_SOURCE_DIR:?}/tests/e2e/e2e_lib.sh" regenesis

export NUM_SIGNERS=3 NUM_POOLS=3 KEEP_RUNNING=1 WAIT_TIMEOUT=${WAIT_TIMEOUT:-180} EPOCH_GATE=1
if "$SRC/devnet/run" >"$RUN_DIR.summary" 2>"$RUN_DIR.run.log"; then
    pass "devnet runs and certifies"
else
    cat "$RUN_DIR.run.log"; fail "devnet/run"; exit 1
fi
export GENESIS_VERIFICATION_KEY; GENESIS_VERIFICATION_KEY=$(cat "$RUN_DIR/keys/genesis.vkey")
export MITHRIL_CLIENT_CACHE_DIR=""

status() { get /status | py "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
node_epoch() { py "import json; print(json.load(open('$RUN_DIR/node/node.socket'))['tip']['epoch'])"; }
set_gate() { echo "$1" >"$RUN_DIR/node/epoch-gate.tmp" && mv "$RUN_DIR/node/epoch-gate.tmp" "$RUN_DIR/node/epoch-gate"; }
node_in() { [ "$(node_epoch)" = "$1" ]; }
agg_in() { [ "$(status epoch)" = "$1" ]; }
# certified EPOCH: a multi-signed MithrilStakeDistribution certificate of EPOCH.
certified() { get /certificates | py "import json,sys
print(any(c['epoch'] == $1 and c['previous_hash'] != '' for c in json.load(sys.stdin)))" | grep -q True; }
registered() { get "/signers/registered/$1" | py 'import json,sys
try: print(len(json.load(sys.stdin)["registrations"]))
except Exception: print(0)'; }
all_registered() { [ "$(registered "$1")" = 3 ]; }

# 1. The conductor stops: this test leads the node's epochs from now on, by
#    its gate. The node goes on up to the epoch E the gate allows, and holds
#    there once E is certified.
stop_one conductor
E=$(cat "$RUN_DIR/node/epoch-gate")
wait_until 120 "the node in epoch $E" node_in "$E" || fail "node not in epoch $E"
wait_until 120 "a certificate of epoch $E" certified "$E" && pass "epoch $E certified" || fail "epoch $E not certified"
LAST=$(get /certificates | py 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
PORT=$(cat "$RUN_DIR/aggregator/port")

# 2. The aggregator is down for the whole of epoch E+1.
stop_one aggregator
alive aggregator && fail "aggregator still running"
set_gate $((E + 2))
wait_until 120 "the node in epoch $((E + 2))" node_in $((E + 2)) && pass "node led through epoch $((E + 1)) with the aggregator down" \
    || fail "node not in epoch $((E + 2))"

# 3. Back in E+2 on the same store and port: blocked, and it says why. Its
#    ancillary key file is moved away once it started: the key is read at
#    start only (the archives of step 5 are still signed with it).
start_aggregator "$PORT"
wait_until 60 "the aggregator up" get /status >/dev/null || fail "aggregator not up"
mv "$RUN_DIR/keys/ancillary.sk" "$RUN_DIR/keys/ancillary.sk.away"
blocked() { [ "$(status runtime_state)" = blocked-epoch-gap ]; }
wait_until 60 "/status blocked-epoch-gap" blocked && pass "/status: runtime_state=blocked-epoch-gap" \
    || fail "/status: runtime_state '$(status runtime_state)'"
REASON=$(status blocked_reason)
case $REASON in
*"epoch $((E + 1)) ended without a certificate (the last one is of epoch $E)"*"new genesis"*)
    pass "/status: blocked_reason names the missed epoch: $REASON" ;;
*) fail "/status: blocked_reason '$REASON'" ;;
esac
grep -q "level=error .*event=blocked state=blocked-epoch-gap epoch=$((E + 2))" "$RUN_DIR/logs/aggregator.log" \
    && pass "the aggregator's log has the incident (level=error event=blocked)" || fail "no blocked event in the log"
# The signers register with the aggregator again during E+2 (its keys sign
# in E+3); meanwhile nothing is certified.
wait_until 120 "3 signers registered in epoch $((E + 2))" all_registered $((E + 2)) \
    && pass "signers registered again in epoch $((E + 2))" || fail "signers not registered in $((E + 2))"
certified $((E + 2)) && fail "a certificate of epoch $((E + 2)) despite the gap" || pass "nothing certified while blocked"
set_gate $((E + 3))
wait_until 120 "the aggregator in epoch $((E + 3))" agg_in $((E + 3)) || fail "aggregator not in epoch $((E + 3))"
blocked && pass "still blocked in epoch $((E + 3)) (a gap does not heal by itself)" || fail "unblocked without genesis"

# 4. The documented re-genesis: devnet/genesis (genesis bootstrap with the
#    aggregator's settings and the key file, retried until the signers of
#    the current epoch are known).
if RUN_DIR=$RUN_DIR BUILD_DIR=$BUILD_DIR WAIT_TIMEOUT=120 "$SRC/devnet/genesis" 2>>"$RUN_DIR.run.log"; then
    pass "devnet/genesis: new genesis certificate of epoch $((E + 3))"
else
    fail "devnet/genesis"
fi
GEN=$(get /certificates | py "import json,sys
print([c['hash'] for c in json.load(sys.stdin) if c['previous_hash'] == '' and c['epoch'] == $((E + 3))][0])")
unblocked() { [ -z "$(status runtime_state)" ]; }
wait_until 60 "/status unblocked" unblocked && pass "/status no longer blocked" || fail "still blocked: $(status blocked_reason)"
grep -q "event=unblocked epoch=$((E + 3))" "$RUN_DIR/logs/aggregator.log" && pass "unblocked event logged" \
    || fail "no unblocked event in the log"
grep -q "secret_on_command_line" "$RUN_DIR/logs/genesis.log" && fail "a genesis secret key on a command line"

# 5. Certificates resume in E+4, chained to the new genesis; the client
#    verifies the chain; the chain before the gap is still served.
set_gate $((E + 4))
wait_until 120 "a certificate of epoch $((E + 4))" certified $((E + 4)) && pass "certificates resume in epoch $((E + 4))" \
    || fail "no certificate in epoch $((E + 4))"
H=$(get /certificates | py "import json,sys
print([c['hash'] for c in json.load(sys.stdin) if c['epoch'] == $((E + 4)) and c['previous_hash'] != ''][0])")
walk() { # HASH: the chain's hashes back to its genesis, one per line
    local h=$1
    while [ -n "$h" ]; do
        echo "$h"
        h=$(get "/certificate/$h" | py 'import json,sys; print(json.load(sys.stdin)["previous_hash"])')
    done
}
CHAIN=$(walk "$H")
[ "$(echo "$CHAIN" | tail -n 1)" = "$GEN" ] && ! echo "$CHAIN" | grep -q "$LAST" \
    && pass "epoch $((E + 4))'s certificate chains to the new genesis ($(echo "$CHAIN" | wc -l) certificates)" \
    || fail "chain of $H: $(echo "$CHAIN" | tr '\n' ' ')"
"$CLIENT_BIN" --aggregator-endpoint "$(agg_url)" certificate verify "$H" >"$RUN_DIR/verify.txt" 2>"$RUN_DIR/logs/client-verify.log" \
    && pass "mithril-client verifies the new chain: $(tail -n 1 "$RUN_DIR/verify.txt" | cut -c1-120)" \
    || fail "mithril-client certificate verify $H: $(tail -n 2 "$RUN_DIR/logs/client-verify.log")"
"$CLIENT_BIN" --aggregator-endpoint "$(agg_url)" certificate verify "$LAST" >/dev/null 2>&1 \
    && pass "the chain before the gap still verifies ($LAST)" || fail "old chain no longer verifies"
cdb_in() { get /artifact/cardano-database | py "import json,sys
print(any(a['beacon']['epoch'] == $1 for a in json.load(sys.stdin)))" | grep -q True; }
wait_until 120 "a CardanoDatabase artifact of epoch $((E + 4))" cdb_in $((E + 4)) || fail "no CardanoDatabase in $((E + 4))"
CDB=$(get /artifact/cardano-database | py 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
"$CLIENT_BIN" --aggregator-endpoint "$(agg_url)" cardano-db download "$CDB" --download-dir "$RUN_DIR/client/after" \
    --include-ancillary --ancillary-verification-key "$(cat "$RUN_DIR/keys/ancillary.vkey")" \
    >/dev/null 2>"$RUN_DIR/logs/client-after.log" \
    && pass "the new chain's Cardano DB restores, ancillary signed with the key read at start" \
    || fail "restore after re-genesis: $(tail -n 2 "$RUN_DIR/logs/client-after.log")"

echo "e2e regenesis: $fails failure(s), wall ${SECONDS}s"
[ $fails = 0 ]
