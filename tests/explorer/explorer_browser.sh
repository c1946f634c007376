#!/bin/bash
# The explorer in headless Chromium on the reference data: the page, served by
# our aggregator, reads aggregator-fake on another origin (?aggregator=URL:
# CORS preflights in a real browser) and lists the reference chain, the
# certificate's signers, the artifacts of each kind with their certificates,
# the protocol parameters. With the WebAssembly build: ?verify=latest verifies
# the reference chain to genesis in the browser, and a lying aggregator that
# alters one certificate of the chain gets "failed: <reason>".
#   explorer_browser.sh [WASM_DIR]
set -u
. "$MTL_SOURCE_DIR/tests/lib.sh"
. "$MTL_SOURCE_DIR/tests/explorer/explorer_lib.sh" "${1:-}"
. "$MTL_SOURCE_DIR/tests/client/evil_lib.sh"
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
require_reference "$REF" "$VKEY"
require_browser
AGG="$MTL_BUILD_DIR/src/aggregator/mithril-aggregator"
FAKE="$MTL_BUILD_DIR/tools/aggregator-fake/aggregator-fake"
FAKE_PID=
trap 'kill "$EVIL_PID" "$FAKE_PID" 2>/dev/null; stop_bg; rm -rf "$WORK"' EXIT

"$FAKE" --data-dir "$REF" --port 0 --port-file "$WORK/fake.port" >/dev/null 2>"$WORK/fake.err" &
FAKE_PID=$!
for _ in $(seq 600); do [ -s "$WORK/fake.port" ] && break; sleep 0.05; done
FAKE_URL="http://127.0.0.1:$(cat "$WORK/fake.port")/aggregator"
# The page's own server: an empty store, the wasm build beside it.
start_bg aggregator "$WORK/port" "$AGG" serve --data-stores-directory "$WORK/s" --server-port 0 \
    --port-file "$WORK/port" --explorer-wasm-directory "$WASM_DIR"
