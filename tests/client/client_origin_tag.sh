#!/bin/bash
# The client's identity headers reach mithril-aggregator's metrics: every
# request carries mithril-client-type: CLI, and --origin-tag TAG the
# mithril-origin-tag header, counted under TAG when CUSTOM_ORIGIN_TAG_WHITE_LIST
# names it and as NA otherwise. (The restore counters are checked the same way
# in tests/e2e/e2e_devnet.sh, on an aggregator that certifies Cardano DBs.)
set -u
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
. "$MTL_SOURCE_DIR/tests/lib.sh"
require_reference "$REF" "$VKEY"
AGG="$MTL_BUILD_DIR/src/aggregator/mithril-aggregator"
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
W=$WORK

"$AGG" tools import-certificates --file "$REF/certificates.json" --data-stores-directory "$W/s" >/dev/null 2>&1 \
    || { echo "FAIL: import"; exit 1; }
# start_bg keeps stderr in $W/aggregator.err: the metrics port is logged there
ENABLE_METRICS_SERVER=true METRICS_SERVER_PORT=0 CUSTOM_ORIGIN_TAG_WHITE_LIST="OTHER, TESTTAG" \
    start_bg aggregator "$W/port" "$AGG" -v serve --data-stores-directory "$W/s" --server-port 0 --port-file "$W/port"
export AGGREGATOR_ENDPOINT="http://127.0.0.1:$PORT/aggregator" GENESIS_VERIFICATION_KEY="$VKEY" MITHRIL_CLIENT_CACHE_DIR=
MPORT=
for _ in $(seq 200); do
    MPORT=$(sed -n 's/.*event=metrics_server .*port=\([0-9]*\).*/\1/p' "$W/aggregator.err" | head -1)
    [ -n "$MPORT" ] && break
    sleep 0.05
done
[ -n "$MPORT" ] || { echo "FAIL: no metrics_server line"; cat "$W/aggregator.err"; exit 1; }
# served LABELS: the certificate details counted under LABELS (0 when absent)
served() {
    curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="certificate_detail_total_served_since_startup{$1}" \
        '$1 == k { v = $2 } END { print v + 0 }'
}
H=$(curl -sf "$AGGREGATOR_ENDPOINT/certificates" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')

tagged=$(served 'client_type="CLI",origin_tag="TESTTAG"')
untagged=$(served 'client_type="CLI",origin_tag="NA"')
"$CLIENT" --origin-tag TESTTAG certificate show "$H" >/dev/null 2>&1 || fail "certificate show --origin-tag TESTTAG"
"$CLIENT" certificate show "$H" --origin-tag TESTTAG >/dev/null 2>&1 || fail "--origin-tag after the command"
"$CLIENT" --origin-tag NOT-LISTED certificate show "$H" >/dev/null 2>&1 || fail "certificate show --origin-tag NOT-LISTED"
"$CLIENT" certificate show "$H" >/dev/null 2>&1 || fail "certificate show"
t=$(served 'client_type="CLI",origin_tag="TESTTAG"')
u=$(served 'client_type="CLI",origin_tag="NA"')
[ $((t - tagged)) = 2 ] && pass "white-listed tag counted: TESTTAG +2 (client_type CLI)" \
    || fail "TESTTAG counted $tagged -> $t, want +2"
[ $((u - untagged)) = 2 ] && pass "unlisted and absent tags counted as NA: +2" \
    || fail "NA counted $untagged -> $u, want +2"
[ "$(served 'client_type="NA",origin_tag="NA"')" = 0 ] && pass "no request without the client type" \
    || fail "requests counted without client type"
ko "an origin tag with a space is refused" "origin tag" "$CLIENT" --origin-tag "A B" certificate list

finish origin-tag
