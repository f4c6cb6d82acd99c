#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# persist against fake roots of every flavour. The live rules that al1/al2/debian save come from a
# network namespace of the test's own, where the block is applied first; nothing touches the
# host's firewall or its systemd.
# make check runs tests with $(SHELL), which need not be bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "$(dirname "$0")/persist-lib.sh"

require_root_netns
command -v iptables-legacy >/dev/null || skip_all "needs iptables-legacy to build Docker-like rules"
setup_common

NS="ecsh-$$-p"
NS_EMPTY="ecsh-$$-e"
netns_add "$NS"
netns_add "$NS_EMPTY"

in_ns() { ip netns exec "$NS" "$@"; }
eh() { ip netns exec "$NS" "$ECS_HARDEN" "$@"; }

# The live rules: the block, an operator's rule, and what dockerd would have added.
in_ns "$ECS_HARDEN" -q -b iptables apply || { not_ok "apply in the namespace"; finish; exit; }
in_ns iptables-legacy -A INPUT -s 203.0.113.0/24 -p tcp --dport 22 -j ACCEPT
in_ns iptables-legacy -N DOCKER
in_ns iptables-legacy -N DOCKER-USER
in_ns iptables-legacy -A DOCKER-USER -j RETURN
in_ns iptables-legacy -A FORWARD -j DOCKER-USER
in_ns iptables-legacy -A FORWARD -o docker0 -j DOCKER
in_ns iptables-legacy -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
in_ns iptables-legacy -t nat -N DOCKER
in_ns iptables-legacy -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE

BLOCK4='-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP'
BLOCK6='-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP'

link_is() { [ "$(readlink "$1")" = "$2" ]; }
mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }

# ---------------------------------------------------------------- al2
R="$TMPD/al2"
make_root_al2 "$R"
before=$(snapshot "$R")
check_exit 0 "al2: --dry-run exits 0" eh --root "$R" persist --dry-run
check "al2: --dry-run shows the diff of the new file" has_text "$TMPD/out" "+$BLOCK4"
check "al2: --dry-run names the links" has_text "$TMPD/out" "would create symlink $R/etc/systemd/system/basic.target.wants/iptables.service"
check "al2: --dry-run changes nothing" test "$before" = "$(snapshot "$R")"

check_exit 0 "al2: persist exits 0" eh --root "$R" persist
F="$R/etc/sysconfig/iptables"
check "al2: sysconfig/iptables holds the block" has_line "$F" "$BLOCK4"
check "al2: sysconfig/iptables keeps the operator's rule" has_line "$F" "-A INPUT -s 203.0.113.0/24 -p tcp -m tcp --dport 22 -j ACCEPT"
check "al2: sysconfig/iptables keeps DOCKER-USER" has_line "$F" "-A FORWARD -j DOCKER-USER"
check "al2: Docker's own chains and rules are left out" sh -c "! grep -q -e '-j DOCKER\$' -e ':DOCKER ' -e MASQUERADE -e '-i docker0 ! -o docker0' '$F'"
check "al2: sysconfig/iptables is mode 0600" mode_is "$F" 600
check "al2: sysconfig/ip6tables holds the IPv6 block" has_line "$R/etc/sysconfig/ip6tables" "$BLOCK6"
check "al2: iptables-restore accepts the saved file" ip netns exec "$NS_EMPTY" iptables-legacy-restore --test "$F"
check "al2: ip6tables-restore accepts the saved file" ip netns exec "$NS_EMPTY" ip6tables-legacy-restore --test "$R/etc/sysconfig/ip6tables"
W="$R/etc/systemd/system"
check "al2: iptables.service enabled (basic.target.wants link)" link_is "$W/basic.target.wants/iptables.service" /usr/lib/systemd/system/iptables.service
check "al2: ip6tables.service enabled" link_is "$W/basic.target.wants/ip6tables.service" /usr/lib/systemd/system/ip6tables.service
check "al2: ecs-harden.service enabled" link_is "$W/multi-user.target.wants/ecs-harden.service" /usr/lib/systemd/system/ecs-harden.service
check "al2: the repair timer enabled" link_is "$W/timers.target.wants/ecs-harden-repair.timer" /usr/lib/systemd/system/ecs-harden-repair.timer
check "al2: ecs-harden.conf written" has_line "$R/etc/ecs-harden.conf" "INTERFACES=docker+"
check "al2: ecs-harden.conf records IPv6 and the backend" sh -c "grep -qx IPV6=yes '$R/etc/ecs-harden.conf' && grep -qx BACKEND=iptables '$R/etc/ecs-harden.conf'"
check "al2: no backup of files that did not exist" sh -c "! ls '$R'/etc/sysconfig/*.ecs-harden.bak 2>/dev/null"
if command -v systemctl >/dev/null; then
	S="$TMPD/al2-systemctl"
	make_root_al2 "$S"
	systemctl --root="$S" enable iptables.service ip6tables.service ecs-harden.service >/dev/null 2>&1
	check "al2: the links equal those of systemctl --root enable" test \
		"$(cd "$S/etc/systemd/system" && find . -type l -printf '%p %l\n' | sort)" = \
		"$(cd "$W" && find . -type l -printf '%p %l\n' | sort)"
