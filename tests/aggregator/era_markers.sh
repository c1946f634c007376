#!/bin/bash
# Mithril era markers end to end: `era list|generate-keypair|generate-tx-datum`
# in the reference's formats (the datum's signature checked by an independent
# Ed25519), the file and cardano-chain adapters (the cardano-cli shim answering
# `query utxo` from utxo.json) in aggregator and signer: a supported era runs
# and shows on /status, an era switch at a chosen epoch, an unsupported era
# (at start or at a new epoch) stops both with a clear message, a datum signed
# by another key or tampered is refused, an unsupported next era is warned of.
set -u
. "$MTL_SOURCE_DIR/tests/lib.sh"
AGG="$MTL_BUILD_DIR/src/aggregator/mithril-aggregator"
SIGNER="$MTL_BUILD_DIR/src/signer/mithril-signer"
CLI="$MTL_BUILD_DIR/tools/cardano-cli/cardano-cli"
PY=/usr/bin/python3
ADDR=addr_test1vpcr3he05gemue6eyy0c9clajqnnww8aa2l3jszjdlszjhq093qrn

# ---- era list ----------------------------------------------------------------
[ "$("$AGG" era list --json)" = '["pythagoras","lagrange"]' ] && pass "era list --json" ||
    fail "era list --json: $("$AGG" era list --json)"
printf 'Supported Eras:\n[\n    Pythagoras,\n    Lagrange,\n]\n' >"$WORK/list.want"
"$AGG" era list | cmp -s - "$WORK/list.want" && pass "era list (the reference's text)" ||
    fail "era list: $("$AGG" era list)"

# ---- era generate-keypair ------------------------------------------------------
mkdir -p "$WORK/keys"
"$AGG" era generate-keypair --target-path "$WORK/keys" >"$WORK/out" || fail "generate-keypair"
grep -q "Era generate keypair to $WORK/keys" "$WORK/out" && pass "generate-keypair says where" ||
    fail "generate-keypair output: $(cat "$WORK/out")"
[ "$(stat -c %a "$WORK/keys/era.sk")" = 600 ] && pass "era.sk is 0600" || fail "era.sk mode"
SK=$(cat "$WORK/keys/era.sk")
VK=$(cat "$WORK/keys/era.vk")
$PY -c "import json,sys; assert len(json.loads(bytes.fromhex(sys.argv[1])))==32" "$VK" &&
    pass "era.vk is JSON-hex of 32 bytes" || fail "era.vk format"

# ---- era generate-tx-datum -------------------------------------------------------
datum() { "$AGG" era generate-tx-datum --era-markers-secret-key "$SK" --target-path "$@"; }
datum "$WORK/d1.json" --current-era-epoch 0 --next-era-epoch 10 && pass "generate-tx-datum" ||
    fail "generate-tx-datum"
ko "next epoch not after current refused" "strictly greater" datum "$WORK/x.json" \
    --current-era-epoch 10 --next-era-epoch 10
ko "bad secret key refused" "era-markers-secret-key" "$AGG" era generate-tx-datum \
    --current-era-epoch 1 --era-markers-secret-key 00 --target-path "$WORK/x.json"
ko "missing current epoch refused" "CURRENT_ERA_EPOCH" datum "$WORK/x.json"
# The reference's shapes; the signature checked over the markers' serde JSON.
SHAPE=$(
    $PY - "$WORK/d1.json" "$VK" <<'PY'
import json, sys
raw = open(sys.argv[1]).read()
d = json.loads(raw)
assert list(d) == ["constructor", "fields"] and d["constructor"] == 0, d
fields = [f["bytes"] for f in d["fields"]]
assert all(len(f) == 128 for f in fields[:-1]) and 0 < len(fields[-1]) <= 128
text = bytes.fromhex("".join(fields)).decode()
p = json.loads(text)
assert list(p) == ["markers", "signature"], p
want = '[{"name":"pythagoras","epoch":0},{"name":"lagrange","epoch":10}]'
assert text == '{"markers":%s,"signature":"%s"}' % (want, p["signature"]), text
assert raw == json.dumps(d, separators=(",", ":")), "not compact"
try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    print("shape ok (no python cryptography: signature not re-checked)")
    sys.exit(0)
vk = bytes(json.loads(bytes.fromhex(sys.argv[2])))
Ed25519PublicKey.from_public_bytes(vk).verify(bytes.fromhex(p["signature"]), want.encode())
print("shape ok, Ed25519 signature verified independently")
PY
) && pass "tx datum: $SHAPE" || fail "tx datum shape"
datum "$WORK/d2.json" --current-era-epoch 7 && $PY - "$WORK/d2.json" <<'PY' && pass "no next epoch: lagrange announced with epoch null" || fail "datum without next epoch"
import json, sys
d = json.load(open(sys.argv[1]))
p = json.loads(bytes.fromhex("".join(f["bytes"] for f in d["fields"])))
assert p["markers"] == [{"name": "pythagoras", "epoch": 7}, {"name": "lagrange", "epoch": None}]
PY

