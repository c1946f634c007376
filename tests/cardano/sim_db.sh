#!/bin/sh
# cardano-node-sim + cardano-cli shim: the DB passes the independent checker
# (which also accepts the real node samples and rejects a corrupted one),
# runs are deterministic and resumable byte for byte, bad input is refused,
# and the shim prints the real cardano-cli shapes from the sim's state.
set -eu
B=${MTL_BUILD_DIR:?}
SRC=${MTL_SOURCE_DIR:?}
SIM=$B/tools/cardano-node-sim/cardano-node-sim
CLI=$B/tools/cardano-cli/cardano-cli
CHECK="/usr/bin/python3 $SRC/tests/cardano/check_node_db.py"
T=$(mktemp -d /tmp/sim_db.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_fail() { # expect_fail WANT_IN_STDERR cmd...
    want=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then fail "accepted: $*"; fi
    grep -q -- "$want" "$T/err" || fail "$*: stderr lacks '$want': $(cat "$T/err")"
}

# 1. three epochs, default settings: layout, hashes, chaining
$SIM --db "$T/a" --seed 5 --epochs 3
$CHECK "$T/a" --sim --chunk-size 100 --k 10
[ "$(cat "$T/a/protocolMagicId")" = 42 ] || fail protocolMagicId
[ -e "$T/a/clean" ] || fail "no clean marker after a clean exit"
# 3 epochs x 100 slots, 10 blocks volatile: immutable slots 0..289 => 3 trios
[ -e "$T/a/immutable/00002.chunk" ] && [ ! -e "$T/a/immutable/00003.chunk" ] || fail "trio count"
[ "$(stat -c %s "$T/a/immutable/00000.primary")" = 409 ] || fail "finalised primary size"

# 2. the checker agrees with the real node samples and rejects a corruption
SAMPLES=${MTL_SHARED_DIR:-}/reference-data/cardano-node-samples
if [ -d "$SAMPLES/immutable" ]; then
    $CHECK "$SAMPLES/immutable" --chunk-size 100
    for f in 00000.chunk 00000.primary 00000.secondary; do
        # same sizes for the fixed-size files as the real devnet
        case $f in *.chunk) continue ;; esac
        [ "$(stat -c %s "$T/a/immutable/$f")" = "$(stat -c %s "$SAMPLES/immutable/$f")" ] || fail "$f size differs from the real sample"
    done
    if $CHECK "$SAMPLES/parsing_error/immutable" --chunk-size 4320 2>"$T/err"; then fail "corrupted sample accepted"; fi
    grep -q "CRC32 mismatch" "$T/err" || fail "corrupted sample: $(cat "$T/err")"
else
    echo "reference samples absent: skipping the sample comparison"
fi
cp -r "$T/a" "$T/tampered"
printf 'X' | dd of="$T/tampered/immutable/00001.chunk" bs=1 seek=2000 conv=notrunc 2>/dev/null
if $CHECK "$T/tampered" --sim 2>"$T/err"; then fail "tampered chunk accepted"; fi
grep -q "00001" "$T/err" || fail "tamper not located: $(cat "$T/err")"

# 3. determinism and resume: same bytes
$SIM --db "$T/b" --seed 5 --epochs 3
diff -r "$T/a" "$T/b" || fail "two runs with the same seed differ"
for i in 1 2 3; do $SIM --db "$T/c" --seed 5 --epochs 1; done
diff -r "$T/a" "$T/c" || fail "resumed run differs from a single run"
$SIM --db "$T/d" --seed 6 --epochs 1
cmp -s "$T/a/immutable/00000.chunk" "$T/d/immutable/00000.chunk" && fail "seed ignored"

# 4. sparse chain: empty slots and skipped chunks, big transactions
$SIM --db "$T/e" --seed 11 --epochs 4 --active-slot-coeff 0.05 --security-param 2 \
    --epoch-length 100 --tx-bytes 3000 --pools 5 --magic 7 --socket "$T/e.socket"
# resumed twice mid-way (volatile blocks reloaded from volatile/): same bytes
for n in 1 3; do
    $SIM --db "$T/e2" --seed 11 --epochs $n --active-slot-coeff 0.05 --security-param 2 \
        --epoch-length 100 --tx-bytes 3000 --pools 5 --magic 7 --socket "$T/e2.socket"
