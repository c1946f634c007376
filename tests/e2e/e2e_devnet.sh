#!/bin/bash
# End-to-end: the devnet of `make demo` in a short configuration, with
# asserts at each step, then scenarios: stakes change, a signer leaves and
# another joins, a signer whose node DB was altered, impostors, an era switch
# announced on chain; at the end the metrics of the aggregator and a signer
# are scraped and checked against what happened. On failure the tail of
# every log is printed (devnet/lib.sh wait_until / tail_logs).
. "${MTL_SOURCE_DIR:?}/tests/e2e/e2e_lib.sh" e2e

# 1. The demo scenario, kept running for what follows (pool 4 has no signer yet).
# Epochs are paced by devnet/conductor: the next one starts once this one is
# certified, however slow the machine (real-time epochs alone skip an epoch
# under load, and a skipped epoch breaks the certificate chain for good).
export NUM_SIGNERS=3 NUM_POOLS=4 KEEP_RUNNING=1 WAIT_TIMEOUT=${WAIT_TIMEOUT:-180} EPOCH_GATE=1
if "$SRC/devnet/run" >"$RUN_DIR.summary" 2>"$RUN_DIR.run.log"; then
    pass "devnet run: $(grep -E '^(restored|verification)' "$RUN_DIR.summary" | tr -s ' ' | tr '\n' ';')"
else
    cat "$RUN_DIR.run.log"; fail "devnet/run"; exit 1
fi
# Compared here, not taken from the summary's verdict line (always printed).
N=$(sed -n 's/^restored snapshot *: epoch [0-9]*, immutable files 0\.\.\([0-9]*\),.*/\1/p' "$RUN_DIR.summary")
same=0
for f in $(for n in $(seq 0 "${N:--1}"); do printf '%05d.chunk %05d.primary %05d.secondary ' "$n" "$n" "$n"; done); do
    cmp -s "$RUN_DIR/node/db/immutable/$f" "$RUN_DIR/client/restore/db/immutable/$f" && same=$((same + 1))
done
[ -n "$N" ] && [ "$same" -eq $((3 * (N + 1))) ] && pass "restored DB byte-identical (immutables 0..$N)" ||
    fail "restored DB: $same of $((3 * (${N:-0} + 1))) immutable files identical to the node's"
mapfile -t POOLS <"$RUN_DIR/node/pool-ids"
export GENESIS_VERIFICATION_KEY; GENESIS_VERIFICATION_KEY=$(cat "$RUN_DIR/keys/genesis.vkey")
export MITHRIL_CLIENT_CACHE_DIR=""

