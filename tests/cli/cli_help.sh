#!/bin/bash
# --version of every program prints "<program> <version>", the version being
# CMake's project version; `<command> [<subcommand>] --help` of mithril-client
# and mithril-aggregator (and mithril-signer's --help) names that command and
# its own flags, not those of its siblings; every flag a client command's help
# lists is accepted by that command.
set -u
B="$MTL_BUILD_DIR"
. "$MTL_SOURCE_DIR/tests/lib.sh"
W=$WORK
VERSION=$(sed -n 's/^project(mithril VERSION \([0-9.]*\).*/\1/p' "$MTL_SOURCE_DIR/CMakeLists.txt")
[ -n "$VERSION" ] || { echo "FAIL: no project version in CMakeLists.txt"; exit 1; }

for p in src/aggregator/mithril-aggregator src/signer/mithril-signer src/client/mithril-client \
    tools/cardano-db/mithril-cardano-db tools/aggregator-fake/aggregator-fake \
    tools/cardano-node-sim/cardano-node-sim tools/stm-demo/mithril-stm-demo; do
    name=$(basename "$p")
    out=$("$B/$p" --version 2>&1)
    [ "$out" = "$name $VERSION" ] && pass "$name --version" || fail "$name --version: '$out', want '$name $VERSION'"
done
# the cardano-cli shim answers as cardano-cli does, with its own version after
"$B/tools/cardano-cli/cardano-cli" --version >"$W/out"
head -1 "$W/out" | grep -q "^cardano-cli [0-9]" && grep -q "(mithril-c $VERSION devnet shim)" "$W/out" \
    && pass "cardano-cli shim --version" || fail "cardano-cli shim --version"
out=$("$B/src/client/mithril-client" -v --version 2>&1)
[ "$out" = "mithril-client $VERSION" ] && pass "--version after -v" || fail "-v --version: '$out'"

# help PROGRAM "WORDS" "FLAGS" [NAME]: `PROGRAM WORDS --help` exits 0, prints a
# usage line naming WORDS (or NAME, for an alias), every +flag and no -flag of
# FLAGS.
help() {
    local prog=$1 words=$2 name=${4:-$2} f bad=
    # shellcheck disable=SC2086
    "$B/$prog" $words --help >"$W/out" 2>"$W/err" || bad="exit $?"
    grep -q "^usage: .*$(basename "$prog").* $name" "$W/out" || bad="$bad; no usage line for '$name'"
    for f in $3; do
        case $f in
        +*) grep -q -- "${f#+}" "$W/out" || bad="$bad; lacks ${f#+}" ;;
        -*) grep -q -- "${f#-}" "$W/out" && bad="$bad; names ${f#-}" ;;
        esac
    done
    [ -z "$bad" ] && pass "$(basename "$prog") $words --help" || { fail "$(basename "$prog") $words --help:$bad"; cat "$W/out"; }
}
C=src/client/mithril-client
help $C "cardano-db snapshot list" "--download-dir --db-dir"
help $C "cardano-db snapshot show" "+<hash|latest> --download-dir --db-dir"
help $C "cardano-db download" "+--download-dir +--start +--end +--include-ancillary +--ancillary-verification-key +--allow-override +--parallel +--max-parallel-downloads --db-dir --allow-missing"
help $C "cardano-db verify" "+--db-dir +--start +--end +--allow-missing --download-dir --include-ancillary --allow-override"
help $C "cdb verify" "+--db-dir" "cardano-db verify"
help $C "mithril-stake-distribution list" "--download-dir"
help $C "mithril-stake-distribution download" "+--download-dir --db-dir"
help $C "msd download" "+--download-dir" "mithril-stake-distribution download"
help $C "certificate list" "--download-dir"
help $C "certificate show" "+<hash> --download-dir"
help $C "certificate verify" "+<hash|latest> --download-dir"
# a command alone: each of its subcommands, nothing else
help $C "cardano-db" "+snapshot +download +verify -mithril-stake-distribution"
"$B/$C" --help | grep -q -- "--origin-tag" && pass "client --help names the global flags" || fail "client --help"
"$B/$C" no-such-command --help >/dev/null 2>&1; [ $? = 2 ] && pass "unknown command --help: exit 2" || fail "unknown command --help"
"$B/$C" --aggregator-endpoint http://127.0.0.1:1 cardano-db verify latest 2>"$W/err"; rc=$?
[ $rc = 2 ] && grep -q "missing --db-dir" "$W/err" && grep -q "^usage: .*cardano-db verify" "$W/err" \
    && pass "a usage error prints the command's help" || fail "usage error: exit $rc: $(head -3 "$W/err")"

