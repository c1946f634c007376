#!/bin/bash
# mithril-client against a lying aggregator (evil_aggregator.py in front of
# aggregator-fake serving the reference data, whose chain is the real one):
# a certificate answered genuine first and forged afterwards (same hash
# field), artifacts re-hashed around an altered merkle_root / beacon /
# stake, certificates altered under a warm cache. Each attack runs with the
# verified-certificate cache off and warm; each is refused with a message
# naming what was wrong, a non-zero exit and no "verified" claim. Stake
# distribution signers are authenticated by their pool's opcert and KES
# signature: the reference's all are (2 of 2), tampered ones are named.
set -u
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
. "$MTL_SOURCE_DIR/tests/lib.sh"
. "$MTL_SOURCE_DIR/tests/client/evil_lib.sh"
require_reference "$REF" "$VKEY"
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
FAKE="$MTL_BUILD_DIR/tools/aggregator-fake/aggregator-fake"
PY=/usr/bin/python3
W=$WORK
export GENESIS_VERIFICATION_KEY="$VKEY"
start_bg aggregator-fake "$W/port" "$FAKE" --data-dir "$REF" --port 0 --port-file "$W/port"
UP="http://127.0.0.1:$PORT/aggregator"
evil_start "$UP"

# genuine messages, straight from the reference files
$PY - "$REF" "$W" <<'PYEOF'
import json, sys
ref, w = sys.argv[1], sys.argv[2]
certs = json.load(open(ref + "/certificates.json"))
msd = next(iter(json.load(open(ref + "/mithril-stake-distributions.json")).values()))
db = next(iter(json.load(open(ref + "/cardano-databases.json")).values()))
other = next(c for h, c in certs.items() if c["multi_signature"] and h != db["certificate_hash"])
for name, doc in (("msd", msd), ("db", db), ("cert-msd", certs[msd["certificate_hash"]]),
                  ("cert-db", certs[db["certificate_hash"]]), ("cert-other", other)):
    json.dump(doc, open("%s/%s.json" % (w, name), "w"))
for k, v in (("MSD_HASH", msd["hash"]), ("MSD_CERT", msd["certificate_hash"]),
             ("DB_HASH", db["hash"]), ("DB_CERT", db["certificate_hash"])):
    print("%s=%s" % (k, v), file=open(w + "/vars", "a"))
PYEOF
. "$W/vars"
ROOT2=$(printf 'ab%.0s' $(seq 32))

# forged material
F_MSD=$($FORGE_ART "$W/msd.json" "$W/msd-forged.json" signers.0.stake=30000000001 --rehash)
"$CERT_FORGE" "$W/cert-msd.json" --avk-of "$W/msd-forged.json" >"$W/cert-msd-forged.json" || fail "cert-forge msd"
F_DB=$($FORGE_ART "$W/db.json" "$W/db-root.json" merkle_root=$ROOT2 --rehash)
"$CERT_FORGE" "$W/cert-db.json" --part cardano_database_merkle_root=$ROOT2 >"$W/cert-db-forged.json" || fail "cert-forge db"
$FORGE_ART "$W/db.json" "$W/db-ifn.json" beacon.immutable_file_number=5 >/dev/null
F_DB_EP=$($FORGE_ART "$W/db.json" "$W/db-epoch.json" beacon.epoch=20 --rehash)
"$CERT_FORGE" "$W/cert-db.json" --part next_protocol_parameters=00 >"$W/cert-db-part.json" || fail "cert-forge part"
"$CERT_FORGE" "$W/cert-db.json" --multisig-from "$W/cert-other.json" >"$W/cert-db-msig.json" || fail "cert-forge multisig"
CERTS="/aggregator/certificate"
ART_DB="/aggregator/artifact/cardano-database"
ART_MSD="/aggregator/artifact/mithril-stake-distribution"

# the evil server is honest when not told otherwise
evil_routes "$UP"
accepted "genuine msd through the evil server" "$CLIENT" --cache-dir "" mithril-stake-distribution download "$MSD_HASH" --download-dir "$W/m0"
accepted "genuine snapshot show through the evil server" "$CLIENT" --cache-dir "" cardano-db snapshot show "$DB_HASH"

