#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a synthetic `aws iam get-account-authorization-details` dump for the benchmark.

Usage: gen-authz-dump.py ROLES OUTPUT

The shape follows the AWS CLI's output (one role per line, the key order of the API):
users, groups, then ROLES roles, then the managed policies. Every role has an instance
profile (each one is a subject, the worst case for the auditor); the policies vary:
the AWS managed policy attached (no copy in the dump: the tool's built-in copy is used),
inline copies of the page's v6 document, inline policies with extra permissions, NotAction
grants, Deny statements, URL-encoded documents and customer managed policies with several
versions. Deterministic: the same ROLES gives the same bytes.
"""
import json
import random
import sys
import urllib.parse

ACCOUNT = "123456789012"
EC2ROLE_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
V6_ACTIONS = [
    "ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance",
    "ecs:DiscoverPollEndpoint", "ecs:Poll", "ecs:RegisterContainerInstance",
    "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:Submit*",
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream",
    "logs:PutLogEvents",
]
EXTRA = ["s3:GetObject", "s3:PutObject", "secretsmanager:GetSecretValue", "ssm:GetParameter*",
         "kms:Decrypt", "sqs:SendMessage", "dynamodb:*", "ecs:RunTask", "ecs:Describe*",
         "cloudwatch:PutMetricData", "ec2:Describe*", "sts:AssumeRole"]
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def doc(statements):
    return {"Version": "2012-10-17", "Statement": statements}


def role(i, rnd):
    name = "ecs-instance-role-%05d" % i
    arn = "arn:aws:iam::%s:role/%s" % (ACCOUNT, name)
    created = "2021-%02d-%02dT10:%02d:00Z" % (1 + i % 12, 1 + i % 28, i % 60)
    inline, attached = [], []
    kind = i % 10
    if kind < 5:
        attached.append({"PolicyName": "AmazonEC2ContainerServiceforEC2Role", "PolicyArn": EC2ROLE_ARN})
    elif kind == 5:
        inline.append({"PolicyName": "ecs-v6-copy", "PolicyDocument": doc(
            [{"Effect": "Allow", "Action": V6_ACTIONS, "Resource": "*"}])})
    elif kind == 6:
        attached.append({"PolicyName": "AmazonEC2ContainerServiceforEC2Role", "PolicyArn": EC2ROLE_ARN})
        inline.append({"PolicyName": "app-extra", "PolicyDocument": doc(
            [{"Sid": "AppAccess", "Effect": "Allow", "Action": rnd.sample(EXTRA, 3),
              "Resource": "arn:aws:s3:::bucket-%d/*" % i}])})
    elif kind == 7:
        d = doc([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
                 {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}])
        inline.append({"PolicyName": "broad",
                       "PolicyDocument": urllib.parse.quote(json.dumps(d), safe="")})
    elif kind == 8:
        attached.append({"PolicyName": "ecs-instance-%d" % (i % 50),
                         "PolicyArn": "arn:aws:iam::%s:policy/ecs-instance-%d" % (ACCOUNT, i % 50)})
    else:
        attached.append({"PolicyName": "AmazonEC2ContainerServiceforEC2Role", "PolicyArn": EC2ROLE_ARN})
        attached.append({"PolicyName": "AmazonSSMManagedInstanceCore",
                         "PolicyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"})
    role_short = {"Path": "/", "RoleName": name, "RoleId": "AROA%016d" % i, "Arn": arn,
                  "CreateDate": created, "AssumeRolePolicyDocument": TRUST}
    return {
        "Path": "/", "RoleName": name, "RoleId": "AROA%016d" % i, "Arn": arn,
        "CreateDate": created, "AssumeRolePolicyDocument": TRUST,
        "InstanceProfileList": [{
            "Path": "/", "InstanceProfileName": name, "InstanceProfileId": "AIPA%016d" % i,
            "Arn": "arn:aws:iam::%s:instance-profile/%s" % (ACCOUNT, name),
            "CreateDate": created, "Roles": [role_short]}],
        "RolePolicyList": inline,
        "AttachedManagedPolicies": attached,
        "RoleLastUsed": {"LastUsedDate": created, "Region": "us-east-1"},
    }


def managed(n):
    versions = []
    for v in range(3, 0, -1):
        acts = V6_ACTIONS + (["ecs:TagResource"] if v == 3 else []) + (["s3:GetObject"] if n % 5 == 0 else [])
        versions.append({"Document": doc([{"Effect": "Allow", "Action": acts, "Resource": "*"}]),
                         "VersionId": "v%d" % v, "IsDefaultVersion": v == 3,
                         "CreateDate": "2022-01-0%dT00:00:00Z" % v})
    return {"PolicyName": "ecs-instance-%d" % n, "PolicyId": "ANPA%016d" % n,
            "Arn": "arn:aws:iam::%s:policy/ecs-instance-%d" % (ACCOUNT, n), "Path": "/",
            "DefaultVersionId": "v3", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True, "CreateDate": "2022-01-01T00:00:00Z",
            "UpdateDate": "2022-01-03T00:00:00Z", "PolicyVersionList": versions}


def main():
    roles, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(roles)
    with open(out, "w") as f:
        f.write('{\n    "UserDetailList": [],\n    "GroupDetailList": [],\n    "RoleDetailList": [\n')
        for i in range(roles):
            text = json.dumps(role(i, rnd))
            f.write("    " + text.replace("\n", "\n    "))
            f.write(",\n" if i + 1 < roles else "\n")
        f.write('    ],\n    "Policies": ')
        text = json.dumps([managed(n) for n in range(50)], indent=4)
        f.write(text.replace("\n", "\n    "))
        f.write("\n}\n")


if __name__ == "__main__":
    main()