A=src/aggregator/mithril-aggregator
help $A "serve" "+--server-port +SERVER_PORT +--data-stores-directory --target-path --to-sign-payload-path"
help $A "genesis generate-keypair" "+--target-path --to-sign-payload-path --server-port"
help $A "genesis bootstrap" "+--genesis-secret-key-path +GENESIS_SECRET_KEY +--data-stores-directory --to-sign-payload-path"
help $A "genesis export" "+--target-path +--data-stores-directory --to-sign-payload-path"
help $A "genesis sign" "+--to-sign-payload-path +--target-signed-payload-path +--genesis-secret-key-path --server-port"
help $A "genesis import" "+--signed-payload-path +--genesis-verification-key --to-sign-payload-path"
help $A "tools import-certificates" "+--file +--data-stores-directory --target-path"
help $A "tools generate-ancillary-keypair" "+--target-path --file --server-port"
help $A "era list" "+--json --target-path --current-era-epoch"
help $A "era generate-keypair" "+--target-path --current-era-epoch --server-port"
help $A "era generate-tx-datum" "+--current-era-epoch +--next-era-epoch +--era-markers-secret-key +--target-path +ERA_MARKERS_SECRET_KEY --server-port"
help $A "genesis" "+generate-keypair +bootstrap +export +sign +import -import-certificates"
"$B/$A" --help | grep -q "generate-tx-datum" && pass "aggregator --help lists the commands" || fail "aggregator --help"
"$B/$A" serve --help | grep -q "^usage: .*serve" && pass "aggregator serve --help" || fail "aggregator serve --help"

S=src/signer/mithril-signer
for f in --aggregator-endpoint AGGREGATOR_ENDPOINT --kes-secret-key-path --operational-certificate-path --data-stores-directory; do
    "$B/$S" --help | grep -q -- "$f" || fail "signer --help lacks $f"
done
"$B/$S" --run-interval 5 --help | grep -q "^usage: mithril-signer" && pass "signer --help (also after options)" || fail "signer --help after options"

# Every flag a client command's help lists is accepted by that command: with
# all of them given, it gets past its arguments (exit 1 at the unreachable
# aggregator, never the usage exit 2).
accepts() {
    local words=$1 args=() f v
    for f in $("$B/$C" $words --help | sed -n '/^flags:/,/^$/p' | grep -o -- '--[a-z-]*\( [A-Z]\)\?' | tr ' ' '='); do
        case ${f#*=} in
        N | M) v=1 ;;
        K) v="$W/no-such-key" ;;
        D | F) v="$W/dir" ;;
        *) v= ;;
        esac
        [ "$f" = "${f%=*}" ] && args+=("$f") || args+=("${f%=*}" "$v")
    done
    "$B/$C" --aggregator-endpoint http://127.0.0.1:1/aggregator $words latest "${args[@]}" >/dev/null 2>"$W/err"
    local rc=$?
    [ $rc != 2 ] && [ ${#args[@]} -gt 0 ] && pass "$words accepts its flags: ${args[*]}" \
        || { fail "$words: exit $rc with ${args[*]}"; cat "$W/err"; }
}
accepts "cardano-db download"
accepts "cardano-db verify"
accepts "mithril-stake-distribution download"

finish cli-help
