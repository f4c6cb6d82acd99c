# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared by the integration tests: TAP-style reporting, and a throwaway three-namespace world
#   container (ecsh-PID-c)  --veth-->  instance (ecsh-PID-i, bridge docker0)  --veth-->  metadata
# where "metadata" holds 169.254.169.254, 169.254.170.2 and fd00:ec2::254 and serves TCP port 80.
# Nothing here touches the root network namespace: every link and rule lives in namespaces this
# file creates, and cleanup (trap EXIT) deletes them and ends the processes it started.

ECS_HARDEN=${ECS_HARDEN:-$(cd "$(dirname "$0")/../.." && pwd)/ecs-harden}
NS_PREFIX="ecsh-$$"
NS_C="$NS_PREFIX-c"
NS_I="$NS_PREFIX-i"
NS_M="$NS_PREFIX-m"
CREATED_NS=""
STARTED_PIDS=""
TEST_N=0
TEST_FAILED=0
TMPD=""

# ---- reporting ----

ok() { TEST_N=$((TEST_N + 1)); echo "ok $TEST_N - $*"; }
not_ok() { TEST_N=$((TEST_N + 1)); TEST_FAILED=$((TEST_FAILED + 1)); echo "not ok $TEST_N - $*"; }
diag() { echo "# $*"; }

# check "description" command...: ok when the command succeeds.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what (command: $*)"; fi
}

# check_exit N "description" command...: ok when the command exits with N.
check_exit() {
	local want=$1 what=$2; shift 2
	local rc=0
	"$@" >"$TMPD/out" 2>"$TMPD/err" || rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$what"
	else
		not_ok "$what (exit $rc, expected $want: $*)"
		sed 's/^/#   out: /' "$TMPD/out" | head -n 20
		sed 's/^/#   err: /' "$TMPD/err" | head -n 20
	fi
}

skip_all() { echo "1..0 # SKIP $*"; exit 77; }

finish() {
	echo "1..$TEST_N"
	echo "# $((TEST_N - TEST_FAILED)) passed, $TEST_FAILED failed"
	[ "$TEST_FAILED" = 0 ]
}

# ---- environment ----

# LeakSanitizer cannot work under ptrace (strace) nor where a unit's seccomp filter forbids it:
# for those runs of a sanitizer build, leak checking is off (ASan's other checks stay on).
ASAN_NO_LEAKS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
under_strace() { ASAN_OPTIONS=$ASAN_NO_LEAKS strace "$@"; }

require_root_netns() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	command -v ip >/dev/null || skip_all "needs iproute2"
	ip netns add "$NS_PREFIX-probe" 2>/dev/null || skip_all "cannot create network namespaces here"
	ip netns del "$NS_PREFIX-probe"
}

cleanup() {
	local pid ns
	for pid in $STARTED_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $STARTED_PIDS; do
		wait "$pid" 2>/dev/null
	done
	for ns in $CREATED_NS; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	return 0
}

setup_common() {
	TMPD=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 1' INT TERM
}

netns_add() {
	ip netns add "$1" && CREATED_NS="$CREATED_NS $1"
	ip -n "$1" link set lo up
}

in_c() { ip netns exec "$NS_C" "$@"; }
in_i() { ip netns exec "$NS_I" "$@"; }
in_m() { ip netns exec "$NS_M" "$@"; }

# The tool, run inside the instance namespace.
eh() { ip netns exec "$NS_I" "$ECS_HARDEN" "$@"; }

# Adds a container namespace NAME attached to bridge BR in the instance with address ADDR/25.
add_container() {
	local name=$1 br=$2 addr4=$3 gw4=$4 addr6=$5 gw6=$6 port=$7
	netns_add "$name"
	ip link add "$port" netns "$NS_I" type veth peer name eth0 netns "$name"
	ip -n "$NS_I" link set "$port" master "$br" up
	ip netns exec "$name" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	ip -n "$name" addr add "$addr4/25" dev eth0
	ip -n "$name" addr add "$addr6/64" dev eth0 nodad
	ip -n "$name" link set eth0 up
	ip -n "$name" route add default via "$gw4"
	ip -n "$name" -6 route add default via "$gw6"
}