done
diff -r "$T/e" "$T/e2" || fail "sparse chain: resumed run differs"
cmp "$T/e.socket" "$T/e2.socket" || fail "sparse chain: state files differ"
echo garbage >"$T/e2/volatile/$(ls "$T/e2/volatile" | head -1)"
expect_fail "not the Conway block" $SIM --db "$T/e2" --seed 11 --epochs 1 --active-slot-coeff 0.05 \
    --security-param 2 --epoch-length 100 --tx-bytes 3000 --pools 5 --magic 7 --socket "$T/e2.socket"
cp "$T/e.socket" "$T/e/node.socket"
$CHECK "$T/e" --sim --chunk-size 20 --k 2 | tee "$T/out"
grep -q "([1-9][0-9]* without blocks)" "$T/out" || fail "no skipped chunk exercised"

# 4b. real-time mode: SIGTERM stops it cleanly; resuming to the end of the
# epoch gives exactly what a fast run gives
$SIM --db "$T/r" --seed 4 --run --slot-length 10 --epoch-length 30 &
PID=$!
i=0
until [ -s "$T/r/node.socket" ] && grep -q '"epoch": [1-9]' "$T/r/node.socket"; do
    i=$((i + 1)); [ $i -lt 600 ] || { kill $PID; fail "--run made no progress"; }
    sleep 0.1
done
kill -TERM $PID
wait $PID || fail "--run did not exit cleanly on SIGTERM"
[ -e "$T/r/clean" ] || fail "no clean marker after SIGTERM"
$CHECK "$T/r" --sim --chunk-size 100 --k 10
EPOCH=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tip"]["epoch"])' "$T/r/node.socket")
$SIM --db "$T/r" --seed 4 --epochs 1 --epoch-length 30
$SIM --db "$T/f" --seed 4 --epochs $((EPOCH + 1)) --epoch-length 30
diff -r "$T/r" "$T/f" || fail "--run + resume differs from a fast run"

# 4c. --epoch-gate: the node holds at the start of an epoch the gate does not
# allow yet (tip stays in epoch 1), and goes on once the gate is raised
echo 1 >"$T/gate"
$SIM --db "$T/g" --seed 4 --run --slot-length 10 --epoch-length 30 --epoch-gate "$T/gate" -v \
    2>"$T/g.log" &
PID=$!
i=0
until grep -q 'epoch_gate_hold epoch=2' "$T/g.log"; do
    i=$((i + 1)); [ $i -lt 1200 ] || { kill $PID; fail "--epoch-gate: never held at epoch 2"; }
    sleep 0.1
done
tip_epoch() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tip"]["epoch"])' "$T/g/node.socket"; }
[ "$(tip_epoch)" = 1 ] || { kill $PID; fail "--epoch-gate: tip went past epoch 1"; }
echo 2 >"$T/gate.tmp" && mv "$T/gate.tmp" "$T/gate"
i=0
until [ "$(tip_epoch)" = 2 ]; do
    i=$((i + 1)); [ $i -lt 1200 ] || { kill $PID; fail "--epoch-gate: epoch 2 never entered once allowed"; }
    sleep 0.1
done
kill -TERM $PID
wait $PID || fail "--run with --epoch-gate did not exit cleanly on SIGTERM"

# 5. bad input
expect_fail "give exactly one of" $SIM --db "$T/x" --epochs 1 --run
expect_fail "--db DIR is required" $SIM --epochs 1
expect_fail "--epochs" $SIM --db "$T/x" --epochs abc
expect_fail "--active-slot-coeff" $SIM --db "$T/x" --epochs 1 --active-slot-coeff 0
expect_fail "--security-param" $SIM --db "$T/x" --epochs 1 --security-param 0
expect_fail "unrecognized option" $SIM --db "$T/x" --epochs 1 --frobnicate
expect_fail "seed=5, not 9" $SIM --db "$T/a" --seed 9 --epochs 1
expect_fail "pools=3, not 4" $SIM --db "$T/a" --seed 5 --pools 4 --epochs 1
mkdir -p "$T/foreign/immutable" && echo x >"$T/foreign/immutable/00000.chunk"
expect_fail "not written by cardano-node-sim" $SIM --db "$T/foreign" --epochs 1
diff -r "$T/a" "$T/b" || fail "a refused resume modified the DB"

