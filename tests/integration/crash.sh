#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety of persist: faults injected with strace into every file-writing system call (and
# into the iptables-save children of a live persist), one occurrence at a time, and kill -9 at
# random moments. After each: every file persist writes is either its old or its new content,
# byte for byte; a backup, where there is one, is the whole old file; no temporary file is left;
# a failure exits 3 and nothing on stdout claims a write that did not happen.
# make check runs tests with $(SHELL), which need not be bash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "$(dirname "$0")/persist-lib.sh"

require_root_netns
command -v strace >/dev/null || skip_all "needs strace"
command -v iptables-legacy >/dev/null || skip_all "needs iptables-legacy"
setup_common
# Under `make check VALGRIND=1` the wrapper would be traced instead of the tool.
EH=${ECS_HARDEN_REAL:-$ECS_HARDEN}
# Everything here runs under strace, where LeakSanitizer cannot work (ASan builds).
export ASAN_OPTIONS="$ASAN_NO_LEAKS"
KILLS=${CRASH_KILLS:-50}

NS="ecsh-$$-k"
netns_add "$NS"
ip netns exec "$NS" "$EH" -q -b iptables apply || { not_ok "apply in the namespace"; finish; exit; }
ip netns exec "$NS" iptables-legacy -A INPUT -s 203.0.113.0/24 -p tcp --dport 22 -j ACCEPT

N_INJECT=0
N_FIRED=0

# ---- what a scenario is: a pristine tree, how to run persist on it, and the files it writes ----
# SC_DIR       the tree the checks look at (a --root image, or the upper layer of /etc overlaid)
# SC_PRISTINE  its state before persist; SC_NEW: after a clean persist
# SC_SHOWN     the prefix persist puts before paths relative to SC_DIR in what it prints
# sc_run CMD…  runs CMD… (strace … ecs-harden …) as the scenario needs; the tool's args follow
SC_FILES=""
SC_DIRS=""

sha() { if [ -e "$1" ]; then sha256sum <"$1" | cut -d' ' -f1; else echo absent; fi; }
reset_tree() { rm -rf "$SC_DIR" && cp -a "$SC_PRISTINE" "$SC_DIR"; }

# Temporary files of atomic-file: .NAME.XXXXXX (also .NAME.ecs-harden.bak.XXXXXX).
temps_in() {
	local d
	for d in $SC_DIRS; do
		[ -d "$SC_DIR/$d" ] || continue
		find "$SC_DIR/$d" -maxdepth 1 -name '.*' ! -name .ecsh-overlay -printf "$d/%f\n"
	done
}

