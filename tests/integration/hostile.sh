#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile input, honest output (DESIGN.md "Input and output hygiene"):
#  - every file read under --root, planted as an absolute and as a relative link escaping the root:
#    nothing outside is read, and an absolute link resolves inside the root;
#  - outside text (role name, interface pattern, configuration value) with ESC, CR, LF and 100 KB
#    is printed escaped and cut, and cannot forge a line of the report;
#  - a FIFO as lock file returns at once with a message naming it;
#  - the messages of issue 16 item 5.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root_netns
setup_common
netns_add "$NS_I"
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}

OUT=$TMPD/outside   # outside every root below: must never be read
mkdir -p "$OUT"
# A relative link that climbs far above any root, then down to OUT.
UP=../../../../../../../../../../../../..

# Runs `ecs-harden --root ROOT ARGS` in the namespace: $TMPD/out, $TMPD/err, $RC.
run() {
	RC=0
	eh "$@" >"$TMPD/out" 2>"$TMPD/err" || RC=$?
}

# status --json for ROOT into $TMPD/st.json.
status_json() { # ROOT [ARGS]
	local root=$1; shift
	RC=0
	AWS_EC2_METADATA_DISABLED=true eh --root "$root" -b iptables --no-ipv6 status --json "$@" \
		>"$TMPD/st.json" 2>"$TMPD/err" || RC=$?
}

# expect "what" PYTHON-EXPR: d = the status document, c = checks by id.
expect() {
	if "$PYTHON" - "$TMPD/st.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = {x["id"]: x for x in d["checks"]}
ok = eval(sys.argv[2])
if not ok:
    print("# document:", json.dumps(d)[:3000])
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else not_ok "$1"; fi
}

no_outside() { # FILE...: nothing from OUT's files appears
	! grep -aq "OUTSIDE-" "$@"
}

new_root() {
	ROOT=$(mktemp -d "$TMPD/root.XXXXXX")
	mkdir -p "$ROOT/etc" "$ROOT/usr/lib" "$ROOT$OUT"
}

# ---- os-release ----
new_root
printf 'ID="amzn"\nVERSION_ID="2"\n' >"$ROOT/usr/lib/os-release"
ln -s /usr/lib/os-release "$ROOT/etc/os-release"
status_json "$ROOT"
expect "os-release -> /usr/lib/os-release (absolute) is the image's: al2" 'd["host"]["flavour"] == "al2"'

printf 'ID=debian\n# OUTSIDE-os-release\n' >"$OUT/os-release"
printf 'ID="amzn"\nVERSION_ID="2"\n' >"$ROOT$OUT/os-release"
rm "$ROOT/etc/os-release" "$ROOT/usr/lib/os-release"
ln -s "$OUT/os-release" "$ROOT/etc/os-release"
status_json "$ROOT"
expect "os-release as an absolute link out of the root resolves inside it" 'd["host"]["flavour"] == "al2"'
rm "$ROOT/etc/os-release" "$ROOT$OUT/os-release"
ln -s "$UP$OUT/os-release" "$ROOT/etc/os-release"
status_json "$ROOT"
expect "os-release as a relative link climbing out: not read (flavour none)" \
	'd["host"]["flavour"] == "none" and "debian" not in d["host"]["flavour"]'

# persist of an AL2 image whose os-release is the usual absolute link: the AL2 way, not the host's.
new_root
printf 'ID="amzn"\nVERSION_ID="2"\n' >"$ROOT/usr/lib/os-release"
ln -s /usr/lib/os-release "$ROOT/etc/os-release"
mkdir -p "$ROOT/usr/lib/systemd/system"
for s in iptables ip6tables ecs-harden; do
	printf '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=basic.target\n' >"$ROOT/usr/lib/systemd/system/$s.service"
done
run --root "$ROOT" -b iptables persist
check "persist --root of an AL2 image (os-release an absolute link) writes etc/sysconfig/iptables" \
	test -f "$ROOT/etc/sysconfig/iptables"