# 6. the shim
export CARDANO_NODE_SOCKET_PATH="$T/a/node.socket"
$CLI latest query tip --testnet-magic 42 >"$T/tip.json"
/usr/bin/python3 - "$T/tip.json" "$T/a" <<'PY'
import hashlib, json, sys
tip = json.load(open(sys.argv[1]))
assert list(tip) == sorted(tip), tip
assert tip["epoch"] == 2 and tip["slot"] == 299 and tip["block"] == 299, tip
assert tip["era"] == "Conway" and tip["slotInEpoch"] == 99 and tip["slotsToEpochEnd"] == 1, tip
assert tip["syncProgress"] == "100.00"
# the tip hash is the BLAKE2b-256 of the last volatile block's header
import importlib.util, os
spec = importlib.util.spec_from_file_location("c", os.environ["MTL_SOURCE_DIR"] + "/tests/cardano/check_node_db.py")
c = importlib.util.module_from_spec(spec); spec.loader.exec_module(c)
blk = open(sys.argv[2] + "/volatile/blocks-299.dat", "rb").read()
assert c.parse_block(blk)[1].hex() == tip["hash"], "tip hash"
PY
$CLI query stake-snapshot --all-stake-pools --testnet-magic 42 --out-file "$T/snap.json"
$CLI conway query stake-distribution --testnet-magic 42 >"$T/dist.txt"
/usr/bin/python3 - "$T/snap.json" "$T/dist.txt" <<'PY'
import json, sys
snap = json.load(open(sys.argv[1]))
pools = snap["pools"]
assert len(pools) == 3 and all(len(k) == 56 for k in pools), pools
for f in ("stakeMark", "stakeSet", "stakeGo"):
    assert snap["total"][f] == sum(p[f] for p in pools.values()), f
# epoch 2: mark, set and go are three different snapshots
assert all(len({p["stakeMark"], p["stakeSet"], p["stakeGo"]}) == 3 for p in pools.values()), pools
lines = open(sys.argv[2]).read().split("\n")
assert "PoolId" in lines[0] and set(lines[1]) == {"-"}, lines[:2]
rows = [l.split() for l in lines[2:] if l]
assert len(rows) == 3 and all(r[0].startswith("pool1") and len(r[0]) == 56 for r in rows), rows
assert abs(sum(float(r[1]) for r in rows) - 1.0) < 0.01, rows
PY
POOL=$(sed -n 3p "$T/dist.txt" | cut -d' ' -f1)
$CLI latest query stake-snapshot --stake-pool-id "$POOL" --testnet-magic 42 | grep -q '"poolStakeMark": [1-9]' || fail "per-pool snapshot"
expect_fail "unNetworkMagic = 42" $CLI latest query tip --testnet-magic 1
expect_fail "unNetworkMagic = 42" $CLI latest query tip --mainnet
expect_fail "Invalid argument" $CLI latest query protocol-parameters --testnet-magic 42
expect_fail "Missing: --address" $CLI latest query utxo --testnet-magic 42
expect_fail "Missing: (--mainnet" $CLI latest query tip
expect_fail "all-stake-pools" $CLI latest query stake-snapshot --testnet-magic 42
expect_fail "does not exist" env CARDANO_NODE_SOCKET_PATH="$T/nope" $CLI latest query tip --testnet-magic 42
expect_fail "CARDANO_NODE_SOCKET_PATH not set" env -u CARDANO_NODE_SOCKET_PATH $CLI query tip --testnet-magic 42

# 7. pool credentials: SPO files per pool, secrets 0600, ids = the chain's ids
for i in 0 1 2; do
    d=$T/a/pools/$i
    [ "$(stat -c %a "$d")" = 700 ] || fail "pools/$i mode $(stat -c %a "$d")"
    for f in cold.skey kes.skey; do
        [ "$(stat -c %a "$d/$f")" = 600 ] || fail "pools/$i/$f mode $(stat -c %a "$d/$f")"
    done
    for f in cold.vkey kes.vkey opcert.cert pool.id; do [ -s "$d/$f" ] || fail "no pools/$i/$f"; done
done
/usr/bin/python3 - "$T/a/pools" "$T/dist.txt" "$T/snap.json" <<'PY'
import hashlib, json, os, sys
d, dist, snap = sys.argv[1:4]
want = {"cold.vkey": ("StakePoolVerificationKey_ed25519", "5820"),
        "cold.skey": ("StakePoolSigningKey_ed25519", "5820"),
        "kes.vkey": ("KesVerificationKey_ed25519_kes_2^6", "5820"),
        "kes.skey": ("KesSigningKey_ed25519_kes_2^6", "590260"),
        "opcert.cert": ("NodeOperationalCertificate", "82845820")}
