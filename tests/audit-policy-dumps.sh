#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# audit-policy on authorization dumps as AWS writes them (issue 14): attached AWS managed
# policies resolve from the dump, else from the shipped data, else are "unresolved" (never
# PASS); only the default version of a managed policy is judged; action names with blanks, as
# AWS itself published them, are unknown (WARN), not malformed.
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

# check NAME WANT_RC FILE [OPTIONS]: runs audit-policy --json, keeps out/err, checks the exit.
check() {
        name=$1 want=$2 file=$3
        shift 3
        n=$((n + 1))
        "$ECS_HARDEN" audit-policy --json "$@" "$file" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        [ "$rc" = "$want" ] && return 0
        fail "$name: exit $rc, expected $want: $(head -c 400 "$tmp/err") $(head -c 400 "$tmp/out")"
        return 1
}

# The v10 agent statements, as one document.
AGENT='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeTags","ecs:CreateCluster","ecs:DeregisterContainerInstance","ecs:DiscoverPollEndpoint","ecs:Poll","ecs:RegisterContainerInstance","ecs:StartTelemetrySession","ecs:UpdateContainerInstancesState","ecs:Submit*","ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"},{"Effect":"Allow","Action":"ecs:TagResource","Resource":"*","Condition":{"StringEquals":{"ecs:CreateAction":["CreateCluster","RegisterContainerInstance"]}}},{"Effect":"Allow","Action":["ecs:ListTagsForResource"],"Resource":["arn:aws:ecs:*:*:task/*/*","arn:aws:ecs:*:*:container-instance/*/*"]}]}'

# role NAME ARN...: a role with an instance profile and these attached policies.
role() {
        name=$1
        shift
        printf '{"RoleName":"%s","Arn":"arn:aws:iam::111122223333:role/%s","RolePolicyList":[],' "$name" "$name"
        printf '"InstanceProfileList":[{"InstanceProfileName":"%s"}],"AttachedManagedPolicies":[' "$name"
        sep=
        for arn; do
                printf '%s{"PolicyName":"%s","PolicyArn":"%s"}' "$sep" "${arn##*/}" "$arn"
                sep=,
        done
        printf ']}'
}

# dump ROLES [POLICIES]: the whole document.
dump() {
        printf '{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[%s],"Policies":[%s]}\n' "$1" "${2:-}"
}

# ---- 1. attached AWS managed policies: the dump, else the shipped data, else unresolved ----

ADMIN=arn:aws:iam::aws:policy/AdministratorAccess
EC2ROLE=arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role

dump "$(role admin "$ADMIN")" >"$tmp/admin.json"
if check "AdministratorAccess without Policies" 1 "$tmp/admin.json" &&
   grep -q '"verdict": "FAIL"' "$tmp/out" && grep -q '"kind": "excess"' "$tmp/out" &&
   grep -q '"action": "\*"' "$tmp/out" && ! grep -q '"kind": "unresolved"' "$tmp/out"; then
        ok "AdministratorAccess attached, no Policies section: FAIL, excess * (from the shipped copy)"
elif [ "$rc" = 1 ]; then
        fail "AdministratorAccess: $(cat "$tmp/out")"
fi

dump "$(role r "$EC2ROLE" arn:aws:iam::aws:policy/NoSuchPolicyAnywhere)" >"$tmp/unknown-arn.json"
if check "unknown AWS ARN" 0 "$tmp/unknown-arn.json" && grep -q '"verdict": "WARN"' "$tmp/out" &&
   grep -q '"kind": "unresolved"' "$tmp/out" &&
   grep -q '"action": "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"' "$tmp/out" &&
   grep -q 'NoSuchPolicyAnywhere is neither in the input.s Policies nor among the AWS managed policies shipped' "$tmp/out"; then
        ok "an AWS ARN nobody ships, beside the ECS policy: WARN, kind unresolved naming the ARN"
elif [ "$rc" = 0 ]; then
        fail "unknown AWS ARN: $(cat "$tmp/out")"
fi