# 2. Signers registered per epoch, with their stakes; the chain links to genesis.
epoch() { get /status | py 'import json,sys; print(json.load(sys.stdin)["epoch"])'; }
registered() { # EPOCH: how many signers registered during it
    get "/signers/registered/$1" | py 'import json,sys
try: print(len(json.load(sys.stdin)["registrations"]))
except Exception: print(0)'; }
# Signers register during an epoch, each on its next cycle after the change
# (slow on a loaded machine): wait for the 3 of the current epoch.
all_registered() { E=$(epoch) && [ "$(registered "$E")" = 3 ]; }
wait_until 120 "3 signers registered in the current epoch" all_registered \
    && pass "3 signers registered for epoch $E" || fail "registered at $E: $(registered "$E")"
"$CLIENT_BIN" --aggregator-endpoint "$(agg_url)" certificate verify latest >/dev/null 2>&1 \
    && pass "certificate chain verifies to genesis" || fail "certificate verify latest"

# 3. Stakes change between epochs (the simulator drifts them).
epoch_ge() { [ "$(epoch)" -ge "$1" ]; }
registered_at_ge() { epoch_ge "$1" && [ "$(registered "$1")" = 3 ]; }
wait_until 180 "epoch $((E + 2)) and its 3 registrations" registered_at_ge $((E + 2)) || fail "epochs do not advance"
s1=$(get "/signers/registered/$E" | py 'import json,sys; print(sorted((r["party_id"], r["stake"]) for r in json.load(sys.stdin)["registrations"]))')
s2=$(get "/signers/registered/$((E + 2))" | py 'import json,sys; print(sorted((r["party_id"], r["stake"]) for r in json.load(sys.stdin)["registrations"]))')
[ -n "$s1" ] && [ "$s1" != "$s2" ] && pass "stakes changed between epochs $E and $((E + 2))" || fail "stakes: $s1 vs $s2"

# 4. A signer leaves, another joins: two epochs later the latest certificate
#    is signed by the newcomer and not by the one who left.
stop_one signer-2
start_signer signer-3 3
E=$(epoch)
signed_by() { # EPOCH PARTY: is the latest certificate of EPOCH or later signed by PARTY?
    local h; h=$(get /certificates | py 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
    get "/certificate/$h" | py "import json,sys
c = json.load(sys.stdin)
print(c['epoch'] >= $1 and any(s['party_id'] == '$2' for s in c['metadata']['signers']))"; }
latest_cert_by() { [ "$(signed_by "$1" "$2")" = True ]; }
wait_until 180 "a certificate signed by the new signer" latest_cert_by $((E + 2)) "${POOLS[3]}" \
    && pass "new signer ${POOLS[3]} signs from epoch $((E + 2))" || fail "new signer never signed"
[ "$(signed_by $((E + 2)) "${POOLS[2]}")" = False ] && pass "departed signer no longer signs" || fail "departed signer still in the latest certificate"

# 5. A signer whose DB has one altered immutable file: its signatures for that
#    digest are refused, and no certificate certifies the altered DB.
ALT=$RUN_DIR/altered-db
mkdir -p "$ALT/immutable"
mirror() { # hard-link the node's immutable files (listings skip symlinks), keep our altered 00000.chunk
    # (builtins only for files already linked: a mirror lagging on a loaded
    # machine leaves this signer behind the aggregator's beacon, 404s only)
    for f in "$RUN_DIR/node/db/immutable/"*; do
        b=${f##*/}
        [ "$b" = 00000.chunk ] || [ "$f" -ef "$ALT/immutable/$b" ] || ln -f "$f" "$ALT/immutable/$b" 2>/dev/null
    done
}
cp "$RUN_DIR/node/db/immutable/00000.chunk" "$ALT/immutable/00000.chunk"
printf '\xff' | dd of="$ALT/immutable/00000.chunk" bs=1 seek=100 conv=notrunc 2>/dev/null
mirror
( while sleep 0.5; do mirror; done ) & MIRROR=$!
echo "mirror $MIRROR" >>"$RUN_DIR/pids"
stop_one signer-1
start_signer signer-1b 1 "$ALT"
E=$(epoch)
refused() { grep -qF 'signature_rejected entity={"CardanoDatabase"' "$RUN_DIR/logs/signer-1b.log" &&
            grep -qF 'is not the open message of {\"CardanoDatabase\"' "$RUN_DIR/logs/aggregator.log"; }
wait_until 180 "the altered-DB signer's CardanoDatabase signature refused" refused \
    && pass "altered-DB signer's CardanoDatabase signature refused by the aggregator" \
    || fail "no refusal of the altered-DB signer"
cdb_epoch_ge() { [ "$(get /artifact/cardano-database | py 'import json,sys; print(json.load(sys.stdin)[0]["beacon"]["epoch"])')" -ge "$1" ]; }
wait_until 180 "a CardanoDatabase certificate of epoch $((E + 2))" cdb_epoch_ge $((E + 2)) \
    && pass "CardanoDatabase certificates continue" || fail "no CardanoDatabase artifact after the altered signer joined"
rm -rf "$RUN_DIR/client/restore2"
"$CLIENT_BIN" --aggregator-endpoint "$(agg_url)" --cache-dir "" --origin-tag BENCHMARK cardano-db download latest \
    --download-dir "$RUN_DIR/client/restore2" >/dev/null 2>"$RUN_DIR/logs/client2.log" \
    && cmp -s "$RUN_DIR/node/db/immutable/00000.chunk" "$RUN_DIR/client/restore2/db/immutable/00000.chunk" \
    && pass "latest certified DB is the node's, not the altered one" || fail "restore after altered signer"

# 6. A flipped byte in one served archive: the download fails naming it and
#    never reports success.
ARCH=$RUN_DIR/aggregator/snapshots/immutable/00001.tar.zst
if [ -f "$ARCH" ]; then
    cp "$ARCH" "$ARCH.orig"
    size=$(stat -c %s "$ARCH")
    printf '\x5a' | dd of="$ARCH" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
    rm -rf "$RUN_DIR/client/restore3"
    if "$CLIENT_BIN" --aggregator-endpoint "$(agg_url)" cardano-db download latest \
        --download-dir "$RUN_DIR/client/restore3" >"$RUN_DIR/client/restore3.out" 2>"$RUN_DIR/logs/client3.log"; then
        fail "download with a tampered archive reported success"
    elif grep -q '00001' "$RUN_DIR/logs/client3.log"; then
        pass "tampered archive refused: $(grep -m1 '00001' "$RUN_DIR/logs/client3.log" | cut -c1-200)"
    else
        fail "tampered archive error does not name the file: $(tail -2 "$RUN_DIR/logs/client3.log")"
    fi
    mv "$ARCH.orig" "$ARCH"
else
    fail "no archive $ARCH"
fi

# 7. Impostors for a victim pool (pool 0, whose signer keeps running): a
#    registration for its party id (a) with the impostor's own cold key and
#    opcert, (b) with the victim's opcert but the impostor's KES signature and
#    Mithril key, (c) with no credentials at all. Each is refused (4xx with a
#    message), never appears among the next signers, and the victim keeps
#    signing. The impostor's pool files come from a simulator of another seed.
VICTIM=${POOLS[0]}
IMP=$RUN_DIR/impostor
mkdir -p "$IMP"
"$SIM_BIN" --db "$IMP/db" --seed 4242 --epochs 1 --pools 1 --pools-dir "$IMP/pools" >/dev/null 2>&1 \
    || fail "impostor keys"
kes_period() {
    CARDANO_NODE_SOCKET_PATH=$RUN_DIR/node/node.socket \
        "$CLI_BIN" latest query kes-period-info --testnet-magic "${NETWORK_MAGIC:-42}" \
        --op-cert-file "$RUN_DIR/node/pools/0/opcert.cert" --out-file "$IMP/kes.json" >/dev/null &&
        py 'import json,sys; print(json.load(open(sys.argv[1]))["qKesCurrentKesPeriod"])' "$IMP/kes.json"
}
# signers_of KEY_EPOCH: "party vk" lines of the signers registered for
# KEY_EPOCH (during KEY_EPOCH - 1), read from /epoch-settings once it shows them.
signers_of() { get /epoch-settings | py "import json,sys
s = json.load(sys.stdin)
l = s['next_signers'] if s['epoch'] == $1 else s['current_signers'] if s['epoch'] == $1 + 1 else None
if l is None: sys.exit(1)
for x in l: print(x['party_id'], x['verification_key'])"; }
# impostor MODE: post the crafted body for epoch E + 1 (E read last, right
# before the body is made and posted: on a loaded machine the slower steps
# would otherwise straddle an epoch change); sets E, CODE, MSG, IMP_VK
impostor() {
    local body kp url
    IMP_VK=none
    kp=$(kes_period); url=$(agg_url)
    E=$(get /status | sed -n 's/^{"epoch":\([0-9]*\),.*/\1/p') # (no python: faster)
    body=$("$BUILD_DIR/tests/e2e/e2e_impostor_body" "$1" $((E + 1)) "$VICTIM" "$kp" \
        "$IMP/pools/0" "$RUN_DIR/node/pools/0") || { CODE=000; MSG="no body"; return; }
    CODE=$(curl -s -o "$IMP/reply" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -H 'mithril-api-version: 0.1.68' --data "$body" "$url/register-signer")
    MSG=$(head -c 300 "$IMP/reply")
    IMP_VK=$(echo "$body" | py 'import json,sys; print(json.load(sys.stdin)["verification_key"])')
}
# Each attempt is made again when it raced an epoch change (409: the round
# of another epoch; that refusal says nothing about the credentials). Once
# its epoch E is over, the signers registered during E (shown from E + 1 on)
# must not hold the impostor's key, and hold the victim's once.
for mode in own-cold-key victim-opcert no-credentials; do
    for try in 1 2 3 4 5 6 7 8 9 10; do
        impostor "$mode"
        case $MSG in *register_signer_epoch_mismatch*) sleep 1 ;; *) break ;; esac
    done
    case $CODE:$MSG in
    *register_signer_epoch_mismatch*) fail "impostor ($mode): every attempt raced an epoch change: $MSG" ;;
    4??:*) pass "impostor ($mode) for $VICTIM refused: HTTP $CODE $MSG" ;;
    *) fail "impostor ($mode) for $VICTIM not refused: HTTP $CODE $MSG" ;;
    esac
    if ! wait_until 180 "the signers registered in epoch $E" signers_of $((E + 1)) >"$IMP/signers"; then
        fail "impostor ($mode): signers of epoch $((E + 1)) never shown"
    elif grep -qF "$IMP_VK" "$IMP/signers" || [ "$(grep -c "^$VICTIM " "$IMP/signers")" != 1 ]; then
        fail "impostor ($mode) counted: $(cut -c1-70 "$IMP/signers" | tr '\n' ';')"
    else
        pass "impostor ($mode) not among the $(grep -c . "$IMP/signers") signers of epoch $((E + 1)); the victim's own key is"
    fi