# ---- the chain: the shim's node state, a stake stand-in, UTxOs ----------------
NODE="$WORK/node"
mkdir -p "$NODE"
node_epoch() { # the epoch both the shim (tip) and the aggregator's stand-in report
    printf '{"magic":42,"tip":{"epoch":%s,"slot":%s,"block":1,"era":"Conway"},"pools":{}}\n' \
        "$1" "$(($1 * 100))" >"$NODE/state.tmp" && mv "$NODE/state.tmp" "$NODE/node.socket"
    printf '{"epoch":%s,"stake_distribution":{"pool1a":10}}\n' "$1" >"$WORK/stakes.tmp" &&
        mv "$WORK/stakes.tmp" "$WORK/stakes.json"
}
utxo() { # utxo DATUM_FILE: the datum in an inline-datum UTxO at $ADDR
    $PY - "$1" "$ADDR" "$NODE/utxo.json" <<'PY'
import json, sys
datum = json.load(open(sys.argv[1]))
u = {"address": sys.argv[2], "datum": None, "inlineDatum": datum,
     "inlineDatumhash": "00" * 32, "referenceScript": None, "value": {"lovelace": 2000000}}
plain = dict(u, inlineDatum=None)
json.dump({sys.argv[2]: {"aa" * 32 + "#1": plain, "bb" * 32 + "#0": u}}, open(sys.argv[3], "w"))
PY
}
node_epoch 3
export CARDANO_CLI_PATH="$CLI" NETWORK_MAGIC=42 CARDANO_NODE_SOCKET_PATH="$NODE/node.socket"
export STAKE_DISTRIBUTION_FILE="$WORK/stakes.json" RUN_INTERVAL=100

serve() { # serve ADAPTER PARAMS [args...]
    local type=$1 params=$2
    shift 2
    ERA_READER_ADAPTER_TYPE=$type ERA_READER_ADAPTER_PARAMS=$params "$AGG" -v serve \
        --data-stores-directory "$WORK/s-$type" --server-port 0 --port-file "$WORK/port" "$@"
}
status_era() {
    curl -s "http://127.0.0.1:$PORT/aggregator/status" |
        $PY -c 'import json,sys; print(json.load(sys.stdin)["mithril_era"])'
}
wait_era() { # wait_era WANT: /status says WANT within 30 s
    for _ in $(seq 300); do [ "$(status_era)" = "$1" ] && return 0; sleep 0.1; done
    return 1
}

# File adapter: era switch at a chosen epoch (pythagoras, lagrange from 10).
echo '[{"name":"pythagoras","epoch":0},{"name":"lagrange","epoch":10}]' >"$WORK/markers.json"
FILEP="{\"markers_file\":\"$WORK/markers.json\"}"
start_bg agg-file "$WORK/port" serve file "$FILEP"
wait_era pythagoras && pass "file adapter: /status mithril_era pythagoras at epoch 3" ||
    fail "file adapter era: $(status_era)"
node_epoch 10
wait_era lagrange && pass "era switch: lagrange from epoch 10" || fail "era switch: $(status_era)"
grep -q 'event=era era=lagrange since_epoch=10 epoch=10 previous=pythagoras' "$WORK/agg-file.err" &&
    pass "era change logged" || fail "era change log: $(grep era "$WORK/agg-file.err")"
# An unsupported era reached at a new epoch stops the aggregator (exit 1).
echo '[{"name":"pythagoras","epoch":0},{"name":"lagrange","epoch":10},{"name":"euclid","epoch":12}]' \
    >"$WORK/markers.json"
grep -q "unsupported_next_era" "$WORK/agg-file.err" && fail "warned too early"
node_epoch 11
for _ in $(seq 300); do grep -q unsupported_next_era "$WORK/agg-file.err" && break; sleep 0.1; done
grep -q "upcoming Mithril era 'euclid' (from epoch 12) is not supported" "$WORK/agg-file.err" &&
    pass "unsupported next era warned of" || fail "no next-era warning"
node_epoch 12
for _ in $(seq 300); do kill -0 "$BG_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$BG_PID" 2>/dev/null; then
    fail "aggregator still runs in an unsupported era"
else
    wait "$BG_PID"
    rc=$?
    BG_PID=
    [ $rc = 1 ] && grep -q "unsupported Mithril era 'euclid' (active since epoch 12, current epoch 12)" \
        "$WORK/agg-file.err" && ! grep -q Sanitizer "$WORK/agg-file.err" && pass "unsupported era at a new epoch: aggregator stops (exit 1)" ||
        fail "stop in unsupported era: exit $rc, $(report "$WORK/agg-file.err")"
fi
ko "unsupported era at start: aggregator refuses" \
    "unsupported Mithril era 'euclid' (active since epoch 12, current epoch 12): this software supports pythagoras, lagrange" \
    serve file "$FILEP"
echo '[{"name":"lagrange","epoch":3},{"name":"pythagoras","epoch":1}]' >"$WORK/bad-order.json"
ko "markers out of order: aggregator refuses" "markers must be in increasing epoch order" \
    serve file "{\"markers_file\":\"$WORK/bad-order.json\"}"
