# restore_attacks.sh - the cardano-db download attack cases, sourced (after
# tests/lib.sh and evil_lib.sh) by the tests that run them against the
# restore fixture (aggregator-fake) and against the real aggregator's output
# (devnet). Only HTTP is used: genuine material is fetched from the
# upstream, forged copies are served by the lying aggregator, the artifact's
# locations pointed at it (locations are not covered by the artifact hash).
#   restore_attacks UPSTREAM ARTIFACT_HASH NODE_DB [ANCILLARY_VKEY]
# needs GENESIS_VERIFICATION_KEY and the evil aggregator started (evil_start).
# Every refusal names what was wrong, exits non-zero, claims nothing.

RA_PY=/usr/bin/python3

# restored_ok DIR NAME: every restored immutable file is the node's.
restored_ok() {
    local f n=0
    for f in "$1"/db/immutable/*; do
        cmp -s "$f" "$RA_NODE_DB/immutable/$(basename "$f")" || { fail "$2: $(basename "$f") differs"; return; }
        n=$((n + 1))
    done
    [ $n -ge 3 ] || fail "$2: only $n files restored"
}

# ra_repack ARCHIVE OUT EDIT: OUT = ARCHIVE re-packed (files only, as the
# aggregator packs them) after the shell EDIT in $W/stage.
ra_repack() {
    rm -rf "$W/stage" && mkdir "$W/stage" && tar -C "$W/stage" --zstd -xf "$1" &&
        (cd "$W/stage" && eval "$3") && (cd "$W/stage" && tar --zstd -cf "$2" $(find . -type f -printf '%P\n' | sort)) || fail "repack $1"
}

# ra_artifact IN OUT [PATH=JSON]...: the artifact with every location
# pointed at the evil aggregator, then edited.
ra_artifact() {
    local in=$1 out=$2
    shift 2
    $RA_PY - "$in" "$W/ra-evil.json" "$AGGREGATOR_ENDPOINT" <<'PYEOF'
import json, re, sys
a = json.load(open(sys.argv[1]))
def point(v):
    if isinstance(v, str):
        return re.sub(r"^https?://[^/]+/aggregator", sys.argv[3], v)
    if isinstance(v, dict):
        return {k: point(x) if k in ("uri", "Template") else x for k, x in v.items()}
    return v
for part in ("digests", "immutables", "ancillary"):
    for loc in a.get(part, {}).get("locations", []):
        loc["uri"] = point(loc["uri"])
json.dump(a, open(sys.argv[2], "w"))
PYEOF
    $FORGE_ART "$W/ra-evil.json" "$out" "$@"
}

restore_attacks() {
    local UP=$1 H=$2 AVK=${4:-}
    RA_NODE_DB=$3
    local ART=/aggregator/artifact/cardano-database EP=$AGGREGATOR_ENDPOINT
    curl -sf "$UP/artifact/cardano-database/$H" -o "$W/art.json" || { fail "no artifact $H"; return; }
    eval "$($RA_PY - "$W/art.json" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1]))
print("C1=%s LAST=%d TOTAL=%d" % (a["certificate_hash"], a["beacon"]["immutable_file_number"],
                                  a["total_db_size_uncompressed"]))
print("TPL='%s'" % a["immutables"]["locations"][0]["uri"]["Template"])
d = [l["uri"] for l in a["digests"]["locations"] if l["type"] == "aggregator"]
print("DIG='%s'" % (d[0] if d else ""))
an = a.get("ancillary", {}).get("locations", [])
print("ANC='%s'" % (an[0]["uri"] if an else ""))
PYEOF
)"
    curl -sf "$UP/certificate/$C1" -o "$W/cert1.json" || fail "no certificate $C1"
    curl -sf "$DIG" -o "$W/digests.json" || fail "no digests at $DIG"
    local A1="$W/a1.tar.zst" A2="$W/a2.tar.zst" P1 P2
    curl -sf "${TPL/\{immutable_file_number\}/00001}" -o "$A1" || fail "no archive 00001"
    curl -sf "${TPL/\{immutable_file_number\}/00002}" -o "$A2" || fail "no archive 00002"
    P1=/aggregator/cardano-database-download/immutable/00001.tar.zst
    P2=/aggregator/cardano-database-download/immutable/00002.tar.zst
    ra_artifact "$W/art.json" "$W/art-evil.json" >/dev/null
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json"
    accepted "genuine restore through the evil server" "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/ok"
    restored_ok "$W/ok" "genuine restore"

    # --- certificate genuine first, forged second, over an altered DB ---
    ra_repack "$A1" "$W/a1-altered.tar.zst" 'printf X | dd of=immutable/00001.chunk bs=1 seek=100 conv=notrunc 2>/dev/null'
    local D1; D1=$(sha256sum "$W/stage/immutable/00001.chunk" | cut -c1-64)
    $RA_PY -c 'import json,sys
d=[x for x in json.load(open(sys.argv[1])) if int(x["immutable_file_name"][:5]) <= int(sys.argv[3])]
for x in d:
    if x["immutable_file_name"] == "00001.chunk": x["digest"] = sys.argv[2]
json.dump(d, open(sys.argv[4], "w"))' "$W/digests.json" "$D1" "$LAST" "$W/digests2.json"
    local ROOT2 H2
    ROOT2=$("$CERT_FORGE" --merkle-root "$W/digests2.json") || fail "merkle root"
    "$CERT_FORGE" "$W/cert1.json" --part cardano_database_merkle_root="$ROOT2" >"$W/cert1-forged.json" || fail "cert-forge"
    H2=$(ra_artifact "$W/art.json" "$W/art2.json" merkle_root="$ROOT2" \
        "digests.locations=[{\"type\":\"aggregator\",\"uri\":\"$EP/artifact/cardano-database/digests\"}]" --rehash)
    local CACHE
    for CACHE in "" "$W/ra-cache"; do
        [ -n "$CACHE" ] && { evil_routes "$UP"
            accepted "warm the cache" "$CLIENT" --cache-dir "$CACHE" certificate verify "$C1"; }
        evil_routes "$UP" "/aggregator/certificate/$C1" "$W/cert1.json,$W/cert1-forged.json" "$ART/$H2" "$W/art2.json" \
            /aggregator/artifact/cardano-database/digests "$W/digests2.json" "$P1" "$W/a1-altered.tar.zst"
        refused "restore: certificate genuine then forged (cache $([ -n "$CACHE" ] && echo warm || echo off))" \
            "cardano_database_merkle_root is not the one certificate" \
            "$CLIENT" --cache-dir "$CACHE" cardano-db download "$H2" --download-dir "$W/g${CACHE:+w}"
        [ ! -e "$W/g${CACHE:+w}/db/immutable/00001.chunk" ] || fail "forged DB restored"
    done

    # --- --allow-override: an archive omitting a file the target already has ---
    ra_repack "$A2" "$W/a2-short.tar.zst" 'rm immutable/00002.chunk'
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json" "$P2" "$W/a2-short.tar.zst"
    mkdir -p "$W/o1/db/immutable"; echo stale >"$W/o1/db/immutable/00002.chunk"
    refused "allow-override: stale file the archive omits" "00002.chunk: missing from archive 00002" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/o1" --allow-override
    # --- --allow-override: extra files go, every kept file is the certified one ---
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json"
    mkdir -p "$W/o2/db/immutable"; echo junk >"$W/o2/db/immutable/notes.txt"
    echo junk >"$W/o2/db/immutable/$(printf '%05d' $((LAST + 40))).chunk"; echo stale >"$W/o2/db/immutable/00002.chunk"
    accepted "allow-override over stale and extra files" "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/o2" --allow-override
    restored_ok "$W/o2" "allow-override"
    [ ! -e "$W/o2/db/immutable/notes.txt" ] || fail "uncertified file kept"
    # --- a partial restore over a DB holding an altered file outside the range ---
    mkdir -p "$W/o3/db/immutable"; echo stale >"$W/o3/db/immutable/00001.chunk"
    refused "partial restore over an altered file outside the range" "00001.chunk: already in the target" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/o3" --allow-override --start 2 --end 2
    [ ! -e "$W/o3/db/immutable/00001.chunk" ] || fail "altered file left in the DB"
    # --- a resume record over an altered file: the archive is fetched again ---
    mkdir -p "$W/o4/db/immutable"; cp "$RA_NODE_DB/immutable/00002."* "$W/o4/db/immutable/"
    echo stale >"$W/o4/db/immutable/00002.chunk"
    printf '%s\n2\n' "$H" >"$W/o4/db/.mithril-client-restore"
    accepted "resume over an altered file" "$CLIENT" --cache-dir "" --json cardano-db download "$H" --download-dir "$W/o4"
    restored_ok "$W/o4" "resume"
    $RA_PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["archives_resumed"]==0, d' "$W/out" ||
        fail "altered archive counted as resumed"

    # --- an archive bomb: an entry far larger than the announced DB ---
    local BOMB=$(( TOTAL * 4 > 67108864 ? TOTAL * 4 : 67108864 ))
    ra_repack "$A1" "$W/a1-bomb.tar.zst" "truncate -s $BOMB immutable/00001.chunk"
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json" "$P1" "$W/a1-bomb.tar.zst"
    refused "archive bomb" "archive bomb" "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/b1"
    local used; used=$(du -sk "$W/b1" | cut -f1)
    [ "$used" -lt $(( TOTAL / 1024 + 8192 )) ] || fail "archive bomb wrote ${used} KiB"

    # --- locations: http(s) only, also after a redirect ---
    ra_artifact "$W/art.json" "$W/art-file.json" \
        'digests.locations=[{"type":"cloud_storage","uri":"file:///etc/passwd"},{"type":"aggregator","uri":"file:///etc/passwd"}]' >/dev/null
    evil_routes "$UP" "$ART/$H" "$W/art-file.json"
    refused "file:// digests location" "location 'file:///etc/passwd' refused" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/l1"
    ra_artifact "$W/art.json" "$W/art-ftp.json" \
        'immutables.locations.0.uri={"Template":"ftp://127.0.0.1/{immutable_file_number}.tar.zst"}' >/dev/null
    evil_routes "$UP" "$ART/$H" "$W/art-ftp.json"
    refused "ftp:// immutables location" "location 'ftp://127.0.0.1/" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/l2"
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json" "$P2" "redirect:file://$A2"
    refused "archive redirected to file://" "archive 00002" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/l3"
    grep -qi "protocol" "$W/err" || fail "redirect refusal does not name the protocol"

    # --- ancillary: the signature is checked before anything is extracted ---
    [ -n "$AVK" ] && [ -n "$ANC" ] || { echo "skip ancillary cases (no ancillary key or location)"; return; }
    local AA="$W/anc.tar.zst" PA="/aggregator${ANC#*/aggregator}" FOREIGN="$W/foreign"
    curl -sf "$ANC" -o "$AA" || fail "no ancillary archive"
    mkdir -p "$FOREIGN"; "$MTL_BUILD_DIR/src/aggregator/mithril-aggregator" tools generate-ancillary-keypair \
        --target-path "$FOREIGN" >/dev/null || fail "foreign key"
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json"
    accepted "genuine ancillary restore through the evil server" "$CLIENT" --cache-dir "" cardano-db download "$H" \
        --download-dir "$W/x0" --include-ancillary --ancillary-verification-key "$AVK"
    ls "$W/x0/db/ledger/"* >/dev/null 2>&1 || fail "ancillary ledger files not restored"
    no_ancillary_left() {
        [ -z "$(ls -d "$1"/db/ledger "$1"/db/ancillary-* 2>/dev/null)" ] || fail "$2: ancillary files left in the DB"
    }
    ra_repack "$AA" "$W/anc-tampered.tar.zst" 'f=$(find ledger -type f | head -1); printf X | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null'
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json" "$PA" "$W/anc-tampered.tar.zst"
    refused "ancillary: tampered file under a foreign key: the signature is refused first" \
        "signature does not verify" "$CLIENT" --cache-dir "" cardano-db download "$H" \
        --download-dir "$W/x1" --include-ancillary --ancillary-verification-key "$FOREIGN/ancillary.vkey"
    no_ancillary_left "$W/x1" "foreign key"
    ra_repack "$AA" "$W/anc-extra.tar.zst" 'mkdir -p extra && echo owned >extra/payload'
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json" "$PA" "$W/anc-extra.tar.zst"
    refused "ancillary: entry the signed manifest does not list" "extra/payload' is not a file the signed manifest" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/x2" --include-ancillary \
        --ancillary-verification-key "$AVK"
    no_ancillary_left "$W/x2" "unlisted entry"
    [ ! -e "$W/x2/db/extra" ] || fail "unlisted ancillary entry reached the DB"
    ra_repack "$AA" "$W/anc-bomb.tar.zst" "truncate -s $BOMB \"\$(find ledger -type f | head -1)\""
    evil_routes "$UP" "$ART/$H" "$W/art-evil.json" "$PA" "$W/anc-bomb.tar.zst"
    refused "ancillary: listed entry far larger than announced" "archive bomb" \
        "$CLIENT" --cache-dir "" cardano-db download "$H" --download-dir "$W/x3" --include-ancillary \
        --ancillary-verification-key "$AVK"
    used=$(du -sk "$W/x3" | cut -f1)
    [ "$used" -lt $(( TOTAL / 1024 + 8192 )) ] || fail "ancillary bomb wrote ${used} KiB"
    no_ancillary_left "$W/x3" "ancillary bomb"
}