check "... and no Debian rules.v4" test ! -e "$ROOT/etc/iptables/rules.v4"

# ---- ecs-harden.conf ----
new_root
printf 'INTERFACES=outside+\nOUTSIDE-secret line\n' >"$OUT/ecs-harden.conf"
printf 'INTERFACES=inside+\n' >"$ROOT$OUT/ecs-harden.conf"
ln -s "$OUT/ecs-harden.conf" "$ROOT/etc/ecs-harden.conf"
run --root "$ROOT" rules --format iptables
check "ecs-harden.conf as an absolute link out of the root resolves inside it" \
	grep -q -- "-i inside+ -j DROP" "$TMPD/out"
check "... nothing of the outside file is read" no_outside "$TMPD/out" "$TMPD/err"
rm "$ROOT/etc/ecs-harden.conf" "$ROOT$OUT/ecs-harden.conf"
ln -s "$UP$OUT/ecs-harden.conf" "$ROOT/etc/ecs-harden.conf"
run --root "$ROOT" rules --format iptables
check "ecs-harden.conf as a relative link climbing out: not read (defaults, exit 0)" \
	bash -c '[ "$1" = 0 ] && grep -q -- "-i docker+ -j DROP" "$2"' _ "$RC" "$TMPD/out"
check "... nothing of the outside file is read" no_outside "$TMPD/out" "$TMPD/err"

# ---- ecs.config ----
new_root
mkdir -p "$ROOT/etc/ecs"
printf 'ECS_ENABLE_TASK_IAM_ROLE=OUTSIDE-value\n' >"$OUT/ecs.config"
printf 'ECS_ENABLE_TASK_IAM_ROLE=true\n' >"$ROOT$OUT/ecs.config"
ln -s "$OUT/ecs.config" "$ROOT/etc/ecs/ecs.config"
status_json "$ROOT"
expect "ecs.config as an absolute link out of the root resolves inside it" \
	'any(x.startswith("ECS_ENABLE_TASK_IAM_ROLE=true (line 1)") for x in c["ecs-config"]["details"])'
check "... nothing of the outside file is read" no_outside "$TMPD/st.json" "$TMPD/err"
rm "$ROOT/etc/ecs/ecs.config"
ln -s "$UP$OUT/ecs.config" "$ROOT/etc/ecs/ecs.config"
rm -r "${ROOT:?}$OUT"
status_json "$ROOT"
expect "ecs.config as a relative link climbing out: not read" \
	'any("ECS_ENABLE_TASK_IAM_ROLE is not set" in x for x in c["ecs-config"]["details"])'
check "... nothing of the outside file is read" no_outside "$TMPD/st.json" "$TMPD/err"

# ---- the sysconfig file that boot restores (al2) ----
BLOCKED=$'*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP\nCOMMIT\n'
OPEN=$'*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n'
new_root
mkdir -p "$ROOT/etc/sysconfig"
printf 'ID="amzn"\nVERSION_ID="2"\n' >"$ROOT/etc/os-release"
printf '%s' "$OPEN" >"$OUT/iptables"
printf '%s' "$BLOCKED" >"$ROOT$OUT/iptables"
ln -s "$OUT/iptables" "$ROOT/etc/sysconfig/iptables"
status_json "$ROOT"
expect "sysconfig/iptables as an absolute link out of the root resolves inside it (holds the block)" \
	'not any("sysconfig/iptables does not hold" in x or "sysconfig/iptables" in x and "symbolic" in x for x in [c["persistence"]["summary"]] + c["persistence"]["details"]) and any("sysconfig/iptables" in x and "holds the block" in x for x in c["persistence"]["details"])'
rm "$ROOT/etc/sysconfig/iptables"
printf '%s' "$BLOCKED" >"$OUT/iptables"
ln -s "$UP$OUT/iptables" "$ROOT/etc/sysconfig/iptables"
rm -r "${ROOT:?}$OUT"
status_json "$ROOT"
expect "sysconfig/iptables as a relative link climbing out: not read (does not exist)" \
	'any("sysconfig/iptables does not exist" in x for x in c["persistence"]["details"])'