PAGE="http://127.0.0.1:$PORT/explorer/"
# The fake on another origin than the page (another port): every request is CORS.
ENC_FAKE=$(/usr/bin/python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$FAKE_URL")
GENESIS=$(tr -d ' \n' <"$VKEY")

# 1. Listing, cross-origin.
browse "$PAGE?aggregator=$ENC_FAKE" 'document.body.dataset.loaded' "$WORK/list.json" ||
    { fail "page never loaded: $(cat "$WORK/list.json.err")"; finish explorer_browser; }
[ "$(fact "$WORK/list.json" 'f["loaded"]')" = true ] && pass "page loaded from $FAKE_URL (cross-origin)" ||
    fail "page load: $(fact "$WORK/list.json" 'f["error"]')"
/usr/bin/python3 - "$WORK/list.json" "$REF" <<'PY' && pass "chain, signers, artifacts and parameters listed as the reference data says" || fail "listing differs"
import json, sys
f, ref = json.load(open(sys.argv[1])), sys.argv[2]
certs = json.load(open(ref + "/certificates-list.json"))
assert f["certificates"] == [c["hash"] for c in certs], ("chain", f["certificates"][:3])
detail = json.load(open(ref + "/certificates.json"))[certs[0]["hash"]]
assert f["detailSigners"] == [s["party_id"] for s in detail["metadata"]["signers"]], ("signers", f["detailSigners"])
for kind, file in [("MithrilStakeDistribution", "mithril-stake-distributions-list.json"),
                   ("CardanoDatabase", "cardano-databases-list.json"),
                   ("CardanoStakeDistribution", "cardano-stake-distributions-list.json"),
                   ("CardanoTransactions", "ctx-snapshots-list.json")]:
    want = [a["certificate_hash"] for a in json.load(open(ref + "/" + file))]
    assert f["artifacts"][kind] == want, (kind, f["artifacts"].get(kind))
status = json.load(open(ref + "/status.json"))
p = status["protocol"]
assert f"current epoch {p['k']} {p['m']} {p['phi_f']}" in f["parameters"], f["parameters"]
PY

if ! have_wasm; then
    echo "SKIP: verification in the browser: no WebAssembly build in $WASM_DIR (make wasm); the listing checks above ran"
    [ $fails -eq 0 ] && exit 77
    finish explorer_browser
fi

# 2. The reference chain verifies to genesis in the browser.
browse "$PAGE?verify=latest&aggregator=$ENC_FAKE&genesis=$GENESIS" \
    'document.getElementById("verdict").textContent' "$WORK/verify.json" || fail "no verdict: $(cat "$WORK/verify.json.err")"
v=$(fact "$WORK/verify.json" 'f["verdict"]')
n=$(fact "$WORK/verify.json" 'len(f["progress"])')
[ "$v" = verified ] && [ "$n" -ge 2 ] && pass "reference chain: verdict '$v' ($n certificates, $(fact "$WORK/verify.json" 'f["verdictDetail"]'))" ||
    fail "reference chain verdict '$v' ($n certificates)"

# 3. A lying aggregator in front of the fake: the parent of the latest
#    certificate with one signer's stake changed (its hash field kept).
LATEST=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["hash"])' "$REF/certificates-list.json")
PARENT=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["previous_hash"])' "$REF/certificates.json" "$LATEST")
/usr/bin/python3 - "$REF/certificates.json" "$PARENT" "$WORK/altered.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))[sys.argv[2]]
c["metadata"]["signers"][0]["stake"] += 1
json.dump(c, open(sys.argv[3], "w"))
PY
evil_start "$FAKE_URL"
evil_routes "$FAKE_URL" "/aggregator/certificate/$PARENT" "$WORK/altered.json"
EVIL_URL=$(/usr/bin/python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$AGGREGATOR_ENDPOINT")
browse "$PAGE?verify=latest&aggregator=$EVIL_URL&genesis=$GENESIS" \
    'document.getElementById("verdict").textContent' "$WORK/evil.json" || fail "no verdict: $(cat "$WORK/evil.json.err")"
v=$(fact "$WORK/evil.json" 'f["verdict"]')
[[ $v == "failed: "* ]] && [[ $v == *"${PARENT:0:16}"* ]] && pass "altered certificate: '$v'" ||
    fail "altered certificate ${PARENT:0:16}: verdict '$v'"

# 4. Proofs from the reference data, served by the lying aggregator's script:
#    a transaction (v1) and a block (v2) are certified by the certificate they
#    name (verified to genesis first); a proof listing another transaction
#    than the one its Merkle path proves is refused.
/usr/bin/python3 - "$REF" "$WORK" <<'PY'
import json, sys
ref, work = sys.argv[1], sys.argv[2]
txs, blocks = json.load(open(ref + "/ctx-proofs.json")), json.load(open(ref + "/cblk-proofs.json"))
tx, block = sorted(txs)[0], sorted(blocks)[0]
json.dump(txs[tx], open(work + "/tx-proof.json", "w"))
json.dump(blocks[block], open(work + "/block-proof.json", "w"))
forged = json.loads(json.dumps(txs[tx]))
forged["certified_transactions"][0]["transactions_hashes"] = ["ab" * 32]
json.dump(forged, open(work + "/forged-proof.json", "w"))
open(work + "/proof-hashes", "w").write(tx + " " + block + "\n")
PY
read -r TX BLOCK <"$WORK/proof-hashes"
evil_routes "$FAKE_URL" /aggregator/proof/cardano-transaction "$WORK/tx-proof.json" \
    /aggregator/proof/v2/cardano-block "$WORK/block-proof.json"
proof_check() { # NAME HASH KIND WANT: the page's proof verdict for HASH starts with WANT
    browse "$PAGE?aggregator=$EVIL_URL&genesis=$GENESIS&proof=$2&kind=$3" \
        'document.getElementById("proof-verdict").textContent' "$WORK/proof.json" || fail "$1: no proof verdict"
    local v; v=$(fact "$WORK/proof.json" 'f["proofVerdict"]')
    [[ $v == "$4"* ]] && pass "$1: '$v'" || fail "$1: proof verdict '$v', want '$4'"
}
proof_check "transaction ${TX:0:12} (v1 proof)" "$TX" transaction certified
proof_check "block ${BLOCK:0:12} (v2 proof)" "$BLOCK" block certified
evil_routes "$FAKE_URL" /aggregator/proof/cardano-transaction "$WORK/forged-proof.json"
proof_check "forged proof for $(printf 'ab%.0s' 1 2 3 4 5 6)…" "$(printf 'ab%.0s' $(seq 32))" transaction "failed: "
finish explorer_browser