# The text report says the same, with the remediation to give the audit what it lacked.
n=$((n + 1))
"$ECS_HARDEN" audit-policy "$tmp/unknown-arn.json" >"$tmp/out" 2>&1
if grep -q '^WARN  r$' "$tmp/out" && grep -q '^  unresolved (WARN):$' "$tmp/out" &&
   grep -q 'remediation: give the audit every policy attached' "$tmp/out"; then
        ok "text report: unresolved (WARN) section and its remediation"
else
        fail "text report: $(cat "$tmp/out")"
fi

# A customer managed policy the dump does not carry, with excess elsewhere: FAIL still.
dump "$(role r "$EC2ROLE" arn:aws:iam::111122223333:policy/gone "$ADMIN")" >"$tmp/gone.json"
if check "customer policy absent" 1 "$tmp/gone.json" && grep -q '"verdict": "FAIL"' "$tmp/out" &&
   grep -q '"kind": "unresolved"' "$tmp/out" && grep -q '"action": "arn:aws:iam::111122223333:policy/gone"' "$tmp/out"; then
        ok "a customer managed policy absent from the dump, beside AdministratorAccess: FAIL with unresolved"
elif [ "$rc" = 1 ]; then
        fail "customer policy absent: $(cat "$tmp/out")"
fi

# The dump's own copy wins over the shipped one (here an AdministratorAccess cut down to the
# agent's actions, as an account could not have it: the point is where it is read from).
dump "$(role admin "$ADMIN")" \
     "{\"PolicyName\":\"AdministratorAccess\",\"Arn\":\"$ADMIN\",\"DefaultVersionId\":\"v1\",\"PolicyVersionList\":[{\"VersionId\":\"v1\",\"IsDefaultVersion\":true,\"Document\":$AGENT}]}" \
     >"$tmp/admin-in-dump.json"
if check "AdministratorAccess from the dump" 0 "$tmp/admin-in-dump.json" && grep -q '"verdict": "PASS"' "$tmp/out"; then
        ok "an attached AWS managed policy the dump carries is read from the dump"
elif [ "$rc" = 0 ]; then
        fail "AdministratorAccess from the dump: $(cat "$tmp/out")"
fi

# ---- 2. only the default version of a managed policy is judged ----

CUST=arn:aws:iam::111122223333:policy/agent
MAYBE='{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"ecs:Poll","Resource":"*"}]}'
NOTACTION='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"not-an-action","Resource":"*"}]}'
# The same, URL-encoded as the IAM API returns documents.
NOTACTION_ENC='"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22not-an-action%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"'

# versions DEFAULT_ID DOC1 DOC2 DOC3 [ISDEFAULT_OF]: the customer policy with three versions;
# IsDefaultVersion follows the Document, so that the parser learns which is in effect last.
versions() {
        d=$1 v1=$2 v2=$3 v3=$4
        is() { [ "$1" = "$d" ] && echo true || echo false; }
        printf '{"PolicyName":"agent","Arn":"%s","PolicyVersionList":[' "$CUST"
        printf '{"VersionId":"v1","Document":%s,"IsDefaultVersion":%s},' "$v1" "$(is v1)"
        printf '{"VersionId":"v2","Document":%s,"IsDefaultVersion":%s},' "$v2" "$(is v2)"
        printf '{"VersionId":"v3","Document":%s,"IsDefaultVersion":%s}],' "$v3" "$(is v3)"
        printf '"DefaultVersionId":"%s"}' "$d"
}

dump "$(role r "$CUST")" "$(versions v3 "$MAYBE" "$NOTACTION_ENC" "$AGENT")" >"$tmp/nondefault.json"
if check "malformed non-default versions" 0 "$tmp/nondefault.json" && grep -q '"verdict": "PASS"' "$tmp/out" &&
   [ ! -s "$tmp/err" ]; then
        ok "Effect Maybe and not-an-action (URL-encoded) in non-default versions: ignored, the default v3 PASSes"
elif [ "$rc" = 0 ]; then
        fail "malformed non-default versions: $(cat "$tmp/out" "$tmp/err")"
fi

dump "$(role r "$CUST")" "$(versions v1 "$MAYBE" "$NOTACTION" "$AGENT")" >"$tmp/default-maybe.json"
if check "malformed default v1" 2 "$tmp/default-maybe.json" && [ ! -s "$tmp/out" ] &&
   grep -q 'default-maybe.json:1:[0-9]*: statement 0: Effect must be "Allow" or "Deny", not "Maybe" (in arn:aws:iam::111122223333:policy/agent, default version v1)' "$tmp/err"; then
        ok "a malformed default version: exit 2 naming the file, the statement, the policy and the version"
