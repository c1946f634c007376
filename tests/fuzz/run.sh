#!/usr/bin/env bash
# Run every libFuzzer target of a MTL_FUZZ build, one after the other.
#   tests/fuzz/run.sh BUILD_DIR --budget SECS   bounded (make test): SECS of
#       fuzzing in all, split evenly across the targets (at least 5 s each)
#   tests/fuzz/run.sh BUILD_DIR --runs N [--cap SECS]   long (make fuzz): N
#       executions per target, each stopped after SECS if it gets that far
# Each target starts from its seeds plus what earlier runs found, kept in
# BUILD_DIR/fuzz-corpus/<target>; one line per target gives the executions,
# the time and the rate. A crash stops nothing but fails the run (the input is
# saved as BUILD_DIR/fuzz-artifacts-crash-*).
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR (--budget SECS | --runs N [--cap SECS])}
shift
budget="" runs="" cap=0
while [ $# -gt 0 ]; do
    case "$1" in
    --budget) budget=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --cap) cap=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$budget$runs" ] || { echo "run.sh: need --budget or --runs" >&2; exit 2; }
list="$build/fuzzers.txt"
[ -s "$list" ] || { echo "fuzz: no fuzz targets"; exit 0; }
count=$(grep -c . "$list")
if [ -n "$runs" ]; then
    limit=(-runs="$runs" -max_total_time="$cap")
    echo "fuzz: $count targets, $runs executions each$([ "$cap" -gt 0 ] && echo " (at most ${cap}s each)")"
else
    each=$((budget / count)); [ "$each" -ge 5 ] || each=5
    limit=(-max_total_time="$each")
    echo "fuzz: $count targets, ${each}s each"
fi
fail=0
while IFS=: read -r bin corpus; do
    [ -n "$bin" ] || continue
    work="$build/fuzz-corpus/$bin"
    mkdir -p "$work"
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    log="$build/$bin.log"
    if ! "$build/tests/fuzz/$bin" "${limit[@]}" -max_len=65536 -print_final_stats=0 \
            -artifact_prefix="$build/fuzz-artifacts-" "$work" >"$log" 2>&1; then
        echo "fuzz: $bin FOUND A CRASH; tail of its log:"; tail -30 "$log"; fail=1
    else
        # libFuzzer's last line: "Done N runs in S second(s)"
        sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 \2/p' "$log" | tail -1 |
            while read -r n s; do
                echo "fuzz: $bin: $n executions in ${s}s ($((n / (s > 0 ? s : 1))) exec/s), no finding"
            done
    fi
done <"$list"
exit $fail