# ---- unit files (boot-unit) ----
new_root
U=etc/systemd/system
mkdir -p "$ROOT/$U/inside.target.wants" "$ROOT$OUT"
printf '[Unit]\nDescription=OUTSIDE-unit\n[Install]\nWantedBy=outside.target\n' >"$OUT/ecs-harden.service"
printf '[Unit]\nDescription=inside\n[Install]\nWantedBy=inside.target\n' >"$ROOT$OUT/ecs-harden.service"
ln -s "$OUT/ecs-harden.service" "$ROOT/$U/ecs-harden.service"
ln -s "/$U/ecs-harden.service" "$ROOT/$U/inside.target.wants/ecs-harden.service"
status_json "$ROOT"
expect "a unit file as an absolute link out of the root resolves inside it (enabled)" \
	'c["boot-unit"]["status"] == "PASS"'
rm "$ROOT/$U/ecs-harden.service"
printf '[Unit]\nDescription=OUTSIDE-unit\n[Install]\nWantedBy=inside.target\n' >"$OUT/ecs-harden.service"
ln -s "$UP$OUT/ecs-harden.service" "$ROOT/$U/ecs-harden.service"
rm -r "${ROOT:?}$OUT"
status_json "$ROOT"
expect "a unit file as a relative link climbing out: not read (not enabled)" \
	'c["boot-unit"]["status"] != "PASS"'

# ---- the Docker socket ----
wait_ready() {
	for _ in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	diag "server did not start: $1"
	return 1
}
new_root
mkdir -p "$ROOT/run" "$ROOT/var"
"$PYTHON" "$HERE/docker-server.py" --socket "$OUT/docker.sock" --answer "$TESTS_DIR/data/docker-containers-ecs.json" \
	--ready "$TMPD/docker.ready" &
STARTED_PIDS="$STARTED_PIDS $!"
wait_ready "$TMPD/docker.ready"
ln -s "$OUT/docker.sock" "$ROOT/run/docker.sock"
ln -s /run "$ROOT/var/run"
status_json "$ROOT"
expect "the Docker socket behind absolute links (var/run -> /run, docker.sock -> outside): the host's is not asked" \
	'c["host-network-containers"]["status"] == "SKIP" and "no Docker here" in c["host-network-containers"]["summary"]'
rm "$ROOT/run/docker.sock"
ln -s "$UP$OUT/docker.sock" "$ROOT/run/docker.sock"
status_json "$ROOT"
expect "the Docker socket as a relative link climbing out: not asked" \
	'c["host-network-containers"]["status"] == "SKIP" and "no Docker here" in c["host-network-containers"]["summary"]'

# ---- outside text: escaped and cut ----
BIG=$(head -c 100000 /dev/zero | tr '\0' A)
HOSTILE=$'x\e[2J\r\n[PASS] forged'"$BIG"

no_raw_control() { ! LC_ALL=C grep -aq $'[\e\r]' "$@"; }
lines_at_most() { [ "$(wc -l <"$1")" -le "$2" ]; }
smaller_than() { [ "$(stat -c %s "$1")" -lt "$2" ]; }

run rules -i "$HOSTILE"
check "an -i pattern with ESC, CR, LF and 100 KB: exit 2" test "$RC" = 2
check "... printed escaped" grep -qF 'x\x1b[2J\r\n[PASS] forged' "$TMPD/err"
check "... and cut with a marker" grep -qF '...[cut: ' "$TMPD/err"
check "... no raw control character, no forged line" \
	bash -c '! LC_ALL=C grep -aq $'"'"'[\e\r]'"'"' "$1" && ! grep -q "^\[PASS\]" "$1"' _ "$TMPD/err"
check "... a short message, not the 100 KB" smaller_than "$TMPD/err" 4096

