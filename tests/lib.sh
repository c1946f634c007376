# tests/lib.sh - sourced by the bash script tests (set -u): a work directory
# $WORK removed at exit, with the background server of start_bg stopped;
# pass/fail counting; the skip when the reference data is absent (a failure
# under CI, or once a check ran).
WORK=$(mktemp -d)
BG_PID=
fails=0
checks=0
stop_bg() {
    # a shell function run in the background is a subshell: its children too
    [ -n "$BG_PID" ] && pkill -P "$BG_PID" 2>/dev/null
    [ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null && wait "$BG_PID" 2>/dev/null
    BG_PID=
}
trap 'stop_bg; rm -rf "$WORK"' EXIT
fail() { echo "FAIL $*"; fails=$((fails + 1)); checks=$((checks + 1)); }
pass() { echo "ok   $*"; checks=$((checks + 1)); }

# require_reference PATH...: exit 77 (skipped) unless every PATH exists; exit 1
# instead when env CI is set or a check already ran (a skip must not hide it).
require_reference() {
    local p
    for p in "$@"; do
        [ -e "$p" ] && continue
        if [ -n "${CI:-}" ]; then echo "FAIL: CI is set and reference data is absent ($p)"; exit 1; fi
        if [ "$checks" -gt 0 ]; then echo "FAIL: reference data absent ($p) after $checks checks"; exit 1; fi
        echo "SKIP: reference data absent ($p)"
        exit 77
    done
}

# start_bg NAME PORT_FILE CMD...: stop the previous server, run CMD in the
# background (stderr in $WORK/NAME.err) and wait until it wrote its port to
# PORT_FILE; sets BG_PID and PORT.
start_bg() {
    local name=$1 port_file=$2
    shift 2
    stop_bg
    rm -f "$port_file"
    "$@" >/dev/null 2>"$WORK/$name.err" &
    BG_PID=$!
    for _ in $(seq 1200); do [ -s "$port_file" ] && break; sleep 0.05; done  # up to 60 s (ASan, loaded)
    [ -s "$port_file" ] || { echo "FAIL: $name did not start"; cat "$WORK/$name.err"; exit 1; }
    PORT=$(cat "$port_file")
}

# ko NAME WANT CMD...: CMD must fail with WANT in its stderr (no sanitizer
# report, no "successfully" on stdout).
ko() {
    local name=$1 want=$2
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    local rc=$?
    if [ $rc -ne 0 ] && grep -q -- "$want" "$WORK/err" && ! grep -q "Sanitizer" "$WORK/err" &&
        ! grep -q "successfully" "$WORK/out"; then
        pass "$name (exit $rc)"
    else
        fail "$name: exit $rc, stderr lacks '$want'"
        cat "$WORK/err"
    fi
}

# report FILE: a program's stderr for a failure message: from its first
# sanitizer line on when it has one (the whole report), else its last lines.
report() {
    if grep -qE 'Sanitizer|runtime error' "$1"; then
        sed -n '/Sanitizer\|runtime error/,$p' "$1" | head -80
    else
        tail -3 "$1"
    fi
}

# finish WHAT: the summary line; exit 1 when a check failed.
finish() {
    if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
    echo "all $1 checks passed"
}
