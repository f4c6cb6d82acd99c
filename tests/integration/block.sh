#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The block, proven with real packets, against each backend: a container on docker0 cannot reach
# the metadata service over IPv4 or IPv6 once `apply` ran, 169.254.170.2 stays reachable, and
# apply/verify/remove behave as the contract says. Runs once per backend in $BACKENDS.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root_netns
setup_common
BACKENDS=${BACKENDS:-iptables nftables}

# The rules the tool owns or touches, as text, for before/after comparisons.
dump_rules() {
	if [ "$B" = iptables ]; then
		# Without the chains' packet counters ([packets:bytes]): a stray packet, such as an
		# IPv6 router solicitation, may cross FORWARD between two dumps.
		{ in_i iptables-legacy-save -t filter; in_i ip6tables-legacy-save -t filter; } |
			grep -E '^(-A|:)' | sed 's/ \[[0-9]*:[0-9]*\]$//'
	else
		in_i nft list ruleset
	fi
}

run_backend() {
	B=$1
	diag "---- backend $B ----"
	setup_world

	check "$B: before apply, the container reaches 169.254.169.254 (ping)" can_ping 169.254.169.254
	check "$B: before apply, the container reaches 169.254.169.254:80 (tcp)" can_tcp 169.254.169.254
	check "$B: before apply, the container reaches [fd00:ec2::254]:80 (tcp)" can_tcp fd00:ec2::254

	check_exit 1 "$B: verify before apply exits 1" eh -b "$B" verify
	check_exit 0 "$B: --dry-run apply exits 0" eh -b "$B" apply --dry-run
	check "$B: --dry-run changed nothing" can_tcp 169.254.169.254

	check_exit 0 "$B: apply exits 0" eh -b "$B" apply
	check "$B: IPv4 ping to 169.254.169.254 is dropped" cannot_ping 169.254.169.254
	check "$B: IPv4 tcp to 169.254.169.254 is dropped" cannot_tcp 169.254.169.254
	check "$B: IPv6 ping to fd00:ec2::254 is dropped" cannot_ping fd00:ec2::254
	check "$B: IPv6 tcp to fd00:ec2::254 is dropped" cannot_tcp fd00:ec2::254
	check "$B: 169.254.170.2 (task credentials) stays reachable (tcp)" can_tcp 169.254.170.2
	check "$B: 169.254.170.2 stays reachable (ping)" can_ping 169.254.170.2
	check "$B: the instance itself still reaches the metadata service" in_i nc -z -w 1 169.254.169.254 80
	check_exit 0 "$B: verify exits 0 after apply" eh -b "$B" verify

	dump_rules >"$TMPD/before"
	check_exit 0 "$B: second apply exits 0" eh -b "$B" apply
	dump_rules >"$TMPD/after"
	check "$B: second apply changes nothing" cmp -s "$TMPD/before" "$TMPD/after"

	eh -b "$B" verify --json >"$TMPD/verify.json"
	check "$B: verify --json says ok with one copy per rule" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and d["ok"] is True and d["backend"] == sys.argv[2], d
assert len(d["rules"]) == 2 and all(r["present"] and r["effective"] and r["copies"] == 1 for r in d["rules"]), d
assert {r["address"] for r in d["rules"]} == {"169.254.169.254", "fd00:ec2::254"}
' "$TMPD/verify.json" "$B"

	check_exit 0 "$B: remove exits 0" eh -b "$B" remove
	check "$B: after remove, the container reaches 169.254.169.254 again" can_tcp 169.254.169.254
	check "$B: after remove, the container reaches fd00:ec2::254 again" can_tcp fd00:ec2::254
	check_exit 1 "$B: verify exits 1 after remove" eh -b "$B" verify
	check_exit 0 "$B: remove when nothing is there exits 0" eh -b "$B" remove

	# A user-defined network's bridge is covered only when its pattern is given.
	ip -n "$NS_I" link add br-0123abcd type bridge
	ip -n "$NS_I" addr add 192.0.2.65/26 dev br-0123abcd
	ip -n "$NS_I" link set br-0123abcd up
	ip -n "$NS_M" route add 192.0.2.64/26 via 192.0.2.129 2>/dev/null || true
	add_container "$NS_PREFIX-c2" br-0123abcd 192.0.2.66 192.0.2.65 2001:db8:d::2 2001:db8:d::1 vethc2
	ip -n "$NS_I" addr add 2001:db8:d::1/64 dev br-0123abcd nodad
	ip -n "$NS_M" -6 route add 2001:db8:d::/64 via 2001:db8:1::1
	check_exit 0 "$B: apply with the default docker+ only" eh -b "$B" apply
	check "$B: a br-* container is NOT covered by docker+ alone" can_tcp 169.254.169.254 "$NS_PREFIX-c2"
	check_exit 0 "$B: apply -i docker+ -i br-+" eh -b "$B" apply -i docker+ -i br-+
	check "$B: -i br-+ blocks the user-defined bridge's container (IPv4)" cannot_tcp 169.254.169.254 "$NS_PREFIX-c2"
	check "$B: -i br-+ blocks the user-defined bridge's container (IPv6)" cannot_tcp fd00:ec2::254 "$NS_PREFIX-c2"
	check "$B: docker0's container stays blocked" cannot_tcp 169.254.169.254
	check_exit 0 "$B: verify -i docker+ -i br-+ exits 0" eh -b "$B" verify -i docker+ -i br-+
	# Issue 11, item 1: the repair that the drop-in, the timer and the boot unit run, with no
	# configuration file, keeps what apply installed.
	check_exit 0 "$B: plain verify --fix after apply -i docker+ -i br-+ exits 0" eh -b "$B" verify --fix
	check_exit 0 "$B: ... twice" eh -b "$B" verify --fix
	check "$B: ... and changes nothing (second run)" grep -q "block in place and effective" "$TMPD/out"
	check "$B: the br-* container stays blocked (IPv4)" cannot_tcp 169.254.169.254 "$NS_PREFIX-c2"
	check "$B: the br-* container stays blocked (IPv6)" cannot_tcp fd00:ec2::254 "$NS_PREFIX-c2"
	check_exit 0 "$B: plain verify exits 0" eh -b "$B" verify
	check "$B: ... and reports br-+ as installed, not configured" grep -q -- "-i br-+ .*installed, not configured" "$TMPD/out"
	# Issue 11, item 5: status judges the installed block: the br- bridge is covered.
	eh -b "$B" status --json >"$TMPD/status.json" 2>/dev/null # exit 1: nothing is persisted here
	check "$B: plain status: bridge-coverage PASS with br-+ installed, not configured" python3 -c '
import json, sys
c = {x["id"]: x for x in json.load(open(sys.argv[1]))["checks"]}
assert c["bridge-coverage"]["status"] == "PASS", c["bridge-coverage"]
assert c["imds-block-ipv4"]["status"] == "PASS", c["imds-block-ipv4"]
' "$TMPD/status.json"
	check_exit 0 "$B: plain remove (docker+ configured)" eh -b "$B" remove
	check "$B: ... takes the br-+ rules too: the br-* container reaches the metadata address" \
		can_tcp 169.254.169.254 "$NS_PREFIX-c2"
	check_exit 1 "$B: verify -i br-+ after remove exits 1" eh -b "$B" verify -i br-+

	# Issue 11, item 2: -i + (every interface) is recognised: idempotent, verified, removed.
	check_exit 0 "$B: apply -i +" eh -b "$B" apply -i +
	check "$B: -i + blocks docker0's container" cannot_tcp 169.254.169.254
	check "$B: -i + blocks the br-* container" cannot_tcp 169.254.169.254 "$NS_PREFIX-c2"
	check_exit 0 "$B: verify -i + right after apply exits 0" eh -b "$B" verify -i +
	check_exit 0 "$B: a second apply -i +" eh -b "$B" apply -i +
	check "$B: ... changes nothing" grep -q "nothing changed" "$TMPD/err"
	for _ in 1 2 3; do eh -b "$B" verify -i + --fix >/dev/null 2>&1; done
	if [ "$B" = iptables ]; then
		check "$B: after three verify --fix, FORWARD holds one -i + rule" \
			test "$(iptables_forward | grep -cxF -- '-A FORWARD -d 169.254.169.254/32 -j DROP')" = 1
	else
		check "$B: after three verify --fix, the chain holds one rule per family" \
			test "$(in_i nft list chain inet ecs_harden forward | grep -c ' drop$')" = 2
	fi
	check_exit 0 "$B: remove (docker+ configured) takes the -i + rules" eh -b "$B" remove
	check "$B: ... the container reaches the metadata address again" can_tcp 169.254.169.254
	check_exit 1 "$B: ... and verify -i + exits 1" eh -b "$B" verify -i +

	# --no-ipv6 installs only the IPv4 rule.
	check_exit 0 "$B: apply --no-ipv6" eh -b "$B" apply --no-ipv6
	check "$B: --no-ipv6 blocks IPv4" cannot_tcp 169.254.169.254
	check "$B: --no-ipv6 leaves IPv6 alone" can_tcp fd00:ec2::254
	check_exit 0 "$B: verify --no-ipv6 exits 0" eh -b "$B" verify --no-ipv6
	check_exit 1 "$B: verify (with IPv6) exits 1 when only IPv4 is blocked" eh -b "$B" verify
	check_exit 0 "$B: verify --fix adds the IPv6 rule" eh -b "$B" verify --fix
	check "$B: after --fix IPv6 is blocked" cannot_tcp fd00:ec2::254
	check_exit 0 "$B: remove" eh -b "$B" remove

	# The configuration file sets the defaults; the command line overrides it.
	mkdir -p "$TMPD/root/etc"
	printf 'INTERFACES=docker+ br-+\nIPV6=no\n' >"$TMPD/root/etc/ecs-harden.conf"
	check_exit 0 "$B: apply with --root whose ecs-harden.conf names docker+ br-+, IPv4 only" \
		eh -b "$B" --root "$TMPD/root" apply
	check "$B: the configured br-+ pattern is applied" cannot_tcp 169.254.169.254 "$NS_PREFIX-c2"
	check "$B: IPV6=no in the configuration leaves IPv6 alone" can_tcp fd00:ec2::254
	check_exit 0 "$B: remove with the same configuration" eh -b "$B" --root "$TMPD/root" remove
	printf 'INTERFACES=docker+\nCOLOUR=blue\n' >"$TMPD/root/etc/ecs-harden.conf"
	check_exit 1 "$B: an unknown configuration key is reported, not fatal" eh -b "$B" --root "$TMPD/root" verify
	check "$B: ... and the warning names the key" grep -q COLOUR "$TMPD/err"
	printf 'IPV6=perhaps\n' >"$TMPD/root/etc/ecs-harden.conf"
	check_exit 2 "$B: a bad configuration value exits 2" eh -b "$B" --root "$TMPD/root" verify
	check "$B: ... naming file and line" grep -q 'ecs-harden.conf:1' "$TMPD/err"

	cleanup_world
}

