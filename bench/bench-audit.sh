#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# audit-policy on a whole account: whole-process wall time, CPU time and peak RSS of
#   ecs-harden audit-policy --json DUMP
# against the bare parse  python3 -c 'import json; json.load(open(DUMP))'
# on the same generated get-account-authorization-details dump, in the same run, for a dump
# of ROLES roles (~40 MB at 30000) and one twice that size (RSS must not grow with roles).
# The two commands take turns, so that a load that comes and goes weighs on both alike; the
# figures are medians over RUNS runs. Wall time is what the goal is about; CPU time (user +
# system) says the same with less noise on a shared machine (both programs are single-threaded).
# The goal is measured on one CPU:  taskset -c 0 bench/bench-audit.sh
# Usage: bench/bench-audit.sh [PATH/TO/ecs-harden]   (ROLES=30000 RUNS=5 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-./ecs-harden}
roles=${ROLES:-30000}
runs=${RUNS:-5}
python=${PYTHON:-python3}
# The interpreter itself: a launcher in front of it (pyenv's shim is a shell script) would add
# its own start-up time, 50-150 ms here, to Python's side.
python=$("$python" -c 'import sys; print(sys.executable)')
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time) for peak RSS" >&2; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Appends "wall cpu rss_kb" of one run of "$@" to the file $1: times from bash (milliseconds;
# GNU time's are hundredths), the peak RSS from GNU time.
sample() {
        local out=$1 times rc=0
        shift
        times=$( { TIMEFORMAT='%3R %3U %3S'; time /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err"; } 2>&1) ||
                rc=$?
        # audit-policy exits 1 when a subject fails: that is a result, not an error.
        [ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$tmp/err" >&2; exit 1; }
        echo "$times $(grep -E '^[0-9]+$' "$tmp/rss")" | awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' >>"$out"
}

# The median of column $2 of file $1.
median() {
        cut -d' ' -f"$2" "$1" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

echo "$(nproc) CPUs; medians of $runs runs; $python ($("$python" -c 'import platform; print(platform.python_version())'))"
printf '%-8s %-8s %-26s %9s %9s %10s\n' roles size command wall_s cpu_s peak_rss
for n in "$roles" $((roles * 2)); do
        f=$tmp/dump-$n.json
        "$python" "$here/gen-authz-dump.py" "$n" "$f"
        size=$(du -m "$f" | cut -f1)M
        : >"$tmp/ecsh" && : >"$tmp/py"
        for ((i = 0; i < runs; i++)); do
                sample "$tmp/ecsh" "$bin" audit-policy --json "$f"
                sample "$tmp/py" "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$f"
        done
        et=$(median "$tmp/ecsh" 1) ec=$(median "$tmp/ecsh" 2) em=$(median "$tmp/ecsh" 3)
        pt=$(median "$tmp/py" 1) pc=$(median "$tmp/py" 2) pm=$(median "$tmp/py" 3)
        printf '%-8s %-8s %-26s %9s %9s %8sMB\n' "$n" "$size" "ecs-harden audit-policy" "$et" "$ec" $((em / 1024))
        printf '%-8s %-8s %-26s %9s %9s %8sMB\n' "$n" "$size" "python3 json.load" "$pt" "$pc" $((pm / 1024))
        awk -v e="$et" -v p="$pt" -v ec="$ec" -v pc="$pc" 'BEGIN {
                printf "         speed-up over the bare Python parse: %.1fx wall, %.1fx CPU\n",
                        p / (e > 0 ? e : 0.01), pc / (ec > 0 ? ec : 0.01) }'
done
