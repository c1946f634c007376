#!/usr/bin/env bash
# Run every libFuzzer target of a MTL_FUZZ build for a bounded time each.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-20}
list="$build/fuzzers.txt"
[ -s "$list" ] || { echo "fuzz: no fuzz targets"; exit 0; }
fail=0
while IFS=: read -r bin corpus; do
    [ -n "$bin" ] || continue
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    echo "fuzz: $bin for ${secs}s"
    if ! "$build/tests/fuzz/$bin" -max_total_time="$secs" -max_len=65536 -print_final_stats=0 \
            -artifact_prefix="$build/fuzz-artifacts-" "$work" >"$build/$bin.log" 2>&1; then
        echo "fuzz: $bin FOUND A CRASH; tail of its log:"; tail -30 "$build/$bin.log"; fail=1
    else
        grep -E '^#[0-9]+.*DONE' "$build/$bin.log" | tail -1 || true
    fi
    rm -rf "$work"
done <"$list"
exit $fail
