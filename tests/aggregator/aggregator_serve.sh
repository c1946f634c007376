#!/bin/bash
# mithril-aggregator serve on a store loaded with the reference certificate
# chain: read routes return the reference JSON, match the openapi schemas,
# mithril-client verifies the chain through it; bad inputs get JSON errors;
# bad configuration is refused naming the setting.
set -u
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
OPENAPI="${MTL_SHARED_DIR:-}/reference-data/openapi.yaml"
. "$MTL_SOURCE_DIR/tests/lib.sh"
require_reference "$REF" "$VKEY"
AGG="$MTL_BUILD_DIR/src/aggregator/mithril-aggregator"
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
CHECK="/usr/bin/python3 $MTL_SOURCE_DIR/tests/aggregator/openapi_check.py $OPENAPI"

# Configuration errors name the setting (flags and environment).
SERVER_PORT=99999 "$AGG" serve --data-stores-directory "$WORK/s" 2>"$WORK/err" && fail "bad port accepted"
grep -q "SERVER_PORT" "$WORK/err" && pass "bad SERVER_PORT refused" || fail "bad port error: $(cat "$WORK/err")"
"$AGG" serve --protocol-parameters '{"k":0}' 2>"$WORK/err" && fail "bad params accepted"
grep -q "PROTOCOL_PARAMETERS" "$WORK/err" && pass "bad PROTOCOL_PARAMETERS refused" || fail "params error: $(cat "$WORK/err")"
"$AGG" serve --no-such-flag 1 2>"$WORK/err" && fail "unknown flag accepted"
grep -q "no-such-flag" "$WORK/err" && pass "unknown flag refused" || fail "flag error: $(cat "$WORK/err")"
SLOTS_PER_KES_PERIOD=0 "$AGG" serve --data-stores-directory "$WORK/s" 2>"$WORK/err" && fail "0 slots per KES period accepted"
grep -q "SLOTS_PER_KES_PERIOD" "$WORK/err" && pass "bad SLOTS_PER_KES_PERIOD refused" || fail "KES period error: $(cat "$WORK/err")"
ALLOW_SKIP_SIGNER_CERTIFICATION=maybe "$AGG" serve --data-stores-directory "$WORK/s" 2>"$WORK/err" && fail "bad skip switch accepted"
grep -q "ALLOW_SKIP_SIGNER_CERTIFICATION" "$WORK/err" && pass "bad ALLOW_SKIP_SIGNER_CERTIFICATION refused" || fail "skip switch error: $(cat "$WORK/err")"
# Signed entity types are exact names the aggregator has a handler for.
SIGNED_ENTITY_TYPES=MithrilStakeDistribution,CardanoDatabaseX "$AGG" serve --data-stores-directory "$WORK/s" 2>"$WORK/err" && fail "CardanoDatabaseX accepted"
grep -q "SIGNED_ENTITY_TYPES: signed entity type 'CardanoDatabaseX': unknown" "$WORK/err" && pass "CardanoDatabaseX refused" || fail "type error: $(cat "$WORK/err")"
"$AGG" serve --signed-entity-types cardanodatabase --data-stores-directory "$WORK/s" 2>"$WORK/err" && fail "cardanodatabase accepted"
grep -q "'cardanodatabase': unknown" "$WORK/err" && pass "lower-case type refused" || fail "case error: $(cat "$WORK/err")"
SIGNED_ENTITY_TYPES=CardanoImmutableFilesFull "$AGG" serve --data-stores-directory "$WORK/s" 2>"$WORK/err" && fail "CardanoImmutableFilesFull accepted"
grep -q "'CardanoImmutableFilesFull': legacy, no longer signed" "$WORK/err" && pass "legacy type (no handler) refused" || fail "handler error: $(cat "$WORK/err")"
"$AGG" --help | grep -q "GENESIS_VERIFICATION_KEY" && pass "--help lists settings" || fail "--help"

