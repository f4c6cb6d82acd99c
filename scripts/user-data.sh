#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# EC2 user-data for ECS-optimized Amazon Linux 2 and Amazon Linux 2023 container instances.
# Installs ecs-harden, configures the ECS agent before it starts, applies and persists the
# metadata block, and logs the audit, also to SSM Inventory (Custom:ECSHarden) where the SSM Agent
# runs. Idempotent: safe to run again (cloud-boothook, re-runs).
#
# Settings (environment, or edit here):
#   ECS_CLUSTER          cluster to join (written to ecs.config when set)
#   ECS_HARDEN_PACKAGE   package name or RPM URL to install (default: ecs-harden)
#   ECS_HARDEN_ARGS      extra options for apply/persist, e.g. "-i docker+ -i br-+"
#   ECS_HARDEN_ROOT      configuration root (default /; tests use a scratch folder)
#   ECS_HARDEN_SSM_INVENTORY  auto (default): where the SSM Agent is installed (/var/lib/amazon/ssm),
#                        write Custom:ECSHarden into its folder and enable ecs-harden-inventory.timer;
#                        /PATH: the same into that folder; no: neither
set -euo pipefail

ECS_HARDEN_PACKAGE=${ECS_HARDEN_PACKAGE:-ecs-harden}
ECS_HARDEN_ARGS=${ECS_HARDEN_ARGS:-}
ECS_HARDEN_ROOT=${ECS_HARDEN_ROOT:-/}
ECS_HARDEN_SSM_INVENTORY=${ECS_HARDEN_SSM_INVENTORY:-auto}
ecs_config="${ECS_HARDEN_ROOT%/}/etc/ecs/ecs.config"
status_log="${ECS_HARDEN_ROOT%/}/var/log/ecs-harden-status.json"

log() {
	echo "ecs-harden user-data: $*"
	if command -v logger >/dev/null; then logger -t ecs-harden-user-data "$*" || true; fi
}

# Sets KEY=VALUE in ecs.config exactly once, keeping every other line.
set_ecs_config() {
	local key=$1 value=$2 tmp
	mkdir -p "$(dirname "$ecs_config")"
	touch "$ecs_config"
	tmp=$(mktemp "$ecs_config.XXXXXX")
	grep -v "^[[:space:]]*$key=" "$ecs_config" >"$tmp" || true
	echo "$key=$value" >>"$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$ecs_config"
}

if ! command -v ecs-harden >/dev/null 2>&1; then
	log "installing $ECS_HARDEN_PACKAGE"
	if command -v dnf >/dev/null 2>&1; then dnf install -y "$ECS_HARDEN_PACKAGE"; else yum install -y "$ECS_HARDEN_PACKAGE"; fi
fi

# Before the agent starts: task IAM roles on, IMDS blocked for awsvpc tasks too.
[ -n "${ECS_CLUSTER:-}" ] && set_ecs_config ECS_CLUSTER "$ECS_CLUSTER"
set_ecs_config ECS_ENABLE_TASK_IAM_ROLE true
set_ecs_config ECS_AWSVPC_BLOCK_IMDS true

root_opt=()
[ "$ECS_HARDEN_ROOT" != / ] && root_opt=(--root "$ECS_HARDEN_ROOT")
# shellcheck disable=SC2086 # ECS_HARDEN_ARGS is a list of options on purpose
ecs-harden ${root_opt[@]+"${root_opt[@]}"} apply $ECS_HARDEN_ARGS
# shellcheck disable=SC2086
ecs-harden ${root_opt[@]+"${root_opt[@]}"} persist $ECS_HARDEN_ARGS

inventory_opt=()
case $ECS_HARDEN_SSM_INVENTORY in
auto) [ -d "${ECS_HARDEN_ROOT%/}/var/lib/amazon/ssm" ] && inventory_opt=(--ssm-inventory) ;;
/*) inventory_opt=(--ssm-inventory="$ECS_HARDEN_SSM_INVENTORY") ;;
esac

mkdir -p "$(dirname "$status_log")"
rc=0
# ${a[@]+"${a[@]}"}: an empty array under set -u, also with AL2's bash 4.2.
ecs-harden ${root_opt[@]+"${root_opt[@]}"} status --json ${inventory_opt[@]+"${inventory_opt[@]}"} >"$status_log" || rc=$?
log "status written to $status_log (exit $rc: 0 all pass, 1 a check failed, 3 SSM inventory not written)"

# The timer refreshes Custom:ECSHarden every 30 minutes (the agent may register after this runs).
if [ ${#inventory_opt[@]} -gt 0 ] && command -v systemctl >/dev/null 2>&1; then
	if [ "$ECS_HARDEN_ROOT" = / ]; then
		systemctl enable --now ecs-harden-inventory.timer || log "could not enable ecs-harden-inventory.timer"
	else
		systemctl --root="$ECS_HARDEN_ROOT" enable ecs-harden-inventory.timer || log "could not enable ecs-harden-inventory.timer"
	fi
fi
exit 0
