#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cases specific to the nftables backend (the shared ones run in block.sh for both backends):
# the exact ruleset apply creates, "nothing sent" when already in place (watched with nft monitor),
# drift of every kind in the tool's own table, a Docker-like `table ip filter` that accepts
# docker0 traffic, remove leaving other tables alone, `rules --format nft` loading with nft -f,
# and the refusals (no privilege, no nf_tables).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root_netns
command -v nft >/dev/null || skip_all "needs nft"
setup_common

B=nftables

# What `nft list ruleset` shows after apply with the defaults, in a namespace with nothing else.
cat >"$TMPD/golden" <<'EOF'
table inet ecs_harden {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		iifname "docker*" ip daddr 169.254.169.254 drop
		iifname "docker*" ip6 daddr fd00:ec2::254 drop
	}
}
EOF

ruleset() { in_i nft list ruleset; }
our_table() { in_i nft list table inet ecs_harden; }
matches_golden() { our_table | diff -u "$TMPD/golden" - ; }

# Runs "$@" in the instance namespace while `nft monitor` watches, and leaves in $TMPD/events
# what it changed. Control changes before and after prove the monitor was listening throughout.
watch_changes() {
	# Not through in_i: $! must be the monitor itself (ip netns exec execs nft), not a subshell.
	ip netns exec "$NS_I" nft monitor >"$TMPD/monitor" 2>&1 &
	local mon=$!
	STARTED_PIDS="$STARTED_PIDS $mon"
	wait_event() {
		for _ in $(seq 1 "${2:-50}"); do
			grep -q "$1" "$TMPD/monitor" && return 0
			sleep 0.1
		done
		return 1
	}
	# Until the monitor listens, the control table's creation goes unseen; re-adding an existing
	# table makes no event, so each try deletes it first.
	for _ in $(seq 1 50); do
		in_i nft add table ip ecsh_ready
		wait_event 'add table ip ecsh_ready' 5 && break
		in_i nft delete table ip ecsh_ready
	done
	in_i nft delete table ip ecsh_ready
	wait_event 'delete table ip ecsh_ready'
	"$@" >/dev/null 2>&1
	in_i nft add table ip ecsh_control
	wait_event 'add table ip ecsh_control' || echo "MONITOR-DEAD" >>"$TMPD/monitor"
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	in_i nft delete table ip ecsh_control
	grep -v -e ecsh_control -e ecsh_ready -e '^# new generation' "$TMPD/monitor" >"$TMPD/events" || true
}
no_events() { [ ! -s "$TMPD/events" ] && ! grep -q MONITOR-DEAD "$TMPD/monitor"; }

setup_world

# ---- a fresh namespace ----
check_exit 0 "apply in a fresh namespace exits 0" eh -b $B apply
check "nft list ruleset is exactly the golden table" sh -c "ip netns exec $NS_I nft list ruleset | diff -u $TMPD/golden -"
check "IPv4 to the metadata address is dropped" cannot_tcp 169.254.169.254
check "IPv6 to the metadata address is dropped" cannot_tcp fd00:ec2::254
check "169.254.170.2 stays reachable" can_tcp 169.254.170.2

# ---- idempotence: the second apply sends nothing ----
watch_changes eh -b $B apply
check "a second apply sends no batch (nft monitor sees no event)" no_events
watch_changes eh -b $B verify --fix
check "verify --fix with the block in place sends nothing" no_events
watch_changes eh -b $B apply -i eth9
check "a different block adds its rules in place" grep -q 'add rule inet ecs_harden forward iifname "eth9"' "$TMPD/events"
check "... without deleting the table or the chain" sh -c "! grep -q -e 'delete table' -e 'delete chain' $TMPD/events"
check "... and keeps the installed docker+ rules (the block is a ratchet)" \
	sh -c "ip netns exec $NS_I nft list table inet ecs_harden | grep -q 'iifname \"docker\\*\" ip daddr'"
watch_changes eh -b $B apply
check "apply with the defaults again keeps the eth9 rules: a repair never deletes the block" \
	sh -c "ip netns exec $NS_I nft list table inet ecs_harden | grep -c 'iifname \"eth9\"' | grep -qx 2"
check "... and sends nothing" no_events
check_exit 0 "verify with the defaults exits 0 (eth9 installed too)" eh -b $B verify
check "verify reports eth9 as installed, not configured" grep -q '^OK .*-i eth9 .*installed, not configured: kept' "$TMPD/out"
check_exit 0 "remove" eh -b $B remove
check_exit 0 "then apply with the defaults" eh -b $B apply
check "... restores the golden table" matches_golden

