# evil_lib.sh - sourced by the adversarial client tests (after tests/lib.sh):
# a lying aggregator (evil_aggregator.py) in front of an upstream, scripted
# per URL, and the check that a refusal is clean.
EVIL_PY="$MTL_SOURCE_DIR/tests/client/evil_aggregator.py"
FORGE_ART="/usr/bin/python3 $MTL_SOURCE_DIR/tests/client/forge_artifact.py"
CERT_FORGE="$MTL_BUILD_DIR/tests/client/cert-forge"
EVIL_PID=
EVIL_SEQ=0
trap 'kill "$EVIL_PID" 2>/dev/null; wait "$EVIL_PID" 2>/dev/null; stop_bg; rm -rf "$WORK"' EXIT

# evil_routes UPSTREAM [PATH FILE[,FILE...]]...: the n-th GET of PATH gets the
# n-th FILE (the last repeats, "-" = upstream); counters restart.
evil_routes() {
    local up=$1
    shift
    EVIL_SEQ=$((EVIL_SEQ + 1))
    /usr/bin/python3 - "$WORK/evil-script.json" "$up" "$EVIL_SEQ" "$@" <<'PYEOF'
import json, sys
out, up, seq, rest = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
routes = {rest[i]: rest[i + 1].split(",") for i in range(0, len(rest), 2)}
json.dump({"upstream": up, "seq": seq, "routes": routes}, open(out + ".tmp", "w"))
import os; os.rename(out + ".tmp", out)
PYEOF
}

# evil_start UPSTREAM: start the lying aggregator, point the client at it.
evil_start() {
    evil_routes "$1"
    rm -f "$WORK/evil.port"
    /usr/bin/python3 "$EVIL_PY" "$WORK/evil-script.json" "$WORK/evil.port" 2>"$WORK/evil.err" &
    EVIL_PID=$!
    for _ in $(seq 600); do [ -s "$WORK/evil.port" ] && break; sleep 0.05; done
    [ -s "$WORK/evil.port" ] || { echo "FAIL: evil aggregator did not start"; cat "$WORK/evil.err"; exit 1; }
    export AGGREGATOR_ENDPOINT="http://127.0.0.1:$(cat "$WORK/evil.port")/aggregator"
}

# refused NAME WANT CMD...: ko (non-zero exit, WANT in stderr, no
# "successfully") and nothing on stdout claims a verification either.
refused() {
    ko "$@"
    if grep -qi "verified" "$WORK/out"; then fail "$1: stdout claims a verification"; cat "$WORK/out"; fi
}

# accepted NAME CMD...: CMD succeeds.
accepted() {
    local name=$1
    shift
    if "$@" >"$WORK/out" 2>"$WORK/err"; then echo "ok   $name"
    else fail "$name (exit $?)"; cat "$WORK/err"; fi
}
