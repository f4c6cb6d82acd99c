#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scripts/user-data.sh on a fake AL2023 root inside a namespace, run twice as a cloud-boothook
# would: ecs.config gets each key exactly once, other lines survive, the block is applied and
# persisted, status is logged as JSON, and the second run changes nothing. Where the SSM Agent's
# folder exists, Custom:ECSHarden is written and ecs-harden-inventory.timer enabled (a stand-in
# systemctl records the call).
# shellcheck source=persist-lib.sh
. "$(dirname "$0")/persist-lib.sh"

require_root_netns
setup_common
top=$(cd "$(dirname "$0")/../.." && pwd)
NS="$NS_PREFIX-u"
netns_add "$NS"
ROOT="$TMPD/root"
make_root_al2023 "$ROOT"
mkdir -p "$ROOT/etc/ecs"
printf 'ECS_CLUSTER=old\nECS_LOGLEVEL=info\nECS_ENABLE_TASK_IAM_ROLE=false\n' >"$ROOT/etc/ecs/ecs.config"
bindir="$TMPD/bin"
mkdir -p "$bindir"
ln -s "${ECS_HARDEN_REAL:-$ECS_HARDEN}" "$bindir/ecs-harden"
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$TMPD/systemctl.calls" >"$bindir/systemctl"
chmod +x "$bindir/systemctl"

run_user_data() {
	ip netns exec "$NS" env PATH="$bindir:$PATH" ECS_HARDEN_ROOT="$ROOT" ECS_CLUSTER=prod "$@" \
		ECS_HARDEN_ARGS="-b nftables -i docker+ -i br-+" AWS_EC2_METADATA_DISABLED=true \
		bash "$top/scripts/user-data.sh"
}

check_exit 0 "user-data runs" run_user_data
cfg="$ROOT/etc/ecs/ecs.config"
check "ECS_CLUSTER is set once, to the new value" test "$(grep -c '^ECS_CLUSTER=' "$cfg")-$(grep '^ECS_CLUSTER=' "$cfg")" = "1-ECS_CLUSTER=prod"
check "ECS_ENABLE_TASK_IAM_ROLE=true, once" test "$(grep -c '^ECS_ENABLE_TASK_IAM_ROLE=true$' "$cfg")$(grep -c '^ECS_ENABLE_TASK_IAM_ROLE=' "$cfg")" = 11
check "ECS_AWSVPC_BLOCK_IMDS=true, once" test "$(grep -c '^ECS_AWSVPC_BLOCK_IMDS=true$' "$cfg")" = 1
check "other ecs.config lines survive" grep -qx 'ECS_LOGLEVEL=info' "$cfg"
check_exit 0 "the block is in place in the namespace" ip netns exec "$NS" "$ECS_HARDEN" -b nftables -i docker+ -i br-+ verify
check "ecs-harden.conf holds the operator's block" grep -qx 'INTERFACES=docker+ br-+' "$ROOT/etc/ecs-harden.conf"
check "ecs-harden.service is enabled in the root" test -L "$ROOT/etc/systemd/system/multi-user.target.wants/ecs-harden.service"
check "status was logged as JSON" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"] == 1 and d["checks"]' \
	"$ROOT/var/log/ecs-harden-status.json"

snapshot "$ROOT" | grep -v 'ecs-harden-status.json' >"$TMPD/before"
ip netns exec "$NS" nft list ruleset >"$TMPD/rules-before"
check_exit 0 "user-data runs again" run_user_data
snapshot "$ROOT" | grep -v 'ecs-harden-status.json' >"$TMPD/after"
ip netns exec "$NS" nft list ruleset >"$TMPD/rules-after"
check "a second run leaves the root as it was" diff -u "$TMPD/before" "$TMPD/after"
check "a second run leaves the rules as they were" diff -u "$TMPD/rules-before" "$TMPD/rules-after"
check "no SSM Agent: no inventory, no timer enabled" test ! -e "$ROOT/var/lib/amazon" -a ! -e "$TMPD/systemctl.calls"

# ---- with the SSM Agent's folder ----
custom=/var/lib/amazon/ssm/i-0123456789abcdef0/inventory/custom
mkdir -p "$ROOT$custom"
check_exit 0 "user-data with the agent's folder given" run_user_data ECS_HARDEN_SSM_INVENTORY="$custom"
check "Custom:ECSHarden written there" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["TypeName"] == "Custom:ECSHarden" and len(d["Content"]) == 9' \
	"$ROOT$custom/ECSHarden.json"
check "ecs-harden-inventory.timer enabled in the root" grep -qx -- "--root=$ROOT enable ecs-harden-inventory.timer" "$TMPD/systemctl.calls"
rm -f "$ROOT$custom/ECSHarden.json"
check_exit 0 "auto with the agent installed but IMDS off: user-data still succeeds" run_user_data
check "and nothing is written" test ! -e "$ROOT$custom/ECSHarden.json"

finish
