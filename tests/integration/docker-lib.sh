# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Docker's own daemon (Debian's docker.io) in namespaces a test creates, for tests/integration/docker.sh.
#   instance (ecsh-PID-i: dockerd, docker0, br-*)  --veth eth0-->  metadata (ecsh-PID-m)
# "metadata" holds 169.254.169.254, 169.254.170.2 and fd00:ec2::254 and serves HTTP on port 80;
# the instance routes 169.254.0.0/16 and fd00:ec2::/64 through its uplink eth0, as on EC2.
# dockerd runs in a private mount namespace (its own /sys of the instance's network namespace,
# cgroup mounts, /etc/docker) with --data-root/--exec-root/--pidfile/-H under the test's temp
# dir; it picks legacy iptables or iptables-nft by PATH alone: the host's alternatives and
# /etc stay untouched. Needs lib.sh sourced first (NS_I, NS_M, netns_add, STARTED_PIDS, diag).

DOCKERD=${DOCKERD:-$(command -v dockerd || true)}
# The client next to the daemon: another docker binary earlier in PATH may be too new for it.
DOCKER_CLI=/usr/bin/docker
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker || true)
BUSYBOX=$(command -v busybox || true)
DOCKER_PID=""
DOCKER_START_ERROR=""
DOCKER_VARIANT=""
DOCKER_IPV6=no
DOCKER_IMAGE=ecsh-busybox:test
# Addresses: container subnets from 192.0.2.0/24 (docker0 192.0.2.0/25, user networks
# 192.0.2.128/26 and 192.0.2.192/27), the uplink 192.0.2.224/27; IPv6 containers in fd01::/16.
UPLINK_I4=192.0.2.225
UPLINK_M4=192.0.2.226
# Where the running daemon keeps its state: a directory per daemon (set by docker_start).
DK_DIR=""
# Docker's containers go below this cgroup, in the host's hierarchies: removed by docker_cleanup.
DOCKER_CGROUP="ecsh-$$"
UPLINK_I6=2001:db8:1::1
UPLINK_M6=2001:db8:1::2

# Why Docker cannot run here, or nothing.
docker_unavailable() {
	[ -n "$DOCKERD" ] || { echo "dockerd is not installed (Debian package docker.io; scripts/bootstrap.sh)"; return; }
	[ -n "$DOCKER_CLI" ] || { echo "the docker client is not installed (docker.io)"; return; }
	[ -n "$BUSYBOX" ] || { echo "busybox is not installed (busybox-static, for the container image)"; return; }
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		echo "$BUSYBOX is dynamically linked; the image needs busybox-static"
		return
	fi
	if ! command -v unshare >/dev/null || ! command -v nsenter >/dev/null; then
		echo "needs unshare and nsenter (util-linux)"
		return
	fi
	local v
	for v in iptables-legacy iptables-nft ip6tables-legacy ip6tables-nft; do
		command -v "$v" >/dev/null || { echo "$v is not installed"; return; }
	done
	[ -d /sys/fs/cgroup ] || { echo "no /sys/fs/cgroup"; return; }
}

# The metadata namespace and the instance's uplink to it; an HTTP listener for all three addresses.
docker_world() {
	netns_add "$NS_I"
	netns_add "$NS_M"
	local ns
	for ns in "$NS_I" "$NS_M"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
	done
	ip link add eth0 netns "$NS_I" type veth peer name eth0 netns "$NS_M"
	ip -n "$NS_I" addr add "$UPLINK_I4/27" dev eth0
	ip -n "$NS_I" addr add "$UPLINK_I6/64" dev eth0 nodad
	ip -n "$NS_I" link set eth0 up
	ip -n "$NS_M" addr add "$UPLINK_M4/27" dev eth0
	ip -n "$NS_M" addr add "$UPLINK_M6/64" dev eth0 nodad
	ip -n "$NS_M" link set eth0 up
	ip -n "$NS_M" addr add 169.254.169.254/32 dev lo
	ip -n "$NS_M" addr add 169.254.170.2/32 dev lo
	ip -n "$NS_M" addr add fd00:ec2::254/128 dev lo nodad
	ip -n "$NS_M" route add 192.0.2.0/24 via "$UPLINK_I4"
	ip -n "$NS_M" -6 route add fd01::/16 via "$UPLINK_I6"
	ip -n "$NS_I" route add 169.254.0.0/16 via "$UPLINK_M4" dev eth0
	ip -n "$NS_I" -6 route add fd00:ec2::/64 via "$UPLINK_M6" dev eth0

	mkdir -p "$TMPD/www"
	echo imds >"$TMPD/www/index.html"
	ip netns exec "$NS_M" "${PYTHON:-python3}" -m http.server 80 --bind :: --directory "$TMPD/www" >/dev/null 2>&1 &
	STARTED_PIDS="$STARTED_PIDS $!"
	local _
	for _ in $(seq 1 50); do
		ip netns exec "$NS_M" nc -z -w 1 127.0.0.1 80 2>/dev/null && return 0
		sleep 0.1
	done
	diag "the metadata listener did not start"
	return 1
}