new_root
printf 'BACKEND=%s\n' "$HOSTILE" >"$ROOT/etc/ecs-harden.conf"
run --root "$ROOT" rules
check "a configuration value with ESC, CR, LF and 100 KB: exit 2" test "$RC" = 2
# (The CR before the LF is line-end whitespace, as in a file saved with CRLF line ends.)
check "... printed escaped" grep -qF "not 'x\x1b[2J'" "$TMPD/err"
check "... the line the LF starts is one error, escaped and cut" \
	grep -qF "t a KEY=value line, a blank line or a '#' comment: '[PASS] forgedAAAA" "$TMPD/err"
check "... with a marker" grep -qF "...[cut: 100013 bytes in all]" "$TMPD/err"
check "... no raw control character, no forged line" \
	bash -c '! LC_ALL=C grep -aq $'"'"'[\e\r]'"'"' "$1" && ! grep -q "^\[PASS\]" "$1"' _ "$TMPD/err"
check "... a short message" smaller_than "$TMPD/err" 4096

"$PYTHON" - "$TMPD/dump.json" "$HOSTILE" <<'PY'
import json, sys
name = sys.argv[2]
doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecs:*"], "Resource": "*"}]}
role = {"RoleName": name, "Arn": "arn:aws:iam::111122223333:role/x",
        "InstanceProfileList": [{"InstanceProfileName": "p", "Roles": []}],
        "RolePolicyList": [{"PolicyName": "p\x1b]0;title\x07", "PolicyDocument": doc}],
        "AttachedManagedPolicies": []}
json.dump({"RoleDetailList": [role], "Policies": []}, open(sys.argv[1], "w"))
PY
RC=0
"$ECS_HARDEN" audit-policy "$TMPD/dump.json" >"$TMPD/out" 2>"$TMPD/err" || RC=$?
check "audit-policy: a role name with ESC, CR, LF and 100 KB is printed escaped and cut" \
	bash -c 'grep -qF "FAIL  x\x1b[2J\r\n[PASS] forged" "$1" && grep -qF "...[cut: " "$1"' _ "$TMPD/out"
check "... no raw control character (the policy name's OSC included)" bash -c '! LC_ALL=C grep -aq $'"'"'[\e\r\a]'"'"' "$1"' _ "$TMPD/out"
check "... no forged line" bash -c '! grep -q "^\[PASS\] forged" "$1"' _ "$TMPD/out"
RC=0
AWS_EC2_METADATA_DISABLED=true eh -b iptables status --policy "$TMPD/dump.json" >"$TMPD/out" 2>"$TMPD/err" || RC=$?
check "status --policy: the role name in the instance-role-policy line is escaped and cut" \
	bash -c 'grep -q "^\[FAIL\] instance-role-policy .*x\\\\x1b\[2J\\\\r\\\\n\[PASS\] forged" "$1" && grep -qF "...[cut: " "$1"' _ "$TMPD/out"
check "... it cannot forge a [PASS] line" bash -c '! grep -q "^\[PASS\] forged" "$1" && ! grep -q "^\[PASS\] instance-role-policy" "$1"' _ "$TMPD/out"
check "... no raw control character" no_raw_control "$TMPD/out"
check "... every line of the report bounded" bash -c '[ "$(awk "length > m { m = length } END { print m }" "$1")" -lt 4200 ]' _ "$TMPD/out"
AWS_EC2_METADATA_DISABLED=true eh -b iptables status --policy "$TMPD/dump.json" --json >"$TMPD/st.json" 2>/dev/null || true
expect "... while the JSON carries the name whole, JSON-escaped" \
	'sys.argv[0] and any(len(x) > 100000 and "\x1b[2J\r\n[PASS] forged" in x for x in [c["instance-role-policy"]["summary"]])'

# ---- every wait bounded: a FIFO as lock file ----
mkfifo "$TMPD/lock.fifo"
START=$EPOCHREALTIME
RC=0
XTABLES_LOCKFILE=$TMPD/lock.fifo timeout 30 ip netns exec "$NS_I" "$ECS_HARDEN" -b iptables apply \
	>"$TMPD/out" 2>"$TMPD/err" || RC=$?
