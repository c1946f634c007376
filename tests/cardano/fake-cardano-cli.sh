#!/bin/sh
# Fixture for test_cardano_chain_observer: answers like a real cardano-cli
# (outputs of the reference's test_cli_runner.rs), or misbehaves, depending
# on $FAKE_CLI_MODE. Appends "<args> | <socket>" to $FAKE_CLI_LOG when set.
[ -n "$FAKE_CLI_LOG" ] && echo "$* | ${CARDANO_NODE_SOCKET_PATH:-unset}" >>"$FAKE_CLI_LOG"
mode=${FAKE_CLI_MODE:-real}
case "$*" in
*"query kes-period-info"*) what=kes ;;
*"query tip"*) what=tip ;;
*"--all-stake-pools"*) what=all ;;
*"--stake-pool-id"*) what=pool ;;
*"query stake-distribution"*) what=dist ;;
*"query utxo"*) what=utxo ;;
*) echo "Invalid argument: $*" >&2; exit 1 ;;
esac

case "$mode:$what" in
fail:*)
    echo "Command failed: query $what" >&2
    echo "Error: Network.Socket.connect: <socket: 11>: does not exist (No such file or directory)" >&2
    exit 1 ;;
slow:*) sleep 30; exit 0 ;;
detach:*) exec >/dev/null 2>&1; sleep 30; exit 0 ;;
garbage:*) echo "this is not json"; exit 0 ;;
prefix:tip) printf 'Warning: something\n' ;;
badepoch:tip) echo '{"epoch": "x", "era": "Conway"}'; exit 0 ;;
badhash:tip) echo '{"epoch": 3, "hash": "zz", "slot": 1}'; exit 0 ;;
nohash:tip) echo '{"epoch": 3, "era": "Conway", "slot": 5, "syncProgress": "100.00"}'; exit 0 ;;
signal:*) kill -9 $$ ;;
nullnode:kes | badkes:kes | zerokes:kes)
    spkp=129600; node=6; cur='"qKesCurrentKesPeriod": 404,'
    [ "$mode" = nullnode ] && node=null
    [ "$mode" = badkes ] && cur='"qKesCurrentKesPeriod": -1,'
    [ "$mode" = zerokes ] && spkp=0
    printf '{%s "qKesStartKesInterval": 400, "qKesSlotsPerKesPeriod": %s, "qKesKesKeyExpiry": null,
 "qKesNodeStateOperationalCertificateNumber": %s}\n' "$cur" "$spkp" "$node"
    exit 0 ;;
esac

case "$mode:$what" in
*:kes)
    # cardano-cli 10.x: check marks on stdout, then the JSON (--out-file gets the JSON only)
    printf '\342\234\223 Operational certificate'"'"'s KES period is within the correct KES period interval\n'
    printf '\342\234\223 The operational certificate counter agrees with the node protocol state counter\n'
    cat <<'J'
{
    "qKesCurrentKesPeriod": 404,
    "qKesEndKesInterval": 466,
    "qKesKesKeyExpiry": "2027-03-02T16:40:39Z",
    "qKesMaxKESEvolutions": 62,
    "qKesNodeStateOperationalCertificateNumber": 6,
    "qKesOnDiskOperationalCertificateNumber": 6,
    "qKesRemainingSlotsInKesPeriod": 8005350,
    "qKesSlotsPerKesPeriod": 129600,
    "qKesStartKesInterval": 404
}
J
    ;;
*:tip)
    cat <<'J'
{
    "block": 1270276,
    "epoch": 299,
    "era": "Conway",
    "hash": "7383b17d7b05b0953cf0649abff60173995eb9febe556889333e20e1e5b7ca84",
    "slot": 25886617,
    "slotInEpoch": 53017,
    "slotsToEpochEnd": 33383,
    "syncProgress": "100.00"
}
J
    ;;
fallback:all | fallbackbad:all)
    echo "Invalid option \`--all-stake-pools'" >&2; exit 1 ;;
nopools:all) echo '{"total": {}}' ;;
emptypools:all) echo '{"pools": {}, "total": {}}' ;;
badmark:all)
    echo '{"pools": {"00000036d515e12e18cd3c88c74f09a67984c2c279a5296aa96efe89": {"stakeGo": 1, "stakeSet": 2}}, "total": {}}' ;;