for mode in off warm; do
    if [ $mode = off ]; then CACHE=(--cache-dir ""); else
        CACHE=(--cache-dir "$W/cache-warm")
        evil_routes "$UP"
        accepted "warm the cache" "$CLIENT" "${CACHE[@]}" certificate verify "$MSD_CERT"
        accepted "warm the cache (db)" "$CLIENT" "${CACHE[@]}" certificate verify "$DB_CERT"
    fi
    # certificate genuine first, forged second (same hash field)
    evil_routes "$UP" "$CERTS/$MSD_CERT" "$W/cert-msd.json,$W/cert-msd-forged.json" \
        "$ART_MSD/$F_MSD" "$W/msd-forged.json"
    refused "msd: certificate genuine then forged (cache $mode)" "do not give the message" \
        "$CLIENT" "${CACHE[@]}" mithril-stake-distribution download "$F_MSD" --download-dir "$W/m1"
    [ -z "$(ls "$W/m1" 2>/dev/null)" ] || fail "forged stake distribution written (cache $mode)"
    evil_routes "$UP" "$CERTS/$DB_CERT" "$W/cert-db.json,$W/cert-db-forged.json" "$ART_DB/$F_DB" "$W/db-root.json"
    refused "cardano-db download: certificate genuine then forged (cache $mode)" \
        "cardano_database_merkle_root is not the one certificate" \
        "$CLIENT" "${CACHE[@]}" cardano-db download "$F_DB" --download-dir "$W/d1"
    [ ! -e "$W/d1/db/immutable" ] || [ -z "$(ls "$W/d1/db/immutable")" ] || fail "files restored (cache $mode)"
    evil_routes "$UP" "$CERTS/$DB_CERT" "$W/cert-db.json,$W/cert-db-forged.json" "$ART_DB/$F_DB" "$W/db-root.json"
    refused "snapshot show: certificate genuine then forged (cache $mode)" \
        "cardano_database_merkle_root is not the one certificate" \
        "$CLIENT" "${CACHE[@]}" cardano-db snapshot show "$F_DB"
    # artifacts re-hashed around an altered field: the checks behind the hash
    evil_routes "$UP" "$ART_DB/$F_DB" "$W/db-root.json"
    refused "artifact: re-hashed, merkle_root not the signed one (cache $mode)" \
        "cardano_database_merkle_root is not the one certificate" \
        "$CLIENT" "${CACHE[@]}" cardano-db snapshot show "$F_DB"
    evil_routes "$UP" "$ART_DB/$DB_HASH" "$W/db-ifn.json"
    refused "artifact: beacon immutable number altered (cache $mode)" "beacon is not what certificate" \
        "$CLIENT" "${CACHE[@]}" cardano-db snapshot show "$DB_HASH"
    evil_routes "$UP" "$ART_DB/$F_DB_EP" "$W/db-epoch.json"
    refused "artifact: beacon epoch altered, re-hashed (cache $mode)" "beacon is not what certificate" \
        "$CLIENT" "${CACHE[@]}" cardano-db download "$F_DB_EP" --download-dir "$W/d2"
    evil_routes "$UP" "$ART_MSD/$F_MSD" "$W/msd-forged.json"
    refused "msd: stake altered, re-hashed (cache $mode)" "do not give the message" \
        "$CLIENT" "${CACHE[@]}" mithril-stake-distribution download "$F_MSD" --download-dir "$W/m2"
    # certificates altered under the same hash field
    for t in part msig; do
        evil_routes "$UP" "$CERTS/$DB_CERT" "$W/cert-db-$t.json"
        refused "certificate verify: $t altered, hash kept (cache $mode)" "hash does not match its content" \
            "$CLIENT" "${CACHE[@]}" certificate verify "$DB_CERT"
        refused "snapshot show: certificate $t altered, hash kept (cache $mode)" \
            "hash does not match its content" "$CLIENT" "${CACHE[@]}" cardano-db snapshot show "$DB_HASH"
    done
done
# --- signers authenticated by their pool (opcert, party id, KES signature) ---
evil_routes "$UP"
for h in $($PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' "$REF/mithril-stake-distributions.json"); do
    "$CLIENT" --json --cache-dir "$W/cache-warm" mithril-stake-distribution download "$h" --download-dir "$W/ma" >"$W/out" 2>"$W/err" &&
        $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["signers_authenticated"]==2==d["signers"], d' "$W/out" ||
        { fail "reference msd $h: not 2 signers authenticated"; cat "$W/out" "$W/err"; }
done
pass "every reference stake distribution: 2 of 2 signers authenticated"
P0=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signers"][0]["party_id"])' "$W/msd.json")
P1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signers"][1]["party_id"])' "$W/msd.json")
OC1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signers"][1]["operational_certificate"])' "$W/msd.json")
SIG1=$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["signers"][1]["verification_key_signature"]; print(s[:-4] + ("30" if s[-4:-2] != "30" else "31") + s[-2:])' "$W/msd.json")
msd_tamper() { # NAME WANT EDIT...: a stake distribution with signer fields edited (AVK unchanged), re-hashed
    local name=$1 want=$2 fh
    shift 2
    fh=$($FORGE_ART "$W/msd.json" "$W/msd-t.json" "$@" --rehash)
    evil_routes "$UP" "$ART_MSD/$fh" "$W/msd-t.json"
    refused "$name" "$want" "$CLIENT" --cache-dir "" mithril-stake-distribution download "$fh" --download-dir "$W/mt"
}
msd_tamper "msd: kes_period off by one" "signer $P0 is not authenticated" signers.0.kes_period=1
msd_tamper "msd: party_id of another pool" "signer $P1 is not authenticated" "signers.0.party_id=$P1"
msd_tamper "msd: operational certificate of another pool" "signer $P0 is not authenticated" "signers.0.operational_certificate=$OC1"
msd_tamper "msd: KES signature altered (second signer named)" "signer $P1 is not authenticated" "signers.1.verification_key_signature=$SIG1"
msd_tamper "msd: opcert without KES signature" "signer $P0: needs operational_certificate" "signers.0.verification_key_signature="
FH=$($FORGE_ART "$W/msd.json" "$W/msd-bare.json" signers.0.operational_certificate= signers.0.verification_key_signature= --rehash)
evil_routes "$UP" "$ART_MSD/$FH" "$W/msd-bare.json"
"$CLIENT" --json --cache-dir "" mithril-stake-distribution download "$FH" --download-dir "$W/mb" >"$W/out" 2>"$W/err" &&
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["signers_authenticated"]==1 and d["signers"]==2, d' "$W/out" &&
    pass "msd: a signer without credentials is counted as not authenticated" || { fail "bare signer count"; cat "$W/out" "$W/err"; }

# the warm cache still vouches for the genuine chain
evil_routes "$UP"
accepted "genuine chain still verifies from the warm cache" "$CLIENT" --cache-dir "$W/cache-warm" certificate verify "$DB_CERT"
grep -q "cached" "$W/out" || fail "warm cache not used"
finish adversarial
