#!/bin/bash
# cardano-db verify against aggregator-fake serving a simulated DB published by
# restore-fixture: the published DB and a restored copy verify; one altered
# byte, a removed file and a file with no certified digest are each named (on
# stdout, in the error, in the report file) and exit 1; --start/--end limit
# what is checked; --allow-missing accepts absent files but not altered ones;
# --json prints the reference's lines; another genesis key is refused.
set -u
. "$MTL_SOURCE_DIR/tests/client/fixture_lib.sh"
cd "$W" || exit 1 # the report files are written to the current directory

"$FIXTURE" "$W/db" "$W/data" "$W/files" 5 40000 7 || { echo "FAIL: fixture"; exit 1; }
export GENESIS_VERIFICATION_KEY="$W/data/genesis.vkey" MITHRIL_CLIENT_CACHE_DIR="$W/cache"
start_fake "$W/data" "$W/files"

# ok NAME CMD...: CMD succeeds and says so on stdout
ok() {
    local name=$1
    shift
    if "$@" >"$W/out" 2>"$W/err" && grep -q "successfully verified" "$W/out"; then pass "$name"
    else fail "$name"; cat "$W/out" "$W/err"; fi
}
# the newest report file lists exactly LIST (a Python list) under KEY
report_has() {
    local r
    r=$(ls -t "$W"/immutables_verification_error-*.json 2>/dev/null | head -1)
    [ -n "$r" ] && $PY -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert d[sys.argv[2]] == eval(sys.argv[3]), d' "$r" "$1" "$2" && rm -f "$W"/immutables_verification_error-*.json
}

ok "the published DB verifies" "$CLIENT" cardano-db verify latest --db-dir "$W/db"
grep -q "from number 0 to 5" "$W/err" || fail "range not announced"
"$CLIENT" cardano-db download latest --download-dir "$W/r1" >/dev/null 2>&1 || fail "restore"
ok "a restored DB verifies" "$CLIENT" cardano-db verify latest --db-dir "$W/r1/db"

# --- one altered byte in one chunk ---
cp -r "$W/db" "$W/t1"
$PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[777]^=1; open(p,"wb").write(b)' "$W/t1/immutable/00003.chunk"
ko "one altered byte in 00003.chunk" "1 tampered (00003.chunk)" "$CLIENT" cardano-db verify latest --db-dir "$W/t1"
grep -q "Number of tampered immutable files: 1" "$W/out" && grep -q "t1/immutable/00003.chunk" "$W/out" \
    || fail "stdout does not name the altered file"
report_has tampered-files '["00003.chunk"]' || fail "report file: tampered-files"
ok "an altered file outside --start/--end is not checked" "$CLIENT" cardano-db verify latest --db-dir "$W/t1" --start 4 --end 5
grep -q "from number 4 to 5" "$W/err" || fail "range 4..5 not announced"
ko "an altered file inside --start/--end" "00003.chunk" "$CLIENT" cardano-db verify latest --db-dir "$W/t1" --start 2 --end 3
ko "--allow-missing does not hide an altered file" "00003.chunk" "$CLIENT" cardano-db verify latest --db-dir "$W/t1" --allow-missing

# --- a removed file ---
cp -r "$W/db" "$W/t2"; rm "$W/t2/immutable/00002.primary"
ko "removed 00002.primary" "1 missing (00002.primary)" "$CLIENT" cardano-db verify latest --db-dir "$W/t2"
report_has missing-files '["00002.primary"]' || fail "report file: missing-files"
ok "--allow-missing accepts the removed file" "$CLIENT" cardano-db verify latest --db-dir "$W/t2" --allow-missing
ok "a removed file outside the range" "$CLIENT" cardano-db verify latest --db-dir "$W/t2" --start 3

# --- a file with no certified digest (a non-canonical name of trio 4) ---
cp -r "$W/db" "$W/t3"; cp "$W/t3/immutable/00004.chunk" "$W/t3/immutable/0004.chunk"
ko "a file with no certified digest" "1 not certified (0004.chunk)" "$CLIENT" cardano-db verify latest --db-dir "$W/t3"
report_has non-verifiable-files '["0004.chunk"]' || fail "report file: non-verifiable-files"

# --- --json: the reference's lines ---
"$CLIENT" --json cardano-db verify latest --db-dir "$W/db" --end 4 >"$W/out" 2>"$W/err" || fail "--json verify"
$PY -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]
assert l[0]["local_immutable_range_to_verify"] == {"start": 0, "end": 4}, l
assert l[1]["verified_db_directory"] == sys.argv[2], l' "$W/out" "$(realpath "$W/db")" || fail "--json success lines"
"$CLIENT" --json cardano-db verify latest --db-dir "$W/t1" >"$W/out" 2>"$W/err" && fail "--json: tampered DB exits 0"
$PY -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; e=l[1]["verify_error"]
assert e["tampered_files_count"] == 1 and e["missing_files_count"] == 0 and e["non_verifiable_files_count"] == 0, e
assert e["message"] == "Verifying immutables files has failed" and e["immutables_verification_error_file"], e' "$W/out" \
    && pass "--json failure line" || fail "--json failure line"
rm -f "$W"/immutables_verification_error-*.json

# --- what is refused before any file is hashed ---
ko "range outside the snapshot" "outside" "$CLIENT" cardano-db verify latest --db-dir "$W/db" --end 9
ko "no --db-dir" "missing --db-dir" "$CLIENT" cardano-db verify latest
mkdir -p "$W/empty/immutable"
ko "a DB without immutable files" "no immutable file" "$CLIENT" cardano-db verify latest --db-dir "$W/empty"
"$FIXTURE" "$W/db" "$W/d-other" "$W/f-other" 5 40000 7 >/dev/null
ko "another genesis key" "genesis" env GENESIS_VERIFICATION_KEY="$W/d-other/genesis.vkey" MITHRIL_CLIENT_CACHE_DIR= \
    "$CLIENT" cardano-db verify latest --db-dir "$W/db"

finish verify
