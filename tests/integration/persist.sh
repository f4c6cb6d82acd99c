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
# Rules for Docker's bridge in chains that are not Docker's: the operator's, to be kept.
in_ns iptables-legacy -A INPUT -i docker0 -p udp --dport 53 -j ACCEPT
in_ns iptables-legacy -N DOCKER
in_ns iptables-legacy -N DOCKER-USER
in_ns iptables-legacy -A DOCKER-USER -i docker0 -o eth0 -j ACCEPT
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

# ---------------------------------------------------------------- al2 (--root: an image, not this host)
R="$TMPD/al2"
make_root_al2 "$R"
before=$(snapshot "$R")
check_exit 0 "al2: --dry-run exits 0" eh --root "$R" persist --dry-run
check "al2: --dry-run shows the diff of the new file" has_text "$TMPD/out" "+$BLOCK4"
check "al2: --dry-run names the links" has_text "$TMPD/out" "would create symlink $R/etc/systemd/system/basic.target.wants/iptables.service"
check "al2: --dry-run changes nothing" test "$before" = "$(snapshot "$R")"

check_exit 0 "al2: persist exits 0" eh --root "$R" persist
check "al2: no modules-load.d file (iptables.service loads the modules)" test ! -e "$R/etc/modules-load.d"
F="$R/etc/sysconfig/iptables"
check "al2: sysconfig/iptables holds the block" has_line "$F" "$BLOCK4"
# The namespace's live rules (an operator's INPUT rule, DOCKER-USER, Docker's chains) belong to
# the machine that builds the image, not to the image.
check "al2: --root does not save the build host's live rules" sh -c "! grep -q -e 203.0.113.0 -e DOCKER -e MASQUERADE -e '\*nat' '$F'"
printf '%s\n' "# Written by 'ecs-harden persist --root' for an image: the metadata block" '*filter' \
	':INPUT ACCEPT [0:0]' ':FORWARD ACCEPT [0:0]' ':OUTPUT ACCEPT [0:0]' "$BLOCK4" COMMIT >"$TMPD/al2-expected"
check "al2: a missing file becomes a *filter table holding the block" cmp -s "$F" "$TMPD/al2-expected"
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

in_ns iptables-legacy -A INPUT -s 198.51.100.0/24 -j ACCEPT
check_exit 0 "al2: persist after a live rule change" eh --root "$R" persist
check "al2: a change of the build host's rules does not reach the image" test "$before" = "$(snapshot "$R")"
in_ns iptables-legacy -D INPUT -s 198.51.100.0/24 -j ACCEPT

# The image's own file: its rules stay byte for byte, the block goes to the head of FORWARD.
cat >"$F" <<'SAVED'
# the image builder's rules
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127.0.0.1:51679
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER-USER - [0:0]
-A INPUT -s 198.51.100.0/24 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -i eth1 -o eth0 -j ACCEPT
-A DOCKER-USER -j RETURN
COMMIT
SAVED
cp "$F" "$TMPD/al2-previous"
sed "s|^-A FORWARD -j DOCKER-USER\$|$BLOCK4\n&|" "$F" >"$TMPD/al2-expected"
before=$(snapshot "$R")
check_exit 0 "al2: --dry-run on the image's own file exits 0" eh --root "$R" -n persist
check "al2: the diff adds the block" has_text "$TMPD/out" "+$BLOCK4"
check "al2: the diff removes nothing" sh -c "! grep -q '^-[^-]' '$TMPD/out'"
check "al2: --dry-run on the image's own file changes nothing" test "$before" = "$(snapshot "$R")"
check_exit 0 "al2: persist on the image's own file" eh --root "$R" persist
check "al2: the block is added at the head of FORWARD, every other line kept" cmp -s "$F" "$TMPD/al2-expected"
check "al2: it says the block was added" has_text "$TMPD/out" "the block added to what the image had"
check "al2: the previous file is kept as .ecs-harden.bak" cmp -s "$F.ecs-harden.bak" "$TMPD/al2-previous"
check "al2: iptables-restore accepts the merged file" ip netns exec "$NS_EMPTY" iptables-legacy-restore --test "$F"
check "al2: no temporary files left" sh -c "! ls -A '$R/etc/sysconfig' | grep -q '^\.'"
before=$(snapshot "$R")
check_exit 0 "al2: persist again on the merged file" eh --root "$R" persist
check "al2: adding the block is idempotent" test "$before" = "$(snapshot "$R")"

# A file without a *filter table gets one; a broken file is refused, not rewritten.
printf '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n' >"$F"
check_exit 0 "al2: persist on a file without *filter" eh --root "$R" persist
check "al2: a *filter table with the block is appended" test "$(tail -n 6 "$F")" = "$(printf '%s\n' '*filter' \
	':INPUT ACCEPT [0:0]' ':FORWARD ACCEPT [0:0]' ':OUTPUT ACCEPT [0:0]' "$BLOCK4" COMMIT)"
