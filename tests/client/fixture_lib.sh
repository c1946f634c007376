# tests/client/fixture_lib.sh - sourced by the client tests that run
# mithril-client against aggregator-fake serving a restore-fixture DB: the
# programs' paths, tests/lib.sh, W (the work directory) and start_fake.
BUILD="$MTL_BUILD_DIR"
CLIENT="$BUILD/src/client/mithril-client"
FAKE="$BUILD/tools/aggregator-fake/aggregator-fake"
FIXTURE="$BUILD/tests/client/restore-fixture"
PY=/usr/bin/python3
. "$MTL_SOURCE_DIR/tests/lib.sh"
W=$WORK
# start_fake DATA FILES [extra args]: aggregator-fake serving them, its
# endpoint in AGGREGATOR_ENDPOINT
start_fake() {
    start_bg aggregator-fake "$W/port" "$FAKE" --data-dir "$1" --files-dir "$2" --port 0 --port-file "$W/port" "${@:3}"
    export AGGREGATOR_ENDPOINT="http://127.0.0.1:$PORT/aggregator"
}
