#!/bin/bash
# End-to-end: a follower aggregator (LEADER_AGGREGATOR_ENDPOINT) beside the
# leader (docs/aggregator.md, "Follower aggregators").
#   - NUM_FOLLOWERS=1 devnet/run (epochs paced by devnet/conductor) prints
#     event=follower_ready; the follower synchronises the leader's signers and
#     chain, and the signers send it their signatures too;
#   - in epoch E both certify: the follower's certificates are its own, both
#     chains verify (mithril-client) to the same genesis; the client restores
#     a Cardano DB from the follower, byte-identical to the node's;
#   - the leader is stopped for epoch E+1: the follower moves to E+1 with the
#     registrations it fetched while the round was open, keeps certifying
#     (the signers sign for it) and its client keeps restoring; the leader,
#     back on its port, gets the signatures it missed and both certify E+2;
#   - a second follower pointed at a lying proxy of the leader (one
#     certificate of the chain tampered) refuses to synchronise: its /status
#     and an error event say why, and it stores no certificate.
. "${MTL_SOURCE_DIR:?}/tests/e2e/e2e_lib.sh" follower

export NUM_SIGNERS=3 NUM_POOLS=3 NUM_FOLLOWERS=1 KEEP_RUNNING=1 EPOCH_GATE=1
# 10 s epochs: before genesis the conductor does not hold them, and a loaded
# machine (or a sanitizer build) must still let every signer register in one.
export EPOCH_LENGTH=${EPOCH_LENGTH:-100} WAIT_TIMEOUT=${WAIT_TIMEOUT:-300}
if "$SRC/devnet/run" >"$RUN_DIR.summary" 2>"$RUN_DIR.run.log"; then
    pass "devnet runs with a follower and certifies"
else
    cat "$RUN_DIR.run.log"; fail "devnet/run"; exit 1
fi
grep -q "event=follower_ready url=http://127.0.0.1:[0-9]*/aggregator$" "$RUN_DIR.run.log" \
    && pass "devnet/run prints event=follower_ready url=..." || fail "no follower_ready line"
export GENESIS_VERIFICATION_KEY; GENESIS_VERIFICATION_KEY=$(cat "$RUN_DIR/keys/genesis.vkey")
export MITHRIL_CLIENT_CACHE_DIR=""
W=$(dirname "$RUN_DIR")
T=$WAIT_TIMEOUT

