#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A real boot: a minimal Debian root (debootstrap, cached between runs) booted with
# systemd-nspawn in its own network namespace, with the built binary and the shipped units inside.
# Proves after boot: ecs-harden.service succeeded under its sandbox, ran before a stand-in
# docker.service, the block is in place (and still effective after "Docker" put an ACCEPT rule at
# the head of FORWARD), the repair timer's service puts back a flushed block, and a live
# `persist` enables and starts services through systemd's D-Bus API.
#
# The root is cached in $ECS_HARDEN_BOOT_CACHE (default /var/tmp/ecs-harden-boot-root, ~250 MB,
# ~45 s to build once); each run boots an overlay of it, so the cache stays pristine.
# make check runs tests with $(SHELL), which need not be bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "$(dirname "$0")/persist-lib.sh"

CACHE=${ECS_HARDEN_BOOT_CACHE:-/var/tmp/ecs-harden-boot-root}
SUITE=bookworm
INCLUDE=systemd,systemd-sysv,iptables,dbus,libip4tc2,libip6tc2,libnftnl11,libmnl0,libyajl2

# ---------------------------------------------------------------- inside the private mount namespace
if [ "${1:-}" = "--inside" ]; then
	W=$2
	MODE=$3
	mount -t tmpfs tmpfs "$W" || exit 90
	mkdir -p "$W/upper" "$W/work" "$W/root" /run/systemd/nspawn
	mount -t tmpfs tmpfs /run/systemd/nspawn || exit 91
	mount -t overlay overlay -o "lowerdir=$CACHE,upperdir=$W/upper,workdir=$W/work" "$W/root" || exit 92
	R="$W/root"

	# The binary where the units expect it, and any library the root lacks. A build configured
	# with a prefix below /tmp (make distcheck) would hide it under the container's own /tmp:
	# such units are pointed at /usr/sbin instead.
	sbin_path=$(sed -n 's|^ExecStart=\([^ ]*\) .*|\1|p' "$UNITS_DIR/ecs-harden.service")
	case "$sbin_path" in
	/usr/*|/opt/*|/sbin/*|/bin/*) inner_path=$sbin_path ;;
	*) inner_path=/usr/sbin/ecs-harden ;;
	esac
	install -D -m 0755 "$ECS_HARDEN" "$R$inner_path"
	for lib in $(ldd "$ECS_HARDEN" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
		[ -e "$R$lib" ] || install -D -m 0644 "$lib" "$R$lib"
	done
	U="$R/usr/lib/systemd/system"
	mkdir -p "$U/docker.service.d"
	for u in ecs-harden.service ecs-harden-repair.service ecs-harden-repair.timer docker.service.d/ecs-harden.conf; do
		sed "s|$sbin_path|$inner_path|g" "$UNITS_DIR/$u" >"$U/$u"
	done
	sbin_path=$inner_path
	# A sanitizer build (CI's ASan stage): LeakSanitizer needs ptrace-like powers that the units'
	# seccomp filter rightly denies, so leak checking is off inside the container.
	if ldd "$ECS_HARDEN" | grep -q libasan; then
		for u in ecs-harden.service ecs-harden-repair.service docker.service; do
			mkdir -p "$U/$u.d"
			printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' >"$U/$u.d/asan.conf"
		done
	fi

	# Stand-ins: iptables.service as on AL2 (restores /etc/sysconfig/iptables), and a docker.service
	# that does to FORWARD what dockerd does: an ACCEPT for its bridge at the head of the chain.
	for fam in iptables ip6tables; do
		cat >"$U/$fam.service" <<UNIT
[Unit]
Description=stand-in for AL2's $fam.service
ConditionPathExists=/etc/sysconfig/$fam
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/$fam-legacy-restore /etc/sysconfig/$fam
[Install]
WantedBy=basic.target
UNIT
	done
	# While iptables.service starts, "Docker" adds an IPv6 rule: after persist planned, before it
	# starts ip6tables.service, whose restore must keep it. And ip6tables.service can be made to
	# fail, to prove that persist puts the file for the next boot back on that path too.
	mkdir -p "$U/iptables.service.d" "$U/ip6tables.service.d"
	printf '[Service]\nExecStartPost=/usr/sbin/ip6tables-legacy -A FORWARD -i docker0 -o docker0 -j ACCEPT\n' \
		>"$U/iptables.service.d/late-docker-rule.conf"
	printf '[Unit]\nAssertPathExists=!/run/ecs-harden-test-fail-ip6tables\n' >"$U/ip6tables.service.d/can-fail.conf"
	cat >"$U/docker.service" <<'UNIT'
[Unit]
Description=stand-in for Docker
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/iptables-legacy -I FORWARD -i docker0 ! -o docker0 -j ACCEPT
[Install]
WantedBy=multi-user.target
UNIT
	cat >"$U/boot-check.service" <<'UNIT'
[Unit]
Description=ecs-harden boot test: record the results and end the container
After=multi-user.target docker.service ecs-harden.service
SuccessAction=exit-force
FailureAction=exit-force
[Service]
Type=oneshot
ExecStart=/usr/local/bin/boot-check
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
UNIT
	install -D -m 0755 /dev/stdin "$R/usr/local/bin/boot-check" <<CHECK
#!/bin/sh
# Runs inside the booted container; writes KEY=VALUE lines to /boot-results.
EH=$sbin_path
out=/boot-results
show() { systemctl show "\$1" -p "\$2" --value; }
{
echo "harden_result=\$(show ecs-harden.service Result)"
echo "harden_status=\$(show ecs-harden.service ExecMainStatus)"
echo "harden_active=\$(show ecs-harden.service ActiveState)"
echo "harden_start=\$(show ecs-harden.service ExecMainStartTimestampMonotonic)"
echo "harden_exit=\$(show ecs-harden.service ExecMainExitTimestampMonotonic)"
echo "harden_caps=\$(show ecs-harden.service CapabilityBoundingSet)"
echo "docker_start=\$(show docker.service ExecMainStartTimestampMonotonic)"
echo "docker_result=\$(show docker.service Result)"
echo "docker_dropins=\$(show docker.service DropInPaths)"
echo "boot_userspace=\$(show init.scope ActiveEnterTimestampMonotonic)"
echo "forward_first=\$(iptables-legacy -S FORWARD | sed -n 2p)"
echo "forward6_first=\$(ip6tables-legacy -S FORWARD | sed -n 2p)"
\$EH -q verify; echo "verify_after_docker=\$?"
iptables-legacy -F FORWARD
\$EH -q verify; echo "verify_after_flush=\$?"
systemctl start ecs-harden-repair.service; echo "repair_start=\$?"
\$EH -q verify; echo "verify_after_repair=\$?"
echo "repair_logged=\$(journalctl -b -u ecs-harden-repair.service -o cat | grep -c repaired)"
echo "timer_enabled=\$(systemctl is-enabled ecs-harden-repair.timer)"
# Docker restarts: its ACCEPT rule comes back at the head, the drop-in puts the block first again.
systemctl restart docker.service; echo "docker_restart=\$?"
echo "forward_first_after_restart=\$(iptables-legacy -S FORWARD | sed -n 2p)"
echo "journal_repair=\$(journalctl -b -u ecs-harden-repair.service -o cat --no-pager | tr '\\n' '|')"
\$EH --flavour al2 persist --dry-run >/tmp/dry.out 2>&1; echo "live_dry_run=\$?"
echo "live_dry_run_enable=\$(grep -c '^would enable iptables.service through systemd' /tmp/dry.out)"
echo "live_dry_run_left_disabled=\$(systemctl is-enabled iptables.service)"
echo "live_dry_run_no_file=\$(test -e /etc/sysconfig/iptables && echo exists || echo absent)"
ip6tables-legacy -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
echo "forward_before_persist=\$(iptables-legacy -S FORWARD | tr '\\n' '|')"
\$EH --flavour al2 persist >/tmp/persist.out 2>&1; echo "live_persist=\$?"
echo "forward_after_persist=\$(iptables-legacy -S FORWARD | tr '\\n' '|')"
echo "iptables_service_journal=\$(journalctl -b -u iptables.service -o cat --no-pager | tr '\\n' '|')"
sed 's/^/live_persist_out: /' /tmp/persist.out
echo "iptables_enabled=\$(systemctl is-enabled iptables.service)"
echo "iptables_active=\$(systemctl is-active iptables.service)"
echo "ip6tables_active=\$(systemctl is-active ip6tables.service)"
echo "sysconfig_block=\$(grep -c -x -- '-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP' /etc/sysconfig/iptables)"
echo "sysconfig_docker=\$(grep -c -- '-i docker0 ! -o docker0 -j ACCEPT' /etc/sysconfig/iptables)"
echo "docker_rule_live=\$(iptables-legacy -S FORWARD | grep -c -- '-i docker0 ! -o docker0 -j ACCEPT')"
echo "docker6_rule_live=\$(ip6tables-legacy -S FORWARD | grep -c -- '-i docker0 ! -o docker0 -j ACCEPT')"
echo "docker6_late_rule_live=\$(ip6tables-legacy -S FORWARD | grep -c -- '-i docker0 -o docker0 -j ACCEPT')"
echo "sysconfig6_block=\$(grep -c -x -- '-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP' /etc/sysconfig/ip6tables)"
echo "sysconfig6_docker=\$(grep -c docker0 /etc/sysconfig/ip6tables)"
# Starting ip6tables.service fails: persist exits 3 and the file holds what the next boot needs,
# not the live snapshot (Docker's rules) that stood in for it during the start.
systemctl stop ip6tables.service
ip6tables-legacy -A INPUT -s 2001:db8::/32 -j ACCEPT
touch /run/ecs-harden-test-fail-ip6tables
\$EH --flavour al2 persist >/tmp/persist-fail.out 2>&1; echo "failed_persist=\$?"
sed 's/^/failed_persist_out: /' /tmp/persist-fail.out
echo "failed_persist_new_rule=\$(grep -c -x -- '-A INPUT -s 2001:db8::/32 -j ACCEPT' /etc/sysconfig/ip6tables)"
echo "failed_persist_docker=\$(grep -c docker0 /etc/sysconfig/ip6tables)"
echo "failed_persist_block=\$(grep -c -x -- '-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP' /etc/sysconfig/ip6tables)"
rm -f /run/ecs-harden-test-fail-ip6tables
\$EH --flavour al2 persist >/tmp/persist-recover.out 2>&1; echo "recovered_persist=\$?"
echo "recovered_ip6tables_active=\$(systemctl is-active ip6tables.service)"
echo "recovered_docker6_rule_live=\$(ip6tables-legacy -S FORWARD | grep -c -- '-i docker0 ! -o docker0 -j ACCEPT')"
\$EH --flavour al2 persist >/tmp/persist2.out 2>&1; echo "live_persist_again=\$?"
echo "live_persist_again_unchanged=\$(grep -c '^unchanged: /etc/sysconfig/iptables' /tmp/persist2.out)"
echo "done=yes"
} >\$out 2>&1
CHECK
	mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
	ln -sf /usr/lib/systemd/system/docker.service "$R/etc/systemd/system/multi-user.target.wants/docker.service"
	ln -sf /usr/lib/systemd/system/boot-check.service "$R/etc/systemd/system/multi-user.target.wants/boot-check.service"
	# Nothing in a test container should wait for a login prompt or the network.
	ln -sf /dev/null "$R/etc/systemd/system/getty.target"
	ln -sf /dev/null "$R/etc/systemd/system/console-getty.service"

	# Enabled the way an operator would: persist writes the configuration and the unit links.
	"$ECS_HARDEN" -q --root "$R" --flavour none -b iptables persist || exit 93

	if [ "$MODE" = fail-closed ]; then
		# The opt-in drop-in, and a configuration that makes the block impossible to apply.
		mkdir -p "$R/etc/systemd/system/docker.service.d"
		sed "s|$(sed -n 's|^ExecStartPre=\([^ ]*\) .*|\1|p' "$UNITS_DIR/docker-fail-closed.conf")|$sbin_path|g" \
			"$UNITS_DIR/docker-fail-closed.conf" >"$R/etc/systemd/system/docker.service.d/ecs-harden-fail-closed.conf"
		sed -i 's/^INTERFACES=.*/INTERFACES=dock+er/' "$R/etc/ecs-harden.conf"
		install -m 0755 /dev/stdin "$R/usr/local/bin/boot-check" <<'CHECK'
