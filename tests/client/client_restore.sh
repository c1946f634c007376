#!/bin/bash
# cardano-db download against aggregator-fake serving a simulated DB published
# by restore-fixture (archives, digests, genesis certificate over the Merkle
# root): byte-identical restore; a flipped byte in a served archive, a
# re-packed archive with a changed file, a path-traversal entry and a wrong
# digests list all fail naming the culprit; an interrupted download resumes,
# re-fetching only what was not finished.
set -u
. "$MTL_SOURCE_DIR/tests/client/fixture_lib.sh"

"$FIXTURE" "$W/db" "$W/data" "$W/files" 5 150000 7 || { echo "FAIL: fixture"; exit 1; }
export GENESIS_VERIFICATION_KEY="$W/data/genesis.vkey" MITHRIL_CLIENT_CACHE_DIR="$W/cache"
start_fake "$W/data" "$W/files"

# --- a full restore is byte-identical ---
if "$CLIENT" cardano-db download latest --download-dir "$W/r1" >"$W/out" 2>"$W/err"; then
    diff -r "$W/db/immutable" "$W/r1/db/immutable" >/dev/null && echo "ok   restore is byte-identical" \
        || fail "restored files differ"
    grep -q "docker run" "$W/out" || fail "no cardano-node run hint"
    [ -f "$W/r1/db/clean" ] && [ "$(cat "$W/r1/db/protocolMagicId")" = 42 ] || fail "node markers"
else fail "download failed"; cat "$W/err"; fi
# --- ancillary files: manifest hashes and signature checked, then moved in ---
AVK="$W/data/ancillary.vkey"
if "$CLIENT" cardano-db download latest --download-dir "$W/a1" --include-ancillary \
    --ancillary-verification-key "$AVK" >"$W/out" 2>"$W/err"; then
    ls "$W/a1/db/ledger/"* >/dev/null 2>&1 && [ -f "$W/a1/db/immutable/00006.chunk" ] \
        && [ -z "$(ls -d "$W/a1/db/ancillary-"* 2>/dev/null)" ] && [ ! -e "$W/a1/db/ancillary_manifest.json" ] \
        && echo "ok   ancillary restore" || fail "ancillary files not in place"
else fail "ancillary download failed"; cat "$W/err"; fi
OTHER="$W/d-other"; mkdir -p "$OTHER"; "$FIXTURE" "$W/db" "$OTHER" "$W/f-other" 5 150000 7 >/dev/null
ko "ancillary with another key" "signature" "$CLIENT" cardano-db download latest \
    --download-dir "$W/a2" --include-ancillary --ancillary-verification-key "$OTHER/ancillary.vkey"
ko "ancillary without a key" "ancillary-verification-key" env -u ANCILLARY_VERIFICATION_KEY "$CLIENT" \
    cardano-db download latest --download-dir "$W/a3" --include-ancillary
