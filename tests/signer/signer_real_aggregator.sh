#!/bin/bash
# mithril-signer against the real mithril-aggregator, over cardano-node-sim
# and the cardano-cli shim, with three signers holding their pools' KES keys
# and operational certificates. The test opens each epoch itself (the sim's
# --epoch-gate) once what it checks in the current one is done, so nothing
# depends on the machine's speed; every wait is on a condition, with a cap.
# Checked against the aggregator's own answers (/signers/registered,
# /certificates, /certificate/H, /epoch-settings, its log):
#   - a signer started before the aggregator retries, then registers;
#   - each signer registers exactly once per epoch, with the key it stored
#     (0600); every certificate is signed by the three party ids (the
#     protocol parameters make a quorum need all three);
#   - kill -9 of a signer after its registration, restarted as if the kill
#     came before it recorded the aggregator's answer: it posts the same key
#     again (the aggregator keeps its one record, unchanged), signs nothing
#     twice, and its key signs the certificates two epochs later; kill -9
#     of another signer mid-epoch: restarted, it neither registers nor signs
#     again in that epoch;
#   - kill -9 of the aggregator across an epoch change, restarted on the same
#     store: the signers recover, register and the new certificates chain to
#     the old ones (mithril-client verifies the chain to genesis);
#   - SIGTERM stops each signer with exit status 0; no sanitizer report.
# Faults the real aggregator cannot produce (500s, hangs, malformed answers,
# one refused message, the API version header) stay in
# signer_fake_aggregator.py.
set -u
. "$MTL_SOURCE_DIR/tests/lib.sh"
B=${MTL_BUILD_DIR:?}
SIM=$B/tools/cardano-node-sim/cardano-node-sim
CLI=$B/tools/cardano-cli/cardano-cli
AGG=$B/src/aggregator/mithril-aggregator
SIGNER=$B/src/signer/mithril-signer
CLIENT=$B/src/client/mithril-client
STORED_VK=$B/tests/signer/signer_stored_vk
for b in "$SIM" "$CLI" "$AGG" "$SIGNER" "$CLIENT" "$STORED_VK"; do
    [ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }
done
py() { /usr/bin/python3 -c "$@"; }