elif [ "$rc" = 2 ]; then
        fail "malformed default v1: $(cat "$tmp/out" "$tmp/err")"
fi

dump "$(role r "$CUST")" "$(versions v2 "$AGENT" "$NOTACTION_ENC" "$AGENT")" >"$tmp/default-enc.json"
if check "malformed default v2 (encoded)" 2 "$tmp/default-enc.json" && [ ! -s "$tmp/out" ] &&
   grep -q 'not-an-action.* is neither \* nor prefix:name.*(in arn:aws:iam::111122223333:policy/agent, default version v2)' "$tmp/err"; then
        ok "a malformed URL-encoded default version: exit 2 naming it"
elif [ "$rc" = 2 ]; then
        fail "malformed default v2: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- 3. action names with blanks, as AWS published them: unknown (WARN), still judged ----

BLANKED=$(printf '%s' "$AGENT" | sed 's/"ecs:Poll"/"ecs:Poll "/; s/"ecs:Submit\*"/"ecs: Submit*"/')
dump "$(role r "$CUST")" "$(versions v3 "$MAYBE" "$NOTACTION" "$BLANKED")" >"$tmp/blanked.json"
if check "blanks in the default version" 0 "$tmp/blanked.json" && grep -q '"verdict": "WARN"' "$tmp/out" &&
   grep -q '"action": "ecs:Poll "' "$tmp/out" && grep -q '"action": "ecs: Submit\*"' "$tmp/out" &&
   grep -q 'has a blank in its name.*judged as ecs:Poll, the name without its blanks' "$tmp/out" &&
   [ "$(grep -c '"kind": "unknown"' "$tmp/out")" = 2 ] && ! grep -q '"kind": "\(excess\|missing\)"' "$tmp/out"; then
        ok "\"ecs:Poll \" and \"ecs: Submit*\" in a dump: exit 0, WARN, two unknown findings, judged without the blanks (nothing missing)"
elif [ "$rc" = 0 ]; then
        fail "blanks: $(cat "$tmp/out")"
fi

# AWS's own: AdministratorAccess-Amplify v1's "amplifybackend: *" is judged as amplifybackend:*.
printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["amplifybackend: *"],"Resource":"*"}]}\n' \
        >"$tmp/amplify.json"
if check "amplifybackend: *" 1 "$tmp/amplify.json" && grep -q '"action": "amplifybackend:\*"' "$tmp/out" &&
   grep -q '"action": "amplifybackend: \*"' "$tmp/out"; then
        ok "\"amplifybackend: *\": exit 1, excess amplifybackend:* and unknown as written"
elif [ "$rc" = 1 ]; then
        fail "amplifybackend: $(cat "$tmp/out")"
fi

# ---- 4. a role's policy list without documents (aws iam list-attached-role-policies) ----

printf '{"AttachedPolicies":[{"PolicyName":"AmazonEC2ContainerServiceforEC2Role","PolicyArn":"%s"},{"PolicyName":"AdministratorAccess","PolicyArn":"%s"}],"IsTruncated":false}\n' \
        "$EC2ROLE" "$ADMIN" >"$tmp/list.json"
if check "list-attached-role-policies" 1 "$tmp/list.json" && grep -q '"name": ".*list.json"' "$tmp/out" &&
   grep -q '"action": "\*"' "$tmp/out"; then
        ok "list-attached-role-policies output with AdministratorAccess: FAIL, excess *"
elif [ "$rc" = 1 ]; then
        fail "list: $(cat "$tmp/out")"
fi
printf '{"AttachedPolicies":[{"PolicyName":"x","PolicyArn":"arn:aws:iam::111122223333:policy/x"}],"PolicyVersion":{}}\n' \
        >"$tmp/list-mixed.json"
if check "list mixed with another shape" 2 "$tmp/list-mixed.json" && grep -q 'mixes AttachedPolicies' "$tmp/err"; then
        ok "AttachedPolicies mixed with another shape: exit 2"
fi

echo "1..$n"
[ "$fails" = 0 ]
