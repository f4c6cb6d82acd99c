#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Entry point of the ECS DAEMON task: repair drift and audit on an interval. Host networking
# gives it the instance's network namespace; NET_ADMIN/NET_RAW are its capabilities, plus
# DAC_OVERRIDE to write into the SSM Agent's root-only (0600) folders.
# ECS_HARDEN_SSM_INVENTORY: yes = also write Custom:ECSHarden for SSM Inventory into the agent's
# folder for the instance id IMDS gives (mounted at /host/var/lib/amazon/ssm); /PATH = into that
# folder below /host (when IMDS is out of reach, e.g. with HOST_NETWORK=yes); anything else = no.
interval=${ECS_HARDEN_INTERVAL:-300}
case ${ECS_HARDEN_SSM_INVENTORY:-no} in
yes) inventory=--ssm-inventory ;;
/*) inventory=--ssm-inventory=$ECS_HARDEN_SSM_INVENTORY ;;
*) inventory= ;;
esac
while :; do
	ecs-harden --root /host verify --fix || echo "ecs-harden: verify --fix failed (exit $?)" >&2
	# shellcheck disable=SC2086 # $inventory is one option or none
	AWS_EC2_METADATA_DISABLED=${AWS_EC2_METADATA_DISABLED:-false} ecs-harden --root /host status --json $inventory
	sleep "$interval"
done