badkey:all) echo '{"pools": {"xyz": {"stakeMark": 1}}}' ;;
*:all)
    cat <<'J'
{
    "pools": {
        "00000036d515e12e18cd3c88c74f09a67984c2c279a5296aa96efe89": {
            "stakeGo": 300000000000,
            "stakeMark": 300000000001,
            "stakeSet": 300000000002
        },
        "000000f66e28b0f18aef20555f4c4954234e3270dfbbdcc13f54e799": {
            "stakeGo": 600000000000,
            "stakeMark": 600000000001,
            "stakeSet": 600000000002
        },
        "00000110093effbf3ce788aebd3e7506b80322bd3995ad432e61fad5": {
            "stakeGo": 1200000000000,
            "stakeMark": 1200000000001,
            "stakeSet": 1200000000002
        },
        "00000ffff93effbf3ce788aebd3e7506b80322bd3995ad432e61fad5": {
            "stakeGo": 0,
            "stakeMark": 0,
            "stakeSet": 1300000000002
        }
    },
    "total": {
        "stakeGo": 2100000000000,
        "stakeMark": 2100000000003,
        "stakeSet": 3400000000008
    }
}
J
    ;;
fallbackbad:dist)
    printf '                           PoolId                                 Stake frac\n'
    printf -- '------------------------------------------------------------------------------\n'
    printf 'pool1qqyjr9pcrv97gwrueunug829fs5znw6p2wxft3fvqkgu5f4qlrg   abc\n' ;;
*:dist)
    cat <<'T'

                           PoolId                                 Stake frac
------------------------------------------------------------------------------
pool1qqyjr9pcrv97gwrueunug829fs5znw6p2wxft3fvqkgu5f4qlrg   2.493e-3
pool1qqfnw2fwajdnam7xsqhhrje5cgd8jcltzfrx655rd23eqlxjfef   2.164e-5
pool1qqnjh80kudcjphrxftj74x22q3a4uvw8wknlxptgs7gdqtstqad   8.068e-7
pool1qquwwu6680fr72y4779r2kpc7mxtch8rp2uhuqcc7v9p6q4f7ph   7.073e-7
pool1qpqvz90w7qsex2al2ejjej0rfgrwsguch307w8fraw7a7adf6g8   2.474e-11
pool1qptl80vq84xm28pt3t2lhpfzqag28csjhktxz5k6a74n260clmt   5.600e-7
pool1qpuckgzxwgdru9vvq3ydmuqa077ur783yn2uywz7zq2c29p506e   5.161e-5
pool1qz2vzszautc2c8mljnqre2857dpmheq7kgt6vav0s38tvvhxm6w   1.051e-6
T
    ;;
*:utxo)
    # The UTxO set goes to --out-file (reference test_cli_runner.rs launch_utxo).
    out=; prev=
    for a in "$@"; do [ "$prev" = --out-file ] && out=$a; prev=$a; done
    [ -n "$out" ] || { echo "Missing: --out-file FILEPATH" >&2; exit 1; }
    [ "$mode" = utxonone ] && { echo '{}' >"$out"; exit 0; }
    [ "$mode" = utxobad ] && { echo '[1]' >"$out"; exit 0; }
    cat >"$out" <<'J'
{
    "1fd4d3e131afe3c8b212772a3f3083d2fbc6b2a7b20e54e4ff08e001598818d8#0": {
        "address": "addr_test1vpcr3he05gemue6eyy0c9clajqnnww8aa2l3jszjdlszjhq093qrn",
        "datum": null,
        "inlineDatum": {
            "constructor": 0,
            "fields": [
                {
                    "bytes": "5b0a20207b0a20202020226e616d65223a20227468616c6573222c0a202020202265706f6368223a203132330a20207d2c0a20207b0a20202020226e616d65223a20227079746861676f726173222c0a202020202265706f6368223a206e756c6c0a20207d0a5d0a"
                }
            ]
        },
        "inlineDatumhash": "b97cbaa0dc5b41864c83c2f625d9bc2a5f3e6b5cd5071c14a2090e630e188c80",
        "referenceScript": null,
        "value": {
            "lovelace": 10000000
        }
    },
    "1fd4d3e131afe3c8b212772a3f3083d2fbc6b2a7b20e54e4ff08e001598818d8#1": {
        "address": "addr_test1vpcr3he05gemue6eyy0c9clajqnnww8aa2l3jszjdlszjhq093qrn",
        "datum": null,
        "datumhash": null,
        "inlineDatum": null,
        "referenceScript": null,
        "value": {
            "lovelace": 9989656678
        }
    }
}
J
    ;;
*:pool)
    mark=3000000
    case "$*" in *pool1qpqvz90w7qsex2al2ejjej0rfgrwsguch307w8fraw7a7adf6g8*) mark=0 ;; esac
    cat <<J

{
    "poolStakeGo": 1000000,
    "poolStakeSet": 2000000,
    "poolStakeMark": $mark,
    "activeStakeGo": 5000000,
    "activeStakeSet": 7000000,
    "activeStakeMark": 9000000
}
J
    ;;
esac
exit 0