# ---- drift in the tool's own table ----
in_i nft flush chain inet ecs_harden forward
check "after nft flush chain, the container reaches the metadata address" can_tcp 169.254.169.254
check_exit 1 "verify exits 1 after nft flush chain" eh -b $B verify
check "verify reports both rules MISSING" test "$(grep -c '^MISSING' "$TMPD/out")" = 2
watch_changes eh -b $B verify --fix
check "verify --fix after a flush only appends the rules (nothing deleted or redeclared)" \
	test "$(grep -v '^add rule inet ecs_harden forward' "$TMPD/events" | wc -l)/$(wc -l <"$TMPD/events")" = 0/2
check "verify --fix restores the golden table" matches_golden
check "the container is blocked again" cannot_tcp 169.254.169.254
check_exit 0 "verify exits 0 after --fix" eh -b $B verify

in_i nft insert rule inet ecs_harden forward iifname docker0 accept
check "an accept inserted ahead in our chain lets the container through" can_tcp 169.254.169.254
check_exit 1 "verify exits 1 with a foreign accept in our chain" eh -b $B verify
check "verify says INEFFECTIVE and why" grep -q "^INEFFECTIVE.*" "$TMPD/out"
check "verify names the rule ahead in nft syntax (issue 11, item 7)" \
	grep -q "ahead: inet ecs_harden forward handle [0-9]*: iifname \"docker0\" accept: it accepts" "$TMPD/out"
check_exit 0 "apply rewrites the chain" eh -b $B apply
check "... back to the golden table" matches_golden

# A verdict map is a lookup whose result is the verdict: it accepts as surely as an accept.
in_i nft insert rule inet ecs_harden forward iifname vmap '{ "docker0" : accept }'
check "a verdict map accepting docker0 ahead in our chain lets the container through" can_tcp 169.254.169.254
check_exit 1 "verify exits 1 with a verdict map ahead" eh -b $B verify
check "verify says INEFFECTIVE for both rules" test "$(grep -c '^INEFFECTIVE' "$TMPD/out")" = 2
check "verify names the verdict map and why" \
	grep -q "ahead: inet ecs_harden forward handle [0-9]*: iifname vmap { \"docker0\" : accept }: it looks up verdict map" "$TMPD/out"
check_exit 0 "verify --fix repairs it" eh -b $B verify --fix
check "... back to the golden table" matches_golden
check "the container is blocked again" cannot_tcp 169.254.169.254

in_i nft add rule inet ecs_harden forward counter
check_exit 1 "verify exits 1 with a foreign rule after the block" eh -b $B verify
check "verify reports the drift" grep -q "^DRIFT .*1 rule in inet ecs_harden forward is not the block's" "$TMPD/out"
eh -b $B verify --json >"$TMPD/verify.json" 2>/dev/null
check "verify --json carries the drift and stays effective per rule" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and "not the block" in d["drift"], d
assert d["where"] == "inet ecs_harden forward", d
assert all(r["present"] and r["effective"] and r["copies"] == 1 for r in d["rules"]), d
' "$TMPD/verify.json"
check_exit 0 "verify --fix removes the foreign rule" eh -b $B verify --fix
check "... back to the golden table" matches_golden

in_i nft add rule inet ecs_harden forward iifname '"docker*"' ip daddr 169.254.169.254 drop
check_exit 1 "verify exits 1 with a duplicate" eh -b $B verify
check "verify says DUPLICATED" grep -q "^DUPLICATED" "$TMPD/out"
check_exit 0 "apply collapses the duplicate" eh -b $B apply
check "... back to the golden table" matches_golden

in_i nft add table inet ecs_harden '{ flags dormant; }'
check "a dormant table lets the container through" can_tcp 169.254.169.254
check_exit 1 "verify exits 1 when our table is dormant" eh -b $B verify
check "verify says the table is dormant" grep -q "dormant" "$TMPD/out"
check_exit 0 "verify --fix wakes the table" eh -b $B verify --fix
check "the container is blocked again" cannot_tcp 169.254.169.254
check "the table is no longer dormant" sh -c "! ip netns exec $NS_I nft list table inet ecs_harden | grep -q dormant"

in_i nft delete table inet ecs_harden
in_i nft add table inet ecs_harden
in_i nft add chain inet ecs_harden forward '{ type filter hook forward priority 0; policy accept; }'
in_i nft add rule inet ecs_harden forward iifname '"docker*"' ip daddr 169.254.169.254 drop
check_exit 1 "verify exits 1 when our chain has another priority" eh -b $B verify
check "verify explains the chain" grep -q "priority 0" "$TMPD/out"
check_exit 0 "apply replaces the chain" eh -b $B apply
check "... with the block's priority (golden table)" matches_golden