# check_tree RC OUT ERR FIRED: the invariants, one failure message per broken one (empty: all hold).
check_tree() {
	local rc=$1 out=$2 err=$3 fired=$4 f s bad="" newnoclaim=0 l
	for f in $SC_FILES; do
		s=$(sha "$SC_DIR/$f")
		if [ "$s" != "$(sha "$SC_PRISTINE/$f")" ] && [ "$s" != "$(sha "$SC_NEW/$f")" ]; then
			bad="$bad; $f is neither the old nor the new file"
		fi
		if [ -e "$SC_DIR/$f.ecs-harden.bak" ] && [ "$(sha "$SC_DIR/$f.ecs-harden.bak")" != "$(sha "$SC_PRISTINE/$f")" ]; then
			bad="$bad; $f.ecs-harden.bak is not the whole old file"
		fi
		if grep -q "^wrote $SC_SHOWN/$f\b" "$out"; then
			[ "$s" = "$(sha "$SC_NEW/$f")" ] || bad="$bad; stdout claims $f was written"
		elif [ "$s" != "$(sha "$SC_PRISTINE/$f")" ]; then
			newnoclaim=$((newnoclaim + 1))
		fi
	done
	# Links: absent or right; a claimed one is there.
	while read -r l; do
		[ -n "$l" ] || continue
		if [ -L "$SC_DIR/$l" ] && [ "$(readlink "$SC_DIR/$l")" != "$(readlink "$SC_NEW/$l")" ]; then
			bad="$bad; link $l points elsewhere"
		fi
		if grep -q "^created symlink $SC_SHOWN/$l " "$out" && [ ! -L "$SC_DIR/$l" ]; then
			bad="$bad; stdout claims link $l"
		fi
	done < <(cd "$SC_NEW" && find etc -type l)
	[ -z "$(temps_in)" ] || bad="$bad; temporary files left: $(temps_in | tr '\n' ' ')"
	if [ "$fired" = 0 ]; then
		[ "$rc" = 0 ] || bad="$bad; exit $rc without a fault"
		for f in $SC_FILES; do
			[ "$(sha "$SC_DIR/$f")" = "$(sha "$SC_NEW/$f")" ] || bad="$bad; $f not written without a fault"
		done
	elif [ "$rc" = 0 ]; then
		bad="$bad; exit 0 although a system call failed"
	else
		[ "$rc" = 3 ] || { [ "$fired" = child-output ] && [ "$rc" = 1 ]; } || bad="$bad; exit $rc, expected 3"
		# (unless the fault hit the message's own write to stderr)
		grep -q 'error:' "$err" || grep -q '^[0-9]* *write(2, .*INJECTED' "$TMPD/trace" ||
			bad="$bad; no error message"
		# Only a fault after the rename (the folder's fsync) may leave a file new and unclaimed.
		[ "$fired" = stdout ] || [ "$newnoclaim" -le 1 ] || bad="$bad; $newnoclaim files new but not reported"
	fi
	printf '%s' "${bad#; }"
}

# occurrences SYSCALL FILTER: the numbers (1…) of the calls of SYSCALL by persist's own process
# whose line matches FILTER, from an uninjected run. strace counts per process, so when=N hits
# the Nth call in every process (the children's too).
occurrences() {
	local sys=$1 filter=$2
	reset_tree
	sc_run strace -f -qq -o "$TMPD/trace" -e trace="$sys,execve" "$EH" >/dev/null 2>&1
	local main
	main=$(awk 'NR == 1 { print $1 }' "$TMPD/trace")
	awk -v pid="$main" -v sys="$sys" -v re="$filter" '
		$1 == pid && index($2, sys "(") == 1 { n++; if ($0 ~ re) print n }' "$TMPD/trace"
}

# sweep LABEL SYSCALL ERROR [FILTER]: one injection per occurrence.
sweep() {
	local label=$1 sys=$2 error=$3 filter=${4:-.} when rc fired problems list
	list=$(occurrences "$sys" "$filter")
	if [ -z "$list" ]; then
		ok "$label: persist makes no $sys call${4:+ matching $filter} (nothing to inject)"
		return
	fi
	for when in $list; do
		reset_tree
		rc=0
		sc_run strace -f -qq -o "$TMPD/trace" -e trace="$sys,execve" -e inject="$sys:$error:when=$when" "$EH" \
			>"$TMPD/out" 2>"$TMPD/err" || rc=$?
		# A signal injection shows as the process's death, not as INJECTED.
		fired=$(grep -c -e 'INJECTED' -e '+++ killed by SIG' "$TMPD/trace")
		# The report itself lost: every file written, nothing claimed, the exit says so.
		grep -q '^[0-9]* *write(1, .*INJECTED' "$TMPD/trace" && fired=stdout
		# iptables-save exits 0 after a failed write of its output: persist sees rules without the
		# block, and may only say so (exit 1), or fail on what it read (3).
		awk -v m="$(awk 'NR == 1 { print $1 }' "$TMPD/trace")" '$1 != m && /write\(1, .*INJECTED/ { f = 1 } END { exit !f }' \
			"$TMPD/trace" && fired=child-output
		N_INJECT=$((N_INJECT + 1))
		[ "$fired" = 0 ] || N_FIRED=$((N_FIRED + 1))
		problems=$(check_tree "$rc" "$TMPD/out" "$TMPD/err" "$fired")
		if [ -z "$problems" ]; then
			ok "$label: $sys $error when=$when: exit $rc, files whole, no temporary file, no false claim"
		else
			not_ok "$label: $sys $error when=$when: $problems"
			grep INJECTED "$TMPD/trace" | sed 's/^/#   trace: /' | head -n 5
			sed 's/^/#   out: /' "$TMPD/out" | head -n 12
			sed 's/^/#   err: /' "$TMPD/err" | head -n 5
		fi
	done
}