ids, hashes = set(), set()
for i in sorted(os.listdir(d)):
    env = {}
    for f, (typ, head) in want.items():
        e = json.load(open(os.path.join(d, i, f)))
        assert set(e) == {"type", "description", "cborHex"}, (f, e.keys())
        assert e["type"] == typ and e["cborHex"].startswith(head), (i, f, e["type"], e["cborHex"][:12])
        env[f] = bytes.fromhex(e["cborHex"])
    cold = env["cold.vkey"][2:]
    op = env["opcert.cert"]
    # [[kes_vk, issue 0, start 0, sigma], cold_vk]
    assert op[4:36] == env["kes.vkey"][2:] and op[36:38] == b"\x00\x00", i
    assert op[38:40] == b"\x58\x40" and op[104:106] == b"\x58\x20" and op[106:] == cold, i
    h = hashlib.blake2b(cold, digest_size=28).hexdigest()
    hashes.add(h)
    ids.add(open(os.path.join(d, i, "pool.id")).read().strip())
rows = {l.split()[0] for l in open(dist).read().split("\n")[2:] if l}
assert ids == rows, (ids, rows)
assert hashes == set(json.load(open(snap))["pools"]), hashes
PY
OPC=$T/a/pools/1/opcert.cert
$CLI latest query kes-period-info --op-cert-file "$OPC" --testnet-magic 42 --out-file "$T/kes.json" >"$T/kes.out"
/usr/bin/python3 - "$T/kes.out" "$T/kes.json" <<'PY'
import json, sys
out = open(sys.argv[1], encoding="utf-8").read()
head, body = out[:out.index("{")], out[out.index("{"):]
assert "\u2713 Operational certificate's KES period is within" in head, head
assert "\u2713 The operational certificate counter agrees" in head, head
j = json.loads(body)
assert j == json.load(open(sys.argv[2])), "--out-file holds the same JSON"
assert list(j) == sorted(j) and body.startswith('{\n    "qKesCurrentKesPeriod": 0,'), body[:60]
# slot 299 with the default 129600 slots per period: period 0, 62 evolutions
assert j == {"qKesCurrentKesPeriod": 0, "qKesEndKesInterval": 62, "qKesKesKeyExpiry": None,
             "qKesMaxKESEvolutions": 62, "qKesNodeStateOperationalCertificateNumber": 0,
             "qKesOnDiskOperationalCertificateNumber": 0,
             "qKesRemainingSlotsInKesPeriod": 62 * 129600 - 299, "qKesSlotsPerKesPeriod": 129600,
             "qKesStartKesInterval": 0}, j
PY
expect_fail "Missing: --op-cert-file" $CLI latest query kes-period-info --testnet-magic 42
expect_fail "nope.cert" $CLI latest query kes-period-info --op-cert-file "$T/nope.cert" --testnet-magic 42
expect_fail "NodeOperationalCertificate" $CLI latest query kes-period-info --op-cert-file "$T/a/pools/1/kes.vkey" --testnet-magic 42
# KES periods come from slots: 40 slots per period, tip slot 199 => period 4
$SIM --db "$T/k" --seed 5 --epochs 2 --slots-per-kes-period 40 --pools-dir "$T/kpools"
[ -e "$T/kpools/2/opcert.cert" ] && [ ! -e "$T/k/pools" ] || fail "--pools-dir not used"
CARDANO_NODE_SOCKET_PATH=$T/k/node.socket $CLI latest query kes-period-info --testnet-magic 42 \
    --op-cert-file "$T/kpools/2/opcert.cert" | grep -q '"qKesCurrentKesPeriod": 4,' || fail "KES period 4 at slot 199"
expect_fail "slotsPerKESPeriod=40, not 50" $SIM --db "$T/k" --seed 5 --epochs 1 --slots-per-kes-period 50 --pools-dir "$T/kpools"
# keys of another seed (or pool) in a pool directory are never overwritten
cp "$T/kpools/0/cold.vkey" "$T/kpools/1/cold.vkey"
expect_fail "not the cold key of pool 1" $SIM --db "$T/k" --seed 5 --epochs 1 --slots-per-kes-period 40 --pools-dir "$T/kpools"
expect_fail "--slots-per-kes-period" $SIM --db "$T/x" --epochs 1 --slots-per-kes-period 0
echo "sim_db: all checks passed"
