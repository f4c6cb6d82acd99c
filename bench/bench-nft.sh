#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Whole-process cost of `ecs-harden apply --backend nftables` against `nft -f` of the same rules
# and the documented `iptables-nft -I` + `ip6tables-nft -I` pair, and its independence from the
# size of other tables (0 vs 10 000 rules in an iptables-nft `table ip filter`), in one run,
# inside a throwaway network namespace. Medians of hyperfine runs without a shell (-N). Prints
# Markdown tables of medians and ratios.
#   sudo bench/bench-nft.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
EH=${ECS_HARDEN:-$PWD/ecs-harden}
RUNS=${1:-200}
NS="ecsh-bench-$$"
OUT=$(mktemp -d)
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$OUT"' EXIT
ip netns add "$NS"
inns() { ip netns exec "$NS" "$@"; }

NFT=$(command -v nft)
IPT4=$(command -v iptables-nft)
IPT6=$(command -v ip6tables-nft)
RULE4="-I FORWARD 1 -i docker+ -d 169.254.169.254/32 -j DROP"
RULE6="-I FORWARD 1 -i docker+ -d fd00:ec2::254/128 -j DROP"
"$EH" rules --format nft >"$OUT/block.nft"

# median in ms of one command; $1 = prepare (shell) or "", rest = the command
median() {
	local prepare=$1; shift
	local args=(-N --warmup 10 --runs "$RUNS" --export-json "$OUT/r.json")
	[ -n "$prepare" ] && args+=(--prepare "$prepare")
	inns hyperfine "${args[@]}" "$*" >/dev/null 2>&1
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$OUT/r.json"
}

# N rules in Docker's place on an nf_tables host: iptables-nft's table ip filter, chain FORWARD.
foreign_rules() {
	local n=$1
	inns "$NFT" flush ruleset
	{
		echo '*filter'
		echo ':FORWARD ACCEPT [0:0]'
		for i in $(seq 1 "$n"); do
			echo "-A FORWARD -s 192.0.2.$((i % 128))/32 -d 198.51.100.$((i % 250))/32 -p tcp --dport $((1024 + i % 60000)) -j ACCEPT"
		done
		echo COMMIT
	} | inns "${IPT4}-restore"
}

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

fresh="ip netns exec $NS $EH -q -b nftables remove"
foreign_rules 0
t_apply=$(median "$fresh" "$EH" -q -b nftables apply)
t_again=$(median "" "$EH" -q -b nftables apply)
t_verify=$(median "" "$EH" -q -b nftables verify)
t_nft=$(median "$fresh" "$NFT" -f "$OUT/block.nft")
t_nft_again=$(median "" "$NFT" -f "$OUT/block.nft")
inns "$EH" -q -b nftables remove
t_ipt4=$(median "ip netns exec $NS $IPT4 -F FORWARD" "$IPT4" -w $RULE4)
t_ipt6=$(median "ip netns exec $NS $IPT6 -F FORWARD" "$IPT6" -w $RULE6)
t_ipt=$(python3 -c "print('%.2f' % ($t_ipt4 + $t_ipt6))")

echo "Whole-process medians, $RUNS runs each, one namespace, $("$NFT" --version | cut -d' ' -f1-2), hyperfine -N"
echo
printf '| %s | %s | %s | %s |\n' "command" "median ms" "vs nft -f" "vs iptables-nft pair"
printf '| %s | %s | %s | %s |\n' "---" "---:" "---:" "---:"
r4() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$(ratio "$2" "$t_nft")" "$(ratio "$2" "$t_ipt")"; }
r4 "nft -f (the same table, fresh)" "$t_nft"
r4 "nft -f (again: flush + refill)" "$t_nft_again"
r4 "iptables-nft -w -I … + ip6tables-nft -w -I … (sum)" "$t_ipt"
r4 "ecs-harden apply (fresh: table, chain, 2 rules)" "$t_apply"
r4 "ecs-harden apply (already in place: nothing sent)" "$t_again"
r4 "ecs-harden verify" "$t_verify"
echo
printf '| %s | %s | %s | %s | %s |\n' "rules in a foreign table" "apply fresh ms" "vs 0 rules" "apply again ms" "vs 0 rules"
printf '| %s | %s | %s | %s | %s |\n' "---:" "---:" "---:" "---:" "---:"
base=""
base2=""
for n in 0 10000; do
	foreign_rules "$n"
	t=$(median "$fresh" "$EH" -q -b nftables apply)
	t2=$(median "" "$EH" -q -b nftables apply)
	[ -z "$base" ] && base=$t && base2=$t2
	printf '| %s | %s | %s | %s | %s |\n' "$n" "$t" "$(ratio "$t" "$base")" "$t2" "$(ratio "$t2" "$base2")"
done