# Every file-writing call persist makes, and the temporary file's openat.
sweep_files() {
	local label=$1
	sweep "$label" fsync error=EIO
	sweep "$label" fdatasync error=EIO
	sweep "$label" rename error=EIO
	sweep "$label" renameat error=EIO
	sweep "$label" renameat2 error=EIO
	sweep "$label" write error=ENOSPC
	sweep "$label" openat error=ENOSPC 'O_CREAT'
	sweep "$label" openat error=ENOSPC 'O_TMPFILE'
	sweep "$label" linkat error=EIO
	sweep "$label" symlinkat error=ENOSPC
}

# make_new: the expected result, from one clean run.
make_new() {
	reset_tree
	if ! sc_run "$EH" >"$TMPD/out" 2>"$TMPD/err"; then
		not_ok "$1: a clean persist succeeds"
		sed 's/^/#   err: /' "$TMPD/err"
		return 1
	fi
	rm -rf "$SC_NEW" && cp -a "$SC_DIR" "$SC_NEW"
	local f
	for f in $SC_FILES; do
		[ "$(sha "$SC_NEW/$f")" != "$(sha "$SC_PRISTINE/$f")" ] || { not_ok "$1: persist changes $f"; return 1; }
	done
	ok "$1: a clean persist changes every file ($SC_FILES)"
}

old_rules() {
	printf '%s\n' '# the image builder'"'"'s rules' '*filter' ':INPUT ACCEPT [0:0]' ':FORWARD ACCEPT [0:0]' \
		':OUTPUT ACCEPT [0:0]' '-A INPUT -s 198.51.100.0/24 -j ACCEPT' '-A FORWARD -i eth1 -o eth0 -j ACCEPT' COMMIT >"$1"
}
old_conf() { printf 'INTERFACES=docker0\n' >"$1"; }

