#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Never block what ECS needs: with every combination of options and both backends, containers
# keep reaching the task credential endpoint 169.254.170.2, and the instance itself (the ECS
# agent, which runs in the host's namespace) keeps reaching the metadata service; only the
# container's way to 169.254.169.254 / fd00:ec2::254 is closed.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root_netns
setup_common
setup_world

combos=(
	""
	"--no-ipv6"
	"-i docker+ -i br-+"
	"-i docker0"
	"-i docker+ -i br-+ -i cni+ --no-ipv6"
	"-i +"
)

for B in iptables nftables; do
	for opts in "${combos[@]}"; do
		label="$B ${opts:-(defaults)}"
		# shellcheck disable=SC2086 # the options are a list on purpose
		check_exit 0 "$label: apply" eh -b "$B" $opts apply
		check "$label: container -> 169.254.170.2 (task credentials) works" can_tcp 169.254.170.2
		check "$label: instance -> 169.254.169.254 (the agent's own IMDS use) works" in_i nc -z -w 1 169.254.169.254 80
		check "$label: instance -> 169.254.170.2 works" in_i nc -z -w 1 169.254.170.2 80
		check "$label: instance -> [fd00:ec2::254] works" in_i nc -z -w 1 fd00:ec2::254 80
		check "$label: container -> 169.254.169.254 is blocked" cannot_tcp 169.254.169.254
		# shellcheck disable=SC2086
		check_exit 0 "$label: remove" eh -b "$B" $opts remove
	done
done

finish