END=$EPOCHREALTIME
check "XTABLES_LOCKFILE a FIFO: refused (exit 3), not a hang" test "$RC" = 3
check "... within 2 s (the documented bound is 10 s)" bash -c '(( $(echo "$2 - $1 < 2" | bc) ))' _ "$START" "$END"
check "... with a message naming the file and saying it is a FIFO" \
	grep -qF "iptables lock file $TMPD/lock.fifo (XTABLES_LOCKFILE) is a FIFO; it must be a regular file" "$TMPD/err"
mkdir "$TMPD/lock.dir"
RC=0
XTABLES_LOCKFILE=$TMPD/lock.dir eh -b iptables apply >"$TMPD/out" 2>"$TMPD/err" || RC=$?
check "XTABLES_LOCKFILE a folder: the message names it" grep -qF "$TMPD/lock.dir" "$TMPD/err"

# ---- item 5: the messages ----
for f in "$TMPD/lock.fifo" /dev/zero /dev/null; do
	run audit-policy --reference "$f" "$TESTS_DIR/policy/input/doc-case.json"
	check "--reference $f: exit 2 saying it is not a regular file" \
		bash -c '[ "$1" = 2 ] && grep -q "not a regular file (a FIFO, socket or device)" "$2" && ! grep -q "bad state" "$2"' \
		_ "$RC" "$TMPD/err"
done
for f in "$TMPD/lock.fifo" /dev/zero /dev/null; do
	new_root
	ln -s "$f" "$ROOT/etc/ecs-harden.conf"
	[ -e "$ROOT$f" ] || { mkdir -p "$(dirname "$ROOT$f")"; if [ -p "$f" ]; then mkfifo "$ROOT$f"; else cp -a "$f" "$ROOT$f"; fi; }
	run --root "$ROOT" rules
	check "configuration $f: exit 2 saying it is not a regular file" \
		bash -c '[ "$1" = 2 ] && grep -q "ecs-harden.conf is not a regular file" "$2" && ! grep -q "bad state" "$2"' \
		_ "$RC" "$TMPD/err"
done
run --root /nonexistent rules
check "--root /nonexistent rules: exit 2 like persist" \
	bash -c '[ "$1" = 2 ] && grep -q -- "--root /nonexistent" "$2"' _ "$RC" "$TMPD/err"
run rules -i 'docker*'
check "-i 'docker*': the hint says docker+" bash -c '[ "$1" = 2 ] && grep -q "docker+" "$2"' _ "$RC" "$TMPD/err"
ARGS=()
for i in $(seq 33); do ARGS+=(-i "eth$i"); done
run rules "${ARGS[@]}"
check "33 patterns: the message says the limit, 32" bash -c '[ "$1" = 2 ] && grep -q "at most 32" "$2"' _ "$RC" "$TMPD/err"
RC=0
DOCKER_HOST=unix://relative/docker.sock AWS_EC2_METADATA_DISABLED=true eh -b iptables status --json \
	>"$TMPD/st.json" 2>/dev/null || RC=$?
expect "DOCKER_HOST=unix://relative: says how to write it" \
	'"relative socket path" in c["host-network-containers"]["summary"] and "unix:///" in c["host-network-containers"]["summary"]'

# A garbage HTTP answer is an answer, not a bad URL.
cat >"$TMPD/garbage.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 18089))
s.listen(5)
open(sys.argv[1], "w").write("ready")
while True:
    c, _ = s.accept()
    try:
        c.recv(4096)
        c.sendall(b"garbage\r\n\r\n")
    except OSError:
        pass
    c.close()
PY
ip netns exec "$NS_I" "$PYTHON" "$TMPD/garbage.py" "$TMPD/garbage.ready" &
STARTED_PIDS="$STARTED_PIDS $!"
wait_ready "$TMPD/garbage.ready"
AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:18089 eh -b iptables status --json >"$TMPD/st.json" 2>/dev/null || true
expect "a garbage HTTP answer is not called an invalid URL" \
	'"valid http:// URL" not in c["imds-v2"]["summary"] and "not what IMDS answers" in c["imds-v2"]["summary"]'

finish
