#!/bin/sh
# cardano-node-sim writes transactions: the blocks and transaction ids it
# lists in --tx-log are exactly what libmithril's chunk reader and block
# decoder find in its immutable files (tests/cardano/chunk_blocks), a
# realistic mix (empty and busy blocks), deterministic and resumable;
# --tx-density 0 writes empty blocks; a flipped byte in a transaction body is
# seen (the comparison can fail).
set -eu
B=${MTL_BUILD_DIR:?}
SRC=${MTL_SOURCE_DIR:?}
SIM=$B/tools/cardano-node-sim/cardano-node-sim
LIST=$B/tests/cardano/chunk_blocks
CHECK="/usr/bin/python3 $SRC/tests/cardano/check_node_db.py"
T=$(mktemp -d /tmp/sim_txs.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the immutable blocks are the first lines of the log (the last k are volatile)
same_as_log() { # same_as_log DB LOG
    $LIST "$1/immutable" >"$T/decoded" || fail "$1: chunk reader refused the sim's chunks"
    n=$(wc -l <"$T/decoded")
    [ "$n" -gt 0 ] || fail "$1: no immutable block"
    head -n "$n" "$2" | cmp -s - "$T/decoded" || fail "$1: decoded blocks differ from $2"
}

# 1. default density, 3 epochs: the listing matches the decoded chunks
$SIM --db "$T/a" --seed 5 --epochs 3 --tx-log "$T/a.log"
$CHECK "$T/a" --sim --chunk-size 100 --k 10 >/dev/null
[ "$(wc -l <"$T/a.log")" = 300 ] || fail "a line per block expected, got $(wc -l <"$T/a.log")"
same_as_log "$T/a" "$T/a.log"
[ "$(wc -l <"$T/decoded")" = 290 ] || fail "290 immutable blocks expected"

# 2. a realistic mix: empty blocks, busy ones (> 2 x density), unique ids
awk '{ n = NF - 3; t += n; if (n == 0) z++; if (n > 8) busy++ }
     END { if (t < 600 || t > 2400 || z < 20 || busy < 10) { print t, z, busy; exit 1 } }' \
    "$T/a.log" || fail "transaction mix: $(awk '{t+=NF-3} END{print t}' "$T/a.log") txs"
awk '{ for (i = 4; i <= NF; i++) print $i }' "$T/a.log" | sort | uniq -d >"$T/dups"
[ ! -s "$T/dups" ] || fail "duplicate transaction ids: $(head -1 "$T/dups")"
# bodies carry the Conway shapes: sets (tag 258) and multi-asset maps of 28-byte policies
od -An -tx1 -v "$T/a/immutable/00000.chunk" | tr -d ' \n' >"$T/hex"
grep -q 'd90102' "$T/hex" || fail "no tag-258 set in the bodies"
grep -q 'a1581c' "$T/hex" || fail "no multi-asset map in the bodies"

# 3. deterministic and resumable: the same blocks and the same listing
$SIM --db "$T/b" --seed 5 --epochs 3 --tx-log "$T/b.log"
cmp -s "$T/a.log" "$T/b.log" || fail "two runs list different transactions"
for i in 1 2 3; do $SIM --db "$T/c" --seed 5 --epochs 1 --tx-log "$T/c.log"; done
cmp -s "$T/a.log" "$T/c.log" || fail "a resumed run lists different transactions"
diff -r "$T/a" "$T/c" >/dev/null || fail "a resumed run wrote different bytes"
if $SIM --db "$T/c" --seed 5 --epochs 1 --tx-density 9 2>"$T/err"; then
    fail "resumed with another density"
fi
grep -q txDensity "$T/err" || fail "density change not named: $(cat "$T/err")"

# 4. dense, sparse and empty chains
$SIM --db "$T/d" --seed 9 --epochs 2 --tx-density 40 --security-param 3 --tx-log "$T/d.log"
same_as_log "$T/d" "$T/d.log"
awk '{ t += NF - 3 } END { exit !(t > 2400) }' "$T/d.log" || fail "--tx-density 40 too sparse"
$SIM --db "$T/e" --seed 9 --epochs 2 --tx-density 0 --active-slot-coeff 0.2 --tx-log "$T/e.log"
same_as_log "$T/e" "$T/e.log"
awk 'NF != 3 { exit 1 }' "$T/e.log" || fail "--tx-density 0 wrote transactions"
$SIM --db "$T/f" --seed 9 --epochs 1 --tx-bytes 20000 --tx-log "$T/f.log"
same_as_log "$T/f" "$T/f.log"

# 5. the comparison sees a changed transaction: flip a byte of the first
# input's transaction id (tag-258 set, [id, index]) of the first body
off=$(grep -ob 'd9010281825820' "$T/hex" | awk -F: '$1 % 2 == 0 { print $1; exit }')
[ -n "$off" ] || fail "no input set found"
cp -r "$T/a" "$T/g"
printf 'Z' | dd of="$T/g/immutable/00000.chunk" bs=1 seek=$((off / 2 + 10)) conv=notrunc 2>/dev/null
$LIST "$T/g/immutable" >"$T/decoded" || fail "flipped body byte: decoding failed"
head -n 290 "$T/a.log" | cmp -s - "$T/decoded" && fail "a changed transaction body went unnoticed"
echo "sim_txs: ok ($(awk '{t+=NF-3} END{print t}' "$T/a.log") transactions in 300 blocks)"
