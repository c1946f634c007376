# explorer_lib.sh - sourced by the explorer's browser tests: skip without
# Chromium or Node, the WebAssembly module's presence, and `browse`, which
# opens a page in headless Chromium (devnet/browser.mjs) and prints what the
# page shows.
# shellcheck shell=bash
BROWSER_JS="$MTL_SOURCE_DIR/devnet/browser.mjs"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
WASM_DIR=${1:-${MTL_WASM_DIR:-$MTL_SOURCE_DIR/build/wasm/pkg}}

# require_browser: exit 77 with a message when Chromium or Node is missing.
require_browser() {
    if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null; then
        echo "SKIP: headless Chromium ($CHROMIUM) or node missing: scripts/install-deps.sh installs them"
        exit 77
    fi
}

# have_wasm: is the WebAssembly build of libmithril there (make wasm; the
# package's mithril.mjs carries its .wasm inline)?
have_wasm() { [ -s "$WASM_DIR/mithril.mjs" ]; }

# What the page shows, as one JSON object (browse --print).
PAGE_FACTS='JSON.stringify({
  loaded: document.body.dataset.loaded || "",
  verdict: document.getElementById("verdict").textContent,
  verdictDetail: document.getElementById("verdict-detail").textContent,
  proofVerdict: document.getElementById("proof-verdict").textContent,
  progress: [...document.querySelectorAll("#progress tbody tr")].map((r) => r.children[4].textContent),
  certificates: [...document.querySelectorAll("#certificates tbody tr")].map((r) => r.id.replace(/^cert-/, "")),
  certRows: [...document.querySelectorAll("#certificates tbody tr")].map((r) => [r.id.replace(/^cert-/, ""),
    Number(r.children[1].textContent), r.children[4].querySelector("a")?.title || "genesis"]),
  detailSigners: [...document.querySelectorAll("#certificate-signers tbody tr")].map((r) => r.children[0].textContent),
  artifacts: Object.fromEntries([...document.querySelectorAll(".artifact-kind")].map((d) => [d.id.replace(/^artifacts-/, ""),
    [...d.querySelectorAll("tbody tr")].map((r) => r.children[r.children.length - 2].querySelector("a")?.title)])),
  parameters: [...document.querySelectorAll("#parameters tr")].map((r) => [...r.children].map((c) => c.textContent).join(" ")),
  signerEpochs: Object.fromEntries([...document.querySelectorAll(".signers-epoch")].map((d) => [d.id.replace(/^signers-/, ""),
    [...d.querySelectorAll("rect[data-party]")].map((r) => [r.dataset.party, Number(r.dataset.share)])])),
  error: document.getElementById("load-error").hidden ? "" : document.getElementById("load-error").textContent,
})'

# browse URL UNTIL OUT [--screenshot F]: open URL, wait until the JS
# expression UNTIL is truthy (at most 900 s: a loaded machine), write the
# page's facts to OUT; fails when UNTIL never became true.
browse() {
    local url=$1 until=$2 out=$3
    shift 3
    node "$BROWSER_JS" --url "$url" --until "$until" --print "$PAGE_FACTS" --timeout 900 "$@" \
        >"$out" 2>"$out.err"
}

# fact OUT PYTHON_EXPR: evaluate PYTHON_EXPR over the facts f (prints it).
fact() { /usr/bin/python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