fi

before=$(snapshot "$R")
check_exit 0 "al2: a second persist exits 0" eh --root "$R" persist
check "al2: a second persist changes nothing (no backup of identical content)" test "$before" = "$(snapshot "$R")"
check "al2: and says so" has_text "$TMPD/out" "unchanged: $F"

cp "$F" "$TMPD/al2-previous"
in_ns iptables-legacy -A INPUT -s 198.51.100.0/24 -j ACCEPT
check_exit 0 "al2: persist after a rule change" eh --root "$R" persist
check "al2: the new rule is saved" has_text "$F" "198.51.100.0/24"
check "al2: the previous file is kept as .ecs-harden.bak" cmp -s "$F.ecs-harden.bak" "$TMPD/al2-previous"
check "al2: the backup keeps mode 0600" mode_is "$F.ecs-harden.bak" 600
check "al2: no temporary files left" sh -c "! ls -A '$R/etc/sysconfig' | grep -q '^\.'"
in_ns iptables-legacy -D INPUT -s 198.51.100.0/24 -j ACCEPT

# --dry-run on a changed rule set: a diff, no change.
in_ns iptables-legacy -A INPUT -s 192.0.2.0/24 -j ACCEPT
before=$(snapshot "$R")
check_exit 0 "al2: --dry-run after a change exits 0" eh --root "$R" -n persist
check "al2: the diff adds the new rule" has_text "$TMPD/out" "+-A INPUT -s 192.0.2.0/24 -j ACCEPT"
check "al2: the diff removes the old rule" has_text "$TMPD/out" "--A INPUT -s 198.51.100.0/24 -j ACCEPT"
check "al2: --dry-run after a change changes nothing" test "$before" = "$(snapshot "$R")"
in_ns iptables-legacy -D INPUT -s 192.0.2.0/24 -j ACCEPT

# ---------------------------------------------------------------- refusals (al2)
R="$TMPD/al2-noservices"
make_root_al2 "$R"
rm "$R/usr/lib/systemd/system/iptables.service"
before=$(snapshot "$R")
check_exit 3 "al2 without iptables.service: exit 3" eh --root "$R" persist
check "al2 without iptables.service: says to install iptables-services" has_text "$TMPD/err" "iptables-services"
check "al2 without iptables.service: nothing written" test "$before" = "$(snapshot "$R")"

R="$TMPD/al2-nounit"
make_root_al2 "$R"
rm "$R/usr/lib/systemd/system/ecs-harden.service"
before=$(snapshot "$R")
check_exit 3 "without ecs-harden.service: exit 3" eh --root "$R" persist
check "without ecs-harden.service: says so" has_text "$TMPD/err" "ecs-harden.service is not installed"
check "without ecs-harden.service: nothing written" test "$before" = "$(snapshot "$R")"