done
E=$(epoch)
wait_until 180 "a certificate of epoch $((E + 2)) signed by the victim" latest_cert_by $((E + 2)) "$VICTIM" \
    && pass "victim $VICTIM keeps signing (certificate of epoch >= $((E + 2)))" || fail "victim stopped signing"
grep -q 'event=kes_signed' "$RUN_DIR/logs/signer-0.log" && pass "signers register with a KES signature" \
    || fail "no KES-signed registration in signer-0's log"

# 8. Metrics (Prometheus text, the reference's names), scraped from the
#    aggregator and a signer: what happened above is counted, per origin tag.
AM=$(metrics_url aggregator)
SM=$(metrics_url signer-0)
# metric FILE NAME [LABELS]: the value of a series in a scrape ("" when absent).
metric() { py "import sys
for ln in sys.stdin:
    k, _, v = ln.strip().rpartition(' ')
    if k == '$2' + ('{${3:-}}' if '${3:-}' else ''): print(v)" <"$1"; }
if [ -z "$AM" ] || [ -z "$SM" ]; then
    fail "metrics servers not announced (aggregator: '$AM', signer-0: '$SM')"
else
    P=mithril_aggregator_
    n_certs=$(get /certificates | py 'import json,sys; print(sum(c["previous_hash"] != "" for c in json.load(sys.stdin)))')
    # one scrape for the figures compared with each other
    curl -sf -D "$RUN_DIR/metrics.headers" "$AM" >"$RUN_DIR/metrics.txt"
    M=$RUN_DIR/metrics.txt
    grep -qi '^content-type: text/plain; version=0.0.4' "$RUN_DIR/metrics.headers" \
        && grep -q "^# TYPE ${P}certificate_total_produced_since_startup counter$" "$RUN_DIR/metrics.txt" \
        && pass "aggregator metrics served as Prometheus text" || fail "aggregator metrics format"
    produced=$(metric "$M" ${P}certificate_total_produced_since_startup)
    [ -n "$produced" ] && [ "$produced" -ge "$n_certs" ] && [ "$n_certs" -ge 1 ] \
        && pass "certificates produced: $produced (>= the $n_certs listed non-genesis ones)" \
        || fail "certificates produced: '$produced', listed $n_certs"
    msd=$(metric "$M" ${P}artifact_mithril_stake_distribution_total_produced_since_startup)
    cdb=$(metric "$M" ${P}artifact_cardano_database_total_produced_since_startup)
    # (a certificate being stored while scraped may show its artifact and not itself yet)
    [ "${msd:-0}" -ge 1 ] && [ "${cdb:-0}" -ge 1 ] && [ $((msd + cdb)) -le $((produced + 1)) ] \
        && pass "artifacts produced: $msd stake distributions, $cdb Cardano databases" \
        || fail "artifacts produced: msd '$msd' cdb '$cdb' of '$produced' certificates"
    rr=$(metric "$M" ${P}signer_registration_total_received_since_startup 'origin_tag="NA"')
    rs=$(metric "$M" ${P}signer_registration_total_successful_since_startup 'origin_tag="NA"')
    [ -n "$rr" ] && [ -n "$rs" ] && [ "$rs" -ge 9 ] && [ $((rr - rs)) -ge 3 ] \
        && pass "signer registrations: $rr received, $rs successful (the impostors' refused)" \
        || fail "signer registrations: received '$rr' successful '$rs'"
    sr=$(metric "$M" ${P}signature_registration_total_received_since_startup 'origin_tag="NA"')
    ss=$(metric "$M" ${P}signature_registration_total_successful_since_startup 'origin_tag="NA"')
    [ -n "$ss" ] && [ "$ss" -ge "$n_certs" ] && [ "$sr" -gt "$ss" ] \
        && pass "signatures: $sr received, $ss successful (the altered DB's refused)" \
        || fail "signatures: received '$sr' successful '$ss'"
    cs=$(metric "$M" ${P}runtime_cycle_success_since_startup)
    ct=$(metric "$M" ${P}runtime_cycle_total_since_startup)
    [ "${cs:-0}" -ge 1 ] && [ "$cs" -le "$ct" ] && pass "runtime cycles: $cs successful of $ct" \
        || fail "runtime cycles: '$cs' of '$ct'"
    # Details served and restorations, by origin tag and client type: a
    # white-listed tag is kept, any other is counted as NA.
    H=$(get /certificates | py 'import json,sys; print(json.load(sys.stdin)[0]["hash"])')
    L='client_type="CLI",origin_tag="CI"'
    before=$(metric "$M" certificate_detail_total_served_since_startup "$L")
    # mithril-client sends mithril-client-type: CLI; without --origin-tag its
    # requests are counted as CLI/NA
    na=$(metric "$M" certificate_detail_total_served_since_startup 'client_type="CLI",origin_tag="NA"')
    for tag in CI CI EVIL; do
        curl -sf -o /dev/null -H "mithril-origin-tag: $tag" -H 'mithril-client-type: CLI' "$(agg_url)/certificate/$H"
    done
    curl -sf -o /dev/null -X POST -H 'mithril-origin-tag: CI' -H 'mithril-client-type: CLI' \
        -H 'Content-Type: application/json' -d '{"nb_immutable_files":7}' \
        "$(agg_url)/statistics/cardano-database/immutable-files-restored"
    curl -sf "$AM" >"$RUN_DIR/metrics2.txt"
    M=$RUN_DIR/metrics2.txt
    after=$(metric "$M" certificate_detail_total_served_since_startup "$L")
    evil=$(metric "$M" certificate_detail_total_served_since_startup 'client_type="CLI",origin_tag="NA"')
    restored=$(metric "$M" ${P}cardano_db_immutable_files_restored_since_startup "$L")
    complete=$(metric "$M" ${P}cardano_db_complete_restoration_since_startup 'client_type="CLI",origin_tag="NA"')
    # the restore above sent --origin-tag BENCHMARK (white-listed by default)
    bench=$(metric "$M" ${P}cardano_db_complete_restoration_since_startup 'client_type="CLI",origin_tag="BENCHMARK"')
    bench_files=$(metric "$M" ${P}cardano_db_immutable_files_restored_since_startup 'client_type="CLI",origin_tag="BENCHMARK"')
    [ $((after - ${before:-0})) = 2 ] && [ $((${evil:-0} - ${na:-0})) = 1 ] && [ "${restored:-0}" = 7 ] \
        && [ "${na:-0}" -ge 1 ] && [ "${complete:-0}" -ge 1 ] && [ "${bench:-0}" = 1 ] \
        && [ "${bench_files:-0}" -ge 1 ] \
        && pass "by origin tag: CI counted 2 certificate details and 7 restored files, EVIL as NA; the clients' restorations counted, the one tagged BENCHMARK under its tag ($bench_files files)" \
        || fail "origin tags: CI $before -> $after, EVIL->NA '$na' -> '$evil', restored '$restored', NA details '$na', complete '$complete', BENCHMARK '$bench' '$bench_files'"
    SP=mithril_signer_
    curl -sf "$SM" >"$RUN_DIR/signer-metrics.txt"
    ok=$(metric "$RUN_DIR/signer-metrics.txt" ${SP}signer_registration_success_since_startup)
    last=$(metric "$RUN_DIR/signer-metrics.txt" ${SP}signer_registration_success_last_epoch)
    sig=$(metric "$RUN_DIR/signer-metrics.txt" ${SP}signature_registration_success_since_startup)
    sig_last=$(metric "$RUN_DIR/signer-metrics.txt" ${SP}signature_registration_success_last_epoch)
    now=$(epoch)
    [ "${ok:-0}" -ge 3 ] && [ "${sig:-0}" -ge 2 ] && [ $((now - ${last:-0})) -le 1 ] && [ $((now - ${sig_last:-0})) -le 1 ] \
        && pass "signer-0 metrics: $ok registrations (last in epoch $last), $sig signatures (last in epoch $sig_last), aggregator in $now" \
        || fail "signer-0 metrics: registrations '$ok' last '$last', signatures '$sig' last '$sig_last', epoch $now"
fi

# 9. Era switch: the markers on chain now announce lagrange two epochs ahead
#    (signed with the devnet's era key); aggregator and signers read them
#    through cardano-cli, switch at that epoch, and certificates go on.
mithril_era() { get /status | py 'import json,sys; print(json.load(sys.stdin)["mithril_era"])'; }
era_is() { [ "$(mithril_era)" = "$1" ]; }
E=$(epoch)
era_is pythagoras && pass "era pythagoras at epoch $E (cardano-chain adapter)" || fail "era at $E: $(mithril_era)"
era_datum 0 $((E + 2)) || fail "era_datum"
wait_until 180 "era lagrange from epoch $((E + 2))" era_is lagrange \
    && pass "era switch to lagrange at epoch $(epoch) (announced for $((E + 2)))" || fail "no era switch"
grep -q "event=era era=lagrange since_epoch=$((E + 2))" "$RUN_DIR/logs/signer-0.log" \
    && pass "signer-0 switched era too" || fail "signer-0 did not switch era"
wait_until 180 "a certificate of epoch $((E + 3)) signed by $VICTIM" latest_cert_by $((E + 3)) "$VICTIM" \
    && pass "certificates go on in the new era" || fail "no certificate after the era switch"

echo "e2e: $fails failure(s), wall ${SECONDS}s"
[ $fails = 0 ]