in_i nft add chain inet ecs_harden forward '{ type filter hook forward priority -10; policy drop; }'
check_exit 1 "verify exits 1 when our chain's policy is drop" eh -b $B verify
check "verify names the policy" grep -q "policy drop" "$TMPD/out"
check_exit 0 "apply puts the policy back to accept" eh -b $B apply
check "... golden table" matches_golden

# ---- remove: the whole block, every pattern, both families, and the table itself ----
no_table() { ! in_i nft list tables | grep -q ecs_harden; }
in_i nft add set inet ecs_harden mine '{ type ipv4_addr; }'
in_i nft add chain inet ecs_harden other
in_i nft add rule inet ecs_harden other ip daddr @mine counter
our_table >"$TMPD/table-before"
check_exit 0 "remove --dry-run with an operator's set and chain in our table" eh -b $B remove --dry-run
check "... names the two rules it would delete" test "$(grep -c '^would delete 1: ipv[46] -i docker+ -d ' "$TMPD/out")" = 2
check "... says the table goes" grep -qx "would delete table inet ecs_harden" "$TMPD/out"
check "... and changes nothing" diff -u "$TMPD/table-before" <(our_table)
check_exit 0 "remove with an operator's set and chain in our table" eh -b $B remove
check "... removed the block's 2 rules" grep -q "removed 2 rules" "$TMPD/err"
check "... and the table (the tool's own)" no_table
check "the container reaches the metadata address" can_tcp 169.254.169.254

# Issue 11, item 1: a repair with no configuration keeps what apply installed.
check_exit 0 "apply -i docker+ -i br-+" eh -b $B apply -i docker+ -i br-+
watch_changes eh -b $B verify --fix
check "plain verify --fix (the drop-in's, the timer's, the boot unit's) sends nothing" no_events
check "... and the br-+ rules are still there, both families" \
	sh -c "ip netns exec $NS_I nft list table inet ecs_harden | grep -c 'iifname \"br-\\*\"' | grep -qx 2"
check_exit 0 "plain verify passes with br-+ installed" eh -b $B verify
check_exit 0 "remove -i br-+ --dry-run" eh -b $B remove -i br-+ --dry-run
check "... names all four rules, whatever -i says" test "$(grep -c '^would delete 1: ' "$TMPD/out")" = 4
check_exit 0 "remove -i br-+" eh -b $B remove -i br-+
check "... removed all 4 rules" grep -q "removed 4 rules" "$TMPD/err"
check "... and the table" no_table
check "the docker0 container reaches the metadata address again" can_tcp 169.254.169.254
check_exit 0 "apply -i + (every interface)" eh -b $B apply -i +
watch_changes eh -b $B apply -i +
check "a second apply -i + sends nothing" no_events
check_exit 0 "verify -i + exits 0 right after apply" eh -b $B verify -i +
check_exit 0 "remove --no-ipv6 removes both families all the same" eh -b $B remove --no-ipv6
check "... removed 2 rules" grep -qE "removed 2 rules( |$)" "$TMPD/err"
check "... and the table" no_table
check_exit 0 "remove --dry-run with nothing there" eh -b $B remove --dry-run
check "... says so" grep -qx "nothing to delete" "$TMPD/out"
check_exit 0 "apply again" eh -b $B apply
check "... golden table" matches_golden

# Issue 16, item 5: a regular chain named forward that a base chain jumps to cannot be replaced.
in_i nft delete table inet ecs_harden
in_i nft add table inet ecs_harden
in_i nft add chain inet ecs_harden forward
in_i nft add chain inet ecs_harden base '{ type filter hook forward priority 0; }'
in_i nft add rule inet ecs_harden base jump forward
check_exit 3 "apply with a jumped-to regular chain named forward exits 3" eh -b $B apply
check "... and says what is in the way and what to do" \
	sh -c "grep -q 'chain named forward that is not the block' $TMPD/err && grep -q 'delete it, or run .ecs-harden remove.' $TMPD/err"
check_exit 0 "remove takes that table" eh -b $B remove
check_exit 0 "apply then works" eh -b $B apply
check "... golden table" matches_golden

