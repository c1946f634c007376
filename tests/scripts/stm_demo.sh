#!/usr/bin/env bash
# mithril-stm-demo runs the protocol end to end, in text and JSON, and
# refuses bad arguments.
set -euo pipefail
demo=${1:?usage: stm_demo.sh PATH_TO_DEMO}
# Output captured first: under pipefail, `grep -q` exiting early could SIGPIPE tee.
out=$("$demo" --nparties 6 -m 50 -k 5 --phi-f 0.65)
echo "$out" >&2
grep -q 'verification.*: valid' <<<"$out"
"$demo" --nparties 4 --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["verified"] and d["aggregated"] and len(d["parties"]) == 4, d
assert sum(p["lotteries_won"] for p in d["parties"]) >= 5
'
if "$demo" -m nope 2>/dev/null; then echo "accepted -m nope"; exit 1; fi
if "$demo" -m 10 -k 11 --nparties 2 >/dev/null 2>&1; then echo "aggregated k > m"; exit 1; fi
echo "1 passed, 0 failed"