# A directory of iptables* symlinks to one variant (legacy|nft), first in dockerd's PATH.
docker_xt_dir() {
	local v=$1 d="$TMPD/xt-$1" f
	mkdir -p "$d"
	for f in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sfn "/usr/sbin/${f%%-*}-$v${f#"${f%%-*}"}" "$d/$f"
	done
	echo "$d"
}

# The docker client on the test's daemon, bounded; dkq without its output (container ids).
dk() { timeout 30 env -u DOCKER_CONTEXT DOCKER_HOST="unix://$DK_DIR/docker.sock" "$DOCKER_CLI" "$@"; }
dkq() { dk "$@" >/dev/null; }

# Starts dockerd on variant $1 (legacy|nft) inside the instance namespace, its state in
# $DK_DIR (the same directory again for a restart); 0 once it answers, within 15 s.
docker_start() {
	DOCKER_VARIANT=$1
	local xt ipv6_args=()
	xt=$(docker_xt_dir "$1")
	mkdir -p "$DK_DIR/data" "$DK_DIR/exec"
	echo '{}' >"$DK_DIR/daemon.json"
	[ "$DOCKER_IPV6" = yes ] && ipv6_args=(--ipv6 --fixed-cidr-v6 fd01::/64 --experimental --ip6tables)
	# unshare and nsenter exec (no fork): $! is dockerd's own PID. The script runs in the new
	# mount namespace, where it sees the instance's network namespace.
	# shellcheck disable=SC2016
	unshare -m --propagation private -- nsenter --net="/var/run/netns/$NS_I" -- \
		env -i PATH="$xt:/usr/sbin:/usr/bin:/sbin:/bin" HOME=/root \
		bash -c '
			set -e
			mount -t sysfs sysfs /sys
			mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
			for h in cpu cpuacct cpuset memory devices freezer blkio pids; do
				mkdir /sys/fs/cgroup/$h
				mount -t cgroup -o $h cgroup /sys/fs/cgroup/$h 2>/dev/null || rmdir /sys/fs/cgroup/$h
			done
			mkdir /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
			mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd || rmdir /sys/fs/cgroup/systemd
			mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified || rmdir /sys/fs/cgroup/unified
			# dockerd 20.10 writes /etc/docker/key.json: keep that away from the host
			# (docker.io ships the directory).
			if [ -d /etc/docker ]; then mount -t tmpfs -o mode=755 etc-docker /etc/docker; fi
			exec "$@"' dockerd "$DOCKERD" \
		--data-root "$DK_DIR/data" --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/docker.pid" \
		-H "unix://$DK_DIR/docker.sock" --config-file "$DK_DIR/daemon.json" \
		--bip 192.0.2.1/25 --shutdown-timeout 2 --userland-proxy=false --cgroup-parent "/$DOCKER_CGROUP" \
		"${ipv6_args[@]}" \
		>>"$DK_DIR/dockerd.log" 2>&1 &
	DOCKER_PID=$!
	local _ rc
	for _ in $(seq 1 150); do
		if dk version >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$DOCKER_PID" 2>/dev/null; then
			wait "$DOCKER_PID"
			rc=$?
			DOCKER_PID=""
			DOCKER_START_ERROR="dockerd exited with status $rc"
			return 1
		fi
		sleep 0.1
	done
	DOCKER_START_ERROR="dockerd did not answer on $DK_DIR/docker.sock within 15 s"
	docker_stop
	return 1
}
# Why docker_start failed, with the end of dockerd's log.
docker_start_error() {
	echo "$DOCKER_START_ERROR; $(tail -n 3 "$DK_DIR/dockerd.log" 2>/dev/null | tr '\n' ' ')"
}

# Ends the daemon by its PID (SIGTERM, then SIGKILL after a bound), and its containerd.
docker_stop() {
	[ -n "$DOCKER_PID" ] || return 0
	local containerd="" _
	containerd=$(cat "$DK_DIR/exec/containerd/containerd.pid" 2>/dev/null || true)
	kill "$DOCKER_PID" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$DOCKER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$DOCKER_PID" 2>/dev/null
	wait "$DOCKER_PID" 2>/dev/null
	DOCKER_PID=""
	if [ -n "$containerd" ] && kill -0 "$containerd" 2>/dev/null; then
		sleep 0.5
		kill -9 "$containerd" 2>/dev/null
	fi
	return 0
}

