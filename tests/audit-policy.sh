#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-policy end to end, no root needed: golden --json reports for every input shape and
# finding kind (tests/policy/cases.txt), malformed inputs (exit 2, the file and line:column
# or statement named, nothing on stdout), standard input, the human report, and a bound on
# the time adversarial wildcard patterns take.
set -u
: "${ECS_HARDEN:?}" "${TESTS_DIR:?}"
dir=$TESTS_DIR/policy
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

fail() {
        echo "not ok - $*"
        fails=$((fails + 1))
}

ok() {
        echo "ok - $*"
}

# Golden JSON reports.
while read -r name want args; do
        case $name in ''|'#'*) continue ;; esac
        n=$((n + 1))
        # shellcheck disable=SC2086 # ARGS is a word list
        (cd "$dir/input" && "$ECS_HARDEN" audit-policy --json $args) >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if [ -n "${UPDATE_GOLDEN:-}" ]; then
                cp "$tmp/out" "$dir/expected/$name.json"
        fi
        if [ "$rc" != "$want" ]; then
                fail "$name: exit $rc, expected $want: $(cat "$tmp/err")"
        elif ! diff -u "$dir/expected/$name.json" "$tmp/out" >"$tmp/diff"; then
                fail "$name: output differs from expected/$name.json"
                head -40 "$tmp/diff"
        else
                ok "$name"
        fi
done <"$dir/cases.txt"

# Malformed inputs: exit 2, the message names the file and position, no verdict printed.
tab=$(printf '\t')
while IFS=$tab read -r file msg; do
        case $file in ''|'#'*) continue ;; esac
        n=$((n + 1))
        (cd "$dir/malformed" && "$ECS_HARDEN" audit-policy --json "$file") >"$tmp/out" 2>"$tmp/err"
        rc=$?
        got=$(cat "$tmp/err")
        if [ "$rc" != 2 ]; then
                fail "malformed $file: exit $rc, expected 2"
        elif [ -s "$tmp/out" ]; then
                fail "malformed $file: printed a report"
        elif [ "$got" != "ecs-harden: error: $msg" ]; then
                fail "malformed $file: message '$got', expected '$msg'"
        else
                ok "malformed $file"
        fi
done <"$dir/malformed/errors.txt"

# A malformed input after a good one: still no verdict at all.
n=$((n + 1))
(cd "$dir" && "$ECS_HARDEN" audit-policy input/doc-managed-v10.json malformed/bad-effect.json) >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -q 'malformed/bad-effect.json:5:17' "$tmp/err"; then
        ok "malformed second file: no verdict"
else
        fail "malformed second file: exit $rc, stdout $(wc -c <"$tmp/out") bytes"
fi

# Standard input: the subject is named "-".
n=$((n + 1))
"$ECS_HARDEN" audit-policy --json - <"$dir/input/doc-page-v6.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -q '"name": "-"' "$tmp/out" && grep -q '"verdict": "WARN"' "$tmp/out"; then
        ok "standard input"
else
        fail "standard input: exit $rc"
fi
n=$((n + 1))
"$ECS_HARDEN" audit-policy - <"$dir/malformed/bad-effect.json" >"$tmp/out" 2>"$tmp/err"
if [ $? = 2 ] && grep -q -- '-:5:17: statement 0' "$tmp/err"; then
        ok "standard input, malformed"
else
        fail "standard input, malformed: $(cat "$tmp/err")"
fi

# No room for the temporary file of subjects: the machine's fault (exit 3, saying where), not
# the input's; a missing input is the user's (exit 2).
n=$((n + 1))
# (Run directly under valgrind, which needs a $TMPDIR of its own.)
TMPDIR=$tmp/no-such-dir "${ECS_HARDEN_REAL:-$ECS_HARDEN}" audit-policy "$dir/input/doc-page-v6.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 3 ] && [ ! -s "$tmp/out" ] && grep -q 'temporary file.*TMPDIR' "$tmp/err"; then
        ok "temporary file not writable: exit 3"
else
        fail "temporary file not writable: exit $rc: $(cat "$tmp/err")"
fi
n=$((n + 1))
"$ECS_HARDEN" audit-policy "$tmp/no-such-input.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'no-such-input.json: No such file' "$tmp/err"; then
        ok "missing input: exit 2"
else
        fail "missing input: exit $rc: $(cat "$tmp/err")"
fi

# Bad references: exit 2.
for ref in NoSuchPolicy AmazonEC2ContainerServiceforEC2Role@v11 "$dir/malformed/bad-effect.json"; do
        n=$((n + 1))
        "$ECS_HARDEN" audit-policy --reference "$ref" "$dir/input/doc-case.json" >"$tmp/out" 2>"$tmp/err"
        if [ $? = 2 ] && [ ! -s "$tmp/out" ]; then
                ok "bad reference $(basename "$ref")"
        else
                fail "bad reference $ref"
        fi
done

# The human report: verdict lines, grouped findings, the remediation and the policy to use.
n=$((n + 1))
(cd "$dir/input" && "$ECS_HARDEN" audit-policy dump-fleet.json) >"$tmp/out" 2>&1
if [ $? = 1 ] && grep -q '^Reference: AmazonEC2ContainerServiceforEC2Role v10 (built in)' "$tmp/out" &&
   grep -q '^PASS  managed-attached' "$tmp/out" && grep -q '^FAIL  extra-s3' "$tmp/out" &&
   grep -q '^  excess (FAIL):' "$tmp/out" && grep -q 'remediation:' "$tmp/out" &&
   grep -q '^Least-privilege policy to use instead' "$tmp/out" &&
   grep -q '^5 subjects: 2 PASS, 2 WARN, 1 FAIL' "$tmp/out"; then
        ok "human report"
else
        fail "human report"
        cat "$tmp/out"
fi

# Adversarial patterns: thousands of star-question wildcards stay fast (no backtracking).
n=$((n + 1))
awk 'BEGIN {
        printf "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ecs:Poll\""
        for (i = 0; i < 3000; i++) {
                s = "ecs:"; for (k = 0; k <= i % 12; k++) s = s "*?"; s = s sprintf("%c*", 97 + i % 26)
                printf ",\"%s\"", s
        }
        printf "],\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":["
        for (i = 0; i < 2000; i++) printf "%s\"ecs:*?*?*%c?*?*\"", (i ? "," : ""), 97 + i % 26
        printf "],\"Resource\":\"*\"}]}\n"
}' >"$tmp/adversarial.json"
start=$(date +%s)
timeout 120 "$ECS_HARDEN" audit-policy --json "$tmp/adversarial.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
elapsed=$(($(date +%s) - start))
limit=10
[ -n "${ECS_HARDEN_REAL:-}" ] && limit=60 # under valgrind
if [ "$rc" = 1 ] && [ "$elapsed" -le "$limit" ] && grep -q '"kind": "excess"' "$tmp/out"; then
        ok "adversarial patterns (${elapsed}s)"
else
        fail "adversarial patterns: exit $rc after ${elapsed}s"
fi

echo "1..$n"
[ "$fails" = 0 ]