#!/bin/sh
show() { systemctl show "$1" -p "$2" --value; }
{
echo "harden_result=$(show ecs-harden.service Result)"
echo "docker_active=$(show docker.service ActiveState)"
echo "docker_ran=$(show docker.service ExecMainStartTimestampMonotonic)"
echo "docker_rule_live=$(iptables-legacy -S FORWARD | grep -c -- '-i docker0 ! -o docker0 -j ACCEPT')"
echo "done=yes"
} >/boot-results 2>&1
CHECK
	fi

	t0=${EPOCHREALTIME/./}
	timeout "${BOOT_TIMEOUT:-180}" systemd-nspawn -q -D "$R" --boot --private-network --register=no --keep-unit --console=pipe \
		>"$W.$MODE.console" 2>&1 </dev/null
	t1=${EPOCHREALTIME/./}
	echo "nspawn_us=$((t1 - t0))" >"$W.$MODE.results"
	cat "$R/boot-results" >>"$W.$MODE.results" 2>/dev/null

	if [ "$MODE" = main ]; then
		# The same root as a chroot (an image build): "/" without a running systemd. persist makes
		# the links in the file system, as systemctl does there, and starts nothing.
		link="$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service"
		rm -f "$link"
		# No /proc either, as in many image builds: persist reads the files it replaces without it.
		chroot "$R" "$sbin_path" --flavour debian -b nftables persist >"$W.chroot.out" 2>&1
		echo "chroot_persist=$?" >>"$W.$MODE.results"
		[ -e "$R/proc/self" ] || echo "chroot_no_proc=yes" >>"$W.$MODE.results"
		[ "$(readlink "$link")" = /usr/lib/systemd/system/ecs-harden.service ] && echo "chroot_link=yes" >>"$W.$MODE.results"
		grep -q 'systemd is not running here' "$W.chroot.out" && echo "chroot_said=yes" >>"$W.$MODE.results"
	fi
	# Leave the results where the outer shell can read them (the tmpfs goes with this namespace).
	exit 0