check "al2: the *nat table stays first" test "$(head -n 1 "$F")" = "*nat"
printf '*filter\n-A FORWARD -j ACCEPT\n' >"$F"
before=$(snapshot "$R")
check_exit 2 "al2: a saved file without COMMIT: exit 2" eh --root "$R" persist
check "al2: it names the file" has_text "$TMPD/err" "$F is not an iptables-save file"
check "al2: a broken file is left as it was" test "$before" = "$(snapshot "$R")"
# Issue 11, item 6: what iptables-restore --test rejects is refused, naming the line, untouched.
bad_file() {
	local what=$1 line=$2
	before=$(snapshot "$R")
	check_exit 2 "al2: $what: persist exits 2" eh --root "$R" persist
	check "al2: $what: the message names the file and line $line" has_text "$TMPD/err" "(line $line:"
	check "al2: $what: the file is left as it was" test "$before" = "$(snapshot "$R")"
}
printf '*filter\r\n:FORWARD ACCEPT [0:0]\r\nCOMMIT\r\n' >"$F"
bad_file "CRLF line ends" 1
printf '*filter\n:FORWARD ACCEPT [0:0]\nthis is not a rule\nCOMMIT\n' >"$F"
bad_file "a line of text" 3
printf '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACC\001\377EPT\nCOMMIT\n' >"$F"
bad_file "binary bytes" 3
printf '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n' >"$F"
check "iptables-restore --test agrees the last one is loadable" ip netns exec "$NS" iptables-legacy-restore --test "$F"

# Issue 11, item 6: persistence judges the saved file as the kernel would load it.
persistence_of() {
	eh --root "$R" --flavour al2 -b iptables status --json 2>/dev/null | python3 -c '
import json, sys
c = {x["id"]: x for x in json.load(sys.stdin)["checks"]}["persistence"]
print(c["status"], " | ".join(c["details"]))' >"$TMPD/persistence"
}
printf '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j ACCEPT\n%s\nCOMMIT\n' "$BLOCK4" >"$F"
persistence_of
check "al2: an ACCEPT ahead of the block in the saved file: persistence FAILs, naming it" \
	grep -q "^FAIL .*'-A FORWARD -j ACCEPT' stands ahead" "$TMPD/persistence"
printf '*filter\n:FORWARD ACCEPT [0:0]\n%s\n-F FORWARD\nCOMMIT\n' "$BLOCK4" >"$F"
persistence_of
check "al2: a flush after the block in the saved file: persistence FAILs" \
	grep -q '^FAIL .*no rule for -i docker+ (absent, deleted or flushed' "$TMPD/persistence"
printf '*filter\n:FORWARD ACCEPT [0:0]\n%s\n-A FORWARD -j ACCEPT\nCOMMIT\n' "$BLOCK4" >"$F"
persistence_of
check "al2: an ACCEPT after the block: the file holds the block" \
	grep -q 'sysconfig/iptables holds the block' "$TMPD/persistence"
printf '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -o docker0 -j ACCEPT\n%s\nCOMMIT\n' "$BLOCK4" >"$F"
persistence_of
check "al2: an ACCEPT into a container bridge ahead cannot see the packet: the file holds the block" \
	grep -q 'sysconfig/iptables holds the block' "$TMPD/persistence"
printf '*filter\r\n:FORWARD ACCEPT [0:0]\r\n%s\r\nCOMMIT\r\n' "$BLOCK4" >"$F"
persistence_of
check "al2: a CRLF file: persistence says iptables-restore would refuse it" \
	grep -q 'iptables-restore would refuse it: line 1' "$TMPD/persistence"
rm "$F"