# Everything the test started in Docker, then Docker itself; whatever still runs in the instance
# namespace after that (containerd shims) was started by this test: end it by PID.
docker_cleanup() {
	local ids pid
	if [ -n "$DOCKER_PID" ]; then
		ids=$(timeout 10 env DOCKER_HOST="unix://$DK_DIR/docker.sock" "$DOCKER_CLI" ps -aq 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || timeout 20 env DOCKER_HOST="unix://$DK_DIR/docker.sock" "$DOCKER_CLI" rm -f $ids >/dev/null 2>&1
	fi
	docker_stop
	for pid in $(ip netns pids "$NS_I" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null
	done
	# The containers' cgroups, made below our own parent in the host's hierarchies.
	local d
	for d in /sys/fs/cgroup/*/"$DOCKER_CGROUP"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

# The image: busybox-static and its applets (nc, sleep, sh, ip), made with `docker import`.
docker_image() {
	local root="$TMPD/image" a
	mkdir -p "$root/bin" "$root/etc"
	cp "$BUSYBOX" "$root/bin/busybox"
	for a in sh nc sleep printf cat ip grep echo ping true; do
		ln -sf busybox "$root/bin/$a"
	done
	tar -C "$root" -cf "$TMPD/image.tar" .
	dk import "$TMPD/image.tar" "$DOCKER_IMAGE" >/dev/null
}

# Starts a long-running container NAME on network NET (default bridge).
docker_container() {
	local name=$1 net=${2:-bridge}
	dk run -d --name "$name" --network "$net" "$DOCKER_IMAGE" /bin/sleep 3600 >/dev/null
}

# HTTP from container $1 to each ADDR port 80, in parallel, each waiting at most $2 s. Sets
# PROBE[ADDR] to OPEN (the metadata server answered 200), CLOSED (no answer) or ERROR (the probe
# itself did not run: a container that is not running must not pass for a blocked one).
declare -A PROBE
probe_all() {
	local c=$1 w=$2 a out script=""
	shift 2
	for a in "$@"; do
		script+="(if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w $w $a 80 | grep -q '^HTTP/1.[01] 200'; "
		script+="then echo '$a OPEN'; else echo '$a CLOSED'; fi) & "
	done
	out=$(dk exec "$c" sh -c "${script}wait; echo probe-ran" 2>&1)
	PROBE=()
	for a in "$@"; do
		case $out in
		*probe-ran*) PROBE[$a]=$(awk -v a="$a" '$1 == a { print $2 }' <<<"$out") ;;
		*) PROBE[$a]=ERROR ;;
		esac
	done
	case $out in *probe-ran*) ;; *) diag "probe from $c did not run: $(head -c 300 <<<"$out")" ;; esac
}
# A reachable address answers at once; a blocked probe costs its whole timeout: keep it short.
reaches() { probe_all "$1" 2 "$2"; [ "${PROBE[$2]}" = OPEN ]; }
blocked() { probe_all "$1" 1 "$2"; [ "${PROBE[$2]}" = CLOSED ]; }

# The container's address on its network(s): "ipv4 ipv6".
container_addrs() {
	dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.GlobalIPv6Address}}{{end}}' "$1"
}

# Docker's and the block's rules as text without counters, for before/after comparisons.
docker_rules() {
	if [ "$DOCKER_VARIANT" = legacy ]; then
		{ ip netns exec "$NS_I" iptables-legacy-save; ip netns exec "$NS_I" ip6tables-legacy-save; } |
			grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//'
	else
		# nft cannot decode Docker's xt MASQUERADE target and says so on stderr: it is not a rule.
		ip netns exec "$NS_I" nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+ ?//'
	fi
}

# Waits (at most 15 s) until every container named in "$@" runs.
docker_wait_running() {
	local _ name all
	for _ in $(seq 1 150); do
		all=yes
		for name in "$@"; do
			[ "$(dk inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || { all=no; break; }
		done
		[ "$all" = yes ] && return 0
		sleep 0.1
	done
	return 1
}

# The rules of FORWARD (legacy) or the whole ruleset (nft), for the log.
docker_show_forward() {
	if [ "$DOCKER_VARIANT" = legacy ]; then
		ip netns exec "$NS_I" iptables-legacy -S FORWARD | sed 's/^/#   4: /'
		ip netns exec "$NS_I" ip6tables-legacy -S FORWARD | sed 's/^/#   6: /'
	else
		ip netns exec "$NS_I" nft list ruleset 2>/dev/null | grep -E '^table|hook|drop|jump|accept' |
			sed -E 's/counter packets [0-9]+ bytes [0-9]+ ?//; s/^/#   /'
	fi
}
