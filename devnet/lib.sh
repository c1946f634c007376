# devnet/lib.sh - shared by devnet/run, devnet/stop, devnet/query, devnet/logs
# and the end-to-end test: where the binaries are, process bookkeeping in the
# run directory, waiting on the aggregator's routes.
# shellcheck shell=bash

DEVNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$DEVNET_ROOT/build}
RUN_DIR=${RUN_DIR:-$BUILD_DIR/devnet}

SIM_BIN=$BUILD_DIR/tools/cardano-node-sim/cardano-node-sim
CLI_BIN=$BUILD_DIR/tools/cardano-cli/cardano-cli
AGG_BIN=$BUILD_DIR/src/aggregator/mithril-aggregator
SIGNER_BIN=$BUILD_DIR/src/signer/mithril-signer
CLIENT_BIN=$BUILD_DIR/src/client/mithril-client

# One event per line on stderr, key=value like the programs' logs.
say() { printf 'devnet ts=%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "level=error $*"; exit 1; }

# start NAME CMD...: run in the background, log to RUN_DIR/logs/NAME.log,
# remember the pid in RUN_DIR/pids (name pid per line).
start() {
    local name=$1; shift
    mkdir -p "$RUN_DIR/logs"
    "$@" >>"$RUN_DIR/logs/$name.log" 2>&1 &
    echo "$name $!" >>"$RUN_DIR/pids"
    say "event=started name=$name pid=$!"
}

pid_of() { awk -v n="$1" '$1 == n { p = $2 } END { print p }' "$RUN_DIR/pids" 2>/dev/null; }

# stop_one NAME [SIGNAL]: signal it, wait up to 5 s, then SIGKILL.
stop_one() {
    local pid; pid=$(pid_of "$1")
    [ -n "$pid" ] || return 0
    kill "-${2:-TERM}" "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

# stop_all: every process this run started, newest first.
stop_all() {
    [ -f "$RUN_DIR/pids" ] || return 0
    local name pid
    tac "$RUN_DIR/pids" | while read -r name pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
        fi
    done
    for _ in $(seq 50); do
        local alive=0
        while read -r name pid; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done <"$RUN_DIR/pids"
        [ $alive = 0 ] && break
        sleep 0.1
    done
    while read -r name pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$RUN_DIR/pids"
    : >"$RUN_DIR/pids"
    return 0
}

# alive NAME: is the process still running?
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

agg_url() { echo "http://127.0.0.1:$(cat "$RUN_DIR/aggregator/port")/aggregator"; }

# get ROUTE: the aggregator's JSON for a route ("" on error).
get() { curl -sf -H 'mithril-api-version: 0.1.68' "$(agg_url)$1" 2>/dev/null; }

# json_len ROUTE: number of items of a JSON array route (0 on error).
json_len() {
    get "$1" | /usr/bin/python3 -c 'import json,sys
try: print(len(json.load(sys.stdin)))
except Exception: print(0)'
}

# wait_until SECONDS DESCRIPTION CMD...: poll CMD every 0.5 s; on timeout
# print the tail of every log and fail.
wait_until() {
    local secs=$1 what=$2; shift 2
    local end=$((SECONDS + secs))
    while ! "$@"; do
        if [ $SECONDS -ge $end ]; then
            say "event=timeout waiting_for=\"$what\" after_s=$secs"
            tail_logs
            return 1
        fi
        sleep 0.5
    done
}

tail_logs() {
    local f
    for f in "$RUN_DIR"/logs/*.log; do
        [ -f "$f" ] || continue
        echo "----- $(basename "$f") (last 25 lines) -----" >&2
        tail -n 25 "$f" >&2
    done
}

# The aggregator's settings (NAME=VALUE lines written by devnet/run in
# RUN_DIR/aggregator/env) into the array AGG_SETTINGS.
agg_settings() { mapfile -t AGG_SETTINGS <"$RUN_DIR/aggregator/env"; }

# start_aggregator PORT: `serve` with the devnet's settings on PORT (0: any
# free one; a restart passes the previous one, which the signers know).
start_aggregator() {
    agg_settings
    start aggregator env "${AGG_SETTINGS[@]}" SERVER_PORT="$1" "$AGG_BIN" -vv serve
}

# metrics_url NAME: the Prometheus URL of a program of the devnet (its log
# names the port it got).
metrics_url() {
    local port
    port=$(sed -n 's/.*event=metrics_server ip=[0-9.]* port=\([0-9]*\).*/\1/p' \
        "$RUN_DIR/logs/$1.log" 2>/dev/null | tail -n 1)
    [ -n "$port" ] && echo "http://127.0.0.1:$port/metrics"
}

# Era markers on the simulated chain: the devnet's era key (RUN_DIR/keys/era.sk)
# signs them, they sit in the inline datum of a UTxO at ERA_ADDRESS, in
# RUN_DIR/node/utxo.json where the cardano-cli shim answers `query utxo` from.
ERA_ADDRESS=addr_test1vpcr3he05gemue6eyy0c9clajqnnww8aa2l3jszjdlszjhq093qrn
# era_datum CURRENT [NEXT]: pythagoras from epoch CURRENT, lagrange from NEXT
# (or announced without an epoch), replacing the markers on chain.
era_datum() {
    "$AGG_BIN" era generate-tx-datum --current-era-epoch "$1" ${2:+--next-era-epoch "$2"} \
        --era-markers-secret-key "$(cat "$RUN_DIR/keys/era.sk")" \
        --target-path "$RUN_DIR/keys/era-datum.json" || return 1
    /usr/bin/python3 - "$RUN_DIR/keys/era-datum.json" "$ERA_ADDRESS" "$RUN_DIR/node/utxo.json" <<'PY'
import json, os, sys
datum, address, path = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
utxo = {address: {os.urandom(32).hex() + "#0": {
    "address": address, "datum": None, "inlineDatum": datum, "inlineDatumhash": "00" * 32,
    "referenceScript": None, "value": {"lovelace": 2000000}}}}
json.dump(utxo, open(path + ".tmp", "w"), indent=4)
os.replace(path + ".tmp", path)
PY
}
# era_reader_env: the era reader settings of aggregator and signers (the
# cardano-chain adapter once the devnet has an era key, else bootstrap).
era_reader_env() {
    if [ -s "$RUN_DIR/keys/era.vk" ]; then
        echo ERA_READER_ADAPTER_TYPE=cardano-chain
        printf 'ERA_READER_ADAPTER_PARAMS={"address":"%s","verification_key":"%s"}\n' \
            "$ERA_ADDRESS" "$(cat "$RUN_DIR/keys/era.vk")"
    else
        echo ERA_READER_ADAPTER_TYPE=bootstrap
    fi
}

# start_signer NAME POOL_INDEX [DB_DIRECTORY]: a mithril-signer for pool
# POOL_INDEX with its KES key and operational certificate (written by the
# simulator in RUN_DIR/node/pools/POOL_INDEX: the party id is the opcert's pool
# id), its stores in RUN_DIR/NAME, reading the node's DB unless told otherwise.
start_signer() {
    local name=$1 keys=$RUN_DIR/node/pools/$2 db=${3:-$RUN_DIR/node/db}
    mkdir -p "$RUN_DIR/$name"
    local era
    mapfile -t era < <(era_reader_env)
    start "$name" env "${era[@]}" AGGREGATOR_ENDPOINT="$(agg_url)" NETWORK=devnet \
        KES_SECRET_KEY_PATH="$keys/kes.skey" OPERATIONAL_CERTIFICATE_PATH="$keys/opcert.cert" \
        NETWORK_MAGIC="${NETWORK_MAGIC:-42}" CARDANO_CLI_PATH="$CLI_BIN" \
        CARDANO_NODE_SOCKET_PATH="$RUN_DIR/node/node.socket" DB_DIRECTORY="$db" \
        DATA_STORES_DIRECTORY="$RUN_DIR/$name" RUN_INTERVAL="${RUN_INTERVAL_MS:-250}" \
        FOLLOWER_AGGREGATOR_ENDPOINTS="${FOLLOWER_URLS:-}" \
        ENABLE_METRICS_SERVER=true METRICS_SERVER_PORT=0 "$SIGNER_BIN" -vv
}

# Follower aggregators (NUM_FOLLOWERS): follower I lives in RUN_DIR/follower-I
# with its own store, snapshots, ancillary key and port file, and the leader's
# other settings (env: the leader's lines, then its own, which win).
follower_url() { echo "http://127.0.0.1:$(cat "$RUN_DIR/follower-$1/port")/aggregator"; }
# fget I ROUTE: follower I's JSON for a route ("" on error).
fget() { curl -sf -H 'mithril-api-version: 0.1.68' "$(follower_url "$1")$2" 2>/dev/null; }
follower_env() {
    local d=$RUN_DIR/follower-$1
    mkdir -p "$d/keys"
    "$AGG_BIN" tools generate-ancillary-keypair --target-path "$d/keys" >/dev/null || return 1
    { cat "$RUN_DIR/aggregator/env"
      printf '%s\n' DATA_STORES_DIRECTORY="$d/stores" SNAPSHOT_DIRECTORY="$d/snapshots" \
          PORT_FILE="$d/port" ANCILLARY_SECRET_KEY_PATH="$d/keys/ancillary.sk" \
          LEADER_AGGREGATOR_ENDPOINT="${2:-$(agg_url)}"; } >"$d/env"
}
# start_follower I PORT: serve follower I on PORT (0: any free one).
start_follower() {
    local fs
    mapfile -t fs <"$RUN_DIR/follower-$1/env"
    start "follower-$1" env "${fs[@]}" SERVER_PORT="$2" "$AGG_BIN" -vv serve
}

# explorer_screenshot OUT.png: the explorer page of this devnet in headless
# Chromium (devnet/browser.mjs), after ?verify=latest when the aggregator
# serves the WebAssembly module; prints "verdict: ..." (or why there is none).
explorer_screenshot() {
    local page until print
    page="$(agg_url | sed 's|/aggregator$|/explorer/|')"
    [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && command -v node >/dev/null ||
        { say "level=error event=no_browser hint=\"scripts/install-deps.sh installs chromium and nodejs\""; return 1; }
    until='document.body.dataset.loaded'
    print='"verdict: not verified (no WebAssembly build: make wasm)"'
    if curl -sf -o /dev/null "${page}wasm/mithril.mjs"; then
        page="$page?verify=latest"
        until='document.body.dataset.loaded && document.getElementById("verdict").textContent'
        print='"verdict: " + document.getElementById("verdict").textContent'
    fi
    node "$DEVNET_ROOT/devnet/browser.mjs" --url "$page" --until "$until" --print "$print" \
        --screenshot "$1" --timeout "${EXPLORER_TIMEOUT:-900}" 2>>"$RUN_DIR/logs/browser.log"
}
