#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Whole-process cost of `ecs-harden apply`/`verify` (iptables backend) against the documented
# commands, in one run, inside a throwaway network namespace. Medians of hyperfine runs (no
# shell in between: -N). Prints a Markdown table of medians and ratios.
#   sudo bench/bench-apply.sh [RUNS]
set -euo pipefail
RUNS=${1:-50}
WARMUP=5
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

IPT4=$(command -v iptables-legacy)
IPT6=$(command -v ip6tables-legacy)

foreign_rules() {
	local n=$1
	inns "$IPT4" -F FORWARD
	inns "$IPT6" -F FORWARD
	[ "$n" = 0 ] && return
	{ echo '*filter'; for i in $(seq 1 "$n"); do echo "-A FORWARD -s 192.0.2.$((i % 128))/32 -d 198.51.100.$((i % 250))/32 -p tcp --dport $((1024 + i % 60000)) -j ACCEPT"; done; echo COMMIT; } |
		inns "${IPT4}-restore" --noflush
}

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

reset="ip netns exec $NS $EH -q -b iptables remove"
foreign_rules 0
t_apply=$(median "$reset" "$EH" -q -b iptables apply)
t_apply_again=$(median "" "$EH" -q -b iptables apply)
t_verify=$(median "" "$EH" -q -b iptables verify)
t_doc4=$(median "ip netns exec $NS $IPT4 -F FORWARD" "$IPT4" -w $RULE4)
t_doc6=$(median "ip netns exec $NS $IPT6 -F FORWARD" "$IPT6" -w $RULE6)
t_check=$(median "" "$IPT4" -C FORWARD -i docker+ -d 169.254.169.254/32 -j DROP || echo "n/a")
t_doc=$(python3 -c "print('%.2f' % ($t_doc4 + $t_doc6))")

echo "Whole-process medians, $RUNS runs each, one namespace, iptables-legacy 1.8.9 (hyperfine -N)"
echo
row "command" "median ms" "vs documented pair"
row "---" "---:" "---:"
row "documented pair: iptables -w -I … && ip6tables -w -I … (sum)" "$t_doc" "1.00"
row "ecs-harden apply (fresh: inserts IPv4 + IPv6)" "$t_apply" "$(ratio "$t_apply" "$t_doc")"
row "ecs-harden apply (already in place: no change)" "$t_apply_again" "$(ratio "$t_apply_again" "$t_doc")"
row "ecs-harden verify" "$t_verify" "$(ratio "$t_verify" "$t_doc")"
row "iptables -C (one family, for scale)" "$t_check" "$(ratio "$t_check" "$t_doc")"
echo
printf '| %s | %s | %s | %s | %s |\n' "foreign rules in FORWARD" "apply ms" "vs 0 rules" "iptables -w -I ms (IPv4)" "apply vs iptables -I"
printf '| %s | %s | %s | %s | %s |\n' "---:" "---:" "---:" "---:" "---:"
base=""
for n in 0 1000 10000; do
	foreign_rules "$n"
	t=$(median "$reset --no-ipv6" "$EH" -q -b iptables --no-ipv6 apply)
	d=$(median "$reset --no-ipv6" "$IPT4" -w $RULE4)
	[ -z "$base" ] && base=$t
	printf '| %s | %s | %s | %s | %s |\n' "$n" "$t" "$(ratio "$t" "$base")" "$d" "$(ratio "$t" "$d")"
done