R="$TMPD/al2-noblock"
make_root_al2 "$R"
before=$(snapshot "$R")
check_exit 1 "al2 without the block in the live rules: exit 1" ip netns exec "$NS_EMPTY" "$ECS_HARDEN" --root "$R" persist
check "al2 without the block: says to apply first" has_text "$TMPD/err" "ecs-harden apply"
check "al2 without the block: nothing written" test "$before" = "$(snapshot "$R")"

R="$TMPD/al2-link"
make_root_al2 "$R"
mkdir -p "$R/victim"
echo precious >"$R/victim/file"
ln -s "$R/victim/file" "$R/etc/sysconfig/iptables"
before=$(snapshot "$R")
check_exit 3 "symbolic link as the target: exit 3" eh --root "$R" persist
check "symbolic link as the target: refused by name" has_text "$TMPD/err" "symbolic link"
check "symbolic link as the target: the link's target is untouched" test "$before" = "$(snapshot "$R")"
check_exit 3 "symbolic link as the target: --dry-run refuses too" eh --root "$R" persist --dry-run

R="$TMPD/al2-dirlink"
make_root_al2 "$R"
mkdir -p "$R/victim"
rmdir "$R/etc/sysconfig"
ln -s "$R/victim" "$R/etc/sysconfig"
before=$(snapshot "$R")
check_exit 3 "symbolic link as the folder: exit 3" eh --root "$R" persist
check "symbolic link as the folder: nothing written anywhere" test "$before" = "$(snapshot "$R")"

R="$TMPD/al2-baklink"
make_root_al2 "$R"
echo old >"$R/etc/sysconfig/iptables"
mkdir -p "$R/victim"
echo precious >"$R/victim/file"
ln -s "$R/victim/file" "$R/etc/sysconfig/iptables.ecs-harden.bak"
before=$(snapshot "$R")
check_exit 3 "symbolic link as the backup: exit 3" eh --root "$R" persist
check "symbolic link as the backup: nothing written" test "$before" = "$(snapshot "$R")"

R="$TMPD/al2-wantslink"
make_root_al2 "$R"
mkdir -p "$R/victim" "$R/etc/systemd/system"
ln -s "$R/victim" "$R/etc/systemd/system/multi-user.target.wants"
before=$(snapshot "$R")
check_exit 3 "symbolic link as a .wants folder: exit 3" eh --root "$R" persist
check "symbolic link as a .wants folder: nothing written" test "$before" = "$(snapshot "$R")"

R="$TMPD/al2-masked"
make_root_al2 "$R"
mkdir -p "$R/etc/systemd/system"
ln -s /dev/null "$R/etc/systemd/system/iptables.service"
check_exit 3 "masked iptables.service: exit 3" eh --root "$R" persist
check "masked iptables.service: says masked" has_text "$TMPD/err" "masked"