EL=20                # slots per epoch (= a chunk: security param 2)
CAP=${WAIT_CAP:-90}  # seconds for any one wait (ASan on a loaded machine)
# m lotteries, each won by a signer of stake share s with probability
# 1-(1-phi_f)^s: the three pools win ~0.69·m distinct indexes, the two
# largest (<= 0.75 of the stake) ~0.59·m; k in between, ~7 sigma from
# both: every certificate needs all three signers.
PARAMS='{"k":2540,"m":4000,"phi_f":0.69}'
MAGIC=42
GATE=$WORK/gate
SOCKET=$WORK/node/node.socket
PORT=$(py 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/aggregator
declare -A PID
N_SIGNERS=3

cleanup() {
    local n
    for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null; done
    for n in "${!PID[@]}"; do
        for _ in $(seq 50); do kill -0 "${PID[$n]}" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "${PID[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    if [ "$fails" -ne 0 ]; then
        for n in "$WORK"/*.log; do
            echo "----- $(basename "$n") (last events but cycles and requests)"
            grep -av 'event=\(cycle\|request\) ' "$n" | tail -n 15
        done
    fi
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
# need SECS WHAT CMD...: poll CMD until it succeeds; after SECS, fail and stop.
need() {
    local secs=$1 what=$2 end=$((SECONDS + $1))
    shift 2
    until "$@"; do
        if [ $SECONDS -ge $end ]; then fail "$what (not after ${secs}s)"; finish "signer/real aggregator"; fi
        sleep 0.2
    done
}
get() { curl -sf --max-time 20 -H 'mithril-api-version: 0.1.68' "$URL$1"; }
up() { get /status >/dev/null; }
open_epoch() { echo "$1" >"$GATE.tmp" && mv "$GATE.tmp" "$GATE"; }
node_epoch() { py 'import json,sys; print(json.load(open(sys.argv[1]))["tip"]["epoch"])' "$SOCKET" 2>/dev/null; }
node_held_in() { # EPOCH: the node produced epoch EPOCH's last slot
    py 'import json,sys
t = json.load(open(sys.argv[1]))["tip"]
sys.exit(0 if t.get("slot") == (int(sys.argv[2]) + 1) * int(sys.argv[3]) - 1 else 1)' "$SOCKET" "$1" "$EL" 2>/dev/null
}
agg_epoch_is() { [ "$(get /epoch-settings | py 'import json,sys; print(json.load(sys.stdin)["epoch"])' 2>/dev/null)" = "$1" ]; }
# parties EPOCH: the party ids registered during EPOCH (/signers/registered
# gives parties and stakes only), sorted, one line.
parties() {
    get "/signers/registered/$1" | py 'import json,sys
print(" ".join(sorted(r["party_id"] for r in json.load(sys.stdin)["registrations"])))'
}
all_registered() { [ "$(parties "$1" 2>/dev/null | tr ' ' '\n' | sort -u | grep -c .)" = $N_SIGNERS ]; }
# keys EPOCH: "party vk" of the signers registered during EPOCH-1, from
# /epoch-settings in EPOCH (its next signers).
keys() {
    get /epoch-settings | py 'import json,sys
s = json.load(sys.stdin)
if s["epoch"] != int(sys.argv[1]):
    sys.exit("epoch-settings of epoch %d, not %s" % (s["epoch"], sys.argv[1]))
for x in s["next_signers"]:
    print(x["party_id"], x["verification_key"])' "$1"
}
# reg_record EPOCH PARTY: the aggregator's record of PARTY's registration
# during EPOCH in /signers/registered.
reg_record() {
    get "/signers/registered/$1" | py 'import json,sys
print([json.dumps(r, sort_keys=True) for r in json.load(sys.stdin)["registrations"] if r["party_id"] == sys.argv[1]])' "$2"
}
# certified EPOCH: "hash previous_hash kind signers..." per multi-signed
# certificate of EPOCH; exit 1 unless both kinds are there.
certified() {
    get /certificates | py 'import json,sys,subprocess
e = int(sys.argv[1])
kinds = set()
for c in json.load(sys.stdin):
    if c["epoch"] != e or c["previous_hash"] == "":
        continue
    kind = next(iter(c["signed_entity_type"]))
    full = json.loads(subprocess.run(["curl", "-sf", "--max-time", "20", "-H", "mithril-api-version: 0.1.68",
                                      sys.argv[2] + "/certificate/" + c["hash"]],
                                     capture_output=True, check=True).stdout)
    parties = sorted(s["party_id"] for s in full["metadata"]["signers"])
    print(c["hash"], c["previous_hash"], kind, *parties)
    kinds.add(kind)
sys.exit(0 if kinds == {"MithrilStakeDistribution", "CardanoDatabase"} else 1)' "$1" "$URL"
}
certified_q() { certified "$1" >/dev/null 2>&1; }
cycles() { grep -c 'event=cycle ' "$WORK/$1.log"; }
more_cycles() { [ "$(cycles "$1")" -ge "$2" ]; }
# logged FILE PATTERN: a line of FILE matches (extended regexp)
logged() { grep -Eq -- "$2" "$WORK/$1.log"; }

declare -A LOG # the log of signer I's current process
start_signer() { # I [SUFFIX]: a signer for pool I, logging to signer-I[SUFFIX].log
    mkdir -p "$WORK/stores-$1"
    LOG[$1]=signer-$1${2:-}
    env AGGREGATOR_ENDPOINT="$URL" NETWORK=devnet NETWORK_MAGIC=$MAGIC CARDANO_CLI_PATH="$CLI" \
        CARDANO_NODE_SOCKET_PATH="$SOCKET" DB_DIRECTORY="$WORK/node/db" \
        DATA_STORES_DIRECTORY="$WORK/stores-$1" RUN_INTERVAL=250 AGGREGATOR_TIMEOUT_MS=20000 \
        KES_SECRET_KEY_PATH="$WORK/node/pools/$1/kes.skey" \
        OPERATIONAL_CERTIFICATE_PATH="$WORK/node/pools/$1/opcert.cert" \
        "$SIGNER" -vv >>"$WORK/${LOG[$1]}.log" 2>&1 &
    PID[signer-$1]=$!
}
# kill9_signer I: kill -9 signer I once the cycle running now has ended
# (what it did is then recorded), and wait for it.
kill9_signer() {
    need "$CAP" "signer-$1 ends a cycle" more_cycles "${LOG[$1]}" $(($(cycles "${LOG[$1]}") + 1))
    kill -KILL "${PID[signer-$1]}"
    wait "${PID[signer-$1]}" 2>/dev/null
}
AGG_ENV=(env NETWORK=devnet NETWORK_MAGIC="$MAGIC" CARDANO_CLI_PATH="$CLI" CARDANO_NODE_SOCKET_PATH="$SOCKET"
    DB_DIRECTORY="$WORK/node/db" DATA_STORES_DIRECTORY="$WORK/agg/stores"
    SNAPSHOT_DIRECTORY="$WORK/agg/snapshots" SERVER_IP=127.0.0.1 SERVER_PORT="$PORT"
    PORT_FILE="$WORK/agg/port" PROTOCOL_PARAMETERS="$PARAMS" RUN_INTERVAL=250
    SIGNED_ENTITY_TYPES="MithrilStakeDistribution,CardanoDatabase"
    ANCILLARY_SECRET_KEY_PATH="$WORK/keys/ancillary.sk" SLOTS_PER_KES_PERIOD=$((2 * EL)))
start_aggregator() {
    rm -f "$WORK/agg/port"
    "${AGG_ENV[@]}" GENESIS_VERIFICATION_KEY="$(cat "$WORK/keys/genesis.vkey")" \
        "$AGG" -vvv serve >>"$WORK/aggregator.log" 2>&1 &
    PID[aggregator]=$!
    need "$CAP" "aggregator answers on port $PORT" up
}

# ---- 1. The node, held at the end of epoch 1; the pools' SPO files. --------
mkdir -p "$WORK/node" "$WORK/agg" "$WORK/keys"
open_epoch 1
"$SIM" --db "$WORK/node/db" --socket "$SOCKET" --seed 42 --run --epoch-length $EL --slot-length 20 \
    --security-param 2 --pools $N_SIGNERS --magic $MAGIC --slots-per-kes-period $((2 * EL)) \
    --pools-dir "$WORK/node/pools" --epoch-gate "$GATE" >>"$WORK/node.log" 2>&1 &
PID[node]=$!
need "$CAP" "the node reaches the end of epoch 1" node_held_in 1
mapfile -t POOL < <(for i in $(seq 0 $((N_SIGNERS - 1))); do cat "$WORK/node/pools/$i/pool.id"; done)
ALL_POOLS=$(printf '%s\n' "${POOL[@]}" | sort | paste -sd' ')
"$AGG" genesis generate-keypair --target-path "$WORK/keys" >/dev/null 2>>"$WORK/genesis.log"
"$AGG" tools generate-ancillary-keypair --target-path "$WORK/keys" >/dev/null 2>>"$WORK/genesis.log"

# ---- 2. Signer 2 before the aggregator: it retries; then all register. ----
start_signer 2
need "$CAP" "signer-2 fails two cycles while no aggregator answers" \
    eval '[ "$(grep -c "event=cycle_failed.*epoch-settings" "$WORK/signer-2.log")" -ge 2 ]'
kill -0 "${PID[signer-2]}" 2>/dev/null && pass "signer started before the aggregator keeps retrying" ||
    fail "signer-2 exited while the aggregator was down"
start_aggregator
start_signer 0
start_signer 1
need "$CAP" "three signers registered in epoch 1" all_registered 1
pass "signer-2 registered once the aggregator was up"

# check_registrations EPOCH (while the aggregator is in EPOCH): one
# registration per pool during EPOCH; the keys registered during EPOCH-1
# (shown from EPOCH on) are those the signers stored for EPOCH (mode 0600).
check_registrations() {
    local e=$1 r i vk mode
    r=$(parties "$e")
    [ "$r" = "$ALL_POOLS" ] && pass "epoch $e: exactly one registration per pool" ||
        fail "epoch $e registrations: $r"
    [ "$e" -gt 1 ] || return 0
    r=$(keys "$e")
    [ "$(echo "$r" | cut -d' ' -f1 | sort | paste -sd' ')" = "$ALL_POOLS" ] ||
        fail "epoch $e: next signers $(echo "$r" | cut -c1-70 | paste -sd';')"
    for i in $(seq 0 $((N_SIGNERS - 1))); do
        vk=$("$STORED_VK" "$WORK/stores-$i" "$e" 2>&1)
        mode=$(stat -c %a "$WORK/stores-$i/protocol_initializer-$e.key" 2>/dev/null)
        if [ "$mode" = 600 ] && echo "$r" | grep -qxF "${POOL[$i]} $vk"; then
            pass "epoch $e: signer-$i's key registered in epoch $((e - 1)) is the one it stored (mode $mode)"
        else
            fail "epoch $e: signer-$i's stored key (mode ${mode:-none}: ${vk:0:60}) is not its registration"
        fi
    done
}
check_registrations 1

# ---- 3. Genesis in epoch 2, then certificates signed by all three. ---------
open_epoch 2
need "$CAP" "the aggregator in epoch 2" agg_epoch_is 2
bootstrap() {
    "${AGG_ENV[@]}" "$AGG" genesis bootstrap --genesis-secret-key-path "$WORK/keys/genesis.sk" \
        >>"$WORK/genesis.log" 2>&1
}
need "$CAP" "genesis bootstrap" bootstrap
need "$CAP" "three signers registered in epoch 2" all_registered 2
check_registrations 2
# check_certified EPOCH: both kinds certified in EPOCH, each by the three pools.
check_certified() {
    local c
    c=$(certified "$1") || { fail "epoch $1 not certified: $c"; return; }
    if [ "$(echo "$c" | cut -d' ' -f4- | sort -u)" = "$ALL_POOLS" ]; then
        pass "epoch $1: $(echo "$c" | wc -l) certificates, each signed by the three pools"
    else
        fail "epoch $1 certificate signers: $c"
    fi
}
open_epoch 3
need "$CAP" "certificates of epoch 3" certified_q 3
check_certified 3
need "$CAP" "three signers registered in epoch 3" all_registered 3
check_registrations 3

# ---- 4. kill -9 of signer-0 after registering, restarted. ------------------
# Once its epoch-3 signatures and registration (for 4) are recorded, its
# "registered" mark is removed, as if the kill had come between the
# aggregator's answer and the mark.
before=$(reg_record 3 "${POOL[0]}")
key_sum=$(sha256sum <"$WORK/stores-0/protocol_initializer-4.key")
kill9_signer 0
[ -f "$WORK/stores-0/registered-4" ] && rm "$WORK/stores-0/registered-4" ||
    fail "signer-0 left no registered-4 mark after its registration"
start_signer 0 b
need "$CAP" "the aggregator answers signer-0's registration after the restart" \
    logged aggregator "event=signer_(already_registered|refused) party=${POOL[0]} epoch=4"
logged aggregator "event=signer_already_registered party=${POOL[0]} epoch=4" &&
    logged signer-0b 'event=signer_registered epoch=4 ' &&
    pass "signer-0 posted its registration again; the aggregator took it as the one it holds" ||
    fail "signer-0's registration after the restart: $(grep -am1 "signer_refused party=${POOL[0]}" "$WORK/aggregator.log")"
need "$CAP" "signer-0 runs 4 cycles after the restart" more_cycles signer-0b 4
logged signer-0b 'event=key_created epoch=4 ' && fail "signer-0 made a new key after the restart" ||
    pass "the restarted signer-0 made no new key"
[ "$(sha256sum <"$WORK/stores-0/protocol_initializer-4.key")" = "$key_sum" ] &&
    pass "signer-0's stored key of epoch 4 unchanged" || fail "signer-0's stored key changed"
after=$(reg_record 3 "${POOL[0]}")
[ "$before" = "$after" ] && [[ $before == *stake* ]] &&
    pass "the aggregator kept signer-0's one registration, unchanged" ||
    fail "signer-0's registration record: before $before, after $after"
logged signer-0b 'event=signature_(published|too_late|rejected)' &&
    fail "signer-0 signed again in epoch 3 after the restart" || pass "nothing signed twice after the restart"

# ---- 5. Epochs 4 and 5: signer-0's keys of before the kill sign. -----------
# In epoch 4, kill -9 of signer-1 once it registered and signed: restarted,
# it neither registers nor signs again in that epoch, and signs in 5.
for e in 4 5; do
    open_epoch $e
    need "$CAP" "certificates of epoch $e" certified_q $e
    check_certified $e
    need "$CAP" "three signers registered in epoch $e" all_registered $e
    check_registrations $e
    [ $e = 4 ] || continue
    kill9_signer 1
    start_signer 1 b
    need "$CAP" "signer-1 runs 4 cycles after its restart" more_cycles signer-1b 4
    logged signer-1b 'event=(key_created|signer_registered|signature_published|signature_too_late)' &&
        fail "signer-1 restarted mid-epoch did it again: $(grep -aEm1 'event=(key_created|signer_registered|signature_)' "$WORK/signer-1b.log")" ||
        pass "signer-1 restarted mid-epoch 4 neither registers nor signs again"
done
# ---- 6. kill -9 of the aggregator; epoch 6 opens while it is down. ---------
hashes_before=$(get /certificates | py 'import json,sys; print(" ".join(c["hash"] for c in json.load(sys.stdin)))')
kill -KILL "${PID[aggregator]}"
wait "${PID[aggregator]}" 2>/dev/null
n_fail=()
for i in 0 1 2; do n_fail[i]=$(grep -c 'event=cycle_failed' "$WORK/${LOG[$i]}.log"); done
open_epoch 6
need "$CAP" "the node in epoch 6" eval '[ "$(node_epoch)" = 6 ]'
for i in 0 1 2; do
    need "$CAP" "signer-$i fails a cycle without the aggregator" \
        eval "[ \"\$(grep -c 'event=cycle_failed' '$WORK/${LOG[$i]}.log')\" -gt ${n_fail[i]} ]"
done
start_aggregator
need "$CAP" "three signers registered in epoch 6 after the aggregator's restart" all_registered 6
check_registrations 6
need "$CAP" "certificates of epoch 6 after the aggregator's restart" certified_q 6
check_certified 6
# The walk from the latest certificate to genesis goes through the
# certificates made before the kill.
chain=$(py 'import json,sys,subprocess
def get(h):
    return json.loads(subprocess.run(["curl", "-sf", "--max-time", "20", "-H", "mithril-api-version: 0.1.68",
                                      sys.argv[1] + "/certificate/" + h], capture_output=True, check=True).stdout)
before = set(sys.argv[2].split())
c = get(json.loads(subprocess.run(["curl", "-sf", "-H", "mithril-api-version: 0.1.68", sys.argv[1] + "/certificates"],
                                  capture_output=True, check=True).stdout)[0]["hash"])
epochs, old = [], 0
while True:
    epochs.append(c["epoch"])
    old += c["hash"] in before
    if c["previous_hash"] == "":
        break
    c = get(c["previous_hash"])
print(old, *epochs)' "$URL" "$hashes_before" 2>&1)
case $chain in
*" 6 "*" 5 "*" 2") [ "${chain%% *}" -gt 0 ] && pass "the chain continues across the restart: epochs ${chain#* }" ||
    fail "chain: $chain" ;;
*) fail "certificate chain after the aggregator's restart: $chain" ;;
esac
GENESIS_VERIFICATION_KEY=$(cat "$WORK/keys/genesis.vkey") MITHRIL_CLIENT_CACHE_DIR="" \
    "$CLIENT" --aggregator-endpoint "$URL" certificate verify latest >"$WORK/client.out" 2>"$WORK/client.log" &&
    pass "mithril-client verifies the chain to genesis" || fail "mithril-client certificate verify latest"

# ---- 7. Registrations counted over the run; SIGTERM; logs. -----------------
# Each signer made one key and one registration per epoch (signer-0: its
# epoch-4 registration twice, by design, the aggregator's record once).
for i in 0 1 2; do
    dup=$(cat "$WORK/signer-$i"*.log | grep -ao 'event=\(key_created\|signer_registered\) epoch=[0-9]*' | sort | uniq -d | tr '\n' ';')
    want=$([ $i = 0 ] && echo 'event=signer_registered epoch=4;')
    [ "$dup" = "$want" ] && pass "signer-$i: one key and one registration per epoch${want:+ (and the re-post after kill -9)}" ||
        fail "signer-$i repeated: $dup"
    n=$(grep -c "event=signer_registered party=${POOL[$i]} " "$WORK/aggregator.log")
    [ "$n" = 6 ] && pass "the aggregator recorded signer-$i's registration once in each of the 6 epochs" ||
        fail "the aggregator recorded signer-$i $n times"
done
n=$(grep -c 'event=signer_already_registered' "$WORK/aggregator.log")
[ "$n" = 1 ] && pass "one registration posted twice (the restart's), none else" || fail "$n registrations posted again"
logged aggregator 'event=signer_refused' && fail "the aggregator refused a registration: $(grep -m1 signer_refused "$WORK/aggregator.log")" ||
    pass "the aggregator refused no registration"
for n in signer-0 signer-1 signer-2; do
    kill -TERM "${PID[$n]}"
    wait "${PID[$n]}"
    rc=$?
    unset "PID[$n]"
    [ $rc = 0 ] && pass "SIGTERM stops $n with status 0" || fail "$n exited with $rc on SIGTERM"
done
kill -TERM "${PID[aggregator]}" "${PID[node]}" 2>/dev/null
wait "${PID[aggregator]}" "${PID[node]}" 2>/dev/null
unset 'PID[aggregator]' 'PID[node]'
bad=$(grep -lE 'Sanitizer|runtime error' "$WORK"/*.log)
[ -z "$bad" ] && pass "no sanitizer report in any log" || fail "sanitizer report in $bad"
finish "signer/real aggregator"
