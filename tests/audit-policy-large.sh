#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-policy on authorization dumps of several megabytes read from a regular file (whose
# error positions are counted from the file when an error needs them): the report, the exit
# status and every error message must be those of the same input read from standard input.
# Covers managed policies attached to the first or the last role only, managed policies before
# the roles, roles without an instance profile, URL-encoded and unique documents, statement
# and JSON errors early and late in the file (with their line:column), and truncated input.
# (These dumps were once read in two halves by two threads; "half" below means where in the
# file.)
set -u
: "${ECS_HARDEN:?}"
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

# gen ROLES [awk assignments]: a dump in the AWS CLI's key order, one role per line.
#   bad_effect=N   role N's inline statement has Effect "Maybe"
#   bad_json=N     role N lacks a comma
#   ip2=1          every role has two instance profiles, and roles start with RoleName (so
#                  that the only "}, {"Path" in the middle is inside an InstanceProfileList)
#   policies_first=1  the managed policies come before the roles (the first half holds them)
#   no_ip_before=N  roles before the Nth have no instance profile (no subject in the first half)
gen() {
        roles=$1
        shift
        awk -v roles="$roles" "$@" '
        function policies(acct,   k, pn, extra) {
                printf "    \"Policies\": [\n"
                for (k = 0; k < 15; k++) {
                        pn = k < 13 ? "shared-" k : (k == 13 ? "first-only" : "last-only")
                        extra = (k % 3 == 0 || k >= 13) ? ", \"s3:*\"" : ""
                        printf "        {\"PolicyName\": \"%s\", \"Arn\": \"arn:aws:iam::%s:policy/%s\", \"DefaultVersionId\": \"v2\", \"PolicyVersionList\": [", pn, acct, pn
                        printf "{\"Document\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"ecs:Poll\"%s], \"Resource\": \"*\"}]}, \"VersionId\": \"v2\", \"IsDefaultVersion\": true}, ", extra
                        printf "{\"Document\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}, \"VersionId\": \"v1\", \"IsDefaultVersion\": false}]}%s\n", (k < 14 ? "," : "")
                }
                printf "    ]"
        }
        BEGIN {
                if (bad_effect == "")
                        bad_effect = -1
                if (bad_json == "")
                        bad_json = -1
                acct = "111122223333"
                trust = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"ec2.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"}]}"
                v6 = "[\"ec2:DescribeTags\", \"ecs:CreateCluster\", \"ecs:DeregisterContainerInstance\", \"ecs:DiscoverPollEndpoint\", \"ecs:Poll\", \"ecs:RegisterContainerInstance\", \"ecs:StartTelemetrySession\", \"ecs:UpdateContainerInstancesState\", \"ecs:Submit*\", \"ecr:GetAuthorizationToken\", \"ecr:BatchCheckLayerAvailability\", \"ecr:GetDownloadUrlForLayer\", \"ecr:BatchGetImage\", \"logs:CreateLogStream\", \"logs:PutLogEvents\"]"
                enc = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22NotAction%22%3A%20%5B%22iam%3A%2A%22%5D%2C%20%22Resource%22%3A%20%22%2A%22%7D%2C%20%7B%22Effect%22%3A%20%22Deny%22%2C%20%22Action%22%3A%20%22s3%3ADeleteBucket%22%2C%20%22Resource%22%3A%20%22%2A%22%7D%5D%7D"
                printf "{\n    \"UserDetailList\": [],\n    \"GroupDetailList\": [],\n"
                if (policies_first) {
                        policies(acct)
                        printf ",\n"
                }
                printf "    \"RoleDetailList\": [\n"
                for (i = 0; i < roles; i++) {
                        name = sprintf("role-%05d", i)
                        arn = "arn:aws:iam::" acct ":role/" name
                        ipobj = sprintf("{\"Path\": \"/\", \"InstanceProfileName\": \"%s\", \"Arn\": \"arn:aws:iam::%s:instance-profile/%s\", \"Roles\": [{\"Path\": \"/\", \"RoleName\": \"%s\", \"Arn\": \"%s\", \"AssumeRolePolicyDocument\": %s}]}", name, acct, name, name, arn, trust)
                        ips = "[" ipobj (ip2 ? ", " ipobj : "") "]"
                        kind = i % 8
                        inl = "[]"; att = "[]"
                        effect = (i == bad_effect) ? "Maybe" : "Allow"
                        if (kind == 0 || i == 0)
                                att = "[{\"PolicyName\": \"AmazonEC2ContainerServiceforEC2Role\", \"PolicyArn\": \"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role\"}]"
                        if (i == 0)
                                att = "[{\"PolicyName\": \"first-only\", \"PolicyArn\": \"arn:aws:iam::" acct ":policy/first-only\"}]"
                        else if (i == roles - 1)
                                att = "[{\"PolicyName\": \"last-only\", \"PolicyArn\": \"arn:aws:iam::" acct ":policy/last-only\"}]"
                        else if (kind == 1)
                                inl = "[{\"PolicyName\": \"v6\", \"PolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"" effect "\", \"Action\": " v6 ", \"Resource\": \"*\"}]}}]"
                        else if (kind == 2)
                                inl = "[{\"PolicyName\": \"broad\", \"PolicyDocument\": \"" enc "\"}]"
                        else if (kind == 3)
                                att = sprintf("[{\"PolicyName\": \"shared-%d\", \"PolicyArn\": \"arn:aws:iam::%s:policy/shared-%d\"}]", i % 13, acct, i % 13)
                        else if (kind == 4)
                                ips = "[]"
                        if (i < no_ip_before + 0)
                                ips = "[]"
                        else if (kind == 5)
                                inl = sprintf("[{\"PolicyName\": \"app\", \"PolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"App\", \"Effect\": \"" effect "\", \"Action\": [\"s3:GetObject\", \"ecs:ListTagsForResource\"], \"Resource\": \"arn:aws:s3:::bucket-%d/*\"}]}}]", i)
                        else if (kind == 6)
                                att = "[{\"PolicyName\": \"AmazonSSMManagedInstanceCore\", \"PolicyArn\": \"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore\"}]"
                        head = ip2 ? sprintf("\"RoleName\": \"%s\", \"Path\": \"/\"", name) : sprintf("\"Path\": \"/\", \"RoleName\": \"%s\"", name)
                        comma = (i == bad_json) ? "" : ","
                        printf "        {%s, \"Arn\": \"%s\", \"CreateDate\": \"2021-01-01T00:00:00Z\", \"AssumeRolePolicyDocument\": %s, \"InstanceProfileList\": %s, \"RolePolicyList\": %s%s \"AttachedManagedPolicies\": %s, \"RoleLastUsed\": {}}%s\n", head, arn, trust, ips, inl, comma, att, (i + 1 < roles ? "," : "")
                }
                printf "    ]"
                if (!policies_first) {
                        printf ",\n"
                        policies(acct)
                }
                printf "\n}\n"
        }'
}

