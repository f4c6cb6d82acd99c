#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# status --ssm-inventory, end to end: the Custom:ECSHarden file in a fake SSM Agent folder under
# --root, the instance id from a loopback IMDS (tests/integration/imds-server.py) in a network
# namespace this test creates (status reads that namespace's netfilter, never the host's). The
# written item is checked against botocore's PutInventory model (tests/ssm-model-check.py) and the
# SSM Agent's own limits; atomic replacement, cut values, control characters, the agent's
# root-only folders, symbolic links and the no-agent case. Root only; exit 77 otherwise.
# shellcheck source=persist-lib.sh
. "$(dirname "$0")/persist-lib.sh"
[ -n "${ECS_HARDEN_REAL:-}" ] && export AWS_METADATA_SERVICE_TIMEOUT=10

require_root_netns
setup_common
HERE=$(cd "$(dirname "$0")" && pwd)
TESTS_DIR=${TESTS_DIR:-$(dirname "$HERE")}
PYTHON=$(command -v /usr/bin/python3 || command -v python3) || skip_all "needs python3"
"$PYTHON" -c 'import botocore.validate' 2>/dev/null || skip_all "needs python3-botocore"
command -v setpriv >/dev/null || skip_all "needs setpriv (util-linux)"
CHECK="$PYTHON $TESTS_DIR/ssm-model-check.py"

TMP=$TMPD
NS=$NS_PREFIX-v
netns_add "$NS"
ROOT=$TMP/root
make_root_al2023 "$ROOT"
mkdir -p "$ROOT/etc/ecs"
ID=i-0123456789abcdef0
AGENT=$ROOT/var/lib/amazon/ssm/$ID
CUSTOM=$AGENT/inventory/custom
FILE=$CUSTOM/ECSHarden.json
IMDS=http://127.0.0.1:18081

run() {
	ip netns exec "$NS" env -u DOCKER_HOST -u JOURNAL_STREAM -u INVOCATION_ID \
		AWS_EC2_METADATA_DISABLED="${IMDS_DISABLED-false}" AWS_EC2_METADATA_SERVICE_ENDPOINT="$IMDS" "$@"
}

