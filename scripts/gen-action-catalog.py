#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates data/iam-actions.txt, the catalog of IAM action names that audit-policy uses
to tell a typo (`ecs:Pol`) from a real action and to expand reference wildcards
(`ecs:Submit*`) into the actions they stand for.

Usage: gen-action-catalog.py [BOTOCORE_DATA_DIR] > data/iam-actions.txt

Source: the service models that botocore ships (Debian: python3-botocore,
/usr/lib/python3/dist-packages/botocore/data/SERVICE/VERSION/service-2.json; pip's botocore
has the same tree). Each API operation becomes PREFIX:OperationName.

Caveats, also in doc/audit-policy.md:
- The IAM service prefix is not in the models. The signing name (else the endpoint prefix) is
  used, corrected by PREFIX_OVERRIDES below for the services where that is known to differ.
- An IAM action is usually, not always, named after its API operation (S3's ListObjectsV2 is
  authorised as s3:ListBucket). Such names are accepted as known, harmlessly.
- Permission-only actions that are no API operation (ecs:Poll, ecs:StartTelemetrySession, ...)
  are not in the models: NON_API_ACTIONS adds the documented ones this project relies on.
"""
import glob
import json
import os
import sys

DEFAULT_DIR = "/usr/lib/python3/dist-packages/botocore/data"

# botocore service directory -> IAM prefix, where signing name / endpoint prefix is not it.
PREFIX_OVERRIDES = {
    "cloudwatch": "cloudwatch",            # endpoint "monitoring"
    "iot": "iot",                          # signs as execute-api
    "iot-data": "iot",
    "iot-jobs-data": "iotjobsdata",
    "iotsecuretunneling": "iot",
    "connectparticipant": "connect",
    "apigatewaymanagementapi": "execute-api",
    "mturk": "mechanicalturk",
    "pinpoint": "mobiletargeting",
    "pinpoint-email": "ses",
    "sesv2": "ses",
    "sso-oidc": "sso-oauth",
    "sso": "sso",
    "mobile": "mobilehub",
    "resourcegroupstaggingapi": "tag",
    "service-quotas": "servicequotas",
    "stepfunctions": "states",
    "opensearch": "es",
    "efs": "elasticfilesystem",
    "emr": "elasticmapreduce",
    "kinesis-video-archived-media": "kinesisvideo",
    "kinesis-video-media": "kinesisvideo",
    "kinesis-video-signaling": "kinesisvideo",
    "dynamodbstreams": "dynamodb",
    "docdb": "rds",
    "neptune": "rds",
    "alexaforbusiness": "a4b",
    "lex-models": "lex",
    "lexv2-models": "lex",
    "lexv2-runtime": "lex",
    "lex-runtime": "lex",
}

# Documented IAM actions that are no API operation in the models.
NON_API_ACTIONS = [
    # Amazon ECS container agent: the ACS/TCS websocket sessions (AmazonEC2ContainerServiceforEC2Role).
    "ecs:Poll",
    "ecs:StartTelemetrySession",
    # Amazon ECR pull-through cache and replication (service-only permissions).
    "ecr:BatchImportUpstreamImage",
    "ecr:ReplicateImage",
    # CloudWatch Logs permission-only actions.
    "logs:Link",
    "logs:Unmask",
    # IAM permission-only actions.
    "iam:PassRole",
    # Amazon S3 actions named differently from their operations.
    "s3:ListBucket",
    "s3:ListAllMyBuckets",
    "s3:GetObjectVersion",
    "s3:DeleteObjectVersion",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:ListMultipartUploadParts",
    "s3:PutObjectVersionAcl",
    "s3:GetObjectVersionAcl",
    # Systems Manager agent channels (AmazonSSMManagedInstanceCore).
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    "ssm:UpdateInstanceInformation",
    "ssm:ListInstanceAssociations",
    "ssm:UpdateInstanceAssociationStatus",
    "ssm:PutConfigurePackageResult",
    "ssm:GetManifest",
]


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    actions = {}
    version = "unknown"
    for path in (os.path.join(os.path.dirname(data), "__init__.py"),):
        try:
            for line in open(path):
                if line.startswith("__version__"):
                    version = line.split("=")[1].strip().strip("'\"")
        except OSError:
            pass
    for svc_dir in sorted(glob.glob(os.path.join(data, "*", ""))):
        svc = os.path.basename(os.path.dirname(svc_dir))
        models = sorted(glob.glob(os.path.join(svc_dir, "*", "service-2.json")))
        if not models:
            continue
        prefixes = set()
        for model in models:
            with open(model) as f:
                m = json.load(f)
            meta = m["metadata"]
            prefix = PREFIX_OVERRIDES.get(svc) or meta.get("signingName") or meta["endpointPrefix"]
            prefix = prefix.lower()
            prefixes.add(prefix)
            for op in m["operations"]:
                actions.setdefault((prefix + ":" + op).lower(), prefix + ":" + op)
    for a in NON_API_ACTIONS:
        actions.setdefault(a.lower(), a)

    out = sys.stdout
    out.write("# IAM action names known to ecs-harden audit-policy, one per line, sorted by\n")
    out.write("# their lower-case form. Generated by scripts/gen-action-catalog.py from botocore %s\n" % version)
    out.write("# service models plus documented permission-only actions; see doc/audit-policy.md.\n")
    for key in sorted(actions):
        out.write(actions[key] + "\n")


if __name__ == "__main__":
    main()