# Docker's own rules, for the ordering cases: what dockerd (legacy iptables) installs.
docker_like_rules() {
	in_i iptables-legacy -N DOCKER
	in_i iptables-legacy -N DOCKER-USER
	in_i iptables-legacy -N DOCKER-ISOLATION-STAGE-1
	in_i iptables-legacy -N DOCKER-ISOLATION-STAGE-2
	in_i iptables-legacy -A DOCKER-USER -j RETURN
	in_i iptables-legacy -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
	in_i iptables-legacy -A DOCKER-ISOLATION-STAGE-1 -j RETURN
	in_i iptables-legacy -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
	in_i iptables-legacy -A DOCKER-ISOLATION-STAGE-2 -j RETURN
	in_i iptables-legacy -A FORWARD -j DOCKER-USER
	in_i iptables-legacy -A FORWARD -j DOCKER-ISOLATION-STAGE-1
	in_i iptables-legacy -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	in_i iptables-legacy -A FORWARD -o docker0 -j DOCKER
	in_i iptables-legacy -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
	in_i iptables-legacy -A FORWARD -i docker0 -o docker0 -j ACCEPT
}

# The cases specific to the legacy FORWARD chain: hand-added rules, Docker's restart ordering,
# DOCKER-USER, foreign rules.
run_iptables_ordering() {
	B=iptables
	diag "---- iptables: ordering, hand-added rules, foreign rules ----"
	setup_world
	local rule4='-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP'
	local rule6='-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP'

	# The AWS page's command, by hand; then apply must recognise it.
	in_i iptables-legacy --insert FORWARD 1 --in-interface docker+ --destination 169.254.169.254/32 --jump DROP
	check_exit 0 "apply after the documented rule was added by hand" eh -b iptables apply
	check "the hand-added rule is recognised, not duplicated" test "$(iptables_forward | grep -cxF -- "$rule4")" = 1
	check "iptables-save shows exactly the documented IPv4 rule" grep -qxF -- "$rule4" <(iptables_forward)
	check "ip6tables-save shows the IPv6 twin" grep -qxF -- "$rule6" <(ip6tables_forward)
	eh -b iptables remove >/dev/null 2>&1

	# Docker's chains with the block placed after them: DOCKER-USER is harmless, Docker's
	# "-i docker0 ! -o docker0 -j ACCEPT" is not.
	docker_like_rules
	in_i iptables-legacy -A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP
	in_i ip6tables-legacy -A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP
	check "with Docker's ACCEPT ahead, a container really reaches the metadata address" can_tcp 169.254.169.254
	# Issue 11, item 7: the rule ahead is printed as iptables-save prints it.
	in_i iptables-legacy -I FORWARD 1 -s 10.0.0.0/255.255.0.255 -i docker0 -p tcp --dport 80 -m conntrack \
		--ctstate NEW -j ACCEPT
	check_exit 1 "verify -v with a port-and-state ACCEPT ahead exits 1" eh -b iptables -v verify
	check "... and prints it exactly as iptables-save does" grep -qF -- "ahead: $(in_i iptables-legacy-save -t filter |
		grep -F -- '--ctstate NEW')" "$TMPD/out"
	in_i iptables-legacy -D FORWARD 1
	check_exit 1 "verify exits 1 when Docker's ACCEPT stands ahead of the block" eh -b iptables verify
	check "verify names the harmful rule" grep -q -- '-i docker0 ! -o docker0 -j ACCEPT' "$TMPD/out"
	in_i iptables-legacy-save -t filter | grep '^-A' | grep -vF -- "$rule4" >"$TMPD/foreign-before"
	check_exit 0 "verify --fix exits 0" eh -b iptables verify --fix
	check "after --fix the block is first in FORWARD" test "$(iptables_forward | head -n1)" = "$rule4"
	# Issue 11, item 4: what `docker network create` puts above the block cannot see a
	# container's packet to IMDS, which the kernel routes out of the uplink.
	in_i iptables-legacy -I FORWARD 1 -o br-5f1e2d3c4b5a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	in_i ip6tables-legacy -I FORWARD 1 -o br-5f1e2d3c4b5a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	check_exit 0 "a user network's '-o br-… RELATED,ESTABLISHED -j ACCEPT' ahead: verify exits 0" \
		eh -b iptables -v verify
	check "... and says why it is harmless (the route to IMDS leaves through uplink)" \
		grep -q "leaving through br-5f1e2d3c4b5a, and the kernel routes the metadata address out of uplink" "$TMPD/out"
	check "... and the container is blocked indeed" cannot_tcp 169.254.169.254
	check "... over IPv6 too" cannot_tcp fd00:ec2::254
	in_i iptables-legacy -I FORWARD 1 -o uplink -j ACCEPT
	check_exit 1 "an ACCEPT of everything leaving through the uplink, ahead: verify exits 1" eh -b iptables verify
	check "... and the container does reach the metadata address" can_tcp 169.254.169.254
	in_i iptables-legacy -D FORWARD -o uplink -j ACCEPT
	in_i iptables-legacy -D FORWARD -o br-5f1e2d3c4b5a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	in_i ip6tables-legacy -D FORWARD -o br-5f1e2d3c4b5a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	check "after --fix exactly one copy remains" test "$(iptables_forward | grep -cxF -- "$rule4")" = 1
	check "after --fix the container is blocked" cannot_tcp 169.254.169.254
	in_i iptables-legacy-save -t filter | grep '^-A' | grep -vF -- "$rule4" >"$TMPD/foreign-after"
	check "Docker's rules survive --fix unchanged and in order" diff -u "$TMPD/foreign-before" "$TMPD/foreign-after"

	# A Docker restart puts its ACCEPT above the block again.
	in_i iptables-legacy -I FORWARD 1 -i docker0 ! -o docker0 -j ACCEPT
	check_exit 1 "verify exits 1 after a Docker restart reordered FORWARD" eh -b iptables verify
	check_exit 0 "apply moves the block back to the head" eh -b iptables apply
	check "apply after the reorder leaves one copy at the head" test "$(iptables_forward | head -n1)" = "$rule4"
	check "the container is blocked again" cannot_tcp 169.254.169.254

	# DOCKER-USER jump ahead, empty (RETURN only): harmless; with an ACCEPT: harmful.
	eh -b iptables remove >/dev/null 2>&1
	in_i iptables-legacy -D FORWARD -i docker0 ! -o docker0 -j ACCEPT
	in_i iptables-legacy -D FORWARD -i docker0 ! -o docker0 -j ACCEPT
	in_i iptables-legacy -I FORWARD 2 -d 169.254.169.254/32 -i docker+ -j DROP
	in_i ip6tables-legacy -A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP
	check_exit 0 "a jump to an empty DOCKER-USER ahead of the block is harmless" eh -b iptables verify
	in_i iptables-legacy -I DOCKER-USER 1 -s 192.0.2.0/25 -j ACCEPT
	check_exit 1 "an ACCEPT inside DOCKER-USER makes the jump harmful" eh -b iptables verify
	check "verify explains the jump" grep -q 'jumps to DOCKER-USER' "$TMPD/out"
	in_i iptables-legacy -D DOCKER-USER -s 192.0.2.0/25 -j ACCEPT
	in_i iptables-legacy -I DOCKER-USER 1 -i eth9 -j ACCEPT
	check_exit 0 "an ACCEPT for another input interface in DOCKER-USER is harmless" eh -b iptables verify

	# A jump inside DOCKER-USER must not end the walk of DOCKER-USER (libiptc has one iterator).
	in_i iptables-legacy -N LOGGING
	in_i iptables-legacy -A LOGGING -j RETURN
	in_i iptables-legacy -D DOCKER-USER -i eth9 -j ACCEPT
	in_i iptables-legacy -I DOCKER-USER 1 -j LOGGING
	in_i iptables-legacy -I DOCKER-USER 2 -i docker0 -j ACCEPT
	check_exit 1 "an ACCEPT after a nested jump inside DOCKER-USER is still found" eh -b iptables verify
	in_i iptables-legacy -D DOCKER-USER -i docker0 -j ACCEPT
	check_exit 0 "... and without it the nested jumps are harmless" eh -b iptables verify

	# Chains that jump to each other many times: each is judged once, not once per path.
	prev=DOCKER-USER
	for i in $(seq 1 24); do
		in_i iptables-legacy -N "FAN$i"
		in_i iptables-legacy -I "$prev" 1 -j "FAN$i"
		in_i iptables-legacy -I "$prev" 1 -p tcp -j "FAN$i"
		prev="FAN$i"
	done
	start=${EPOCHREALTIME/./}
	check_exit 0 "verify through 24 levels of doubled jumps (2^24 paths) exits 0" eh -b iptables verify
	elapsed=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
	check "... in well under a second (${elapsed} ms)" test "$elapsed" -lt 1000
	in_i iptables-legacy -I FAN24 1 -i docker0 -j ACCEPT
	check_exit 1 "an ACCEPT at the bottom of the jump tree is found" eh -b iptables verify
	in_i iptables-legacy -D FAN24 -i docker0 -j ACCEPT

	# Duplicates collapse to one.
	in_i iptables-legacy -A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP
	check_exit 1 "verify exits 1 with two copies" eh -b iptables verify
	check_exit 0 "apply removes the extra copy" eh -b iptables apply
	check "one copy after apply" test "$(iptables_forward | grep -cxF -- "$rule4")" = 1
	{ echo '*filter'; for _ in $(seq 1 300); do echo "$rule4"; done; echo COMMIT; } | in_i iptables-legacy-restore --noflush
	check_exit 0 "apply with 301 copies exits 0" eh -b iptables apply
	check "apply leaves one copy of 301" test "$(iptables_forward | grep -cxF -- "$rule4")" = 1
	{ echo '*filter'; for _ in $(seq 1 300); do echo "$rule4"; done; echo COMMIT; } | in_i iptables-legacy-restore --noflush
	check_exit 0 "remove with 301 copies exits 0" eh -b iptables remove
	check "remove deletes all 301 copies" test "$(iptables_forward | grep -cxF -- "$rule4")" = 0
	eh -b iptables apply >/dev/null 2>&1

	# remove takes every rule of the block's shape, whatever its pattern (a hand-added -i docker0
	# and an any-interface rule included), and only those: a look-alike with -p tcp stays.
	in_i iptables-legacy -A FORWARD -d 169.254.169.254/32 -i docker0 -j DROP
	in_i iptables-legacy -A FORWARD -d 169.254.169.254/32 -j DROP
	in_i iptables-legacy -A FORWARD -d 169.254.169.254/32 -i docker+ -p tcp -j DROP
	in_i iptables-legacy-save -t filter | grep '^-A' | grep -vF -- "$rule4" |
		grep -vxF -e '-A FORWARD -d 169.254.169.254/32 -i docker0 -j DROP' \
			-e '-A FORWARD -d 169.254.169.254/32 -j DROP' >"$TMPD/foreign-before"
	check_exit 0 "remove exits 0" eh -b iptables remove
	in_i iptables-legacy-save -t filter | grep '^-A' >"$TMPD/foreign-after"
	check "remove deletes the block of every pattern and leaves look-alike foreign rules" \
		diff -u "$TMPD/foreign-before" "$TMPD/foreign-after"
	check "no IPv6 block rule is left" test -z "$(ip6tables_forward | grep -F fd00:ec2::254/128 | grep -F 'docker+ -j DROP$' || true)"

	cleanup_world
}

cleanup_world() {
	local pid ns
	for pid in $STARTED_PIDS; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	STARTED_PIDS=""
	for ns in $CREATED_NS; do ip netns del "$ns" 2>/dev/null; done
	CREATED_NS=""
}

for b in $BACKENDS; do
	run_backend "$b"
done
case " $BACKENDS " in *" iptables "*) run_iptables_ordering ;; esac

finish
