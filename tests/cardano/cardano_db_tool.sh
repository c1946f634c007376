#!/bin/sh
# cardano_db_tool.sh BIN - check `mithril-cardano-db` against sha256sum and a
# from-the-spec Python model (legacy digest, MMR with BLAKE2s) on a database
# made of random files, then the cache and the error exits.
set -eu
BIN=$1
PY=/usr/bin/python3
T=$(mktemp -d /tmp/mtl-cardano-db-tool.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DB=$T/db
mkdir -p "$DB/immutable" "$DB/ledger" "$DB/volatile"
printf '42' >"$DB/protocolMagicId"
printf 'ledger state' >"$DB/ledger/437"
# trios 00000..00010 (sizes vary, some empty like skipped chunks) + trio 00011 being written
i=0
while [ $i -le 11 ]; do
    n=$(printf '%05d' $i)
    dd if=/dev/urandom of="$DB/immutable/$n.chunk" bs=1024 count=$((i * 37 % 200)) 2>/dev/null
    printf '\001' >"$DB/immutable/$n.primary"
    dd if=/dev/urandom bs=56 count=$((i % 4)) 2>/dev/null >>"$DB/immutable/$n.primary"
    : >"$DB/immutable/$n.secondary"
    [ $((i % 3)) -eq 0 ] || dd if=/dev/urandom of="$DB/immutable/$n.secondary" bs=56 count=$((i * 5)) 2>/dev/null
    i=$((i + 1))
done
printf 'not an immutable file' >"$DB/immutable/README.md"

# expected per-file digests from sha256sum, in reference order (number, name)
(cd "$DB/immutable" && ls -1 | grep -E '^[0-9]+\.(chunk|primary|secondary)$' | sort | xargs sha256sum) >"$T/all.sha"

expect() { # expect NETWORK EPOCH N -> JSON {digest, merkle_root, files}
    "$PY" - "$T/all.sha" "$1" "$2" "$3" <<'PYEOF'
import hashlib, json, sys
shafile, network, epoch, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
files = []
for line in open(shafile):
    digest, name = line.split()
    if int(name.split('.')[0]) <= n:
        files.append((name, digest))
# legacy (spec 2.2): beacon hash over network name + be64 epoch + be64 number, all as hex text
beacon = hashlib.sha256(network.encode() + epoch.to_bytes(8, 'big') + n.to_bytes(8, 'big')).hexdigest()
h = hashlib.sha256(beacon.encode())
for _, d in files:
    h.update(d.encode())
# v2 (spec 2.3): MMR over the ASCII hex leaves, BLAKE2s-256, peaks bagged right to left
b2 = lambda a, b: hashlib.blake2s(a + b, digest_size=32).digest()
peaks = []
for _, d in files:
    node, height = d.encode(), 0
    while peaks and peaks[-1][0] == height:
        node = b2(peaks.pop()[1], node)
        height += 1
    peaks.append((height, node))
acc = peaks.pop()[1]
while peaks:
    acc = b2(acc, peaks.pop()[1])
print(json.dumps({"digest": h.hexdigest(), "merkle_root": acc.hex(),
                  "files": [{"name": a, "digest": b} for a, b in files]}))
PYEOF
}

compare() { # compare ACTUAL_JSON EXPECTED_JSON N
    "$PY" - "$1" "$2" "$3" <<'PYEOF'
import json, sys
got, want, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
assert got["immutable_file_number"] == n, got["immutable_file_number"]
for k in ("digest", "merkle_root", "files"):
    assert got[k] == want[k], "%s: got %s, want %s" % (k, str(got[k])[:200], str(want[k])[:200])
PYEOF
}

# 1. default N = last certifiable = 10; legacy digest for devnet epoch 7
"$BIN" digest --db "$DB" --network devnet --epoch 7 --json >"$T/got.json"
expect devnet 7 10 >"$T/want.json"
compare "$T/got.json" "$T/want.json" 10 || fail "digest (default N) differs from the Python model"
echo "ok default N=10: $(grep -o '"merkle_root": "[0-9a-f]*"' "$T/got.json")"

# 2. explicit lower N, other network, one thread, given db/immutable directly
"$BIN" digest --db "$DB/immutable" --immutable-file-number 4 --network preprod --epoch 99 --threads 1 --json >"$T/got.json"
expect preprod 99 4 >"$T/want.json"
compare "$T/got.json" "$T/want.json" 4 || fail "digest N=4 differs"
echo "ok N=4 preprod"

# 3. files: exactly sha256sum's lines, every file including the trio being written
"$BIN" files --db "$DB" >"$T/files.txt"
cmp "$T/files.txt" "$T/all.sha" || fail "files output differs from sha256sum"
"$BIN" files --db "$DB" --json | "$PY" -c 'import json,sys; f=json.load(sys.stdin)["files"]; assert len(f)==36 and f[-1]["name"]=="00011.secondary", f[-1]'
echo "ok files"

# 4. cache: second run served from it with the same result; corrupt cache reported, ignored
"$BIN" digest --db "$DB" --network devnet --epoch 7 --cache "$T/cache.json" --json >"$T/c1.json"
[ "$(stat -c %a "$T/cache.json")" = 600 ] || fail "cache file mode is not 0600"
"$BIN" digest --db "$DB" --network devnet --epoch 7 --cache "$T/cache.json" --json >"$T/c2.json"
"$PY" -c 'import json,sys; a,b=json.load(open(sys.argv[1])),json.load(open(sys.argv[2])); assert b["from_cache"]==33 and b["hashed"]==0, b; assert a["merkle_root"]==b["merkle_root"] and a["files"]==b["files"] and a["digest"]==b["digest"]' "$T/c1.json" "$T/c2.json"
expect devnet 7 10 >"$T/w10.json"
compare "$T/c2.json" "$T/w10.json" 10 || fail "cached result differs"
# a file whose size changed: its cache entry is not used, the file is re-hashed
printf 'x' >>"$DB/immutable/00003.chunk"
"$BIN" digest --db "$DB" --network devnet --epoch 7 --cache "$T/cache.json" --json >"$T/c3.json"
(cd "$DB/immutable" && ls -1 | grep -E '^[0-9]+\.(chunk|primary|secondary)$' | sort | xargs sha256sum) >"$T/all.sha"
expect devnet 7 10 >"$T/w10.json"
compare "$T/c3.json" "$T/w10.json" 10 || fail "changed file not re-hashed"
"$PY" -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["hashed"]==1, b["hashed"]' "$T/c3.json"
printf '{"version":1,"files":{"00001.chunk":' >"$T/cache.json"
"$BIN" digest --db "$DB" --network devnet --epoch 7 --cache "$T/cache.json" --json >"$T/c4.json" 2>"$T/err.txt"
grep -q 'cache_ignored' "$T/err.txt" || fail "corrupt cache not reported: $(cat "$T/err.txt")"
compare "$T/c4.json" "$T/w10.json" 10 || fail "result with a corrupt cache differs"
echo "ok cache"

# 5. errors: exit codes and messages naming the problem
rc=0; "$BIN" digest --db "$DB" --immutable-file-number 50 2>"$T/err.txt" >/dev/null || rc=$?
[ $rc -eq 1 ] && grep -q 'expected 50 but found Some(11)' "$T/err.txt" || fail "N too high: rc=$rc $(cat "$T/err.txt")"
rc=0; "$BIN" digest --db "$T/nowhere" 2>"$T/err.txt" >/dev/null || rc=$?
[ $rc -eq 1 ] && grep -q "Couldn't find the 'immutable' folder" "$T/err.txt" || fail "missing dir: rc=$rc"
printf 'x' >"$DB/immutable/abc.chunk"
rc=0; "$BIN" files --db "$DB" 2>"$T/err.txt" >/dev/null || rc=$?
[ $rc -eq 1 ] && grep -q "abc.chunk" "$T/err.txt" || fail "bad name: rc=$rc $(cat "$T/err.txt")"
rm "$DB/immutable/abc.chunk"
rc=0; "$BIN" digest --db "$DB" --epoch nope 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "bad --epoch: rc=$rc"
rc=0; "$BIN" frobnicate 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "unknown command: rc=$rc"
"$BIN" --help | grep -q 'immutable-file-number' || fail "--help"
"$BIN" digest --help | grep -q 'Exit codes' || fail "digest --help"
mkdir -p "$T/one/immutable" && printf 'x' >"$T/one/immutable/00000.chunk"
rc=0; "$BIN" digest --db "$T/one" 2>"$T/err.txt" || rc=$?
[ $rc -eq 1 ] && grep -q 'nothing is certifiable' "$T/err.txt" || fail "single trio: rc=$rc $(cat "$T/err.txt")"
echo "ok errors"
echo "PASS"
