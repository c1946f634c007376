#!/bin/bash
# cardano-db download against a lying aggregator (evil_aggregator.py) in
# front of aggregator-fake serving a restore-fixture DB: a certificate
# answered genuine then forged over an altered DB, --allow-override with
# omitted / stale / extra files, a resume record over an altered file, an
# archive bomb, file:// ftp:// and redirected locations. Every refusal names
# what was wrong, exits non-zero and claims nothing verified. Ancillary
# archives: signature checked before extraction, unlisted entries and
# oversized listed entries refused before anything is written.
set -u
BUILD="$MTL_BUILD_DIR"
CLIENT="$BUILD/src/client/mithril-client"
FAKE="$BUILD/tools/aggregator-fake/aggregator-fake"
FIXTURE="$BUILD/tests/client/restore-fixture"
PY=/usr/bin/python3
. "$MTL_SOURCE_DIR/tests/lib.sh"
. "$MTL_SOURCE_DIR/tests/client/evil_lib.sh"
W=$WORK
start_fake() { # data files
    start_bg aggregator-fake "$W/port" "$FAKE" --data-dir "$1" --files-dir "$2" --port 0 --port-file "$W/port"
    UP="http://127.0.0.1:$PORT/aggregator"
}
"$FIXTURE" "$W/db" "$W/data" "$W/files" 5 150000 7 >/dev/null || { echo "FAIL: fixture"; exit 1; }
export GENESIS_VERIFICATION_KEY="$W/data/genesis.vkey"
H=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["hash"])' "$W/data/cardano-databases-list.json")
C1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["certificate_hash"])' "$W/data/cardano-databases-list.json")
$PY -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))[sys.argv[2]], open(sys.argv[3],"w"))' \
    "$W/data/certificates.json" "$C1" "$W/cert1.json"
start_fake "$W/data" "$W/files"
evil_start "$UP"
ART="/aggregator/artifact/cardano-database"
same_db() { diff -r "$W/db/immutable" "$1/db/immutable" >/dev/null || fail "$2: restored files differ"; }

accepted "genuine restore through the evil server" "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/ok"
same_db "$W/ok" "genuine restore"

# --- certificate genuine first, forged second, over an altered DB ---
cp -r "$W/db" "$W/db2"
$PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[100]^=1; open(p,"wb").write(b)' "$W/db2/immutable/00002.chunk"
"$FIXTURE" "$W/db2" "$W/data2" "$W/files2" 5 150000 7 >/dev/null || fail "fixture 2"
start_fake "$W/data2" "$W/files2"
H2=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["hash"])' "$W/data2/cardano-databases-list.json")
curl -sf "$UP/artifact/cardano-database/$H2" -o "$W/art2.json" || fail "artifact 2"
ROOT2=$($FORGE_ART "$W/art2.json" "$W/art2-forged.json" certificate_hash=$C1 >/dev/null;
        $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["merkle_root"])' "$W/art2.json")
"$CERT_FORGE" "$W/cert1.json" --part cardano_database_merkle_root=$ROOT2 >"$W/cert1-forged.json" || fail "cert-forge"
for CACHE in "" "$W/cache"; do
    [ -n "$CACHE" ] && { evil_routes "$UP" "/aggregator/certificate/$C1" "$W/cert1.json"
        accepted "warm the cache" "$CLIENT" --cache-dir "$CACHE" certificate verify "$C1"; }
    evil_routes "$UP" "/aggregator/certificate/$C1" "$W/cert1.json,$W/cert1-forged.json" "$ART/$H2" "$W/art2-forged.json"
    refused "restore: certificate genuine then forged (cache '${CACHE:+warm}')" \
        "cardano_database_merkle_root is not the one certificate" \
        "$CLIENT" --cache-dir "$CACHE" cardano-db download "$H2" --download-dir "$W/g${CACHE:+w}"
    [ ! -e "$W/g${CACHE:+w}/db/immutable/00002.chunk" ] || fail "forged DB restored"
done

# --- --allow-override: an archive omitting a file the target already has ---
start_fake "$W/data" "$W/files"
evil_routes "$UP"
rm -rf "$W/f3"; cp -r "$W/files" "$W/f3"
tar -C "$W/db" --zstd -cf "$W/f3/immutable/00002.tar.zst" immutable/00002.primary immutable/00002.secondary
start_fake "$W/data" "$W/f3"
evil_routes "$UP"
mkdir -p "$W/o1/db/immutable"; cp "$W/db2/immutable/00002.chunk" "$W/o1/db/immutable/"
refused "allow-override: stale file the archive omits" "00002.chunk: missing from archive 00002" \
    "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/o1" --allow-override
# --- --allow-override: extra files go, every kept file is the certified one ---
start_fake "$W/data" "$W/files"
evil_routes "$UP"
mkdir -p "$W/o2/db/immutable"; echo junk >"$W/o2/db/immutable/notes.txt"; echo junk >"$W/o2/db/immutable/00042.chunk"
cp "$W/db2/immutable/00002.chunk" "$W/o2/db/immutable/"
accepted "allow-override over stale and extra files" "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/o2" --allow-override
same_db "$W/o2" "allow-override"
# --- a partial restore over a DB holding an altered file outside the range ---
mkdir -p "$W/o3/db/immutable"; cp "$W/db2/immutable/00002.chunk" "$W/o3/db/immutable/"
refused "partial restore over an altered file outside the range" "00002.chunk: already in the target" \
    "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/o3" --allow-override --start 3 --end 5
