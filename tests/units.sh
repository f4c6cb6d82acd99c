#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The shipped units: systemd-analyze verify accepts them (with a stand-in docker.service for the
# drop-ins), and the sandbox of the two services stays at exposure 2.0 or lower.
set -u

UNITS_DIR=${UNITS_DIR:-$(cd "$(dirname "$0")/.." && pwd)/units}
ECS_HARDEN=${ECS_HARDEN:-$(cd "$(dirname "$0")/.." && pwd)/ecs-harden}
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }

command -v systemd-analyze >/dev/null 2>&1 || { echo "1..0 # SKIP systemd-analyze not installed"; exit 77; }
[ -f "$UNITS_DIR/ecs-harden.service" ] || { echo "1..0 # SKIP units not built (run make)"; exit 77; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# verify checks that ExecStart= exists: point the copies at the built binary.
sbin_path=$(sed -n 's|^ExecStart=\([^ ]*\) .*|\1|p' "$UNITS_DIR/ecs-harden.service")
mkdir -p "$T/docker.service.d"
for u in ecs-harden.service ecs-harden-repair.service ecs-harden-repair.timer ecs-harden-inventory.service \
	ecs-harden-inventory.timer; do
	sed "s|$sbin_path|$ECS_HARDEN|g" "$UNITS_DIR/$u" >"$T/$u"
done
sed "s|$sbin_path|$ECS_HARDEN|g" "$UNITS_DIR/docker.service.d/ecs-harden.conf" >"$T/docker.service.d/ecs-harden.conf"
sed "s|$sbin_path|$ECS_HARDEN|g" "$UNITS_DIR/docker-fail-closed.conf" >"$T/docker.service.d/ecs-harden-fail-closed.conf"
cat >"$T/docker.service" <<'UNIT'
[Unit]
Description=stand-in for Docker
[Service]
Type=oneshot
ExecStart=/bin/true
UNIT

for u in ecs-harden.service ecs-harden-repair.service ecs-harden-repair.timer ecs-harden-inventory.service \
	ecs-harden-inventory.timer docker.service; do
	if out=$(cd "$T" && systemd-analyze verify --man=no "./$u" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify $u"
	else
		not_ok "systemd-analyze verify $u"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
done

case "$sbin_path" in
/*) ok "ExecStart= is an absolute path ($sbin_path)" ;;
*) not_ok "ExecStart= is not an absolute path: $sbin_path" ;;
esac

for u in ecs-harden.service ecs-harden-repair.service ecs-harden-inventory.service; do
	out=$(cd "$T" && systemd-analyze security --offline=true --threshold=20 "./$u" 2>&1)
	rc=$?
	level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ "$rc" = 0 ] && [ -n "$level" ]; then
		ok "$u exposure $level <= 2.0"
	else
		not_ok "$u exposure ${level:-unknown} (exit $rc), more than 2.0"
		printf '%s\n' "$out" | grep '✗' | sed 's/^/#   /' | head -n 20
	fi
done

# Settings the contract names, checked by value so that nobody relaxes them unnoticed.
svc="$UNITS_DIR/ecs-harden.service"
for want in 'Type=oneshot' 'RemainAfterExit=yes' 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' \
	'NoNewPrivileges=yes' 'ProtectSystem=strict' 'Documentation=man:ecs-harden(8)'; do
	if grep -qxF "$want" "$svc"; then ok "ecs-harden.service has $want"; else not_ok "ecs-harden.service lacks $want"; fi
done
# expect "description" command...: ok when the command succeeds.
expect() {
	what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
expect "ordered before docker.service and ecs.service" \
	sh -c "grep -q '^Before=.*docker.service' '$svc' && grep -q '^Before=.*ecs.service' '$svc'"
expect "ordered after iptables.service" grep -q '^After=.*iptables.service' "$svc"
expect "no PrivateNetwork= (the unit must see the host's firewall)" sh -c "! grep -q '^PrivateNetwork=' '$svc'"
expect "ExecStart runs verify --fix" grep -q '^ExecStart=.* verify --fix$' "$svc"
expect "docker drop-in re-asserts the block after each start (fail open)" \
	grep -q '^ExecStartPost=-.* verify --fix$' "$UNITS_DIR/docker.service.d/ecs-harden.conf"
expect "fail-closed drop-in requires the block before dockerd starts" \
	sh -c "grep -q '^Requires=ecs-harden.service' '$UNITS_DIR/docker-fail-closed.conf' &&
	       grep -q '^ExecStartPre=/.* verify --fix\$' '$UNITS_DIR/docker-fail-closed.conf'"

inv="$UNITS_DIR/ecs-harden-inventory.service"
expect "inventory unit runs status --ssm-inventory" grep -q '^ExecStart=/.* status --ssm-inventory$' "$inv"
expect "inventory unit: a FAIL (exit 1) is the report, not a unit failure; 3 still fails it" \
	sh -c "grep -qx 'SuccessExitStatus=1' '$inv'"
expect "inventory unit may write into the agent's 0600 folders (CAP_DAC_OVERRIDE), nothing more" \
	sh -c "grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_DAC_OVERRIDE' '$inv'"
expect "inventory unit writes only /run and the agent's folder, reaches only IMDS" \
	sh -c "grep -qx 'ReadWritePaths=/run -/var/lib/amazon/ssm' '$inv' && grep -qx 'IPAddressDeny=any' '$inv' &&
	       grep -qx 'IPAddressAllow=169.254.169.254/32 fd00:ec2::254/128' '$inv'"
expect "inventory timer every 30 minutes" grep -qx 'OnUnitActiveSec=30min' "$UNITS_DIR/ecs-harden-inventory.timer"

echo "1..$N"
[ "$FAILED" = 0 ]