# kill_loop LABEL: kill -9 at a random moment of persist, KILLS times. `ip netns exec` stays
# around as a parent (killing it would leave persist running); nsenter execs, and strace -D makes
# persist itself the process we started ($!), its tracer a detached grandchild. Each fsync and
# renameat is delayed by 2 ms so that the writes take most of the run
# rather than a few hundred microseconds of it. The kill comes after a random 0..T ms, T the
# measured length of an unkilled run (bash's read -t: /bin/sleep alone costs ~5 ms). Then a
# rerun of persist must finish the job.
kill_loop() {
	local label=$1 i pid rc f s bad old_sha new_sha n_old=0 n_new=0 n_mixed=0 n_done=0 n_temps=0 n_bad=0 n_rerun=0 before after
	declare -A old_sha new_sha
	local nap t0 t1 span
	exec {nap}<> <(:)
	span=1000
	for i in 1 2 3; do # the shortest of three: the first run pays for cold caches
		reset_tree
		t0=$(date +%s%N)
		nsenter --net="/run/netns/$NS" strace -D -qq -o /dev/null -e trace=fsync,renameat \
			-e inject=fsync,renameat:delay_enter=2000 "$EH" "${SC_ARGS[@]}" >/dev/null 2>&1
		t1=$(date +%s%N)
		[ $(((t1 - t0) / 1000000 + 1)) -ge "$span" ] || span=$(((t1 - t0) / 1000000 + 1))
	done
	for f in $SC_FILES; do
		old_sha[$f]=$(sha "$SC_PRISTINE/$f")
		new_sha[$f]=$(sha "$SC_NEW/$f")
	done
	local tracers_before
	tracers_before=" $(pgrep -f -- "inject=fsync,renameat:delay_enter=2000" | tr '\n' ' ')"
	for i in $(seq 1 "$KILLS"); do
		reset_tree
		nsenter --net="/run/netns/$NS" strace -D -qq -o /dev/null -e trace=fsync,renameat \
			-e inject=fsync,renameat:delay_enter=2000 "$EH" "${SC_ARGS[@]}" >/dev/null 2>&1 &
		pid=$!
		read -r -t "$(printf '0.%03d' $((RANDOM % span)))" -u "$nap" || true
		kill -9 "$pid" 2>/dev/null
		rc=0
		wait "$pid" 2>/dev/null || rc=$?
		[ "$rc" = 0 ] && n_done=$((n_done + 1))
		bad=""
		local olds=0 news=0
		for f in $SC_FILES; do
			s=$(sha "$SC_DIR/$f")
			if [ "$s" = "${old_sha[$f]}" ]; then olds=$((olds + 1))
			elif [ "$s" = "${new_sha[$f]}" ]; then news=$((news + 1))
			else bad="$bad; $f torn"; fi
			if [ -e "$SC_DIR/$f.ecs-harden.bak" ] && [ "$(sha "$SC_DIR/$f.ecs-harden.bak")" != "${old_sha[$f]}" ]; then
				bad="$bad; $f.ecs-harden.bak is not the old file"
			fi
		done
		if [ "$news" = 0 ]; then n_old=$((n_old + 1)); elif [ "$olds" = 0 ]; then n_new=$((n_new + 1)); else n_mixed=$((n_mixed + 1)); fi
		before=$(temps_in)
		[ -z "$before" ] || n_temps=$((n_temps + 1))
		# The rerun ignores what the killed run left (random O_EXCL names) and completes.
		rc=0
		sc_run "$EH" >/dev/null 2>&1 || rc=$?
		after=$(temps_in)
		[ "$rc" = 0 ] || bad="$bad; the rerun exits $rc"
		for f in $SC_FILES; do
			[ "$(sha "$SC_DIR/$f")" = "${new_sha[$f]}" ] || bad="$bad; the rerun did not write $f"
		done
		[ "$after" = "$before" ] || bad="$bad; the rerun left temporary files: ${after//$'\n'/ } (before it: ${before//$'\n'/ })"
		[ -n "$after" ] || n_rerun=$((n_rerun + 1))
		if [ -n "$bad" ]; then
			n_bad=$((n_bad + 1))
			diag "kill $i: ${bad#; }"
		fi
	done
	exec {nap}<&-
	diag "$label: $KILLS kills within 0-$span ms: $n_old before the first rename, $n_mixed between files, $n_new after the last," \
		"$n_done finished before the kill; $n_temps left a temporary file of their own (the rerun ignored it)"
	# A kill that lands while strace -D is still setting up can leave its detached tracer
	# stopped: end the tracers this loop started (new since it began, with its injection).
	local p
	for p in $(pgrep -f -- "inject=fsync,renameat:delay_enter=2000"); do
		case "$tracers_before" in *" $p "*) ;; *) kill -9 "$p" 2>/dev/null ;; esac
	done
	check "$label: kill -9 at a random moment, $KILLS times: every file old or new, backups whole, the rerun completes" \
		test "$n_bad" = 0
	check "$label: the kills hit the writes (some runs stopped between old and new)" test "$((n_mixed + n_temps))" -gt 0
}

