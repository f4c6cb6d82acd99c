#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# No lost rules: libiptc commits the whole table, so a writer that skipped /run/xtables.lock
# could erase what Docker added a moment before. Four Docker-like writers (iptables -w -A, 100
# rules each) run while ecs-harden applies and removes the block 150 times; every foreign rule
# must survive and the block must end as the last command left it. Parallel applies must never
# leave two copies. Per backend in $BACKENDS (nftables: `nft add rule` writers in a foreign table).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root_netns
setup_common
BACKENDS=${BACKENDS:-iptables nftables}
WRITERS=4 PER_WRITER=100 CYCLES=150

NS="$NS_PREFIX-x"

writer() {
	local w=$1 i
	for i in $(seq 1 "$PER_WRITER"); do
		if [ "$B" = iptables ]; then
			ip netns exec "$NS" iptables-legacy -w -A FORWARD -s "192.0.2.$w" -d "192.0.2.$((100 + i % 100))" \
				-p tcp --dport $((1000 + i)) -j ACCEPT || echo "writer $w failed at $i" >&2
		else
			ip netns exec "$NS" nft add rule ip dockerish forward ip saddr "192.0.2.$w" tcp dport $((1000 + i)) accept ||
				echo "writer $w failed at $i" >&2
		fi
	done
}

count_foreign() {
	if [ "$B" = iptables ]; then
		ip netns exec "$NS" iptables-legacy-save -t filter | grep -c -- '-j ACCEPT$'
	else
		ip netns exec "$NS" nft list table ip dockerish | grep -c 'accept$'
	fi
}

for B in $BACKENDS; do
	diag "---- backend $B ----"
	netns_add "$NS"
	if [ "$B" = nftables ]; then
		ip netns exec "$NS" nft add table ip dockerish
		ip netns exec "$NS" nft add chain ip dockerish forward '{ type filter hook forward priority 0; policy accept; }'
	fi

	pids=""
	for w in $(seq 1 "$WRITERS"); do
		writer "$w" 2>"$TMPD/writer-$w.err" &
		pids="$pids $!"
	done
	failures=0
	for i in $(seq 1 "$CYCLES"); do
		if [ $((i % 2)) = 1 ]; then cmd=apply; else cmd=remove; fi
		ip netns exec "$NS" "$ECS_HARDEN" -q -b "$B" "$cmd" || failures=$((failures + 1))
	done
	last=$cmd
	for p in $pids; do wait "$p"; done

	check "$B: every apply/remove during the writers succeeded ($CYCLES cycles)" test "$failures" = 0
	check "$B: no writer failed" test -z "$(cat "$TMPD"/writer-*.err)"
	n=$(count_foreign)
	check "$B: all $((WRITERS * PER_WRITER)) foreign rules survive (found $n)" test "$n" = $((WRITERS * PER_WRITER))
	if [ "$last" = apply ]; then want=0; else want=1; fi
	check_exit "$want" "$B: the block ends as the last command ($last) left it" ip netns exec "$NS" "$ECS_HARDEN" -b "$B" verify

	# Parallel applies from a clean state: exactly one copy of each rule.
	ip netns exec "$NS" "$ECS_HARDEN" -q -b "$B" remove
	pids=""
	for _ in 1 2 3 4 5 6 7 8; do
		ip netns exec "$NS" "$ECS_HARDEN" -q -b "$B" apply &
		pids="$pids $!"
	done
	rc=0
	for p in $pids; do wait "$p" || rc=1; done
	check "$B: eight parallel applies all succeed" test "$rc" = 0
	ip netns exec "$NS" "$ECS_HARDEN" -b "$B" verify --json >"$TMPD/v.json"
	check "$B: parallel applies leave exactly one copy of each rule" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and all(r["copies"] == 1 for r in d["rules"]), d
' "$TMPD/v.json"

	ip netns del "$NS"
	CREATED_NS=${CREATED_NS/ $NS/}
done

# The lock is honoured: while another process holds it, apply waits, then succeeds.
B=iptables
netns_add "$NS"
export XTABLES_LOCKFILE="$TMPD/xtables.lock"
flock "$XTABLES_LOCKFILE" sleep 1 &
holder=$!
STARTED_PIDS="$STARTED_PIDS $holder"
sleep 0.2
start=$(date +%s%N)
check_exit 0 "apply waits for a held xtables lock, then succeeds" ip netns exec "$NS" "$ECS_HARDEN" -b iptables apply
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check "apply waited for the lock holder (${elapsed_ms} ms >= 500)" test "$elapsed_ms" -ge 500
wait "$holder" 2>/dev/null
unset XTABLES_LOCKFILE

finish
