#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# audit-policy on a whole account: whole-process wall time and peak RSS of
#   ecs-harden audit-policy --json DUMP
# against the bare parse  python3 -c 'import json; json.load(open(DUMP))'
# on the same generated get-account-authorization-details dump, in the same run, for a dump
# of ROLES roles (~40 MB at 30000) and one twice that size (RSS must not grow with roles).
# Usage: bench/bench-audit.sh [PATH/TO/ecs-harden]   (ROLES=30000 RUNS=5 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-./ecs-harden}
roles=${ROLES:-30000}
runs=${RUNS:-5}
python=${PYTHON:-python3}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time) for peak RSS" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Prints the median wall time (s) and the median peak RSS (KB) over RUNS runs of "$@".
measure() {
        local i
        : >"$tmp/samples"
        for ((i = 0; i < runs; i++)); do
                # audit-policy exits 1 when a subject fails: that is a result, not an error.
                /usr/bin/time -f '%e %M' -o "$tmp/one" "$@" >/dev/null 2>"$tmp/err" || [ $? = 1 ] ||
                        { cat "$tmp/err" >&2; exit 1; }
                grep -E '^[0-9.]+ [0-9]+$' "$tmp/one" >>"$tmp/samples"
        done
        echo "$(cut -d' ' -f1 "$tmp/samples" | sort -n | sed -n "$(((runs + 1) / 2))p")" \
             "$(cut -d' ' -f2 "$tmp/samples" | sort -n | sed -n "$(((runs + 1) / 2))p")"
}

printf '%-8s %-8s %-26s %9s %10s\n' roles size command wall_s peak_rss
for n in "$roles" $((roles * 2)); do
        f=$tmp/dump-$n.json
        "$python" "$here/gen-authz-dump.py" "$n" "$f"
        size=$(du -m "$f" | cut -f1)M
        read -r et em <<<"$(measure "$bin" audit-policy --json "$f")"
        read -r pt pm <<<"$(measure "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$f")"
        printf '%-8s %-8s %-26s %9s %8sMB\n' "$n" "$size" "ecs-harden audit-policy" "$et" $((em / 1024))
        printf '%-8s %-8s %-26s %9s %8sMB\n' "$n" "$size" "python3 json.load" "$pt" $((pm / 1024))
        awk -v e="$et" -v p="$pt" 'BEGIN { printf "         speed-up over the bare Python parse: %.1fx\n", p / e }'
done