node_epoch() { py "import json; print(json.load(open('$RUN_DIR/node/node.socket'))['tip']['epoch'])"; }
set_gate() { echo "$1" >"$RUN_DIR/node/epoch-gate.tmp" && mv "$RUN_DIR/node/epoch-gate.tmp" "$RUN_DIR/node/epoch-gate"; }
node_in() { [ "$(node_epoch)" = "$1" ]; }
# ROUTE on the leader (L) or follower i (F i): the JSON text
L() { get "$1"; }
F() { fget "$1" "$2"; }
field() { py "import json,sys
try: print(json.load(sys.stdin).get('$1', ''))
except Exception: print('')"; }
# certs_in SRC... EPOCH: hashes of the multi-signed certificates of EPOCH
certs_in() { local e=${*: -1}; "${@:1:$#-1}" /certificates | py "import json,sys
try: [print(c['hash']) for c in json.load(sys.stdin) if c['epoch'] == $e and c['previous_hash']]
except Exception: pass"; }
certified() { [ -n "$(certs_in "$@")" ]; }
# own_certified EPOCH: the follower has a certificate of EPOCH the leader has not
own_certified() { local l; l=$(certs_in L "$1"); certs_in F 0 "$1" | grep -qvxF "${l:-none}"; }
in_epoch() { local e=${*: -1}; [ "$("${@:1:$#-1}" /status | field epoch)" = "$e" ]; }
registered() { "${@:1:$#-2}" "/signers/registered/${*: -2:1}" | py "import json,sys
try: print(len(json.load(sys.stdin)['registrations']))
except Exception: print(0)" | grep -qx "${*: -1}"; }
cdb_in() { local e=${*: -1}; "${@:1:$#-1}" /artifact/cardano-database | py "import json,sys
a = [x for x in json.load(sys.stdin) if x['beacon']['epoch'] == $e]
print(a[0]['hash'], a[0]['beacon']['immutable_file_number']) if a else sys.exit(1)"; }
# restore_check NAME HASH N: download HASH from the follower, compare 0..N with the node
restore_check() {
    local dir=$W/restore-$1
    if ! "$CLIENT_BIN" --aggregator-endpoint "$(follower_url 0)" cardano-db download "$2" \
        --download-dir "$dir" --include-ancillary \
        --ancillary-verification-key "$(cat "$RUN_DIR/follower-0/keys/ancillary.vkey")" \
        >/dev/null 2>"$W/client-$1.log"; then
        fail "$1: restore from the follower: $(tail -n 2 "$W/client-$1.log")"; return
    fi
    local n ext f bad=0
    for n in $(seq 0 "$3"); do
        for ext in chunk primary secondary; do
            f=$(printf '%05d.%s' "$n" "$ext")
            cmp -s "$RUN_DIR/node/db/immutable/$f" "$dir/db/immutable/$f" || bad=1
        done
    done
    [ $bad = 0 ] && pass "$1: the client restores $2 from the follower, files 0..$3 identical to the node's" \
        || fail "$1: restored files differ from the node's"
}
verify_on() { # NAME URL: mithril-client verifies that aggregator's latest certificate
    "$CLIENT_BIN" --aggregator-endpoint "$2" certificate verify latest >"$W/verify-$1.txt" 2>&1 \
        && pass "mithril-client verifies the $1's chain: $(tail -n 1 "$W/verify-$1.txt" | cut -c1-100)" \
        || fail "$1's chain: $(tail -n 2 "$W/verify-$1.txt")"
}

# 1. The conductor stops: the test leads the epochs. Both certify epoch E,
#    the follower with certificates of its own.
stop_one conductor
E=$(cat "$RUN_DIR/node/epoch-gate")
wait_until "$T" "the node in epoch $E" node_in "$E" || fail "node not in epoch $E"
wait_until "$T" "a leader certificate of epoch $E" certified L "$E" && pass "the leader certifies epoch $E" \
    || fail "leader: no certificate of epoch $E"
wait_until "$T" "a follower certificate of epoch $E" own_certified "$E" \
    && pass "the follower certifies epoch $E with its own certificates" || fail "follower: no own certificate of epoch $E"
LG=$(L /certificate/genesis | field hash)
FG=$(F 0 /certificate/genesis | field hash)
[ -n "$LG" ] && [ "$LG" = "$FG" ] && pass "same genesis on both: $LG" || fail "genesis leader '$LG' follower '$FG'"
verify_on leader "$(agg_url)"
verify_on follower "$(follower_url 0)"
[ "$(F 0 /status | field follower_synchronization)" = synchronized ] \
    && pass "follower /status: follower_synchronization=synchronized" || fail "follower /status: $(F 0 /status)"
grep -q "event=follower_chain_synchronized" "$RUN_DIR/logs/follower-0.log" \
    && pass "the follower logged its chain synchronisation" || fail "no follower_chain_synchronized event"
code=$(curl -s -o "$W/reg.out" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"epoch":1,"party_id":"pool1x","verification_key":"00"}' "$(follower_url 0)/register-signer")
[ "$code" = 500 ] && grep -q "always closed on a follower" "$W/reg.out" \
    && pass "the follower refuses registrations (as the reference: HTTP 500, round always closed)" \
    || fail "follower register-signer: $code $(cat "$W/reg.out")"
read -r H N < <(wait_until "$T" "a follower CardanoDatabase of epoch $E" cdb_in F 0 "$E" >/dev/null; cdb_in F 0 "$E")
[ -n "${H:-}" ] && restore_check "epoch-$E" "$H" "$N" || fail "no follower CardanoDatabase artifact of epoch $E"

# 2. The leader stops for epoch E+1, once the follower holds the
#    registrations of the open round (they sign in E+2).
wait_until "$T" "the 3 registrations of epoch $E on the leader" registered L "$E" 3 || fail "leader registrations"
wait_until "$T" "the 3 registrations of epoch $E on the follower" registered F 0 "$E" 3 \
    && pass "the follower fetched the open round's registrations" || fail "follower registrations of epoch $E"
PORT=$(cat "$RUN_DIR/aggregator/port")
stop_one aggregator
alive aggregator && fail "leader still running"
set_gate $((E + 1))
wait_until "$T" "the follower in epoch $((E + 1))" in_epoch F 0 $((E + 1)) \
    && pass "the follower moves to epoch $((E + 1)) with the leader down" || fail "follower not in epoch $((E + 1))"
grep -q "event=follower_leader_unreachable epoch=$((E + 1))" "$RUN_DIR/logs/follower-0.log" \
    && pass "the follower logged the leader unreachable" || fail "no follower_leader_unreachable event"
wait_until "$T" "a follower certificate of epoch $((E + 1))" certified F 0 $((E + 1)) \
    && pass "the follower keeps certifying in epoch $((E + 1)) without the leader" || fail "follower: nothing certified in $((E + 1))"
read -r H N < <(wait_until "$T" "a follower CardanoDatabase of epoch $((E + 1))" cdb_in F 0 $((E + 1)) >/dev/null; cdb_in F 0 $((E + 1)))
[ -n "${H:-}" ] && restore_check "epoch-$((E + 1))" "$H" "$N" || fail "no follower CardanoDatabase of epoch $((E + 1))"
verify_on follower "$(follower_url 0)"

# 3. The leader back on its port in E+1: it gets the signatures it missed
#    and the deferred registrations; both certify E+2.
start_aggregator "$PORT"
wait_until "$T" "the leader in epoch $((E + 1))" in_epoch L $((E + 1)) || fail "leader not back in epoch $((E + 1))"
wait_until "$T" "a leader certificate of epoch $((E + 1))" certified L $((E + 1)) \
    && pass "the leader, back, certifies epoch $((E + 1)) from the signatures kept for it" || fail "leader: nothing in $((E + 1))"
wait_until "$T" "the 3 registrations of epoch $((E + 1)) on the leader" registered L $((E + 1)) 3 \
    && pass "the deferred registrations reach the leader" || fail "leader registrations of epoch $((E + 1))"
set_gate $((E + 2))
wait_until "$T" "a leader certificate of epoch $((E + 2))" certified L $((E + 2)) && pass "the leader certifies epoch $((E + 2))" \
    || fail "leader: nothing in $((E + 2))"
wait_until "$T" "a follower certificate of epoch $((E + 2))" own_certified $((E + 2)) \
    && pass "the follower certifies epoch $((E + 2))" || fail "follower: nothing in $((E + 2))"
verify_on leader "$(agg_url)"
verify_on follower "$(follower_url 0)"

# 4. A follower behind a lying proxy: the certificate before the leader's
#    latest is served tampered (a message part changed, signed_message
#    recomputed, hash field kept).
LATEST=$(L /certificates | py 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
PREV=$(L "/certificate/$LATEST" | field previous_hash)
L "/certificate/$PREV" >"$W/prev.json"
"$MTL_BUILD_DIR/tests/client/cert-forge" "$W/prev.json" --part next_protocol_parameters=00 >"$W/prev-forged.json" \
    || fail "cert-forge"
cmp -s "$W/prev.json" "$W/prev-forged.json" && fail "the forged certificate is the genuine one"
printf '{"upstream": "%s", "routes": {"/aggregator/certificate/%s": ["%s"]}}\n' "$(agg_url)" "$PREV" \
    "$W/prev-forged.json" >"$W/evil-script.json"
/usr/bin/python3 "$SRC/tests/client/evil_aggregator.py" "$W/evil-script.json" "$W/evil.port" 2>"$W/evil.err" &
echo "evil $!" >>"$RUN_DIR/pids"
wait_until 60 "the lying proxy" test -s "$W/evil.port" || fail "proxy not started"
follower_env 1 "http://127.0.0.1:$(cat "$W/evil.port")/aggregator"
start_follower 1 0
wait_until "$T" "follower-1 up" test -s "$RUN_DIR/follower-1/port" || fail "follower-1 not started"
refused() { [ "$(F 1 /status | field follower_synchronization)" = refused ]; }
wait_until "$T" "follower-1 refusing the chain" refused \
    && pass "the follower behind the proxy refuses the chain: $(F 1 /status | field follower_synchronization_error | cut -c1-160)" \
    || fail "follower-1 /status: $(F 1 /status)"
case $(F 1 /status | field follower_synchronization_error) in
*"does not verify"*"$PREV"*) pass "its /status names the tampered certificate $PREV" ;;
*) fail "follower-1 error: $(F 1 /status | field follower_synchronization_error)" ;;
esac
grep -q "level=error .*event=follower_chain_refused" "$RUN_DIR/logs/follower-1.log" \
    && pass "an error event follower_chain_refused in its log" || fail "no follower_chain_refused event"
[ "$(F 1 /certificates)" = "[]" ] && pass "it stored no certificate of that chain" \
    || fail "follower-1 stored certificates: $(F 1 /certificates | cut -c1-200)"

echo "e2e follower: $fails failure(s), wall ${SECONDS}s"
[ $fails = 0 ]
