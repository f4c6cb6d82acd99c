#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every change the tool makes while running under systemd reaches the journal as a structured
# entry (ECS_HARDEN_ACTION=apply|repair|remove, ECS_HARDEN_BACKEND=), through a stand-in journal
# socket in a private /run; an interactive run prints to stderr instead.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_root_netns
command -v unshare >/dev/null || skip_all "needs unshare"
setup_common
HERE=$(cd "$(dirname "$0")" && pwd)
NS="$NS_PREFIX-j"
netns_add "$NS"

# Runs the given ecs-harden arguments as a systemd service would (JOURNAL_STREAM set, sd_booted
# true) with a stand-in journal; the entries land in $TMPD/journal.out, one JSON object a line.
as_service() {
	rm -f "$TMPD/journal.out" "$TMPD/journal.ready"
	ip netns exec "$NS" unshare -m --propagation private sh -c '
		mount -t tmpfs tmpfs /run || exit 1
		mkdir -p /run/systemd/system /run/systemd/journal
		python3 "$0" --socket /run/systemd/journal/socket --out "$1/journal.out" --ready "$1/journal.ready" --seconds 20 &
		jpid=$!
		for _ in $(seq 100); do [ -s "$1/journal.ready" ] && break; sleep 0.05; done
		shift 2
		JOURNAL_STREAM=8:12345 "$@" 2>"$TMPD_ERR"
		rc=$?
		sleep 0.2
		kill $jpid; wait $jpid 2>/dev/null
		exit $rc
	' "$HERE/journal-server.py" "$TMPD" x "$ECS_HARDEN" "$@"
}
export TMPD_ERR="$TMPD/stderr"

entry_has() {
	python3 - "$TMPD/journal.out" "$@" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])] if sys.argv[1] else []
want = dict(a.split("=", 1) for a in sys.argv[2:])
assert any(all(e.get(k) == v for k, v in want.items()) for e in entries), entries
PY
}

for B in iptables nftables; do
	check_exit 0 "$B: apply as a service" as_service -b "$B" apply
	check "$B: the change is a journal entry with ECS_HARDEN_ACTION=apply" \
		entry_has ECS_HARDEN_ACTION=apply ECS_HARDEN_BACKEND="$B" PRIORITY=5 SYSLOG_IDENTIFIER=ecs-harden
	check_exit 0 "$B: apply again as a service (nothing to change)" as_service -b "$B" apply
	check "$B: no entry when nothing changed" test ! -s "$TMPD/journal.out"
	ip netns exec "$NS" "$ECS_HARDEN" -q -b "$B" remove
	check_exit 0 "$B: verify --fix as a service repairs" as_service -b "$B" verify --fix
	check "$B: the repair is a journal entry with ECS_HARDEN_ACTION=repair" entry_has ECS_HARDEN_ACTION=repair
	check_exit 0 "$B: remove as a service" as_service -b "$B" remove
	check "$B: the removal is a journal entry with ECS_HARDEN_ACTION=remove" entry_has ECS_HARDEN_ACTION=remove
done
check_exit 0 "interactive apply" ip netns exec "$NS" "$ECS_HARDEN" -b iptables apply
check "an interactive run says it on stderr" grep -q "metadata block applied" "$TMPD/err"

finish