# Builds the three-namespace world and starts the metadata listeners.
setup_world() {
	netns_add "$NS_I"
	netns_add "$NS_M"
	in_i sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	in_m sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0

	# The container bridge, as Docker makes it.
	ip -n "$NS_I" link add docker0 type bridge
	ip -n "$NS_I" addr add 192.0.2.1/25 dev docker0
	ip -n "$NS_I" addr add 2001:db8:c::1/64 dev docker0 nodad
	ip -n "$NS_I" link set docker0 up
	add_container "$NS_C" docker0 192.0.2.2 192.0.2.1 2001:db8:c::2 2001:db8:c::1 vethc0

	# The instance's uplink towards the metadata service.
	ip link add uplink netns "$NS_I" type veth peer name eth0 netns "$NS_M"
	ip -n "$NS_I" addr add 192.0.2.129/26 dev uplink
	ip -n "$NS_I" addr add 2001:db8:1::1/64 dev uplink nodad
	ip -n "$NS_I" link set uplink up
	ip -n "$NS_M" addr add 192.0.2.130/26 dev eth0
	ip -n "$NS_M" addr add 2001:db8:1::2/64 dev eth0 nodad
	ip -n "$NS_M" link set eth0 up
	ip -n "$NS_M" addr add 169.254.169.254/32 dev lo
	ip -n "$NS_M" addr add 169.254.170.2/32 dev lo
	ip -n "$NS_M" addr add fd00:ec2::254/128 dev lo nodad
	ip -n "$NS_M" route add 192.0.2.0/25 via 192.0.2.129
	ip -n "$NS_M" -6 route add 2001:db8:c::/64 via 2001:db8:1::1
	ip -n "$NS_I" route add 169.254.169.254/32 via 192.0.2.130
	ip -n "$NS_I" route add 169.254.170.2/32 via 192.0.2.130
	ip -n "$NS_I" -6 route add fd00:ec2::254/128 via 2001:db8:1::2

	# One dual-stack TCP listener on port 80 answers for all three addresses.
	ip netns exec "$NS_M" python3 -m http.server 80 --bind :: >/dev/null 2>&1 &
	STARTED_PIDS="$STARTED_PIDS $!"
	wait_for_listener
	# IPv6 neighbour discovery needs a moment; warm both paths up before the first assertion.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		in_c ping -6 -c1 -W1 fd00:ec2::254 >/dev/null 2>&1 && break
	done
	in_c ping -c1 -W1 169.254.169.254 >/dev/null 2>&1 || true
}

wait_for_listener() {
	for _ in $(seq 1 50); do
		in_m nc -z -w 1 127.0.0.1 80 2>/dev/null && return 0
		sleep 0.1
	done
	diag "metadata listener did not start"
	return 1
}

# ---- probes from a container namespace (default: the first one) ----
# A blocked probe costs its whole timeout, so timeouts are short.

can_ping() { ip netns exec "${2:-$NS_C}" ping -c1 -W1 "$1" >/dev/null 2>&1; }
cannot_ping() { ! can_ping "$@"; }
can_tcp() { ip netns exec "${2:-$NS_C}" nc -z -w 1 "$1" 80 >/dev/null 2>&1; }
cannot_tcp() { ! can_tcp "$@"; }

# Every rule of the filter table / ruleset inside the instance namespace, for golden comparisons.
iptables_forward() { in_i "iptables-legacy-save" -t filter | grep -E '^-A FORWARD' || true; }
ip6tables_forward() { in_i "ip6tables-legacy-save" -t filter | grep -E '^-A FORWARD' || true; }