# ---------------------------------------------------------------- the backend of an image
# In a fresh namespace nothing uses legacy x_tables, so `auto` would pick nftables here (this
# host's iptables is the nf_tables variant): the image's flavour decides instead.
NS_FRESH="ecsh-$$-f"
netns_add "$NS_FRESH"
R="$TMPD/al2-fresh"
make_root_al2 "$R"
check_exit 0 "image backend: al2 persists in a namespace without the block" ip netns exec "$NS_FRESH" "$ECS_HARDEN" --root "$R" persist
check "image backend: al2 is iptables whatever the build host uses" has_line "$R/etc/ecs-harden.conf" "BACKEND=iptables"
check "image backend: al2 gets its sysconfig file" has_line "$R/etc/sysconfig/iptables" "$BLOCK4"
R="$TMPD/al2023-legacyhost"
make_root_al2023 "$R"
check_exit 0 "image backend: al2023 persists where the build host uses legacy iptables" eh --root "$R" persist
check "image backend: al2023 is nftables" has_line "$R/etc/ecs-harden.conf" "BACKEND=nftables"
R="$TMPD/al2-confbackend"
make_root_al2 "$R"
printf 'BACKEND=nftables\n' >"$R/etc/ecs-harden.conf"
check_exit 0 "image backend: BACKEND= in the image's ecs-harden.conf" eh --root "$R" persist
check "image backend: BACKEND=nftables is kept" has_line "$R/etc/ecs-harden.conf" "BACKEND=nftables"
check "image backend: so the boot unit carries the block, no sysconfig file" test ! -e "$R/etc/sysconfig/iptables"
R="$TMPD/none-auto"
make_root_none "$R"
check_exit 0 "image backend: flavour none" eh --root "$R" persist
check "image backend: flavour none leaves BACKEND=auto to the boot unit" has_line "$R/etc/ecs-harden.conf" "BACKEND=auto"

# ---------------------------------------------------------------- live (root "/")
# persist on "/" saves the live rules of the namespace. It runs in a private mount namespace
# where /etc is an overlay whose upper layer is the test's (on a tmpfs, copied back after each
# run): every write lands there, none in this host's /etc. No systemd runs here, so the links
# are made in the file system, as in a chroot.
LIVE="$TMPD/live"
mkdir -p "$LIVE/state/etc/sysconfig" "$LIVE/state/etc/systemd/system" "$LIVE/mnt"
touch "$LIVE/state/etc/.ecsh-overlay"
make_root_al2 "$TMPD/live-src"
cp "$TMPD/live-src/etc/os-release" "$LIVE/state/etc/"
cp "$TMPD/live-src/usr/lib/systemd/system/"* "$LIVE/state/etc/systemd/system/"
live_eh() { # live_eh NS ARGS...: ecs-harden ARGS on "/" inside NS, /etc overlaid
	local ns=$1
	shift
	ip netns exec "$ns" unshare -m --propagation private bash -c '
		L=$1; shift
		mount -t tmpfs tmpfs "$L/mnt" || exit 90
		mkdir -p "$L/mnt/upper" "$L/mnt/work" && cp -a --no-preserve=xattr "$L/state/." "$L/mnt/upper/" || exit 90
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$L/mnt/upper/etc,workdir=$L/mnt/work" /etc || exit 90
		[ -e /etc/.ecsh-overlay ] || exit 90
		"$@"
		rc=$?
		rm -rf "$L/state.new" && cp -a --no-preserve=xattr "$L/mnt/upper" "$L/state.new" &&
			rm -rf "$L/state" && mv "$L/state.new" "$L/state" || exit 91
		exit $rc' _ "$LIVE" "$ECS_HARDEN" "$@"
}
live_eh "$NS" -q --version >/dev/null 2>&1
rc=$?
if [ "$rc" != 0 ]; then
	diag "cannot lay an overlay over /etc in a mount namespace here (exit $rc): live checks skipped"
