#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Whole-process timing of `status` (IMDS disabled) and of the boot-path commands apply/verify in an
# idle network namespace, with hyperfine; prints medians. Optionally compares with a baseline
# binary (BASELINE=/path/to/older/ecs-harden) to show that apply/verify did not get slower.
# Also shows which shared objects each command maps (libcurl/libsystemd must not be among them
# for apply/verify). Root only.
#   usage: bench/bench-status.sh [path/to/ecs-harden]   (RUNS=300 by default)
set -eu

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 77; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 77; }
BIN=$(realpath "${1:-./ecs-harden}")
BASELINE=${BASELINE:-}
RUNS=${RUNS:-300}
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
NS=ecsh-$$-bench
TMP=$(mktemp -d /tmp/ecsh-bench.XXXXXX)
trap 'exit 1' INT TERM
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
# A root that looks like a hardened AL2023 instance: units installed, ecs.config set, persisted.
UNITS=$(dirname "$0")/../units
mkdir -p "$TMP/root/etc/ecs" "$TMP/root/usr/lib/systemd/system"
printf 'NAME="Amazon Linux"\nID="amzn"\nVERSION_ID="2023"\n' >"$TMP/root/etc/os-release"
cp "$UNITS"/ecs-harden*.service "$UNITS"/ecs-harden*.timer "$TMP/root/usr/lib/systemd/system/"
printf 'ECS_ENABLE_TASK_IAM_ROLE=true\nECS_AWSVPC_BLOCK_IMDS=true\n' >"$TMP/root/etc/ecs/ecs.config"
ip netns exec "$NS" "$BIN" -b iptables --root "$TMP/root" apply >/dev/null 2>&1
ip netns exec "$NS" "$BIN" -b iptables --root "$TMP/root" persist >/dev/null 2>&1

median() { # NAME JSON
        "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[2]))["results"][0]; print("%-44s median %6.2f ms  mean %6.2f ms  min %6.2f ms" % (sys.argv[1], r["median"]*1e3, r["mean"]*1e3, r["min"]*1e3))' "$1" "$2"
}

bench() { # NAME COMMAND...
        local name=$1
        shift
        ip netns exec "$NS" env AWS_EC2_METADATA_DISABLED=true hyperfine -N -i -w 30 -r "$RUNS" \
                --export-json "$TMP/h.json" "$*" >/dev/null 2>&1
        median "$name" "$TMP/h.json"
}

echo "# $(uname -r), $(nproc) cores; $RUNS runs each, in an idle namespace with the block applied"
bench "status (AWS_EC2_METADATA_DISABLED=true)" "$BIN" -b iptables --root "$TMP/root" status
bench "status --json" "$BIN" -b iptables --root "$TMP/root" --json status
bench "status on / (live: the running systemd asked)" "$BIN" -b iptables status
bench "verify" "$BIN" -b iptables --root "$TMP/root" verify
bench "apply (already in place)" "$BIN" -b iptables --root "$TMP/root" apply
if [ -n "$BASELINE" ]; then
        BASELINE=$(realpath "$BASELINE")
        bench "baseline verify" "$BASELINE" -b iptables --root "$TMP/root" verify
        bench "baseline apply (already in place)" "$BASELINE" -b iptables --root "$TMP/root" apply
fi

# For comparison: status asking a loopback IMDS (libcurl dlopen'ed, token flow, role name).
ip -n "$NS" addr add 169.254.169.254/32 dev lo
ip netns exec "$NS" "$PYTHON" "$(dirname "$0")/../tests/integration/imds-server.py" --v1 off --ready "$TMP/imds.ready" &
IMDS_PID=$!
trap 'kill $IMDS_PID 2>/dev/null; wait $IMDS_PID 2>/dev/null; ip netns del "$NS" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -s "$TMP/imds.ready" ] && break; sleep 0.05; done
ip netns exec "$NS" env AWS_EC2_METADATA_DISABLED=false hyperfine -N -i -w 10 -r "$((RUNS / 3))" \
        --export-json "$TMP/h.json" "$BIN -b iptables --root $TMP/root status" >/dev/null 2>&1
median "status asking a loopback IMDS (libcurl)" "$TMP/h.json"

echo "# shared objects mapped (LD_DEBUG=files): count, and whether libcurl/libsystemd are among them"
for cmd in verify apply status; do
        ip netns exec "$NS" env AWS_EC2_METADATA_DISABLED=true LD_DEBUG=files "$BIN" -b iptables --root "$TMP/root" $cmd \
                >/dev/null 2>"$TMP/ld"
        n=$(grep -c 'calling init:' "$TMP/ld" || true)
        extra=$(grep -o 'file=lib\(curl\|systemd\)[^ ]*' "$TMP/ld" | sort -u | tr '\n' ' ')
        printf '%-8s %2s objects initialised; libcurl/libsystemd: %s\n' "$cmd" "$n" "${extra:-none}"
done