# genesis generate-keypair: secret 0600, both keys decodable by the client side.
mkdir -p "$WORK/keys"
"$AGG" genesis generate-keypair --target-path "$WORK/keys" >/dev/null || fail "generate-keypair"
[ "$(stat -c %a "$WORK/keys/genesis.sk")" = 600 ] && pass "genesis.sk is 0600" || fail "genesis.sk mode"
/usr/bin/python3 -c "import json,sys; b=bytes.fromhex(open(sys.argv[1]).read().strip()); assert len(json.loads(b))==32" \
    "$WORK/keys/genesis.vkey" && pass "genesis.vkey is JSON-hex of 32 bytes" || fail "genesis.vkey format"
# genesis bootstrap takes its key from a file or the environment; without
# one it says so before reading anything; the key on a command line (the
# reference's flag) is warned about: ps shows it to every local user.
env -u GENESIS_SECRET_KEY "$AGG" genesis bootstrap --data-stores-directory "$WORK/g" 2>"$WORK/err" && fail "bootstrap without a key accepted"
grep -q "genesis-secret-key-path FILE or GENESIS_SECRET_KEY needed" "$WORK/err" && pass "bootstrap without a key: named" || fail "no-key error: $(cat "$WORK/err")"
echo zz >"$WORK/bad.sk"
"$AGG" genesis bootstrap --genesis-secret-key-path "$WORK/bad.sk" --data-stores-directory "$WORK/g" 2>"$WORK/err" && fail "bad key file accepted"
grep -q "genesis secret key $WORK/bad.sk" "$WORK/err" && pass "bad key file named" || fail "bad-key error: $(cat "$WORK/err")"
"$AGG" -v genesis bootstrap --genesis-secret-key "$(cat "$WORK/keys/genesis.sk")" --data-stores-directory "$WORK/g" 2>"$WORK/err"
grep -q "event=secret_on_command_line" "$WORK/err" && pass "a key on the command line is warned about" || fail "no warning: $(cat "$WORK/err")"

# A tampered certificate is refused by the import (hash recomputed).
/usr/bin/python3 - "$REF/certificates.json" "$WORK/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = next(v for v in d.values() if v["previous_hash"] == "")
c["signed_message"] = "00" * 32
json.dump([c], open(sys.argv[2], "w"))
PY
"$AGG" tools import-certificates --file "$WORK/bad.json" --data-stores-directory "$WORK/bad" 2>"$WORK/err" && fail "tampered import accepted"
grep -q "hash\|signed" "$WORK/err" && pass "tampered certificate refused" || fail "tamper error: $(cat "$WORK/err")"

"$AGG" tools import-certificates --file "$REF/certificates.json" --data-stores-directory "$WORK/s" >"$WORK/out" 2>"$WORK/err" \
    && pass "import reference chain ($(cat "$WORK/out"))" || { fail "import: $(cat "$WORK/err")"; exit 1; }

start_bg aggregator "$WORK/port" "$AGG" -v serve --data-stores-directory "$WORK/s" --server-port 0 --port-file "$WORK/port"
URL="http://127.0.0.1:$PORT/aggregator"

get() { curl -s -o "$WORK/body" -w '%{http_code}' "$URL$1"; }
expect() { # expect <path> <status> <schema or -> [--array]
    local code; code=$(get "$1")
    if [ "$code" != "$2" ]; then fail "GET $1: status $code, want $2"; return; fi
    if [ "$3" != - ] && ! $CHECK "$3" "$WORK/body" ${4:-} >"$WORK/chk" 2>&1; then
        fail "GET $1: $(cat "$WORK/chk")"; return; fi
    pass "GET $1 -> $2${3:+ $3}"
}
expect / 200 AggregatorFeaturesMessage
expect /status 200 AggregatorStatusMessage
expect /epoch-settings 200 EpochSettingsMessage
expect /certificates 200 CertificateListMessage
expect /certificate/genesis 200 CertificateMessage
expect /artifact/mithril-stake-distributions 200 MithrilStakeDistributionListMessage
expect /signers/registered/latest 200 SignerRegistrationsMessage
expect /signers/registered/12 200 SignerRegistrationsMessage
expect /signers/registered/latest-1 200 SignerRegistrationsMessage
expect /signers/tickers 200 SignersTickersMessage
expect /artifact/cardano-stake-distributions 200 CardanoStakeDistributionListMessage
expect /artifact/cardano-stake-distribution/epoch/latest 404 -
expect /artifact/cardano-stake-distribution/epoch/latest-6 400 Error
expect /artifact/cardano-database/epoch/latest-2 200 CardanoDatabaseSnapshotListMessage
expect /artifact/cardano-database/epoch/latest-x 400 Error
expect /certificate/not-a-hash 400 Error
expect "/certificate/$(printf '0%.0s' $(seq 64))" 404 -
expect /signers/registered/x12 400 Error
expect /nope 404 Error