fi

# ---------------------------------------------------------------- outside
[ "$(id -u)" = 0 ] || skip_all "needs root"
for tool in debootstrap systemd-nspawn unshare; do
	command -v "$tool" >/dev/null || skip_all "needs $tool"
done
[ -f "$UNITS_DIR/ecs-harden.service" ] || skip_all "units not built"
setup_common

# The Debian mirror this machine already uses.
mirror=$(sed -n "s/^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}:[^ ]*\) $SUITE .*/\2/p" /etc/apt/sources.list 2>/dev/null | head -n 1)
if [ -z "$mirror" ]; then
	mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$SUITE" 'BEGIN { RS = "" }
		$0 ~ ("Suites:[^\n]*[ \t]" s "([ \t\n]|$)") { for (i = 1; i <= NF; i++) if ($i == "URIs:") { print $(i + 1); exit } }')
fi
mirror=${mirror:-http://deb.debian.org/debian}

stamp="$SUITE $INCLUDE"
(
	flock 9
	if [ "$(cat "$CACHE/.ecs-harden-boot-stamp" 2>/dev/null)" != "$stamp" ]; then
		diag "building the boot root in $CACHE from $mirror (once)"
		rm -rf "$CACHE.new"
		if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$CACHE.new" "$mirror" >"$TMPD/debootstrap.log" 2>&1; then
			tail -n 5 "$TMPD/debootstrap.log" | sed 's/^/# /'
			rm -rf "$CACHE.new"
			exit 77
		fi
		echo "$stamp" >"$CACHE.new/.ecs-harden-boot-stamp"
		rm -rf "$CACHE"
		mv "$CACHE.new" "$CACHE"
	fi
) 9>"$CACHE.lock"
rc=$?
[ "$rc" = 77 ] && skip_all "debootstrap could not build a $SUITE root (no network or mirror?)"
[ "$rc" = 0 ] || { not_ok "preparing the boot root (exit $rc)"; finish; exit 1; }

W="$TMPD/w"
mkdir -p "$W"
# Under make check VALGRIND=1 the container gets the real binary, not the valgrind wrapper.
ECS_HARDEN=${ECS_HARDEN_REAL:-$ECS_HARDEN}
export ECS_HARDEN UNITS_DIR CACHE
boot() {
	t0=${EPOCHREALTIME/./}
	unshare -m --propagation private bash "$0" --inside "$W" "$1"
	rc=$?
	t1=${EPOCHREALTIME/./}
	if [ "$rc" = 90 ] || [ "$rc" = 91 ] || [ "$rc" = 92 ]; then
		skip_all "cannot mount tmpfs/overlayfs for the container here (exit $rc)"
	fi
	if [ "$rc" != 0 ]; then
		not_ok "preparing and booting the container ($1; exit $rc)"
		finish
		exit 1
	fi
	if ! grep -q '^done=yes' "$W.$1.results" 2>/dev/null && ! grep -q '^harden_result=' "$W.$1.results" 2>/dev/null; then
		sed 's/^/#   console: /' "$W.$1.console" | tail -n 20
		skip_all "systemd-nspawn cannot boot a container here"
	fi
	diag "$1: whole boot step $(((t1 - t0) / 1000)) ms"
}
boot main
boot fail-closed
RESULTS="$W.main.results"

get() { sed -n "s/^$1=//p" "$RESULTS" | head -n 1; }
diag "main: nspawn boot to exit $(($(get nspawn_us) / 1000)) ms"

check "the container booted and ran the checks" grep -q '^done=yes' "$RESULTS"
check "ecs-harden.service succeeded" test "$(get harden_result)" = success -a "$(get harden_status)" = 0
check "ecs-harden.service stays active (RemainAfterExit)" test "$(get harden_active)" = active
check "ecs-harden.service ran with only CAP_NET_ADMIN CAP_NET_RAW" test "$(get harden_caps)" = "cap_net_admin cap_net_raw"
hs=$(get harden_start) he=$(get harden_exit) ds=$(get docker_start)
check "ecs-harden.service finished before docker.service started" test -n "$he" -a -n "$ds" -a "${he:-0}" -gt 0 -a "${he:-1}" -le "${ds:-0}"
[ -n "$hs" ] && [ -n "$he" ] && diag "ecs-harden.service ran $(((he - hs) / 1000)) ms (verify --fix, sandboxed), starting $(((hs - $(get boot_userspace)) / 1000)) ms after the container's systemd; docker.service started $(((ds - he) / 1000)) ms after it finished"
check "docker.service picked up the ecs-harden drop-in" sh -c "case '$(get docker_dropins)' in *docker.service.d/ecs-harden.conf*) true ;; *) false ;; esac"
check "after Docker's ACCEPT rule the block is at the head of FORWARD again" \
	test "$(get forward_first)" = "-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP"
check "the IPv6 block is at the head of FORWARD" test "$(get forward6_first)" = "-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP"
check "verify passes after boot and Docker's start" test "$(get verify_after_docker)" = 0
check "verify fails after iptables -F FORWARD" test "$(get verify_after_flush)" = 1
check "ecs-harden-repair.service ran" test "$(get repair_start)" = 0
check "the repair put the block back" test "$(get verify_after_repair)" = 0
check "the repair was logged" test "$(get repair_logged)" -ge 1
check "the repair timer was enabled by persist" test "$(get timer_enabled)" = enabled
check "after a Docker restart the drop-in put the block first again" \
	test "$(get docker_restart)" = 0 -a "$(get forward_first_after_restart)" = "-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP"
check "live persist --dry-run exits 0" test "$(get live_dry_run)" = 0
check "live persist --dry-run names the D-Bus calls" test "$(get live_dry_run_enable)" = 1
check "live persist --dry-run enabled nothing and wrote nothing" \
	test "$(get live_dry_run_left_disabled)" = disabled -a "$(get live_dry_run_no_file)" = absent
check "live persist (sd-bus) exits 0" test "$(get live_persist)" = 0
check "live persist enabled iptables.service" test "$(get iptables_enabled)" = enabled
check "live persist started iptables.service" test "$(get iptables_active)" = active
check "live persist started ip6tables.service" test "$(get ip6tables_active)" = active
check "the saved file holds the block" test "$(get sysconfig_block)" = 1
check "the saved file leaves out Docker's rule" test "$(get sysconfig_docker)" = 0
check "starting iptables.service kept Docker's live rule" test "$(get docker_rule_live)" = 1
check "starting ip6tables.service kept Docker's live IPv6 rule" test "$(get docker6_rule_live)" = 1
check "a rule Docker added after persist planned survived the start (fresh snapshot)" test "$(get docker6_late_rule_live)" = 1
check "the saved IPv6 file holds the block and no Docker rule" test "$(get sysconfig6_block)" = 1 -a "$(get sysconfig6_docker)" = 0
check "a failed start of ip6tables.service: persist exits 3" test "$(get failed_persist)" = 3
check "a failed start: the file holds the new content for the next boot" test "$(get failed_persist_new_rule)" = 1 -a "$(get failed_persist_block)" = 1
check "a failed start: the live snapshot with Docker's rules was not left in the file" test "$(get failed_persist_docker)" = 0
check "after the failure persist succeeds and starts ip6tables.service" test "$(get recovered_persist)" = 0 -a "$(get recovered_ip6tables_active)" = active
check "and Docker's IPv6 rule is still live" test "$(get recovered_docker6_rule_live)" = 1
check "a second live persist exits 0" test "$(get live_persist_again)" = 0
check "a second live persist changes nothing" test "$(get live_persist_again_unchanged)" = 1
if ldd "$ECS_HARDEN" | grep -q libasan; then
	# AddressSanitizer itself cannot start without /proc (it reads /proc/self/maps).
	diag "sanitizer build: the chroot-without-/proc cases are not run"
else
	check "persist in a chroot (no running systemd, no /proc) exits 0" test "$(get chroot_persist)" = 0 -a "$(get chroot_no_proc)" = yes
	check "persist in a chroot made the unit link in the file system" test "$(get chroot_link)" = yes
	check "persist in a chroot says that nothing was started" test "$(get chroot_said)" = yes
fi

# The opt-in fail-closed drop-in: ecs-harden.service cannot apply the block, so Docker stays down.
RESULTS="$W.fail-closed.results"
diag "fail-closed: nspawn boot to exit $(($(get nspawn_us) / 1000)) ms"
check "fail-closed: the container booted and ran the checks" grep -q '^done=yes' "$RESULTS"
check "fail-closed: ecs-harden.service failed (unusable configuration)" test "$(get harden_result)" != success
check "fail-closed: docker.service did not start" test "$(get docker_active)" != active -a "$(get docker_ran)" = 0
check "fail-closed: Docker added no rule" test "$(get docker_rule_live)" = 0

if [ "$TEST_FAILED" != 0 ] || [ -n "${VERBOSE_BOOT:-}" ]; then
	for m in main fail-closed; do
		sed "s/^/#   $m result: /" "$W.$m.results"
		sed "s/^/#   $m console: /" "$W.$m.console" | tail -n 40
	done
fi
finish