# ---- Docker on an nf_tables host: iptables-nft rules in table ip filter ----
docker_nft() {
	local ipt=iptables-nft
	in_i $ipt -N DOCKER
	in_i $ipt -N DOCKER-USER
	in_i $ipt -A DOCKER-USER -j RETURN
	in_i $ipt -P FORWARD DROP
	in_i $ipt -A FORWARD -j DOCKER-USER
	in_i $ipt -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	in_i $ipt -A FORWARD -o docker0 -j DOCKER
	in_i $ipt -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
	in_i $ipt -A FORWARD -i docker0 -o docker0 -j ACCEPT
	in_i ip6tables-nft -P FORWARD DROP
	in_i ip6tables-nft -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
	in_i ip6tables-nft -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	# And a native nftables table accepting earlier than ours (priority -100).
	in_i nft add table inet dockerish
	in_i nft add chain inet dockerish early '{ type filter hook forward priority -100; policy accept; }'
	in_i nft add rule inet dockerish early iifname docker0 accept
}
if command -v iptables-nft >/dev/null; then
	check_exit 0 "remove before the Docker-like case" eh -b $B remove
	docker_nft
	check "with Docker's accepts alone, the container reaches the metadata address" can_tcp 169.254.169.254
	in_i nft -s list ruleset >"$TMPD/foreign-before" 2>/dev/null
	check_exit 0 "apply with Docker's table ip filter in place" eh -b $B apply
	check "Docker's accepts cannot bypass the block (IPv4)" cannot_tcp 169.254.169.254
	check "Docker's accepts cannot bypass the block (IPv6)" cannot_tcp fd00:ec2::254
	check "an accept in an earlier base chain cannot bypass it either (ping)" cannot_ping 169.254.169.254
	check "169.254.170.2 stays reachable through Docker's accepts" can_tcp 169.254.170.2
	check_exit 0 "verify exits 0 next to Docker's tables" eh -b $B verify
	cat "$TMPD/foreign-before" "$TMPD/golden" >"$TMPD/expected"
	check "apply added our table and touched nothing else" diff -u "$TMPD/expected" <(in_i nft -s list ruleset 2>/dev/null)
	check_exit 0 "remove exits 0" eh -b $B remove
	in_i nft -s list ruleset >"$TMPD/foreign-after" 2>/dev/null
	check "remove leaves Docker's tables exactly as they were" diff -u "$TMPD/foreign-before" "$TMPD/foreign-after"
	check "remove deleted our table" sh -c "! ip netns exec $NS_I nft list tables | grep -q ecs_harden"
	check "after remove the container reaches the metadata address again" can_tcp 169.254.169.254
	check_exit 0 "remove when absent exits 0" eh -b $B remove
	check "... and says it removed nothing" grep -q "removed 0 rules" "$TMPD/err"
	in_i nft flush ruleset
else
	diag "iptables-nft not installed: Docker-like case skipped"
fi

# ---- rules --format nft loads with nft -f and is what apply creates ----
eh rules --format nft >"$TMPD/rules.nft"
netns_add "$NS_PREFIX-load"
check "rules --format nft loads with nft -f" ip netns exec "$NS_PREFIX-load" nft -f "$TMPD/rules.nft"
check "... a second time too (flush, no duplicates)" ip netns exec "$NS_PREFIX-load" nft -f "$TMPD/rules.nft"
check "the loaded table is what apply creates" sh -c "ip netns exec $NS_PREFIX-load nft list ruleset | diff -u $TMPD/golden -"
check_exit 0 "verify accepts the table loaded by nft -f" ip netns exec "$NS_PREFIX-load" "$ECS_HARDEN" -b $B verify
check "... and apply then has nothing to send" sh -c "ip netns exec $NS_PREFIX-load $ECS_HARDEN -b $B apply 2>&1 | grep -q 'nothing changed'"
eh rules --format nft -i docker+ -i br-+ -i eth0 --no-ipv6 >"$TMPD/rules2.nft"
ip netns exec "$NS_PREFIX-load" nft -f "$TMPD/rules2.nft"
check_exit 0 "an exact name and several patterns round-trip through nft -f too" \
	ip netns exec "$NS_PREFIX-load" "$ECS_HARDEN" -b $B verify -i docker+ -i br-+ -i eth0 --no-ipv6
check "the exact name compares as nft does (iifname \"eth0\")" \
	sh -c "ip netns exec $NS_PREFIX-load nft list ruleset | grep -q 'iifname \"eth0\" ip daddr 169.254.169.254 drop'"

