#!/bin/bash
# The explorer as the aggregator serves it, and CORS as the reference sends it:
# files with their content types (application/wasm too), /explorer redirected,
# config.json with the configured genesis key; traversal (.., %2e%2e, hidden
# files, a symlink out of the directory) refused; CORS on GET routes only
# for requests with an Origin (echoed), preflights allowed or refused like
# warp's cors filter.
set -u
. "$MTL_SOURCE_DIR/tests/lib.sh"
REF="${MTL_SHARED_DIR:-}/reference-data/aggregator-fake-2026-05-21"
VKEY="${MTL_SHARED_DIR:-}/reference-data/genesis-keys/devnet-e2e/genesis.vkey"
require_reference "$REF" "$VKEY"
AGG="$MTL_BUILD_DIR/src/aggregator/mithril-aggregator"

# An explorer directory of our own: the real files, a symlink pointing out of
# it, and a wasm directory with a stand-in module (its bytes are only served).
mkdir -p "$WORK/explorer" "$WORK/wasm" "$WORK/outside"
cp "$MTL_SOURCE_DIR"/explorer/* "$WORK/explorer/"
echo "secret" >"$WORK/outside/secret.html"
ln -s "$WORK/outside/secret.html" "$WORK/explorer/escape.html"
printf '\0asm\1\0\0\0' >"$WORK/wasm/mithril.wasm"
"$AGG" tools import-certificates --file "$REF/certificates.json" --data-stores-directory "$WORK/s" >/dev/null ||
    { fail "import reference chain"; exit 1; }
start_bg aggregator "$WORK/port" env GENESIS_VERIFICATION_KEY="$VKEY" EXPLORER_DIRECTORY="$WORK/explorer" \
    "$AGG" serve --data-stores-directory "$WORK/s" --server-port 0 --port-file "$WORK/port" \
    --explorer-wasm-directory "$WORK/wasm"
BASE="http://127.0.0.1:$PORT"

# fetch PATH [CURL ARGS...]: status in $CODE, headers in $WORK/h, body in $WORK/b.
fetch() {
    local p=$1
    shift
    CODE=$(curl -s --path-as-is -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "$@" "$BASE$p")
}
header() { tr -d '\r' <"$WORK/h" | awk -v n="$1" 'BEGIN { IGNORECASE = 1 } tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: */, ""); print }'; }
served() { # PATH TYPE FILE: 200, that content type, the file's bytes
    fetch "$1"
    if [ "$CODE" = 200 ] && [ "$(header content-type)" = "$2" ] && cmp -s "$WORK/b" "$3"; then pass "GET $1 -> 200 $2"
    else fail "GET $1: $CODE $(header content-type)"; fi
}
refused() { # PATH STATUS WANT: refused with that status, the body naming WANT, nothing of the file
    fetch "$1"
    if [ "$CODE" = "$2" ] && grep -q -- "$3" "$WORK/b" && ! grep -q secret "$WORK/b"; then pass "GET $1 -> $2"
    else fail "GET $1: $CODE $(head -c 200 "$WORK/b")"; fi
}

served /explorer/ "text/html; charset=utf-8" "$MTL_SOURCE_DIR/explorer/index.html"
served /explorer/index.html "text/html; charset=utf-8" "$MTL_SOURCE_DIR/explorer/index.html"
served /explorer/app.js "text/javascript; charset=utf-8" "$MTL_SOURCE_DIR/explorer/app.js"
served /explorer/style.css "text/css; charset=utf-8" "$MTL_SOURCE_DIR/explorer/style.css"
served /explorer/wasm/mithril.wasm application/wasm "$WORK/wasm/mithril.wasm"
fetch /explorer
[ "$CODE" = 301 ] && [ "$(header location)" = /explorer/ ] && pass "GET /explorer -> 301 /explorer/" ||
    fail "GET /explorer: $CODE location $(header location)"
fetch /explorer/config.json
/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["genesis_verification_key"] == open(sys.argv[2]).read().strip(), c; assert c["aggregator_path"] == "/aggregator"' \
    "$WORK/b" "$VKEY" && pass "config.json: the configured genesis key, read from its file" || fail "config.json: $(cat "$WORK/b")"

refused /explorer/../aggregator/status 400 invalid_path
refused /explorer/../../../../etc/passwd 400 invalid_path
refused /explorer/%2e%2e/%2e%2e/CMakeLists.txt 400 invalid_path
refused /explorer/wasm/../../CMakeLists.txt 400 invalid_path
refused /explorer/./index.html 400 invalid_path
refused /explorer/.hidden.js 400 invalid_path
refused "/explorer//etc/passwd" 400 invalid_path
refused /explorer/escape.html 404 not_found
refused /explorer/missing.js 404 not_found
refused /explorer/README.md 404 not_found
fetch /explorer/ -X POST
[ "$CODE" = 405 ] && pass "POST /explorer/ -> 405" || fail "POST /explorer/: $CODE"

# CORS: without an Origin none (not a CORS request); with one, echoed, on
# JSON routes, errors and explorer files alike.
fetch /aggregator/certificates
[ "$CODE" = 200 ] && [ -z "$(header access-control-allow-origin)" ] && pass "no Origin: no CORS header" ||
    fail "no Origin: $CODE '$(header access-control-allow-origin)'"
for p in /aggregator/certificates /aggregator/status /aggregator/certificate/genesis /aggregator/nope /explorer/app.js; do
    fetch "$p" -H "Origin: http://example.test:8000"
    [ "$(header access-control-allow-origin)" = "http://example.test:8000" ] && [ "$(header vary)" = Origin ] &&
        pass "GET $p with an Origin: $CODE, origin echoed" || fail "GET $p with an Origin: '$(header access-control-allow-origin)'"
done
# Preflights: the reference's methods and headers allowed, others refused 403.
fetch /aggregator/certificates -X OPTIONS -H "Origin: http://example.test" -H "Access-Control-Request-Method: GET" \
    -H "Access-Control-Request-Headers: Mithril-API-Version, mithril-origin-tag,content-type"
allow_h=$(header access-control-allow-headers)
[ "$CODE" = 200 ] && [ "$(header access-control-allow-origin)" = http://example.test ] &&
    [ "$(header access-control-allow-methods)" = "GET, POST, OPTIONS" ] &&
    for h in content-type mithril-api-version mithril-origin-tag mithril-client-type; do [[ $allow_h == *$h* ]] || false; done &&
    pass "preflight GET with the mithril headers -> 200 ($allow_h)" || fail "preflight: $CODE '$allow_h'"
fetch /aggregator/certificates -X OPTIONS -H "Origin: http://example.test" -H "Access-Control-Request-Method: DELETE"
[ "$CODE" = 403 ] && grep -q "method not allowed" "$WORK/b" && [ -z "$(header access-control-allow-origin)" ] &&
    pass "preflight DELETE -> 403" || fail "preflight DELETE: $CODE $(cat "$WORK/b")"
fetch /aggregator/certificates -X OPTIONS -H "Origin: http://example.test" -H "Access-Control-Request-Method: GET" \
    -H "Access-Control-Request-Headers: content-type, x-evil"
[ "$CODE" = 403 ] && grep -q "header not allowed" "$WORK/b" && pass "preflight with x-evil -> 403" ||
    fail "preflight x-evil: $CODE $(cat "$WORK/b")"
fetch /aggregator/certificates -X OPTIONS -H "Origin: http://example.test"
[ "$CODE" = 403 ] && pass "preflight without a requested method -> 403" || fail "preflight without method: $CODE"
finish explorer_serve