# same NAME FILE [--json]: the file and standard input give the same report and status.
same() {
        name=$1 file=$2
        shift 2
        n=$((n + 1))
        "$ECS_HARDEN" audit-policy "$@" "$file" >"$tmp/out-file" 2>"$tmp/err-file"
        rc_file=$?
        "$ECS_HARDEN" audit-policy "$@" - <"$file" >"$tmp/out-stdin" 2>"$tmp/err-stdin"
        rc_stdin=$?
        # Messages name the input: the file, or "-".
        sed "s|$file:|-:|" "$tmp/err-file" >"$tmp/err-file-as-stdin"
        if [ "$rc_file" != "$rc_stdin" ]; then
                fail "$name: exit $rc_file from the file, $rc_stdin from standard input"
        elif ! cmp -s "$tmp/out-file" "$tmp/out-stdin"; then
                fail "$name: the reports differ"
                diff "$tmp/out-file" "$tmp/out-stdin" | head -20
        elif ! cmp -s "$tmp/err-file-as-stdin" "$tmp/err-stdin"; then
                fail "$name: messages differ: $(cat "$tmp/err-file") / $(cat "$tmp/err-stdin")"
        else
                ok "$name (exit $rc_file)"
        fi
}

gen 5000 >"$tmp/dump.json"
size=$(wc -c <"$tmp/dump.json")
[ "$size" -ge 4194304 ] || { echo "generated dump too small: $size bytes"; exit 99; }
same "large dump, JSON report" "$tmp/dump.json" --json
same "large dump, text report" "$tmp/dump.json"

# The policies attached only in the first or the last role were judged, not reported unknown.
n=$((n + 1))
"$ECS_HARDEN" audit-policy --json "$tmp/dump.json" >"$tmp/out" 2>/dev/null
if grep -q 'only is neither in the input' "$tmp/out" ||
   ! grep -q 'managed policy arn:aws:iam::111122223333:policy/first-only v2: s3:\* grants actions' "$tmp/out" ||
   ! grep -q 'managed policy arn:aws:iam::111122223333:policy/last-only v2: s3:\* grants actions' "$tmp/out"; then
        fail "managed policies attached in one half only"
