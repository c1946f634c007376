# e2e_lib.sh - the start of the devnet end-to-end scripts: a run directory of
# their own, devnet/lib.sh, ok/FAIL lines counted in $fails, and at exit every
# process stopped and the directory removed (kept, with the logs' tails
# printed, when something failed).
# shellcheck shell=bash
set -u
SRC=${MTL_SOURCE_DIR:?}
export BUILD_DIR=${MTL_BUILD_DIR:?}
export RUN_DIR; RUN_DIR=$(mktemp -d "/tmp/mtl-$1.XXXXXX")/devnet
. "$SRC/devnet/lib.sh"
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
pass() { echo "ok   $*"; }
finish() {
    stop_all
    if [ $fails = 0 ]; then rm -rf "$(dirname "$RUN_DIR")"; else tail_logs; echo "logs kept in $RUN_DIR/logs"; fi
}
trap finish EXIT
py() { /usr/bin/python3 -c "$@"; }