rm -rf "$W/fa" "$W/stage"; cp -r "$W/files" "$W/fa"; mkdir "$W/stage"
A=$(ls "$W/fa/ancillary/"*.tar.zst)
tar -C "$W/stage" --zstd -xf "$A"
L=$(cd "$W/stage" && ls ledger/*)
printf 'X' | dd of="$W/stage/$L" bs=1 seek=10 conv=notrunc 2>/dev/null
(cd "$W/stage" && tar --zstd -cf "$A" ancillary_manifest.json immutable ledger)
start_fake "$W/data" "$W/fa"
ko "tampered ledger file in the ancillary archive" "$L" "$CLIENT" cardano-db download latest \
    --download-dir "$W/a4" --include-ancillary --ancillary-verification-key "$AVK"
[ ! -e "$W/a4/db/$L" ] || fail "tampered ancillary file moved into the db"
start_fake "$W/data" "$W/files"
# --json: one document on stdout, JSON lines on stderr
"$CLIENT" --json cardano-db download latest --download-dir "$W/r2" --start 2 --end 3 >"$W/out" 2>"$W/err" || fail "--json range download"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["archives_restored"]==2, d
[json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]' "$W/out" "$W/err" || fail "--json output"
[ -f "$W/r2/db/immutable/00002.chunk" ] && [ ! -f "$W/r2/db/immutable/00004.chunk" ] || fail "range restore"
ko "range outside the snapshot" "outside" "$CLIENT" cardano-db download latest --download-dir "$W/r3" --end 9
ko "non-empty target" "not empty" "$CLIENT" cardano-db download latest --download-dir "$W/r1"

# --- a flipped byte in one served archive ---
cp -r "$W/files" "$W/f2"
$PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0x40; open(p,"wb").write(b)' "$W/f2/immutable/00003.tar.zst"
start_fake "$W/data" "$W/f2"
ko "flipped byte in archive 00003" "00003" "$CLIENT" cardano-db download latest --download-dir "$W/r4"

# --- an archive cut short (a zstd frame that never ends) ---
rm -rf "$W/f2t"; cp -r "$W/files" "$W/f2t"
$PY -c 'import sys; p=sys.argv[1]; b=open(p,"rb").read(); open(p,"wb").write(b[:len(b)*2//3])' "$W/f2t/immutable/00003.tar.zst"
start_fake "$W/data" "$W/f2t"
ko "truncated archive 00003" "archive 00003 is corrupt" "$CLIENT" cardano-db download latest --download-dir "$W/r4t"

# --- an archive the server does not have: retried, then named ---
rm -rf "$W/f9"; cp -r "$W/files" "$W/f9"; rm "$W/f9/immutable/00004.tar.zst"
start_fake "$W/data" "$W/f9"
ko "missing archive 00004" "archive 00004" "$CLIENT" cardano-db download latest --download-dir "$W/r9"

# --- a well-formed archive with one changed file ---
rm -rf "$W/f3" "$W/db3"; cp -r "$W/files" "$W/f3"; cp -r "$W/db" "$W/db3"
$PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=1; open(p,"wb").write(b)' "$W/db3/immutable/00002.chunk"
tar -C "$W/db3" --zstd -cf "$W/f3/immutable/00002.tar.zst" immutable/00002.chunk immutable/00002.primary immutable/00002.secondary
start_fake "$W/data" "$W/f3"
ko "changed 00002.chunk in a valid archive" "00002.chunk" "$CLIENT" cardano-db download latest --download-dir "$W/r5"
[ ! -f "$W/r5/db/immutable/00002.chunk" ] || fail "tampered file kept under its final name"

# --- path traversal and foreign entries are refused ---
rm -rf "$W/f4"; cp -r "$W/files" "$W/f4"
$PY - "$W/f4/immutable/00001.tar" <<'PYEOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
    data = b"owned"
    ti = tarfile.TarInfo("immutable/../../escaped"); ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
PYEOF
zstd -q -f --rm "$W/f4/immutable/00001.tar" -o "$W/f4/immutable/00001.tar.zst"
start_fake "$W/data" "$W/f4"
ko "path traversal entry" "unexpected entry" "$CLIENT" cardano-db download latest --download-dir "$W/r6/x"
[ ! -e "$W/r6/escaped" ] && [ ! -e "$W/escaped" ] || fail "an entry escaped the db dir"

# --- digests that do not match the certified Merkle root ---
rm -rf "$W/d5"; cp -r "$W/data" "$W/d5"; rm -rf "$W/f5"; cp -r "$W/files" "$W/f5"; rm -f "$W/f5"/digests/*
$PY -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d[4]["digest"]="0"*64; json.dump(d,open(p,"w"))' "$W/d5/cardano-database-digests.json"
start_fake "$W/d5" "$W/f5"
ko "digests not matching the certificate" "Merkle root" "$CLIENT" cardano-db download latest --download-dir "$W/r7"

# --- interrupted download, then re-run ---
rm -rf "$W/db8"
"$FIXTURE" "$W/db8" "$W/d8" "$W/f8" 24 20000 9 || { echo "FAIL: fixture 2"; exit 1; }
export GENESIS_VERIFICATION_KEY="$W/d8/genesis.vkey"
start_fake "$W/d8" "$W/f8" --throttle-ms 150
"$CLIENT" cardano-db download latest --download-dir "$W/r8" --parallel 2 >/dev/null 2>&1 &
CPID=$!
REC="$W/r8/db/.mithril-client-restore"
# kill it once 6 archives are recorded (up to 120 s: slow under ASan on a loaded machine)
for _ in $(seq 2400); do [ -f "$REC" ] && [ "$(wc -l <"$REC")" -ge 7 ] && break; sleep 0.05; done
[ -f "$REC" ] && [ "$(wc -l <"$REC")" -ge 7 ] || fail "interrupted download: 6 archives never recorded"
kill -9 $CPID 2>/dev/null; wait $CPID 2>/dev/null
done_before=$(($(wc -l <"$REC") - 1))
start_fake "$W/d8" "$W/f8"
cp -r "$W/r8" "$W/r8b"
sed -i "1s/.*/$(printf 'f%.0s' $(seq 64))/" "$W/r8b/db/.mithril-client-restore"
ko "interrupted restore of another snapshot is not mixed" "another snapshot" \
    "$CLIENT" cardano-db download latest --download-dir "$W/r8b"
if "$CLIENT" --json cardano-db download latest --download-dir "$W/r8" --parallel 2 >"$W/out" 2>"$W/err"; then
    $PY -c 'import json,sys
d=json.load(open(sys.argv[1])); before=int(sys.argv[2])
assert d["archives_resumed"] >= before and d["archives_restored"] + d["archives_resumed"] == 25, (d, before)
assert d["archives_restored"] <= 25 - before, d' "$W/out" "$done_before" \
        && echo "ok   resumed after kill ($done_before archives kept)" || fail "resume counts"
    diff -r "$W/db8/immutable" "$W/r8/db/immutable" >/dev/null || fail "resumed restore differs"
    [ ! -f "$REC" ] || fail "resume record left after success"
else fail "re-run after kill failed"; cat "$W/err"; fi

finish restore
