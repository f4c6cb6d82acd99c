#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-policy's bounds (DESIGN.md, "Bounded work"; issue 13), as budgets, not wall-clock times:
#   - every string of the input is bounded: a 100 MB action string is refused (exit 2, the file
#     and line:column named, nothing printed) within 64 MB of peak RSS; an action or resource
#     pattern of more than 4 096 bytes likewise, naming the statement;
#   - memory is flat in the number and size of subjects, --json included: 4 000 roles, each with
#     its own ~76 KB policy (300 MB of input), take at most 64 MB of peak RSS, and so do 150
#     subjects with 3 000 findings each;
#   - a subject's work is bounded: 1 000 Allow and 1 000 Deny wildcard actions, and a 1 MB
#     document of 28 000 of each, end with the conservative verdict and a note that says the
#     budget ran out (the budget itself, in steps,
#     is tested in tests/test-policy-audit and tests/test-action-glob).
# Peak RSS comes from GNU time (skipped without it).
set -u
: "${ECS_HARDEN:?}"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0
max_rss_kb=$((64 * 1024))
# AddressSanitizer's shadow memory and quarantine (256 MB) are not the program's: under it the
# RSS bound is not judged (the plain and valgrind runs judge it), everything else is.
if ldd "${ECS_HARDEN_REAL:-$ECS_HARDEN}" 2>/dev/null | grep -q libasan; then
        echo "# built with AddressSanitizer: peak RSS reported, not judged"
        max_rss_kb=$((4 * 1024 * 1024))
fi

fail() {
        echo "not ok - $*"
        fails=$((fails + 1))
}

ok() {
        echo "ok - $*"
}

# run OUT ARGS...: runs audit-policy, stdout to OUT, stderr to $tmp/err, peak RSS (KB) to $tmp/rss;
# sets rc.
run() {
        out=$1
        shift
        if [ -x /usr/bin/time ] && [ -z "${ECS_HARDEN_REAL:-}" ]; then
                /usr/bin/time -f '%M' -o "$tmp/rss" "$ECS_HARDEN" audit-policy "$@" >"$out" 2>"$tmp/err"
                rc=$?
        else
                "$ECS_HARDEN" audit-policy "$@" >"$out" 2>"$tmp/err"
                rc=$?
                echo 0 >"$tmp/rss"
        fi
}

rss_ok() {
        rss=$(grep -E '^[0-9]+$' "$tmp/rss" | tail -1)
        [ "${rss:-0}" -le "$max_rss_kb" ]
}

# A 100 MB action string.
{
        printf '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecs:'
        head -c 100000000 /dev/zero | tr '\0' 'a'
        printf '", "Resource": "*"}]}\n'
} >"$tmp/long-action.json"
for mode in text json; do
        n=$((n + 1))
        opt=
        [ $mode = json ] && opt=--json
        run "$tmp/out" $opt "$tmp/long-action.json"
        if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && rss_ok &&
           grep -q 'long-action.json:1:69: a value longer than 1048576 bytes' "$tmp/err"; then
                ok "100 MB action string ($mode): exit 2, ${rss} KB"
        else
                fail "100 MB action string ($mode): exit $rc, ${rss:-?} KB: $(head -c 300 "$tmp/err")"
        fi
done
rm -f "$tmp/long-action.json"

# Patterns longer than IAM allows: refused, naming the statement.
n=$((n + 1))
long=$(head -c 5000 /dev/zero | tr '\0' 'b')
printf '{"Statement": [{"Effect": "Allow", "Action": "ecs:Poll", "Resource": "*"}, {"Effect": "Allow", "Action": "s3:%s", "Resource": "*"}]}\n' "$long" >"$tmp/long-pattern.json"
run "$tmp/out" "$tmp/long-pattern.json"
if [ "$rc" = 2 ] && grep -q 'long-pattern.json:1:106: statement 1: an action of 5003 bytes (at most 4096)' "$tmp/err"; then
        ok "5 000-byte action: exit 2"
else
        fail "5 000-byte action: exit $rc: $(head -c 300 "$tmp/err")"
fi
n=$((n + 1))
printf '{"Statement": [{"Effect": "Allow", "Action": "ecs:Poll", "Resource": ["*", "arn:aws:s3:::%s"]}]}\n' "$long" >"$tmp/long-resource.json"
run "$tmp/out" "$tmp/long-resource.json"
if [ "$rc" = 2 ] && grep -q 'statement 0: a resource of 5013 bytes (at most 4096)' "$tmp/err"; then
        ok "5 000-byte resource: exit 2"
else
        fail "5 000-byte resource: exit $rc: $(head -c 300 "$tmp/err")"
fi

