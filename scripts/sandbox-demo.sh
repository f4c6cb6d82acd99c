#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The main job on an embedded default, in a throwaway sandbox: three network namespaces (a
# container on a docker0 bridge, the instance, and a stand-in metadata service holding
# 169.254.169.254, 169.254.170.2 and fd00:ec2::254). Shows the container reaching the metadata
# service, runs `ecs-harden apply` in the instance namespace, and shows it blocked while the task
# credential endpoint 169.254.170.2 stays reachable. The host's own firewall is never touched.
#   sudo scripts/sandbox-demo.sh [--backend iptables|nftables]
set -u
cd "$(dirname "$0")/.." || exit 3
ECS_HARDEN=${ECS_HARDEN:-$PWD/ecs-harden}
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

backend=auto
[ "${1:-}" = --backend ] && backend=${2:-auto}

[ -x "$ECS_HARDEN" ] || { echo "build first: scripts/bootstrap.sh" >&2; exit 3; }
[ "$(id -u)" = 0 ] || { echo "the sandbox needs root for network namespaces: sudo $0" >&2; exit 3; }
setup_common
setup_world >/dev/null

probe() {
	local label=$1 addr=$2
	if can_tcp "$addr"; then
		printf '  %-34s %s\n' "$label" "REACHABLE"
	else
		printf '  %-34s %s\n' "$label" "blocked"
	fi
}

show() {
	probe "container -> 169.254.169.254:80" 169.254.169.254
	probe "container -> [fd00:ec2::254]:80" fd00:ec2::254
	probe "container -> 169.254.170.2:80" 169.254.170.2
}

echo "sandbox: namespaces $NS_C (container), $NS_I (instance), $NS_M (metadata)"
echo
echo "before: the container can reach the instance metadata service"
show
echo
echo "# ecs-harden --backend $backend apply   (inside $NS_I)"
eh --backend "$backend" apply || exit $?
eh --backend "$backend" -v verify | sed 's/^/  /'
echo
echo "after:"
show
echo
if cannot_tcp 169.254.169.254 && cannot_tcp fd00:ec2::254 && can_tcp 169.254.170.2; then
	echo "result: metadata blocked for containers (IPv4 and IPv6); task credentials endpoint still reachable"
	exit 0
fi
echo "result: UNEXPECTED — see above" >&2
exit 1