# ---------------------------------------------------------------- al2 image (--root)
SC_DIR="$TMPD/al2"
SC_PRISTINE="$TMPD/al2.pristine"
SC_NEW="$TMPD/al2.new"
SC_SHOWN="$SC_DIR"
SC_FILES="etc/sysconfig/iptables etc/sysconfig/ip6tables etc/ecs-harden.conf"
SC_DIRS="etc etc/sysconfig etc/systemd/system/basic.target.wants etc/systemd/system/multi-user.target.wants etc/systemd/system/timers.target.wants"
make_root_al2 "$SC_PRISTINE"
old_rules "$SC_PRISTINE/etc/sysconfig/iptables"
old_rules "$SC_PRISTINE/etc/sysconfig/ip6tables"
old_conf "$SC_PRISTINE/etc/ecs-harden.conf"
SC_ARGS=(-b iptables --flavour al2 --root "$SC_DIR" persist)
sc_run() { ip netns exec "$NS" "$@" "${SC_ARGS[@]}"; }
if make_new "al2 --root"; then
	sweep_files "al2 --root"
	# Where hard links are not allowed the backup is a copy: persist goes on and succeeds.
	reset_tree
	rc=0
	sc_run strace -f -qq -o /dev/null -e inject=linkat:error=EPERM "$EH" >"$TMPD/out" 2>"$TMPD/err" || rc=$?
	check "al2 --root: linkat EPERM (no hard links): exit 0, the backups are copies of the old files" \
		test "$rc:$(sha "$SC_DIR/etc/sysconfig/iptables.ecs-harden.bak"):$(sha "$SC_DIR/etc/ecs-harden.conf")" = \
		"0:$(sha "$SC_PRISTINE/etc/sysconfig/iptables"):$(sha "$SC_NEW/etc/ecs-harden.conf")"
	kill_loop "al2 --root"
fi

# ---------------------------------------------------------------- debian image (--root)
SC_DIR="$TMPD/debian"
SC_PRISTINE="$TMPD/debian.pristine"
SC_NEW="$TMPD/debian.new"
SC_SHOWN="$SC_DIR"
SC_FILES="etc/iptables/rules.v4 etc/iptables/rules.v6 etc/ecs-harden.conf"
SC_DIRS="etc etc/iptables etc/systemd/system/multi-user.target.wants etc/systemd/system/timers.target.wants"
make_root_debian "$SC_PRISTINE"
mkdir -p "$SC_PRISTINE/etc/iptables"
old_rules "$SC_PRISTINE/etc/iptables/rules.v4"
old_rules "$SC_PRISTINE/etc/iptables/rules.v6"
old_conf "$SC_PRISTINE/etc/ecs-harden.conf"
sc_run() { local pre=("$@"); ip netns exec "$NS" "${pre[@]}" -b iptables --flavour debian --root "$SC_DIR" persist; }
make_new "debian --root" && sweep_files "debian --root"

# ---------------------------------------------------------------- live al2 (root "/")
# persist on "/" captures the namespace's live rules with iptables-save. It runs in a private
# mount namespace where /etc is an overlay whose upper layer is the scenario's tree (copied in
# and back around each run, as in persist.sh): no write reaches this host's /etc. No systemd runs
# here, so the links are made in the file system.
LIVE="$TMPD/live"
SC_DIR="$LIVE/state"
SC_PRISTINE="$TMPD/live.pristine"
SC_NEW="$TMPD/live.new"
SC_SHOWN=""
SC_FILES="etc/sysconfig/iptables etc/sysconfig/ip6tables etc/ecs-harden.conf"
SC_DIRS="etc etc/sysconfig etc/systemd/system/basic.target.wants etc/systemd/system/multi-user.target.wants etc/systemd/system/timers.target.wants"
mkdir -p "$LIVE/mnt" "$SC_PRISTINE/etc/sysconfig" "$SC_PRISTINE/etc/systemd/system"
touch "$SC_PRISTINE/etc/.ecsh-overlay"
make_root_al2 "$TMPD/live-src"
cp "$TMPD/live-src/etc/os-release" "$SC_PRISTINE/etc/"
cp "$TMPD/live-src/usr/lib/systemd/system/"* "$SC_PRISTINE/etc/systemd/system/"
old_rules "$SC_PRISTINE/etc/sysconfig/iptables"
old_rules "$SC_PRISTINE/etc/sysconfig/ip6tables"
printf 'INTERFACES=docker+\n' >"$SC_PRISTINE/etc/ecs-harden.conf"
sc_run() {
	local pre=("$@")
	ip netns exec "$NS" unshare -m --propagation private bash -c '
		L=$1; shift
		mount -t tmpfs tmpfs "$L/mnt" || exit 90
		mkdir -p "$L/mnt/upper" "$L/mnt/work" && cp -a --no-preserve=xattr "$L/state/." "$L/mnt/upper/" || exit 90
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$L/mnt/upper/etc,workdir=$L/mnt/work" /etc || exit 90
		[ -e /etc/.ecsh-overlay ] || exit 90
		"$@"
		rc=$?
		rm -rf "$L/state.new" && cp -a --no-preserve=xattr "$L/mnt/upper" "$L/state.new" &&
			rm -rf "$L/state" && mv "$L/state.new" "$L/state" || exit 91
		exit $rc' _ "$LIVE" "${pre[@]}" -b iptables --flavour al2 persist
}
reset_tree
sc_run true >/dev/null 2>&1
rc=$?
if [ "$rc" = 90 ] || [ "$rc" = 91 ]; then
	diag "cannot lay an overlay over /etc in a mount namespace here (exit $rc): live checks skipped"
