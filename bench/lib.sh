# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the netfilter benchmarks (bench-apply.sh, bench-nft.sh), sourced after
# `set -euo pipefail` with WARMUP and RUNS set: a throwaway network namespace NS (deleted on
# exit), a scratch folder OUT, the program EH, the documented rules, and hyperfine medians.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
# shellcheck disable=SC2034 # used by the scripts that source this one
EH=${ECS_HARDEN:-$PWD/ecs-harden}
NS="ecsh-bench-$$"
OUT=$(mktemp -d)
trap 'exit 1' INT TERM
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$OUT"' EXIT
ip netns add "$NS"
inns() { ip netns exec "$NS" "$@"; }

# The documented rule and its IPv6 twin, as iptables arguments.
# shellcheck disable=SC2034 # used by the scripts that source this one
RULE4="-I FORWARD 1 -i docker+ -d 169.254.169.254/32 -j DROP"
# shellcheck disable=SC2034
RULE6="-I FORWARD 1 -i docker+ -d fd00:ec2::254/128 -j DROP"

# median in ms of one command inside NS, without a shell (-N); $1 = prepare (shell) or "",
# the rest = the command.
median() {
	local prepare=$1
	shift
	local args=(-N --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/r.json")
	[ -n "$prepare" ] && args+=(--prepare "$prepare")
	inns hyperfine "${args[@]}" "$*" >/dev/null 2>&1
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$OUT/r.json"
}