# ecs-harden status with ARGS: stdout in $TMP/out, stderr in $TMP/err, exit code in $RC.
status() {
	# shellcheck disable=SC2086 # PRIV is a command with its options
	run ${PRIV:+$PRIV} "$ECS_HARDEN" -b iptables --root "$ROOT" "$@" status >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

expect_rc() {
	if [ "$RC" = "$2" ]; then ok "$1: exit $2"; else not_ok "$1: exit $RC, expected $2"; sed 's/^/#   /' "$TMP/err"; fi
}

# A Python expression over the written item: d = the item, c = Content entries by CheckId.
expect_item() {
	local name=$1 expr=$2
	if "$PYTHON" - "${3:-$FILE}" "$expr" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
c = {x["CheckId"]: x for x in d["Content"]}
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(d, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
	then ok "$name"; else not_ok "$name ($expr)"; fi
}

# The agent's folders as the agent makes them: fileutil.MakeDirs, mode 0600, root's.
agent_folders() {
	rm -rf "$ROOT/var/lib/amazon"
	mkdir -p "$CUSTOM"
	chmod 0600 "$AGENT" "$AGENT/inventory" "$CUSTOM"
}

start_imds() { # ARGS for imds-server.py
	rm -f "$TMP/imds.ready"
	ip netns exec "$NS" "$PYTHON" "$HERE/imds-server.py" --bind 127.0.0.1 --port 18081 --v1 off \
		--ready "$TMP/imds.ready" --log "$TMP/imds.log" "$@" &
	IMDS_PID=$!
	STARTED_PIDS="$STARTED_PIDS $IMDS_PID"
	for _ in $(seq 100); do [ -s "$TMP/imds.ready" ] && return 0; sleep 0.05; done
	echo "IMDS did not start" >&2
	return 1
}

stop_imds() {
	kill "$IMDS_PID" 2>/dev/null
	wait "$IMDS_PID" 2>/dev/null
}

only_the_file() { [ "$(ls -A "$CUSTOM")" = ECSHarden.json ]; }

# ---- the agent's folder for the instance id IMDS gives ----
start_imds --instance-id "$ID"
agent_folders
status --json --ssm-inventory
expect_rc "a bare namespace FAILs; the inventory is written" 1
check "the file is in the agent's custom inventory folder" test -f "$FILE"
check "no temporary file left beside it" only_the_file
check "mode 0600, root's, as the agent writes its own files" \
	test "$(stat -c '%a %u' "$FILE")" = "600 0"
check "the agent's folders keep their 0600" test "$(stat -c '%a' "$AGENT" "$CUSTOM" | sort -u)" = 600
if out=$($CHECK item "$FILE" "$ID" 2>&1); then ok "botocore: valid PutInventory item (${out#\# ok })"; else not_ok "botocore: $out"; fi
cp "$FILE" "$TMP/sample.json"
expect_item "TypeName and SchemaVersion" 'd["TypeName"] == "Custom:ECSHarden" and d["SchemaVersion"] == "1.0"'
expect_item "one entry per check, seven string attributes each" \
	'len(d["Content"]) == 9 and all(sorted(x) == ["Backend", "CaptureTime", "CheckId", "Flavour", "Status", "Summary", "Version"] and all(isinstance(v, str) for v in x.values()) for x in d["Content"])'
# The item says what status --json said on stdout.
if "$PYTHON" - "$TMP/out" "$FILE" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
want = [(x["id"], x["status"], x["summary"]) for x in s["checks"]]
got = [(x["CheckId"], x["Status"], x["Summary"]) for x in d["Content"]]
assert want == got, (want, got)
assert all(x["Backend"] == s["host"]["backend"] == "iptables" and x["Flavour"] == s["host"]["flavour"] == "al2023" for x in d["Content"])
EOF
then ok "entries match the status --json document (ids, statuses, summaries, backend, flavour)"; else not_ok "entries differ from status --json"; fi
expect_item "CaptureTime is UTC, as PutInventory wants it" \
	'all(__import__("re").fullmatch(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ", x["CaptureTime"]) for x in d["Content"])'
expect_item "the FAIL is there for get-inventory's Status=FAIL filter" 'c["imds-block-ipv4"]["Status"] == "FAIL"'
if grep -q '^GET /latest/meta-data/instance-id token$' "$TMP/imds.log"; then ok "instance id asked with a session token"; else not_ok "instance id asked with a session token"; sed 's/^/#   /' "$TMP/imds.log"; fi

# ---- atomic replacement: the old content goes whole, by rename ----
head -c 200000 /dev/zero | tr '\0' x >"$FILE"
ino_before=$(stat -c %i "$FILE")
status --ssm-inventory
expect_rc "rewrite" 1
expect_item "the old content is replaced whole (valid JSON, nothing of the old left)" 'True'
check "not a byte of the old content left" sh -c "! grep -q xxxx '$FILE'"
check "replaced by rename (new inode), never truncated in place" test "$(stat -c %i "$FILE")" != "$ino_before"
check "no temporary file left after a replacement" only_the_file

# ---- the agent's folder without inventory/custom yet ----
rm -rf "$AGENT/inventory"
status --ssm-inventory
expect_rc "inventory/custom created below the agent's folder" 1
check "created root-only (0700)" test "$(stat -c '%a' "$AGENT/inventory" "$CUSTOM" | sort -u)" = 700
check "and the file written" test -f "$FILE"

# ---- limits: a 10 000-character summary, a role name with control characters ----
agent_folders
long=/$(head -c 10000 /dev/zero | tr '\0' a)
status --json --ssm-inventory --policy "$long"
expect_rc "a 10 000-character summary" 1
if "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); c={x["id"]:x for x in d["checks"]}; sys.exit(len(c["instance-role-policy"]["summary"]) < 10000)' "$TMP/out"; then
	ok "status itself reports the whole 10 000+ character summary"
else
	not_ok "status did not report a 10 000+ character summary"
fi
expect_item "cut to 4096 bytes, marked with …" \
	'len(c["instance-role-policy"]["Summary"].encode()) == 4096 and c["instance-role-policy"]["Summary"].endswith("…") and c["instance-role-policy"]["Summary"].startswith("no policy can be read: /aaa")'
if out=$($CHECK item "$FILE" "$ID" 2>&1); then ok "botocore: the cut item is valid (${out#\# ok })"; else not_ok "botocore: $out"; fi

"$PYTHON" - "$TESTS_DIR/policy/input/dump-fleet.json" "$TMP/evil-dump.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
role = next(r for r in d["RoleDetailList"] if r["RoleName"] == "managed-attached")
role["RoleName"] = "evil\x1b[2J\rrole\x07\x7f\x00x\u2028"
d["RoleDetailList"] = [role]
json.dump(d, open(sys.argv[2], "w"))
EOF
# IMDS off: no role name to pick by, so the dump's only role is the instance's and is named.
IMDS_DISABLED=true status --json --ssm-inventory="/var/lib/amazon/ssm/$ID/inventory/custom" --policy "$TMP/evil-dump.json"
expect_rc "a role name with control characters" 1
expect_item "the role's control characters are escaped as \\xNN, the value one printable line" \
	'"role evil\\x1b[2J\\x0drole\\x07\\x7f" in c["instance-role-policy"]["Summary"] and not any(ord(ch) < 32 or ord(ch) == 127 for x in d["Content"] for v in x.values() for ch in v)'
check "the file holds no raw control byte (newlines of the layout aside)" "$PYTHON" -c \
	'import sys; b = open(sys.argv[1], "rb").read(); sys.exit(any(c < 32 and c != 10 or c == 127 for c in b))' "$FILE"
if out=$($CHECK item "$FILE" "$ID" 2>&1); then ok "botocore: valid with the escaped role (${out#\# ok })"; else not_ok "botocore: $out"; fi

# ---- permissions: the agent's folders are 0600 (no search bit): writing there takes
# CAP_DAC_OVERRIDE, which the kernel requires for write access to a folder whose mode denies it
# (CAP_DAC_READ_SEARCH only bypasses read and search) ----
agent_folders
PRIV="setpriv --bounding-set=-all,+net_admin,+net_raw,+dac_read_search --inh-caps=-all" status --ssm-inventory
expect_rc "root without CAP_DAC_OVERRIDE cannot write into the agent's 0600 folders (search is not enough)" 3
check "the message names the folder and the error" grep -q "Failed to write the SSM inventory .*/var/lib/amazon/ssm/$ID/inventory/custom/ECSHarden.json: Permission denied" "$TMP/err"
check "nothing written" test ! -e "$FILE"
PRIV="setpriv --bounding-set=-all,+net_admin,+net_raw,+dac_override --inh-caps=-all" status --ssm-inventory
expect_rc "with CAP_DAC_OVERRIDE added (the inventory unit's set)" 1
check "written, 0600" test "$(stat -c '%a' "$FILE")" = 600

# ---- a symbolic link in the agent's folder is refused, not followed ----
agent_folders
mkdir -p "$TMP/elsewhere"
rm -rf "$CUSTOM"
ln -s "$TMP/elsewhere" "$CUSTOM"
status --ssm-inventory
expect_rc "inventory/custom is a symbolic link" 3
check "nothing written through it" test -z "$(ls -A "$TMP/elsewhere")"

# ---- no SSM Agent: a message, exit 3, nothing written anywhere ----
rm -rf "$ROOT/var/lib/amazon"
before=$(snapshot "$ROOT")
status --ssm-inventory
expect_rc "no SSM Agent folder" 3
check "the message says so and names the folder" grep -q "No SSM Agent folder $ROOT/var/lib/amazon/ssm/$ID: is the SSM Agent installed" "$TMP/err"
check "the report is still printed" grep -q 'imds-block-ipv4' "$TMP/out"
check "nothing written under the root" test "$before" = "$(snapshot "$ROOT")"

status --ssm-inventory=/var/lib/amazon/ssm/elsewhere
expect_rc "--ssm-inventory=DIR that does not exist" 3
check "nothing written for it either" test "$before" = "$(snapshot "$ROOT")"

IMDS_DISABLED=true status --ssm-inventory
expect_rc "IMDS disabled, no folder given" 3
check "the message says why and what to do" grep -q 'AWS_EC2_METADATA_DISABLED=true; give the folder with --ssm-inventory=DIR' "$TMP/err"
check "nothing written" test "$before" = "$(snapshot "$ROOT")"

# An instance id that is a path: never used as one.
stop_imds
start_imds --instance-id ../../../../etc
mkdir -p "$ROOT/var/lib/amazon/ssm/x/y/z" "$ROOT/etc/inventory/custom"
before=$(snapshot "$ROOT")
status --ssm-inventory
expect_rc "IMDS answers a path as the instance id" 3
check "refused as not an instance id" grep -q 'answered 200 without a valid id' "$TMP/err"
check "nothing written" test "$before" = "$(snapshot "$ROOT")"
rm -rf "$ROOT/var/lib/amazon" "$ROOT/etc/inventory"
stop_imds

# ---- --ssm-inventory=DIR: the folder given, no IMDS needed ----
mkdir -p "$ROOT/srv/inventory"
IMDS_DISABLED=true status --ssm-inventory=/srv/inventory
expect_rc "--ssm-inventory=DIR under --root, IMDS off" 1
expect_item "written into ROOT/DIR" 'len(d["Content"]) == 9' "$ROOT/srv/inventory/ECSHarden.json"

# ---- usage ----
IMDS_DISABLED=true status --ssm-inventory=relative/dir
expect_rc "a relative DIR is bad usage" 2
run "$ECS_HARDEN" --root "$ROOT" verify --ssm-inventory >"$TMP/out" 2>"$TMP/err"
RC=$?
expect_rc "--ssm-inventory with verify is bad usage" 2

diag "sample item: $(tr -d '\n' <"$TMP/sample.json" | head -c 400)…"
finish
