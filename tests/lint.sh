#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The shipped scripts are shellcheck-clean, and the fleet documents are valid JSON with the keys
# their services require (SSM Command document schema 2.2; ECS task definition for a DAEMON
# service: host networking, NET_ADMIN/NET_RAW only, not privileged).
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/integration/lib.sh"
setup_common
top=$(cd "$(dirname "$0")/.." && pwd)

if command -v shellcheck >/dev/null; then
	check "user-data, bootstrap, demo and daemon scripts are shellcheck-clean" \
		bash -c 'cd "$1" && shellcheck -x scripts/user-data.sh scripts/bootstrap.sh scripts/sandbox-demo.sh scripts/container/ecs-harden-daemon.sh' _ "$top"
	check "tests, bench and CI scripts have no shellcheck warnings" \
		bash -c 'cd "$1" && shellcheck -x -S warning tests/integration/*.sh tests/*.sh bench/*.sh' _ "$top"
else
	diag "shellcheck not installed: script lint skipped"
fi

check "the SSM document is a schema 2.2 aws:runShellScript Command document" python3 - "$top/scripts/ssm/ecs-harden.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schemaVersion"] == "2.2", d["schemaVersion"]
assert isinstance(d.get("description"), str) and d["description"]
for name, p in d.get("parameters", {}).items():
    assert p["type"] in ("String", "StringList", "Boolean", "Integer", "MapList", "StringMap"), name
steps = d["mainSteps"]
assert steps and all(s["action"] == "aws:runShellScript" and s["name"] and s["inputs"]["runCommand"] for s in steps)
script = "\n".join(steps[0]["inputs"]["runCommand"])
assert "ecs-harden verify --fix" in script and "ecs-harden status --json --ssm-inventory" in script
# every {{ param }} used is declared
import re
for used in re.findall(r"\{\{\s*(\w+)\s*\}\}", script):
    assert used in d["parameters"], used
PY

check "the ECS daemon task definition: host network, NET_ADMIN+NET_RAW (+DAC_OVERRIDE for the SSM folder) only, not privileged" python3 - "$top/scripts/ecs/ecs-harden-daemon-task.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["networkMode"] == "host" and d["family"]
c = d["containerDefinitions"][0]
assert c.get("privileged") is False
caps = c["linuxParameters"]["capabilities"]
assert sorted(caps["add"]) == ["DAC_OVERRIDE", "NET_ADMIN", "NET_RAW"] and caps["drop"] == ["ALL"]
vols = {v["name"]: v["host"]["sourcePath"] for v in d["volumes"]}
mounts = {m["containerPath"]: (vols[m["sourceVolume"]], m["readOnly"]) for m in c["mountPoints"]}
assert mounts["/host/var/lib/amazon/ssm"] == ("/var/lib/amazon/ssm", False), "the SSM Agent's folder, writable"
assert {"name": "ECS_HARDEN_SSM_INVENTORY", "value": "yes"} in c["environment"]
assert all(m["sourceVolume"] in vols for m in c["mountPoints"])
assert not any("docker.sock" in v["host"]["sourcePath"] for v in d["volumes"]), "no Docker socket: it is root"
PY

# The fleet documents and the README's fleet-view commands against botocore's models.
if python3 -c 'import botocore.validate' 2>/dev/null; then
	model_check="$top/tests/ssm-model-check.py"
	check "botocore: the SSM document as ssm CreateDocument (Command, JSON, schema 2.2)" \
		python3 "$model_check" ssm-document "$top/scripts/ssm/ecs-harden.json"
	check "botocore: the daemon task definition as ecs RegisterTaskDefinition" \
		python3 "$model_check" task-definition "$top/scripts/ecs/ecs-harden-daemon-task.json"
	check "botocore: the README's fleet-view sample item and aws commands (association, get-inventory, data sync)" \
		python3 "$model_check" readme "$top/README.md"
	sed 's/"Type":"Equal"/"Type":"Equals"/' "$top/README.md" >"$TMPD/README.bad"
	check "the README check refuses a filter type the model does not know" \
		sh -c '! python3 "$1" readme "$2" 2>/dev/null' _ "$model_check" "$TMPD/README.bad"
else
	diag "python3-botocore not installed: model checks skipped"
fi

if command -v python3 >/dev/null && python3 -c 'import yaml' 2>/dev/null; then
	check "cloud-config parses as YAML with #cloud-config header" bash -c 'head -n1 "$1" | grep -qx "#cloud-config" && python3 -c "import yaml,sys; yaml.safe_load(open(sys.argv[1]))" "$1"' _ "$top/scripts/cloud-config.yaml"
else
	check "cloud-config starts with the #cloud-config header" bash -c 'head -n1 "$1" | grep -qx "#cloud-config"' _ "$top/scripts/cloud-config.yaml"
fi

finish
