#!/bin/bash
# cardano-db download against a lying aggregator (evil_aggregator.py) in
# front of aggregator-fake serving a restore-fixture DB: the attack cases of
# restore_attacks.sh (certificate genuine then forged over an altered DB,
# --allow-override with omitted / stale / extra files, a resume record over
# an altered file, archive bombs, file:// ftp:// and redirected locations,
# ancillary archives whose signature must be checked before extraction).
# tests/e2e/e2e_client_attacks.sh runs the same cases on the real
# aggregator's output (the fixture's genesis certificate over a
# CardanoDatabase is a shape the real aggregator never makes).
set -u
CLIENT="$MTL_BUILD_DIR/src/client/mithril-client"
FAKE="$MTL_BUILD_DIR/tools/aggregator-fake/aggregator-fake"
FIXTURE="$MTL_BUILD_DIR/tests/client/restore-fixture"
. "$MTL_SOURCE_DIR/tests/lib.sh"
. "$MTL_SOURCE_DIR/tests/client/evil_lib.sh"
. "$MTL_SOURCE_DIR/tests/client/restore_attacks.sh"
W=$WORK
"$FIXTURE" "$W/db" "$W/data" "$W/files" 5 150000 7 >/dev/null || { echo "FAIL: fixture"; exit 1; }
export GENESIS_VERIFICATION_KEY="$W/data/genesis.vkey"
H=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["hash"])' "$W/data/cardano-databases-list.json")
start_bg aggregator-fake "$W/port" "$FAKE" --data-dir "$W/data" --files-dir "$W/files" --port 0 --port-file "$W/port"
UP="http://127.0.0.1:$PORT/aggregator"
evil_start "$UP"
restore_attacks "$UP" "$H" "$W/db" "$W/data/ancillary.vkey"
finish restore-adversarial
