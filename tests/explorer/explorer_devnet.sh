#!/bin/bash
# The explorer on the devnet, in headless Chromium: devnet/run as `make demo`
# runs it (EXPLORER_SCREENSHOT=1: a PNG of the page in the run directory),
# then the page lists the aggregator's certificate chain and the signers
# registered per epoch with their stake shares (the chart's bars); with the
# WebAssembly build the page's verdict is "verified", and through a lying
# aggregator that alters one certificate it is "failed: <reason>".
#   explorer_devnet.sh [WASM_DIR]
. "${MTL_SOURCE_DIR:?}/tests/e2e/e2e_lib.sh" explorer
. "$MTL_SOURCE_DIR/tests/explorer/explorer_lib.sh" "${1:-}"
require_browser
if have_wasm; then WASM=1; else WASM=0; echo "note: no WebAssembly build in $WASM_DIR: verification checks skipped"; fi
EVIL_PID=
trap 'kill "$EVIL_PID" 2>/dev/null; finish' EXIT

export NUM_SIGNERS=3 KEEP_RUNNING=1 WAIT_TIMEOUT=${WAIT_TIMEOUT:-180} EPOCH_GATE=1 EXPLORER_SCREENSHOT=1
if "$SRC/devnet/run" >"$RUN_DIR.summary" 2>"$RUN_DIR.run.log"; then pass "devnet run"
else cat "$RUN_DIR.run.log"; fail "devnet/run"; exit 1; fi
# 1. The demo's screenshot: a PNG in the run directory, named in the summary.
shot=$RUN_DIR/explorer.png
[ "$(head -c 8 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && grep -q "screenshot: $shot" "$RUN_DIR.summary" &&
    pass "screenshot $shot ($(stat -c %s "$shot") bytes): $(sed -n 's/.*screenshot: [^,]*, \(.*\))$/\1/p' "$RUN_DIR.summary")" ||
    fail "no PNG screenshot at $shot: $(grep explorer "$RUN_DIR.summary")"
if [ $WASM = 1 ]; then
    grep -q "screenshot: $shot, verdict: verified" "$RUN_DIR.summary" && pass "demo page verified the chain" ||
        fail "demo verdict: $(grep explorer "$RUN_DIR.summary")"
fi

# 2. The page lists the chain and the signers of each epoch with their stakes.
PAGE="$(agg_url | sed 's|/aggregator$|/explorer/|')"
browse "$PAGE" 'document.body.dataset.loaded' "$RUN_DIR/list.json" || fail "page never loaded: $(cat "$RUN_DIR/list.json.err")"
E=$(fact "$RUN_DIR/list.json" 'max(int(e) for e in f["signerEpochs"]) if f["signerEpochs"] else -1')
get "/signers/registered/$E" >"$RUN_DIR/registered.json"
/usr/bin/python3 - "$RUN_DIR/list.json" "$(agg_url)" "$RUN_DIR/registered.json" <<'PY' && pass "page lists the chain and the signers registered at epoch $E with their stake shares" || fail "listing"
import json, sys, urllib.request
f, url = json.load(open(sys.argv[1])), sys.argv[2]
# every certificate listed is the aggregator's, with its epoch and parent
# (the chain grows meanwhile: each row is checked on its own)
assert len(f["certRows"]) >= 2, f["certRows"]
for h, epoch, parent in f["certRows"]:
    c = json.load(urllib.request.urlopen(f"{url}/certificate/{h}"))
    assert (c["epoch"], c["previous_hash"] or "genesis") == (epoch, parent), (h, epoch, parent)
regs = json.load(open(sys.argv[3]))["registrations"]
bars = f["signerEpochs"][str(json.load(open(sys.argv[3]))["registered_at"])]
total = sum(r["stake"] for r in regs)
want = sorted((r["party_id"], round(r["stake"] / total, 4)) for r in regs)
got = sorted((p, round(s, 4)) for p, s in bars)
assert len(regs) == 3 and got == want, ("bars", got, want)
assert len(f["detailSigners"]) >= 1, "no signer in the certificate detail"
PY

[ $WASM = 1 ] || { echo "SKIP: verification in the browser needs the WebAssembly build (make wasm)"; [ $fails = 0 ] && exit 77; exit 1; }

# 3. Verified in the browser, to genesis.
browse "$PAGE?verify=latest" 'document.getElementById("verdict").textContent' "$RUN_DIR/verify.json" ||
    fail "no verdict: $(cat "$RUN_DIR/verify.json.err")"
v=$(fact "$RUN_DIR/verify.json" 'f["verdict"]')
[ "$v" = verified ] && pass "devnet chain: verdict '$v' ($(fact "$RUN_DIR/verify.json" 'f["verdictDetail"]'))" || fail "devnet verdict '$v'"

# 4. A lying aggregator (same origin: it forwards /explorer/ too) serving the
#    parent of the latest certificate with another signed message.
WORK=$(dirname "$RUN_DIR")
LATEST=$(get /certificates | py 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
PARENT=$(get "/certificate/$LATEST" | py 'import json,sys; print(json.load(sys.stdin)["previous_hash"])')
get "/certificate/$PARENT" | py 'import json,sys
c = json.load(sys.stdin)
c["signed_message"] = "00" * 32
json.dump(c, open(sys.argv[1], "w"))' "$WORK/altered.json"
printf '{"upstream": "%s", "routes": {"/aggregator/certificate/%s": ["%s"]}}' "$(agg_url)" "$PARENT" "$WORK/altered.json" >"$WORK/evil.json"
/usr/bin/python3 "$SRC/tests/client/evil_aggregator.py" "$WORK/evil.json" "$WORK/evil.port" 2>"$WORK/evil.err" &
EVIL_PID=$!
wait_until 30 "evil aggregator port" test -s "$WORK/evil.port"
browse "http://127.0.0.1:$(cat "$WORK/evil.port")/explorer/?verify=$LATEST" 'document.getElementById("verdict").textContent' \
    "$RUN_DIR/evil.json" || fail "no verdict: $(cat "$RUN_DIR/evil.json.err")"
v=$(fact "$RUN_DIR/evil.json" 'f["verdict"]')
[[ $v == "failed: "* ]] && [[ $v == *"${PARENT:0:16}"* ]] && pass "altered certificate: '$v'" ||
    fail "altered certificate ${PARENT:0:16}: verdict '$v'"
exit $((fails > 0))