# ---------------------------------------------------------------- configuration round trip
R="$TMPD/al2-conf"
make_root_al2 "$R"
eh -q -b iptables -i docker+ -i br-+ --no-ipv6 apply
check_exit 0 "round trip: persist -i docker+ -i br-+ --no-ipv6" eh --root "$R" -i docker+ -i br-+ --no-ipv6 persist
check "round trip: INTERFACES holds both patterns" has_line "$R/etc/ecs-harden.conf" "INTERFACES=docker+ br-+"
check "round trip: IPV6=no" has_line "$R/etc/ecs-harden.conf" "IPV6=no"
check "round trip: no ip6tables file with --no-ipv6" test ! -e "$R/etc/sysconfig/ip6tables"
check "round trip: no ip6tables.service link with --no-ipv6" test ! -e "$R/etc/systemd/system/basic.target.wants/ip6tables.service"
check_exit 0 "round trip: 'rules' reads the file back" "$ECS_HARDEN" --root "$R" rules --format iptables
check "round trip: rules show br-+" has_text "$TMPD/out" "-i br-+"
check "round trip: rules show no IPv6" sh -c "! grep -q fd00 '$TMPD/out'"
check_exit 0 "round trip: verify with the file's options passes" eh --root "$R" verify
eh -q -b iptables -i br-+ --no-ipv6 remove
check_exit 1 "round trip: verify notices br-+ is gone (it reads INTERFACES)" eh --root "$R" verify
check_exit 0 "round trip: verify --fix re-applies what the file says" eh --root "$R" verify --fix
check "round trip: br-+ is back in the live rules" sh -c "ip netns exec '$NS' iptables-legacy-save | grep -qxF -- '-A FORWARD -d 169.254.169.254/32 -i br-+ -j DROP'"
check_exit 0 "round trip: command-line options still override the file" eh --root "$R" -i docker+ verify
check "round trip: the override checks docker+ only" sh -c "! grep -q 'br-+' '$TMPD/out'"
echo "BOGUS=1" >>"$R/etc/ecs-harden.conf"
check_exit 0 "round trip: an unknown key is reported, not fatal" "$ECS_HARDEN" --root "$R" rules
check "round trip: the unknown key is named" has_text "$TMPD/err" "BOGUS"
eh -q -b iptables -i br-+ --no-ipv6 remove

# ---------------------------------------------------------------- al1
R="$TMPD/al1"
make_root_al1 "$R"
before=$(snapshot "$R")
check_exit 0 "al1: --dry-run exits 0" eh --root "$R" persist --dry-run
check "al1: --dry-run changes nothing" test "$before" = "$(snapshot "$R")"
check_exit 0 "al1: persist exits 0" eh --root "$R" persist
check "al1: sysconfig/iptables holds the block" has_line "$R/etc/sysconfig/iptables" "$BLOCK4"
check "al1: sysconfig/ip6tables holds the block" has_line "$R/etc/sysconfig/ip6tables" "$BLOCK6"
for s in iptables ip6tables; do
	for l in 2 3 4 5; do
		check "al1: $s starts in runlevel $l (S08)" link_is "$R/etc/rc.d/rc$l.d/S08$s" "../init.d/$s"
		check "al1: $s has no K link in runlevel $l" test ! -e "$R/etc/rc.d/rc$l.d/K92$s" -a ! -L "$R/etc/rc.d/rc$l.d/K92$s"
	done
	for l in 0 1 6; do
		check "al1: $s stops in runlevel $l (K92)" link_is "$R/etc/rc.d/rc$l.d/K92$s" "../init.d/$s"
	done
done
check "al1: no systemd links on an upstart/SysV AMI" test ! -e "$R/etc/systemd"
check "al1: ecs-harden.conf written" has_line "$R/etc/ecs-harden.conf" "INTERFACES=docker+"
before=$(snapshot "$R")
check_exit 0 "al1: a second persist exits 0" eh --root "$R" persist
check "al1: a second persist changes nothing" test "$before" = "$(snapshot "$R")"

R="$TMPD/al1-noscript"
make_root_al1 "$R"
rm "$R/etc/rc.d/init.d/iptables"
before=$(snapshot "$R")
check_exit 3 "al1 without the iptables init script: exit 3" eh --root "$R" persist
check "al1 without the init script: nothing written" test "$before" = "$(snapshot "$R")"