[ ! -e "$W/o3/db/immutable/00002.chunk" ] || fail "altered file left in the DB"
# --- a resume record over an altered file: the archive is fetched again ---
mkdir -p "$W/o4/db/immutable"; cp "$W/db/immutable/00002."* "$W/o4/db/immutable/"
cp "$W/db2/immutable/00002.chunk" "$W/o4/db/immutable/"
printf '%s\n2\n' "$H" >"$W/o4/db/.mithril-client-restore"
accepted "resume over an altered file" "$CLIENT" --cache-dir "" --json cardano-db download "$H" --download-dir "$W/o4"
same_db "$W/o4" "resume"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["archives_resumed"]==0, d' "$W/out" || fail "altered archive counted as resumed"

# --- an archive bomb: an entry far larger than the announced DB ---
rm -rf "$W/f5" "$W/big"; cp -r "$W/files" "$W/f5"; mkdir -p "$W/big/immutable"
truncate -s 64M "$W/big/immutable/00001.chunk"
tar -C "$W/big" --zstd -cf "$W/f5/immutable/00001.tar.zst" immutable/00001.chunk
start_fake "$W/data" "$W/f5"
evil_routes "$UP"
refused "archive bomb" "archive bomb" "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/b1"
used=$(du -sk "$W/b1" | cut -f1)
[ "$used" -lt 8192 ] || fail "archive bomb wrote ${used} KiB"

# --- locations: http(s) only, also after a redirect ---
start_fake "$W/data" "$W/files"
curl -sf "$UP/artifact/cardano-database/$H" -o "$W/art.json" || fail "artifact"
$FORGE_ART "$W/art.json" "$W/art-file.json" "digests.locations.0.uri=file:///etc/passwd" \
    "digests.locations.1.uri=file:///etc/passwd" >/dev/null
evil_routes "$UP" "$ART/$H" "$W/art-file.json"
refused "file:// digests location" "location 'file:///etc/passwd' refused" \
    "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/l1"
$FORGE_ART "$W/art.json" "$W/art-ftp.json" \
    'immutables.locations.0.uri={"Template":"ftp://127.0.0.1/{immutable_file_number}.tar.zst"}' >/dev/null
evil_routes "$UP" "$ART/$H" "$W/art-ftp.json"
refused "ftp:// immutables location" "location 'ftp://127.0.0.1/" \
    "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/l2"
$FORGE_ART "$W/art.json" "$W/art-redir.json" \
    "immutables.locations.0.uri={\"Template\":\"$AGGREGATOR_ENDPOINT/cardano-database-download/immutable/{immutable_file_number}.tar.zst\"}" >/dev/null
evil_routes "$UP" "$ART/$H" "$W/art-redir.json" \
    "/aggregator/cardano-database-download/immutable/00003.tar.zst" "redirect:file://$W/files/immutable/00003.tar.zst"
refused "archive redirected to file://" "archive 00003" \
    "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/l3"
grep -qi "protocol" "$W/err" || fail "redirect refusal does not name the protocol"
# --- ancillary: the signature is checked before anything is extracted ---
AVK="$W/data/ancillary.vkey"
OTHER="$W/d-other"; "$FIXTURE" "$W/db" "$OTHER" "$W/f-other" 5 150000 7 >/dev/null || fail "fixture other"
anc_repack() { # FILES_DIR EDIT...: re-pack FILES_DIR's ancillary archive after shell EDITs in $W/stage
    local a; a=$(ls "$1"/ancillary/*.tar.zst); shift
    rm -rf "$W/stage"; mkdir "$W/stage"; tar -C "$W/stage" --zstd -xf "$a"
    (cd "$W/stage" && eval "$@") || fail "repack edit"
    (cd "$W/stage" && tar --zstd -cf "$a" *) || fail "repack"
    L=$(cd "$W/stage" && ls ledger/*)
}
no_ancillary_left() { # DIR NAME: nothing of the ancillary archive reached DIR
    [ -z "$(ls -d "$1"/db/ledger "$1"/db/ancillary-* "$1"/db/immutable/00006.* 2>/dev/null)" ] ||
        fail "$2: ancillary files left in the DB"
}
rm -rf "$W/fa1"; cp -r "$W/files" "$W/fa1"
anc_repack "$W/fa1" 'printf X | dd of="$(ls ledger/*)" bs=1 seek=10 conv=notrunc 2>/dev/null'
start_fake "$W/data" "$W/fa1"; evil_routes "$UP"
refused "ancillary: tampered file under a foreign key: the signature is refused first"     "signature does not verify" "$CLIENT" --cache-dir "" cardano-db download "$H"     --download-dir "$W/x1" --include-ancillary --ancillary-verification-key "$OTHER/ancillary.vkey"
no_ancillary_left "$W/x1" "foreign key"
rm -rf "$W/fa2"; cp -r "$W/files" "$W/fa2"
anc_repack "$W/fa2" 'mkdir -p extra && echo owned >extra/payload'
start_fake "$W/data" "$W/fa2"; evil_routes "$UP"
refused "ancillary: entry the signed manifest does not list" "extra/payload' is not a file the signed manifest"     "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/x2" --include-ancillary     --ancillary-verification-key "$AVK"
no_ancillary_left "$W/x2" "unlisted entry"
[ ! -e "$W/x2/db/extra" ] || fail "unlisted ancillary entry reached the DB"
rm -rf "$W/fa3"; cp -r "$W/files" "$W/fa3"
anc_repack "$W/fa3" 'truncate -s 64M "$(ls ledger/*)"'
start_fake "$W/data" "$W/fa3"; evil_routes "$UP"
refused "ancillary: listed entry far larger than announced" "archive bomb"     "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/x3" --include-ancillary     --ancillary-verification-key "$AVK"
used=$(du -sk "$W/x3" | cut -f1)
[ "$used" -lt 8192 ] || fail "ancillary bomb wrote ${used} KiB"
no_ancillary_left "$W/x3" "ancillary bomb"
finish restore-adversarial
