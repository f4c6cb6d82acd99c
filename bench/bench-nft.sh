#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Whole-process cost of `ecs-harden apply --backend nftables` against `nft -f` of the same rules
# and the documented `iptables-nft -I` + `ip6tables-nft -I` pair, and its independence from the
# size of other tables (0 vs 10 000 rules in an iptables-nft `table ip filter`), in one run,
# inside a throwaway network namespace. Medians of hyperfine runs without a shell (-N). Prints
# Markdown tables of medians and ratios.
#   sudo bench/bench-nft.sh [RUNS]
set -euo pipefail
RUNS=${1:-200}
WARMUP=10
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

NFT=$(command -v nft)
IPT4=$(command -v iptables-nft)
IPT6=$(command -v ip6tables-nft)
"$EH" rules --format nft >"$OUT/block.nft"

# N rules in Docker's place on an nf_tables host: iptables-nft's table ip filter, chain FORWARD.
foreign_rules() {
	local ns=$1 n=$2
	ip netns exec "$ns" "$NFT" flush ruleset
	{
		echo '*filter'
		echo ':FORWARD ACCEPT [0:0]'
		for i in $(seq 1 "$n"); do
			echo "-A FORWARD -s 192.0.2.$((i % 128))/32 -d 198.51.100.$((i % 250))/32 -p tcp --dport $((1024 + i % 60000)) -j ACCEPT"
		done
		echo COMMIT
	} | ip netns exec "$ns" "${IPT4}-restore"
}

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$(ratio "$2" "$t_nft")" "$(ratio "$2" "$t_ipt")"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
med() { python3 -c 'import statistics,sys; print("%.2f" % statistics.median(map(float, sys.argv[1:])))' "$@"; }

fresh="ip netns exec $NS $EH -q -b nftables remove"
foreign_rules "$NS" 0
t_apply=$(median "$fresh" "$EH" -q -b nftables apply)
t_again=$(median "" "$EH" -q -b nftables apply)
t_verify=$(median "" "$EH" -q -b nftables verify)
t_repair=$(median "ip netns exec $NS $NFT flush chain inet ecs_harden forward" "$EH" -q -b nftables apply)
t_rewrite=$(median "ip netns exec $NS $NFT add rule inet ecs_harden forward counter" "$EH" -q -b nftables apply)
t_nft=$(median "$fresh" "$NFT" -f "$OUT/block.nft")
t_nft_again=$(median "" "$NFT" -f "$OUT/block.nft")
inns "$EH" -q -b nftables remove
# shellcheck disable=SC2086 # the rule is words on purpose
t_ipt4=$(median "ip netns exec $NS $IPT4 -F FORWARD" "$IPT4" -w $RULE4)
# shellcheck disable=SC2086
t_ipt6=$(median "ip netns exec $NS $IPT6 -F FORWARD" "$IPT6" -w $RULE6)
t_ipt=$(python3 -c "print('%.2f' % ($t_ipt4 + $t_ipt6))")

echo "Whole-process medians, $RUNS runs each, one namespace, $("$NFT" --version | cut -d' ' -f1-2), hyperfine -N"
echo
printf '| %s | %s | %s | %s |\n' "command" "median ms" "vs nft -f" "vs iptables-nft pair"
printf '| %s | %s | %s | %s |\n' "---" "---:" "---:" "---:"
row "nft -f of \`ecs-harden rules --format nft\` (fresh)" "$t_nft"
row "nft -f again (flush + refill of the rules)" "$t_nft_again"
row "iptables-nft -w -I … + ip6tables-nft -w -I … (sum)" "$t_ipt"
row "ecs-harden apply (fresh: table, chain, 2 rules)" "$t_apply"
row "ecs-harden apply (already in place: nothing sent)" "$t_again"
row "ecs-harden verify" "$t_verify"
row "ecs-harden apply after nft flush chain (appends 2 rules)" "$t_repair"
row "ecs-harden apply with a foreign rule in its chain (flush + refill)" "$t_rewrite"

# Other tables' size: two namespaces, one with 10 000 rules in table ip filter, measured in
# alternating rounds so that drift of the machine's load hits both alike.
NS_BIG="$NS-big"
trap 'ip netns del "$NS" 2>/dev/null; ip netns del "$NS_BIG" 2>/dev/null; rm -rf "$OUT"' EXIT
ip netns add "$NS_BIG"
foreign_rules "$NS" 0
foreign_rules "$NS_BIG" 10000
declare -A fresh_ms again_ms
for _ in 1 2 3; do
	for ns in "$NS" "$NS_BIG"; do
		NS_SAVED=$NS NS=$ns
		f=$(median "ip netns exec $ns $EH -q -b nftables remove" "$EH" -q -b nftables apply)
		a=$(median "" "$EH" -q -b nftables apply)
		NS=$NS_SAVED
		fresh_ms[$ns]="${fresh_ms[$ns]:-} $f"
		again_ms[$ns]="${again_ms[$ns]:-} $a"
	done
done
# shellcheck disable=SC2086
{ f0=$(med ${fresh_ms[$NS]}); f1=$(med ${fresh_ms[$NS_BIG]}); a0=$(med ${again_ms[$NS]}); a1=$(med ${again_ms[$NS_BIG]}); }
echo
echo "Rules in a foreign table (iptables-nft's table ip filter), median of 3 alternating rounds:"
echo
printf '| %s | %s | %s | %s | %s |\n' "rules in table ip filter" "apply fresh ms" "vs 0 rules" "apply again ms" "vs 0 rules"
printf '| %s | %s | %s | %s | %s |\n' "---:" "---:" "---:" "---:" "---:"
printf '| %s | %s | %s | %s | %s |\n' 0 "$f0" 1.00 "$a0" 1.00
printf '| %s | %s | %s | %s | %s |\n' 10000 "$f1" "$(ratio "$f1" "$f0")" "$a1" "$(ratio "$a1" "$a0")"