# ---------------------------------------------------------------- al2023
R="$TMPD/al2023"
make_root_al2023 "$R"
before=$(snapshot "$R")
check_exit 0 "al2023: --dry-run exits 0" eh --root "$R" -b nftables persist --dry-run
check "al2023: --dry-run changes nothing" test "$before" = "$(snapshot "$R")"
check_exit 0 "al2023: persist exits 0" eh --root "$R" -b nftables persist
check "al2023: says the boot unit carries the block" has_text "$TMPD/out" "ecs-harden.service re-applies the block"
check "al2023: ecs-harden.service enabled" link_is "$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service" /usr/lib/systemd/system/ecs-harden.service
check "al2023: no sysconfig files" test ! -e "$R/etc/sysconfig"
check "al2023: ecs-harden.conf records BACKEND=nftables" has_line "$R/etc/ecs-harden.conf" "BACKEND=nftables"
check_exit 0 "al2023: detected without --flavour even on an iptables backend" eh --root "$R" -b iptables persist --dry-run
check "al2023: the iptables backend changes nothing but the conf" sh -c "grep -q 'would write $R/etc/ecs-harden.conf' '$TMPD/out' && ! grep -q sysconfig '$TMPD/out'"
R="$TMPD/al2023-nounit"
make_root_al2023 "$R"
rm "$R/usr/lib/systemd/system/ecs-harden.service"
check_exit 3 "al2023 without ecs-harden.service: exit 3" eh --root "$R" -b nftables persist

# ---------------------------------------------------------------- debian
R="$TMPD/debian"
make_root_debian "$R"
before=$(snapshot "$R")
check_exit 0 "debian: --dry-run exits 0" eh --root "$R" -b iptables persist -n
check "debian: --dry-run changes nothing" test "$before" = "$(snapshot "$R")"
check_exit 0 "debian: persist exits 0" eh --root "$R" -b iptables persist
check "debian: rules.v4 holds the block" has_line "$R/etc/iptables/rules.v4" "$BLOCK4"
check "debian: rules.v6 holds the block" has_line "$R/etc/iptables/rules.v6" "$BLOCK6"
check "debian: rules.v4 is mode 0640" mode_is "$R/etc/iptables/rules.v4" 640
check "debian: ecs-harden.service enabled" link_is "$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service" /usr/lib/systemd/system/ecs-harden.service
R="$TMPD/debian-nft"
make_root_debian "$R"
check_exit 0 "debian with nftables: persist exits 0" eh --root "$R" -b nftables persist
check "debian with nftables: no rules.v4" test ! -e "$R/etc/iptables"
check "debian with nftables: ecs-harden.service enabled" test -L "$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service"

# ---------------------------------------------------------------- none, garbage, override
R="$TMPD/none"
make_root_none "$R"
check_exit 0 "none: persist exits 0" eh --root "$R" -b iptables persist
check "none: boot unit only" sh -c "test -L '$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service' && test ! -e '$R/etc/sysconfig' && test ! -e '$R/etc/iptables'"
R="$TMPD/garbage"
make_root_none "$R"
printf '\001\002 not an os-release\n{"json": true}\n' >"$R/etc/os-release"
check_exit 0 "garbage os-release: persist exits 0 as flavour none" eh --root "$R" -b iptables persist
check "garbage os-release: warns" has_text "$TMPD/err" "warning:"
check "garbage os-release: boot unit only" test -L "$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service"
R="$TMPD/override"
make_root_none "$R"
vendor_unit "$R" iptables.service basic.target
vendor_unit "$R" ip6tables.service basic.target
check_exit 0 "--flavour al2 overrides os-release" eh --root "$R" -b iptables --flavour al2 persist
check "--flavour al2: sysconfig written" has_line "$R/etc/sysconfig/iptables" "$BLOCK4"
check_exit 2 "--flavour with an unknown name: exit 2" eh --root "$R" --flavour al3 persist
check_exit 2 "--root that is not a folder: exit 2" eh --root "$R/etc/os-release" persist
check_exit 2 "--root that does not exist: exit 2" eh --root "$R/missing" persist

# ---------------------------------------------------------------- privilege
if command -v setpriv >/dev/null; then
	R="$TMPD/unpriv"
	make_root_none "$R"
	check_exit 3 "persist as an unprivileged user: exit 3" setpriv --reuid=65534 --regid=65534 --clear-groups "$ECS_HARDEN" --root "$R" persist
fi

finish