ko "bad adapter type refused" "ERA_READER_ADAPTER_TYPE: 'chain' is not one of" serve chain ""
ko "file adapter without params refused" "ERA_READER_ADAPTER_PARAMS: required by the file" \
    serve file ""
ko "dummy adapter, no era active" "no era marker is active at epoch 12" \
    serve dummy '{"markers":[{"name":"pythagoras","epoch":20}]}'

# cardano-chain adapter: the signed datum at the address, through the shim.
node_epoch 3
CHAINP="{\"address\":\"$ADDR\",\"verification_key\":\"$VK\"}"
utxo "$WORK/d1.json"
start_bg agg-chain "$WORK/port" serve cardano-chain "$CHAINP"
wait_era pythagoras && pass "cardano-chain adapter: signed datum read through query utxo" ||
    fail "cardano-chain era: $(status_era); $(tail -3 "$WORK/agg-chain.err")"
stop_bg
MAINNET_VK=$(cat "${MTL_SHARED_DIR:-/nonexistent}/reference-data/genesis-keys/release-mainnet/era.vkey" 2>/dev/null)
if [ -n "$MAINNET_VK" ]; then
    ko "datum not signed by the network's era key refused" \
        "none of the 1 inline datums at address $ADDR holds era markers signed by the era verification key" \
        serve cardano-chain "{\"address\":\"$ADDR\",\"verification_key\":\"$MAINNET_VK\"}"
fi
$PY - "$WORK/d1.json" "$WORK/tampered.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
text = bytes.fromhex("".join(f["bytes"] for f in d["fields"])).decode()
text = text.replace('"epoch":10', '"epoch":11')  # lagrange moved, signature kept
h = text.encode().hex()
d["fields"] = [{"bytes": h[i:i + 128]} for i in range(0, len(h), 128)]
json.dump(d, open(sys.argv[2], "w"))
PY
utxo "$WORK/tampered.json"
ko "tampered datum refused" "signature does not verify with the era verification key" \
    serve cardano-chain "$CHAINP"
ko "address without datum refused" "no UTxO at address addr_other has an inline datum" \
    serve cardano-chain '{"address":"addr_other","verification_key":"'"$VK"'"}'
ko "cardano-chain without verification_key refused" "\"verification_key\" (a non-empty string) is required" \
    serve cardano-chain "{\"address\":\"$ADDR\"}"

# ---- the signer -------------------------------------------------------------------
signer() { # signer ADAPTER PARAMS MAX_CYCLES
    ERA_READER_ADAPTER_TYPE=$1 ERA_READER_ADAPTER_PARAMS=$2 MAX_CYCLES=$3 \
        AGGREGATOR_ENDPOINT=http://127.0.0.1:9/aggregator NETWORK=devnet PARTY_ID=pool1test \
        ALLOW_UNAUTHENTICATED_SIGNER=true DATA_STORES_DIRECTORY="$WORK/signer" \
        DB_DIRECTORY="$WORK/db" "$SIGNER" -vv
}
utxo "$WORK/d1.json"
signer cardano-chain "$CHAINP" 1 2>"$WORK/signer.err" && grep -q 'event=era era=pythagoras' "$WORK/signer.err" &&
    pass "signer: supported era read from the chain" || fail "signer start: $(tail -3 "$WORK/signer.err")"
echo '[{"name":"euclid","epoch":0}]' >"$WORK/euclid.json"
ko "unsupported era at start: signer refuses" \
    "mithril-signer: unsupported Mithril era 'euclid' (active since epoch 0, current epoch 3)" \
    signer file "{\"markers_file\":\"$WORK/euclid.json\"}" 5
ko "signer: bad adapter type refused" "ERA_READER_ADAPTER_TYPE" signer nope "" 1
# At a new epoch: the signer stops when the era it enters is unsupported.
echo '[{"name":"pythagoras","epoch":0},{"name":"euclid","epoch":4}]' >"$WORK/switch.json"
signer file "{\"markers_file\":\"$WORK/switch.json\"}" 0 2>"$WORK/signer2.err" &
SPID=$!
for _ in $(seq 300); do grep -q 'event=era era=pythagoras' "$WORK/signer2.err" && break; sleep 0.1; done
node_epoch 4
for _ in $(seq 600); do kill -0 $SPID 2>/dev/null || break; sleep 0.1; done
if kill -0 $SPID 2>/dev/null; then
    kill $SPID
    fail "signer still runs in an unsupported era"
else
    wait $SPID
    rc=$?
    [ $rc = 1 ] && grep -q "unsupported Mithril era 'euclid' (active since epoch 4, current epoch 4)" \
        "$WORK/signer2.err" && ! grep -q Sanitizer "$WORK/signer2.err" && pass "unsupported era at a new epoch: signer stops (exit 1)" ||
        fail "signer stop: exit $rc, $(report "$WORK/signer2.err")"
fi
"$AGG" --help | grep -q ERA_READER_ADAPTER_PARAMS && "$SIGNER" --help | grep -q ERA_READER_ADAPTER_TYPE &&
    pass "--help lists the era settings" || fail "--help era settings"
finish era
