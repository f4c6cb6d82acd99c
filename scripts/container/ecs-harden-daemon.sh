#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Entry point of the ECS DAEMON task: repair drift and audit on an interval. Host networking
# gives it the instance's network namespace; NET_ADMIN/NET_RAW are its only capabilities.
interval=${ECS_HARDEN_INTERVAL:-300}
while :; do
	ecs-harden --root /host verify --fix || echo "ecs-harden: verify --fix failed (exit $?)" >&2
	AWS_EC2_METADATA_DISABLED=${AWS_EC2_METADATA_DISABLED:-false} ecs-harden --root /host status --json
	sleep "$interval"
done