# Every reference certificate comes back identical (as JSON values).
/usr/bin/python3 - "$REF/certificates.json" "$REF/certificates-list.json" "$URL" <<'PY' && pass "certificates equal the reference" || fail "certificate content"
import json, sys, urllib.request
ref = json.load(open(sys.argv[1]))
for h, c in ref.items():
    got = json.load(urllib.request.urlopen(f"{sys.argv[3]}/certificate/{h}"))
    assert got == c, f"certificate {h} differs"
lst = json.load(urllib.request.urlopen(f"{sys.argv[3]}/certificates"))
want = json.load(open(sys.argv[2]))
assert [c["hash"] for c in lst] == [c["hash"] for c in want][:len(lst)], "list order differs"
assert lst[0] == want[0], "list item differs"
PY

# mithril-client verifies the whole chain through our aggregator.
if AGGREGATOR_ENDPOINT="$URL" "$CLIENT" --cache-dir "" --genesis-verification-key "$VKEY" \
    certificate verify latest >"$WORK/out" 2>"$WORK/err"; then
    pass "mithril-client verifies the chain served"
else
    fail "client verify: $(tail -3 "$WORK/err")"
fi
# A POST to an unknown route is a JSON 404; a wrong method a 405.
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -d '{}' "$URL/nope")
[ "$code" = 404 ] && $CHECK Error "$WORK/body" && pass "POST unknown -> 404" || fail "POST unknown: $code"
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X DELETE "$URL/status")
[ "$code" = 405 ] && pass "DELETE -> 405" || fail "DELETE: $code"
# Client restoration statistics: 201, a malformed count is a JSON 400.
post() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H 'content-type: application/json' -d "$2" "$URL$1"; }
code=$(post /statistics/cardano-database/immutable-files-restored '{"nb_immutable_files":62}')
[ "$code" = 201 ] && pass "statistics immutable-files-restored -> 201" || fail "statistics: $code"
code=$(post /statistics/cardano-database/complete-restoration '')
[ "$code" = 201 ] && pass "statistics complete-restoration -> 201" || fail "statistics complete: $code"
code=$(post /statistics/cardano-database/immutable-files-restored '{"nb_immutable_files":"x"}')
[ "$code" = 400 ] && $CHECK Error "$WORK/body" && pass "statistics bad count -> 400" || fail "statistics bad: $code"
code=$(post /statistics/cardano-database/nope '{}')
[ "$code" = 404 ] && pass "statistics unknown -> 404" || fail "statistics unknown: $code"
# Each POST route bounds its body (m=100: signatures 8192 + 100*3*4 bytes):
# one byte over is a JSON 413 naming the bound, before the route parses it.
for rb in register-signer:16384 register-signatures:9392 statistics/cardano-database/complete-restoration:4096; do
    r=${rb%%:*}; b=${rb##*:}
    head -c $((b + 1)) /dev/zero | tr '\0' a >"$WORK/big"
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST --data-binary @"$WORK/big" "$URL/$r")
    [ "$code" = 413 ] && $CHECK Error "$WORK/body" && grep -q "larger than $b bytes" "$WORK/body" \
        && pass "POST /$r over $b bytes -> 413" || fail "POST /$r oversized: $code $(cat "$WORK/body")"
done

kill "$BG_PID"; wait "$BG_PID"; rc=$?; BG_PID=
[ $rc -eq 0 ] && pass "clean shutdown on SIGTERM" || fail "exit $rc on SIGTERM"
grep -q "Sanitizer" "$WORK/aggregator.err" && { fail "sanitizer report"; cat "$WORK/aggregator.err"; }
finish aggregator