elif make_new "live al2"; then
	sweep_files "live al2"
	# The iptables-save children: their exec fails, or they are killed as they start.
	sweep "live al2 (iptables-save)" execve error=ENOENT
	sweep "live al2 (iptables-save)" execve signal=KILL
fi

# ---- apply killed at random moments (issue 16, item 6) ----
# Legacy x_tables commit one family at a time. Both are planned under the lock before either
# commits, so a kill leaves nothing, IPv4 alone, or both; whatever it leaves, verify --fix
# completes (the block is installed ∪ configured), and no kill leaves a duplicate or a stray rule.
NS_A="ecsh-$$-a"
netns_add "$NS_A"
{
	echo '*filter'
	for i in $(seq 1 10000); do echo "-A FORWARD -s 198.51.100.$((i % 250))/32 -p tcp --dport $((1024 + i)) -j ACCEPT"; done
	echo COMMIT
} | ip netns exec "$NS_A" iptables-legacy-restore
ip6tables_count() { ip netns exec "$NS_A" ip6tables-legacy-save -t filter 2>/dev/null | grep -c -- '-d fd00:ec2::254/128 -i docker+ -j DROP'; }
iptables_count() { ip netns exec "$NS_A" iptables-legacy-save -t filter | grep -c -- '-d 169.254.169.254/32 -i docker+ -j DROP'; }
APPLY_KILLS=${CRASH_APPLY_KILLS:-25}
half=0 bad=0
for k in $(seq 1 "$APPLY_KILLS"); do
	ip netns exec "$NS_A" "$EH" -q -b iptables remove >/dev/null 2>&1
	ip netns exec "$NS_A" "$EH" -q -b iptables apply >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 60))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	c4=$(iptables_count) c6=$(ip6tables_count)
	[ "$c4" = 1 ] && [ "$c6" = 0 ] && half=$((half + 1))
	if [ "$c4" -gt 1 ] || [ "$c6" -gt 1 ] || { [ "$c4" = 0 ] && [ "$c6" = 1 ]; }; then
		bad=$((bad + 1)); diag "kill $k left IPv4 x$c4, IPv6 x$c6"
	fi
	ip netns exec "$NS_A" "$EH" -q -b iptables verify --fix >/dev/null 2>&1 || { bad=$((bad + 1)); diag "kill $k: verify --fix failed"; }
	[ "$(iptables_count)" = 1 ] && [ "$(ip6tables_count)" = 1 ] || { bad=$((bad + 1)); diag "kill $k: not repaired"; }
done
diag "apply killed $APPLY_KILLS times: $half left IPv4 without IPv6 (the commit window)"
check "apply killed at random moments, $APPLY_KILLS times (10 000 foreign rules): never IPv6 alone or a duplicate, always repaired by verify --fix" \
	test "$bad" = 0
check "... and the 10 000 foreign rules are all still there" \
	test "$(ip netns exec "$NS_A" iptables-legacy-save -t filter | grep -c -- '-j ACCEPT$')" = 10000

diag "$N_INJECT injections, $N_FIRED of them fired"
finish