# ---- refusals ----
if command -v setpriv >/dev/null; then
	start=$EPOCHREALTIME
	check_exit 3 "unprivileged verify exits 3" ip netns exec "$NS_I" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ECS_HARDEN" -b $B verify
	end=$EPOCHREALTIME
	check "... says permission denied" grep -q "permission denied" "$TMPD/err"
	# At once, not after the 5 s receive timeout (valgrind alone takes about a second to start).
	limit=1; [ -n "${ECS_HARDEN_REAL:-}" ] && limit=4
	check "... at once (under $limit s)" python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < float(sys.argv[3]) else 1)" "$start" "$end" "$limit"
	check_exit 3 "unprivileged apply exits 3" ip netns exec "$NS_I" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ECS_HARDEN" -b $B apply
fi
if command -v strace >/dev/null && strace -f -o /dev/null -e inject=getpid:error=EPERM true 2>/dev/null; then
	# A kernel without nf_tables/nfnetlink: the netlink socket cannot be created.
	check_exit 3 "without nfnetlink, apply exits 3" ip netns exec "$NS_I" env ASAN_OPTIONS="$ASAN_NO_LEAKS" strace -f -o /dev/null \
		-e trace=socket -e inject=socket:error=EPROTONOSUPPORT "$ECS_HARDEN" -b $B apply
	check "... and says nf_tables is missing" grep -q "no nf_tables" "$TMPD/err"
fi

# ---- a table inet ecs_harden that another process owns (flags owner, nftables >= 1.0.1) ----
eh -b $B remove >/dev/null 2>&1
mkfifo "$TMPD/owner.in"
# Not through in_i: $! must be nft itself (ip netns exec execs it).
ip netns exec "$NS_I" nft -i <"$TMPD/owner.in" >"$TMPD/owner.out" 2>&1 &
owner=$!
STARTED_PIDS="$STARTED_PIDS $owner"
exec 7>"$TMPD/owner.in"
echo 'add table inet ecs_harden { flags owner; }' >&7
for _ in $(seq 1 50); do
	in_i nft list table inet ecs_harden 2>/dev/null | grep -q 'flags owner' && break
	sleep 0.1
done
if in_i nft list table inet ecs_harden 2>/dev/null | grep -q 'flags owner'; then
	check_exit 3 "apply exits 3 when another process owns table inet ecs_harden" eh -b $B apply
	check "... and says so" grep -q "table inet ecs_harden is owned by another process (flags owner)" "$TMPD/err"
	check "... rather than 'permission denied'" sh -c "! grep -q 'permission denied' $TMPD/err"
else
	diag "nft cannot make an owned table here: owner case skipped"
fi
exec 7>&-
wait "$owner" 2>/dev/null
check "the owner gone, its table went with it" no_table
check_exit 0 "... and apply works again" eh -b $B apply

# ---- auto: which backend this host would get ----
eh -b $B remove >/dev/null 2>&1
sys_ipt=$(readlink -f /usr/sbin/iptables 2>/dev/null || true)
case "$sys_ipt" in
*nft*)
	check_exit 1 "auto picks nftables where iptables is iptables-nft and no rules are anywhere" eh -v verify
	check "... and says why" grep -q "backend: nftables (no rules anywhere yet; the system's iptables is the nf_tables variant)" "$TMPD/err"
	;;
*) diag "the system's iptables is $sys_ipt: the tie-break case skipped" ;;
esac
# Issue 11, item 3: auto follows the block and never flips on an empty legacy table; reading
# creates none.
tables_names() { in_i cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null | sort | tr '\n' ' '; }
check_exit 0 "auto apply" eh -v -b auto apply
names_before=$(tables_names)
check_exit 1 "verify -b iptables (read-only) exits 1: no legacy block" eh -b iptables verify
eh -b iptables rules >/dev/null
eh -b iptables status >/dev/null
check "... and neither it nor status nor rules created a legacy table" test "$(tables_names)" = "$names_before"
if command -v iptables-legacy >/dev/null; then
	in_i iptables-legacy -L >/dev/null
	check_exit 0 "after iptables-legacy -L (an empty legacy table), auto verify still judges nftables" eh -v verify
	check "... because the block is there" grep -q "backend: nftables (table inet ecs_harden (the block) is there)" "$TMPD/err"
	check_exit 0 "auto remove" eh remove
	check "... takes the table" no_table
	check_exit 1 "with only an empty legacy table, auto verify" eh -v verify
	check "... is not decided by it" sh -c "! grep -q 'backend: iptables' $TMPD/err || grep -q 'legacy variant' $TMPD/err"
	in_i iptables-legacy -A FORWARD -i eth9 -j ACCEPT
	check_exit 1 "auto picks iptables once legacy FORWARD holds rules" eh -v verify
	check "... and says why" grep -q "backend: iptables (legacy x_tables hold rules" "$TMPD/err"
	in_i iptables-legacy -D FORWARD -i eth9 -j ACCEPT
fi

finish
