#!/bin/bash
# The cardano-db download attack cases (tests/client/restore_attacks.sh) on
# the real aggregator's output: a short devnet (simulated node, aggregator,
# 2 signers, genesis then multi-signed CardanoDatabase certificates) whose
# signers are then stopped, and the lying aggregator in front of it.
set -u
SRC=${MTL_SOURCE_DIR:?}
export BUILD_DIR=${MTL_BUILD_DIR:?}
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
. "$SRC/tests/lib.sh"
. "$SRC/tests/client/evil_lib.sh"
. "$SRC/tests/client/restore_attacks.sh"
export RUN_DIR="$WORK/devnet"
. "$SRC/devnet/lib.sh"
trap 'kill "$EVIL_PID" 2>/dev/null; wait "$EVIL_PID" 2>/dev/null; stop_all; stop_bg; rm -rf "$WORK"' EXIT
W=$WORK

export NUM_SIGNERS=2 KEEP_RUNNING=1 EPOCH_GATE=1 WAIT_TIMEOUT=${WAIT_TIMEOUT:-240}
if ! "$SRC/devnet/run" >"$W/summary" 2>"$W/run.log"; then
    tail -20 "$W/run.log"; tail_logs; echo "FAIL: devnet/run"; exit 1
fi
# a snapshot with archives 00001 and 00002, signed by a multi-signature
cdb_ge2() {
    get /artifact/cardano-database | /usr/bin/python3 -c 'import json,sys
a = [x for x in json.load(sys.stdin) if x["beacon"]["immutable_file_number"] >= 2]
sys.exit(0 if a else 1)'
}
wait_until "$WAIT_TIMEOUT" "a CardanoDatabase artifact up to immutable file 2" cdb_ge2 || { echo "FAIL: no artifact"; exit 1; }
for p in conductor signer-0 signer-1; do stop_one "$p"; done
UP=$(agg_url)
read -r H C < <(get /artifact/cardano-database | /usr/bin/python3 -c 'import json,sys
a = [x for x in json.load(sys.stdin) if x["beacon"]["immutable_file_number"] >= 2][0]
print(a["hash"], a["certificate_hash"])')
get "/certificate/$C" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); assert c["multi_signature"] and c["previous_hash"]' \
    && pass "artifact $H certified by a multi-signature" || fail "artifact certificate is not a standard one"
export GENESIS_VERIFICATION_KEY="$RUN_DIR/keys/genesis.vkey"
evil_start "$UP"
restore_attacks "$UP" "$H" "$RUN_DIR/node/db" "$RUN_DIR/keys/ancillary.vkey"
finish e2e-client-attacks