else
        ok "managed policies attached in one half only"
fi

# Managed policies before the roles: the second half's roles resolve them too.
gen 5000 -v policies_first=1 >"$tmp/policies-first.json"
same "managed policies before the roles, JSON report" "$tmp/policies-first.json" --json
same "managed policies before the roles, text report" "$tmp/policies-first.json"

# No subject in the first half: the second half's come first, and the report is the same.
gen 7000 -v no_ip_before=5500 >"$tmp/late-subjects.json"
same "subjects only in the second half, JSON report" "$tmp/late-subjects.json" --json
same "subjects only in the second half, text report" "$tmp/late-subjects.json"
gen 9000 -v no_ip_before=9000 >"$tmp/no-subjects.json"
same "no subject at all, JSON report" "$tmp/no-subjects.json" --json
same "no subject at all, text report" "$tmp/no-subjects.json"

# The second half's subjects are judged by a thread of their own: with other inputs before
# and after a large dump, the subjects still come in input order. Expected: the same inputs
# with each large one read in one piece, through a FIFO.
printf '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}\n' >"$tmp/small.json"
for args in "small.json dump.json" "dump.json small.json" "dump.json policies-first.json" "small.json dump.json dump.json"; do
        for fmt in --json --text; do
                n=$((n + 1))
                files="" piped="" k=0
                for a in $args; do
                        files="$files $tmp/$a"
                        case $a in
                        small.json) piped="$piped $tmp/$a" ;;
                        *)
                                k=$((k + 1))
                                rm -f "$tmp/fifo$k" && mkfifo "$tmp/fifo$k" || exit 99
                                cat "$tmp/$a" >"$tmp/fifo$k" &
                                piped="$piped $tmp/fifo$k"
                                ;;
                        esac
                done
                [ "$fmt" = --json ] && opt=--json || opt=
                # shellcheck disable=SC2086 # word splitting wanted: lists of inputs
                "$ECS_HARDEN" audit-policy $opt $piped >"$tmp/out-piped" 2>&1
                rc_piped=$?
                wait
                # shellcheck disable=SC2086
                "$ECS_HARDEN" audit-policy $opt $files >"$tmp/out-files" 2>&1
                rc_files=$?
                if [ "$rc_files" != "$rc_piped" ] || [ "$rc_files" -gt 1 ]; then
                        fail "inputs $args $fmt: exit $rc_files from files, $rc_piped read in one piece"
                        head -5 "$tmp/out-files"
                elif ! cmp -s "$tmp/out-files" "$tmp/out-piped"; then
                        fail "inputs $args $fmt: the reports differ"
                        diff "$tmp/out-files" "$tmp/out-piped" | head -10
                else
                        ok "inputs $args $fmt: same report (exit $rc_files)"
                fi
        done
done

gen 5000 -v bad_effect=3201 >"$tmp/bad-effect-late.json"
same "bad Effect in the second half" "$tmp/bad-effect-late.json" --json
gen 5000 -v bad_effect=9 >"$tmp/bad-effect-early.json"
same "bad Effect in the first half" "$tmp/bad-effect-early.json" --json
gen 5000 -v bad_effect=9 -v bad_json=3500 >"$tmp/bad-both.json"
same "errors in both halves: the first one" "$tmp/bad-both.json" --json
gen 5000 -v bad_json=3333 >"$tmp/bad-json-late.json"
same "invalid JSON in the second half" "$tmp/bad-json-late.json" --json
gen 5000 -v bad_json=4999 >"$tmp/bad-json-last.json"
same "invalid JSON in the last role" "$tmp/bad-json-last.json" --json

gen 4000 -v ip2=1 >"$tmp/ip2.json"
same "middle inside an InstanceProfileList" "$tmp/ip2.json" --json

# Truncated in the second half.
head -c $((size * 3 / 4)) "$tmp/dump.json" >"$tmp/truncated.json"
same "truncated in the second half" "$tmp/truncated.json" --json

# Something after the document.
{ cat "$tmp/dump.json"; echo '{}'; } >"$tmp/trailing.json"
same "trailing garbage" "$tmp/trailing.json" --json

echo "1..$n"
[ "$fails" = 0 ]