else
	F="$LIVE/state/etc/sysconfig/iptables"
	before=$(snapshot "$LIVE/state")
	check_exit 0 "live al2: --dry-run exits 0" live_eh "$NS" -b iptables persist --dry-run
	check "live al2: --dry-run shows the operator's rule" has_text "$TMPD/out" "+-A INPUT -s 203.0.113.0/24 -p tcp -m tcp --dport 22 -j ACCEPT"
	check "live al2: --dry-run changes nothing" test "$before" = "$(snapshot "$LIVE/state")"
	check_exit 0 "live al2: persist exits 0" live_eh "$NS" -b iptables persist
	check "live al2: says the links were made in the file system" has_text "$TMPD/out" "systemd is not running here"
	check "live al2: sysconfig/iptables holds the block" has_line "$F" "$BLOCK4"
	check "live al2: it says where the rules came from" has_line "$F" "# Saved by 'ecs-harden persist' from iptables-legacy-save output; the chains and rules that dockerd re-creates when it starts are left out"
	check "live al2: keeps the operator's rule" has_line "$F" "-A INPUT -s 203.0.113.0/24 -p tcp -m tcp --dport 22 -j ACCEPT"
	check "live al2: keeps DOCKER-USER" has_line "$F" "-A FORWARD -j DOCKER-USER"
	check "live al2: Docker's own chains and rules are left out" sh -c "! grep -q -e '-j DOCKER\$' -e ':DOCKER ' -e '172.17.0.0/16' -e '-i docker0 ! -o docker0' '$F'"
	check "live al2: a bridge rule of the operator's in INPUT stays" has_line "$F" "-A INPUT -i docker0 -p udp -m udp --dport 53 -j ACCEPT"
	check "live al2: a bridge rule of the operator's in DOCKER-USER stays" has_line "$F" "-A DOCKER-USER -i docker0 -o eth0 -j ACCEPT"
	check "live al2: sysconfig/iptables is mode 0600" mode_is "$F" 600
	check "live al2: sysconfig/ip6tables holds the IPv6 block" has_line "$LIVE/state/etc/sysconfig/ip6tables" "$BLOCK6"
	check "live al2: iptables-restore accepts the saved file" ip netns exec "$NS_EMPTY" iptables-legacy-restore --test "$F"
	check "live al2: iptables.service enabled in the file system" link_is "$LIVE/state/etc/systemd/system/basic.target.wants/iptables.service" /etc/systemd/system/iptables.service
	check "live al2: ecs-harden.conf written" has_line "$LIVE/state/etc/ecs-harden.conf" "BACKEND=iptables"

	before=$(snapshot "$LIVE/state")
	check_exit 0 "live al2: a second persist exits 0" live_eh "$NS" -b iptables persist
	check "live al2: a second persist changes nothing" test "$before" = "$(snapshot "$LIVE/state")"

	cp "$F" "$TMPD/live-previous"
	in_ns iptables-legacy -A INPUT -s 198.51.100.0/24 -j ACCEPT
	check_exit 0 "live al2: persist after a rule change" live_eh "$NS" -b iptables persist
	check "live al2: the new rule is saved" has_text "$F" "198.51.100.0/24"
	check "live al2: the previous file is kept as .ecs-harden.bak" cmp -s "$F.ecs-harden.bak" "$TMPD/live-previous"
	check "live al2: the backup keeps mode 0600" mode_is "$F.ecs-harden.bak" 600
	check "live al2: no temporary files left" sh -c "! ls -A '$LIVE/state/etc/sysconfig' | grep -q '^\.'"
	in_ns iptables-legacy -D INPUT -s 198.51.100.0/24 -j ACCEPT

	in_ns iptables-legacy -A INPUT -s 192.0.2.0/24 -j ACCEPT
	before=$(snapshot "$LIVE/state")
	check_exit 0 "live al2: --dry-run after a change exits 0" live_eh "$NS" -b iptables -n persist
	check "live al2: the diff adds the new rule" has_text "$TMPD/out" "+-A INPUT -s 192.0.2.0/24 -j ACCEPT"
	check "live al2: the diff removes the old rule" has_text "$TMPD/out" "--A INPUT -s 198.51.100.0/24 -j ACCEPT"
	check "live al2: --dry-run after a change changes nothing" test "$before" = "$(snapshot "$LIVE/state")"
	in_ns iptables-legacy -D INPUT -s 192.0.2.0/24 -j ACCEPT

	before=$(snapshot "$LIVE/state")
	check_exit 1 "live al2 without the block in the live rules: exit 1" live_eh "$NS_EMPTY" -b iptables persist
	check "live al2 without the block: says to apply first" has_text "$TMPD/err" "ecs-harden apply"
	check "live al2 without the block: nothing written" test "$before" = "$(snapshot "$LIVE/state")"
fi

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
check "round trip: the override configures docker+ only; the installed br-+ is reported, kept" sh -c "grep -q 'br-+.*installed, not configured' '$TMPD/out'"
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
# The boot unit's libiptc loads no module: systemd-modules-load does, early in the boot.
check "debian: modules-load.d loads ip_tables and ip6_tables" \
	test "$(grep -v '^#' "$R/etc/modules-load.d/ecs-harden.conf" | tr '\n' ' ')" = "ip_tables ip6_tables "
check "debian: the modules-load.d file is 0644" mode_is "$R/etc/modules-load.d/ecs-harden.conf" 644
R="$TMPD/debian-nft"
make_root_debian "$R"
check_exit 0 "debian with nftables: persist exits 0" eh --root "$R" -b nftables persist
check "debian with nftables: no rules.v4" test ! -e "$R/etc/iptables"
check "debian with nftables: no legacy iptables module loaded at boot" test ! -e "$R/etc/modules-load.d"
check "debian with nftables: ecs-harden.service enabled" test -L "$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service"

# ---------------------------------------------------------------- none, garbage, override
R="$TMPD/none"
make_root_none "$R"
check_exit 0 "none: persist exits 0" eh --root "$R" -b iptables persist
check "none: boot unit only" sh -c "test -L '$R/etc/systemd/system/multi-user.target.wants/ecs-harden.service' && test ! -e '$R/etc/sysconfig' && test ! -e '$R/etc/iptables'"
check "none with iptables: modules-load.d loads ip_tables and ip6_tables" \
	test "$(grep -v '^#' "$R/etc/modules-load.d/ecs-harden.conf" | tr '\n' ' ')" = "ip_tables ip6_tables "
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
