#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The command-line contract: exit codes, usage errors, privilege refusal, the printed rules.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

setup_common

check_exit 0 "--help exits 0" "$ECS_HARDEN" --help
check "--help lists every command" bash -c 'for c in apply remove verify persist status audit-policy rules; do grep -q "^  $c" "$1" || exit 1; done' _ "$TMPD/out"
check "--help lists the shared options" bash -c 'for o in --backend --interface --no-ipv6 --root --flavour --json --dry-run; do grep -q -- "$o" "$1" || exit 1; done' _ "$TMPD/out"
check_exit 0 "--version exits 0" "$ECS_HARDEN" --version
check "--version prints the name and a version" grep -Eq '^ecs-harden [0-9]+\.[0-9]+' "$TMPD/out"

check_exit 2 "no command exits 2" "$ECS_HARDEN"
check_exit 2 "an unknown command exits 2" "$ECS_HARDEN" frobnicate
check "... with a usage hint" grep -q -- "--help" "$TMPD/err"
check_exit 2 "an unknown option exits 2" "$ECS_HARDEN" apply --frobnicate
check_exit 2 "an unknown backend exits 2" "$ECS_HARDEN" -b ipchains rules
check_exit 2 "a pattern with + inside exits 2" "$ECS_HARDEN" rules -i 'dock+er'
check "... and names the pattern" grep -q "dock+er" "$TMPD/err"
check_exit 2 "a pattern longer than 15 characters exits 2" "$ECS_HARDEN" rules -i 0123456789abcdef
check_exit 2 "a pattern with a slash exits 2" "$ECS_HARDEN" rules -i 'eth0/1'
check_exit 2 "an option of another command exits 2 (--fix on apply)" "$ECS_HARDEN" apply --fix
check_exit 2 "operands where none are taken exit 2" "$ECS_HARDEN" verify extra
check_exit 2 "audit-policy without a file exits 2" "$ECS_HARDEN" audit-policy
check_exit 2 "an unknown --format exits 2" "$ECS_HARDEN" rules --format pf

check_exit 0 "rules --format iptables exits 0" "$ECS_HARDEN" rules --format iptables
check "rules prints the documented IPv4 rule" grep -qxF -- '-A FORWARD -d 169.254.169.254/32 -i docker+ -j DROP' "$TMPD/out"
check "rules prints the IPv6 twin" grep -qxF -- '-A FORWARD -d fd00:ec2::254/128 -i docker+ -j DROP' "$TMPD/out"
check_exit 0 "rules --no-ipv6 -i docker+ -i br-+" "$ECS_HARDEN" rules --format iptables --no-ipv6 -i docker+ -i br-+
check "one rule per pattern, IPv4 only" test "$(grep -c '^-A FORWARD' "$TMPD/out")" = 2
check "no IPv6 rule with --no-ipv6" bash -c '! grep -q fd00 "$1"' _ "$TMPD/out"
check_exit 0 "rules --json exits 0" "$ECS_HARDEN" rules --format iptables --json
check "rules --json is one JSON document with the rules" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1 and d["format"] == "iptables"
assert [(r["family"], r["interface"], r["address"]) for r in d["rules"]] == [("ipv4", "docker+", "169.254.169.254"), ("ipv6", "docker+", "fd00:ec2::254")], d
' "$TMPD/out"

# The man page documents every option and command that --help lists.
MAN=${MAN_PAGE:-$(dirname "$ECS_HARDEN")/doc/ecs-harden.8}
if [ -f "$MAN" ]; then
	"$ECS_HARDEN" --help >"$TMPD/help"
	sed 's/\\-/-/g' "$MAN" >"$TMPD/man.txt"   # roff's \- is a plain hyphen
	missing=""
	for o in $(grep -oE -- '--[a-z0-9-]+' "$TMPD/help" | sort -u); do
		grep -qE -- "(^|[ \"])$o([ \"]|$)" "$TMPD/man.txt" || missing="$missing $o"
	done
	check "the man page documents every option of --help (missing:${missing:- none})" test -z "$missing"
	missing=""
	for c in apply remove verify persist status audit-policy rules; do
		grep -qE "^\.(B|BR) $c( |$)" "$TMPD/man.txt" || missing="$missing $c"
	done
	check "the man page documents every command (missing:${missing:- none})" test -z "$missing"
else
	diag "no man page at $MAN"
fi

# Mutating commands refuse without root, before touching anything.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	for cmd in apply remove persist; do
		check_exit 3 "$cmd as an unprivileged user exits 3" as_nobody "$ECS_HARDEN" "$cmd"
		check "... saying it needs root" grep -q "root" "$TMPD/err"
	done
	check_exit 3 "verify --fix as an unprivileged user exits 3" as_nobody "$ECS_HARDEN" verify --fix
	check_exit 3 "verify (read-only) as an unprivileged user exits 3: the kernel refuses" as_nobody "$ECS_HARDEN" -b iptables verify
	check "... with a message that says what to do" grep -qi "root" "$TMPD/err"
else
	diag "not root: privilege tests skipped"
fi

finish