# 4 000 roles with a distinct ~76 KB policy each: each grants reference actions on its own
# 1 150 resources (so that every subject has findings), no content shared.
awk -v roles=4000 -v res=1150 'BEGIN {
        printf "{\"RoleDetailList\": [\n"
        for (i = 0; i < roles; i++) {
                printf "%s{\"RoleName\": \"role-%05d\", \"InstanceProfileList\": [{\"InstanceProfileName\": \"p\"}], \"AttachedManagedPolicies\": [], \"RolePolicyList\": [{\"PolicyName\": \"own\", \"PolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ecs:Poll\", \"ecs:TagResource\", \"s3:GetObject\"], \"Resource\": [", (i ? ",\n" : ""), i
                for (k = 0; k < res; k++)
                        printf "%s\"arn:aws:s3:::bucket-of-role-%05d-number-%05d/some/prefix/*\"", (k ? ", " : ""), i, k
                printf "]}]}}]}"
        }
        printf "\n], \"Policies\": []}\n"
}' >"$tmp/distinct.json"
for mode in text json; do
        n=$((n + 1))
        opt=
        [ $mode = json ] && opt=--json
        run "$tmp/out" $opt "$tmp/distinct.json"
        subjects=$(grep -c '^FAIL  role-\|"name": "role-' "$tmp/out")
        if [ "$rc" = 1 ] && [ "$subjects" = 4000 ] && rss_ok; then
                ok "4 000 distinct 76 KB policies ($mode): ${rss} KB"
        else
                fail "4 000 distinct 76 KB policies ($mode): exit $rc, $subjects subjects, ${rss:-?} KB: $(head -c 300 "$tmp/err")"
        fi
done
rm -f "$tmp/distinct.json"

# Subjects with thousands of findings each: 150 roles whose own ~76 KB policy grants everything
# but 3 000 names that match no known action (3 000 unknown findings each, 125 MB of JSON).
n=$((n + 1))
awk -v roles=150 -v names=3000 'BEGIN {
        printf "{\"RoleDetailList\": [\n"
        for (i = 0; i < roles; i++) {
                printf "%s{\"RoleName\": \"role-%05d\", \"InstanceProfileList\": [{\"InstanceProfileName\": \"p\"}], \"AttachedManagedPolicies\": [], \"RolePolicyList\": [{\"PolicyName\": \"own\", \"PolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"NotAction\": [", (i ? ",\n" : ""), i
                for (k = 0; k < names; k++)
                        printf "%s\"iam:Role%05dAction%05d\"", (k ? ", " : ""), i, k
                printf "], \"Resource\": \"*\"}]}}]}"
        }
        printf "\n], \"Policies\": []}\n"
}' >"$tmp/findings.json"
run "$tmp/out" --json "$tmp/findings.json"
if [ "$rc" = 1 ] && grep -q '"subjects": 150,' "$tmp/out" && [ "$(grep -c '"kind": "unknown"' "$tmp/out")" = 450000 ] && rss_ok; then
        ok "150 subjects with 3 000 findings each (json): ${rss} KB"
else
        fail "150 subjects with 3 000 findings each (json): exit $rc, ${rss:-?} KB: $(head -c 300 "$tmp/err")"
fi
rm -f "$tmp/findings.json" "$tmp/out"

# 1 000 Allow and 1 000 Deny wildcard actions: past the budget, conservative and said so.
n=$((n + 1))
awk 'BEGIN {
        printf "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": ["
        for (i = 0; i < 1000; i++) {
                s = sprintf("ecs:*%c*%c*%c?%s*", 97 + i % 26, 97 + int(i / 26) % 26, 97 + (i * 7) % 26,
                            substr("Describe", 1, i % 8))
                for (k = 0; k < i % 7; k++) s = s "?*"
                printf "%s\"%s\"", (i ? ", " : ""), s
        }
        printf "], \"Resource\": \"*\"}, {\"Effect\": \"Deny\", \"Action\": ["
        for (i = 0; i < 1000; i++) {
                s = sprintf("ecs:*%c?%c*%c*", 97 + i % 26, 97 + int(i / 26) % 26, 97 + (i * 3) % 26)
                for (k = 0; k < i % 9; k++) s = s "?*"
                printf "%s\"%s\"", (i ? ", " : ""), s
        }
        printf "], \"Resource\": \"*\"}]}\n"
}' >"$tmp/wildcards.json"
run "$tmp/out" --json "$tmp/wildcards.json"
if [ "$rc" = 1 ] && grep -q '"verdict": "FAIL"' "$tmp/out" && grep -q 'work budget of one subject' "$tmp/out" && rss_ok; then
        ok "1 000 Allow x 1 000 Deny wildcards: conservative, says so"
else
        fail "1 000 Allow x 1 000 Deny wildcards: exit $rc: $(head -c 300 "$tmp/err")"
fi

# A 1 MB document: 28 000 Allow and 28 000 Deny wildcard actions. The budget covers building
# the queries and scanning the catalog too, not only the searches: conservative, said so.
n=$((n + 1))
awk 'BEGIN {
        printf "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": ["
        for (i = 0; i < 28000; i++)
                printf "%s\"ecs:*%c*%c*%s%d\"", (i ? ", " : ""), 97 + i % 26, 97 + int(i / 26) % 26, substr("?????", 1, i % 5), i
        printf "], \"Resource\": \"*\"}, {\"Effect\": \"Deny\", \"Action\": ["
        for (i = 0; i < 28000; i++)
                printf "%s\"ecs:*%c?%c*%d\"", (i ? ", " : ""), 97 + i % 26, 97 + int(i / 26) % 26, i
        printf "], \"Resource\": \"*\"}]}\n"
}' >"$tmp/megabyte.json"
run "$tmp/out" --json "$tmp/megabyte.json"
size=$(wc -c <"$tmp/megabyte.json")
if [ "$rc" = 1 ] && [ "$size" -le 1100000 ] && grep -q 'work budget of one subject' "$tmp/out" && rss_ok; then
        ok "1 MB of wildcards ($size bytes): conservative, says so, ${rss} KB"
else
        fail "1 MB of wildcards ($size bytes): exit $rc: $(head -c 300 "$tmp/err")"
fi

echo "1..$n"
[ "$fails" = 0 ]
