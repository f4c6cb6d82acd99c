#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks ecs-harden's fleet artefacts against the AWS API models botocore ships (Debian's
python3-botocore), offline:

  item FILE INSTANCE-ID   the Custom:ECSHarden file as the SSM Agent would send it: PutInventory
                          parameters built from it, validated by botocore.validate, then by the
                          model's max/pattern/enum constraints (botocore's validator checks types,
                          required members and minimums only), then by the agent's own checks of
                          a custom inventory file (customGatherer.go: lengths in bytes)
  readme FILE             FILE's "Fleet view" section: the sample item checked as above, and every
                          `aws ssm|ecs ...` command, its options mapped to the operation's input
                          members and validated the same way
  ssm-document FILE       CreateDocument parameters (Command, JSON) with FILE as Content
  task-definition FILE    RegisterTaskDefinition parameters from FILE

Prints one line per thing checked; exits 1 with the errors on the first failure."""
import json
import re
import shlex
import sys

import botocore.session
import botocore.validate
from botocore import xform_name

SESSION = botocore.session.get_session()
UNCHECKED = set()
GLOBAL_CLI_OPTIONS = {"--query", "--output", "--region", "--profile", "--no-paginate", "--max-items"}


def strict(shape, value, path, errors):
    """The constraints botocore's client-side validator leaves to the service."""
    meta = shape.metadata
    if shape.type_name == "string":
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: length {len(value)} > max {meta['max']}")
        if "pattern" in meta:
            try:
                pattern = re.compile(meta["pattern"])
            except re.error:  # Java-only syntax (\p{L} ...): left to the service
                UNCHECKED.add(meta["pattern"])
            else:
                if not pattern.search(value):
                    errors.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} not one of {shape.enum}")
    elif shape.type_name == "list":
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} entries > max {meta['max']}")
        for i, v in enumerate(value):
            strict(shape.member, v, f"{path}[{i}]", errors)
    elif shape.type_name == "map":
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: {len(value)} keys > max {meta['max']}")
        for k, v in value.items():
            strict(shape.key, k, f"{path}.<key {k!r}>", errors)
            strict(shape.value, v, f"{path}.{k}", errors)
    elif shape.type_name == "structure":
        for k, v in value.items():
            if k in shape.members:
                strict(shape.members[k], v, f"{path}.{k}" if path else k, errors)


def validate(service, operation, params):
    model = SESSION.get_service_model(service).operation_model(operation)
    try:
        botocore.validate.validate_parameters(params, model.input_shape)
    except botocore.exceptions.ParamValidationError as e:
        return [str(e)]
    errors = []
    strict(model.input_shape, params, "", errors)
    return errors


def fail(what, errors):
    print(f"FAIL {what}:", *errors, sep="\n  ", file=sys.stderr)
    sys.exit(1)


def check_item(path, instance_id):
    raw = open(path, "rb").read()
    check_item_data(raw, instance_id)


def check_item_data(raw, instance_id):
    item = json.loads(raw.decode("utf-8"))  # the file is UTF-8 JSON, whatever the input was
    errors = []
    if sorted(item) != ["Content", "SchemaVersion", "TypeName"]:
        errors.append(f"top-level keys {sorted(item)}")
    content = item.get("Content")
    if not isinstance(content, list) or not content:
        fail("item", errors + ["Content is not a non-empty list"])
    # The agent's checks (amazon-ssm-agent customGatherer.go), which count bytes.
    if not item["TypeName"].startswith("Custom:") or len(item["TypeName"].encode()) > 100:
        errors.append(f"TypeName {item['TypeName']!r}")
    if not re.fullmatch(r"([0-9]{1,6})(\.[0-9]{1,6})", item["SchemaVersion"]):
        errors.append(f"SchemaVersion {item['SchemaVersion']!r}")
    for i, entry in enumerate(content):
        if len(entry) > 50:
            errors.append(f"Content[{i}]: {len(entry)} attributes > 50")
        for k, v in entry.items():
            if not isinstance(v, str):
                errors.append(f"Content[{i}].{k}: {type(v).__name__}, not a string")
            elif len(v.encode()) > 4096:
                errors.append(f"Content[{i}].{k}: {len(v.encode())} bytes > 4096")
            if not 0 < len(k.encode()) <= 64:
                errors.append(f"Content[{i}]: attribute name {k!r}")
    if errors:
        fail("item (agent checks)", errors)
    # What the agent sends: the file's item with the collection time added.
    params = {
        "InstanceId": instance_id,
        "Items": [{
            "TypeName": item["TypeName"],
            "SchemaVersion": item["SchemaVersion"],
            "CaptureTime": content[0]["CaptureTime"],
            "Content": content,
        }],
    }
    errors = validate("ssm", "PutInventory", params)
    if errors:
        fail("PutInventory", errors)
    longest = max(len(v.encode()) for e in content for v in e.values())
    print(f"# ok PutInventory {instance_id}: {len(content)} entries, {len(content[0])} attributes each, "
          f"longest value {longest} bytes, {len(raw)} bytes in the file")


def fleet_section(text):
    section = re.search(r"^### Fleet view.*?(?=^##)", text, re.S | re.M)
    if not section:
        fail("readme", ["no '### Fleet view' section"])
    return section.group(0)


def commands_in(text):
    """`aws SERVICE OPERATION ...` commands of the README's fleet section, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", fleet_section(text))
    return [line.strip() for line in joined.splitlines() if re.match(r"\s*aws (ssm|ecs) ", line)]


def check_readme(path):
    text = open(path, encoding="utf-8").read()
    samples = re.findall(r"^```json\n(.*?)^```", fleet_section(text), re.S | re.M)
    if len(samples) != 1:
        fail("readme", [f"{len(samples)} sample items in the fleet section, expected 1"])
    check_item_data(samples[0].encode(), "i-0123456789abcdef0")
    cmds = commands_in(text)
    if not cmds:
        fail("readme", ["no aws commands in the fleet section"])
    for cmd in cmds:
        argv = shlex.split(cmd)
        service, op_cli, args = argv[1], argv[2], argv[3:]
        model = SESSION.get_service_model(service)
        ops = {xform_name(name, "-"): name for name in model.operation_names}
        if op_cli not in ops:
            fail(cmd, [f"no operation {op_cli} in {service}"])
        shape = model.operation_model(ops[op_cli]).input_shape
        members = {xform_name(name, "-"): name for name in shape.members} if shape else {}
        params, i = {}, 0
        while i < len(args):
            opt = args[i]
            if opt in GLOBAL_CLI_OPTIONS:
                i += 2
                continue
            name = members.get(opt[2:])
            if not opt.startswith("--") or not name:
                fail(cmd, [f"{opt} is not an input of {ops[op_cli]}"])
            value = args[i + 1]
            params[name] = json.loads(value) if value[:1] in "[{" else value
            i += 2
        errors = validate(service, ops[op_cli], params)
        if errors:
            fail(cmd, errors)
        note = f" (patterns in Java syntax not checked: {len(UNCHECKED)})" if UNCHECKED else ""
        UNCHECKED.clear()
        print(f"# ok {service} {ops[op_cli]}: {', '.join(sorted(params))}{note}")


def check_ssm_document(path):
    text = open(path, encoding="utf-8").read()
    doc = json.loads(text)
    params = {"Content": text, "Name": "ecs-harden", "DocumentType": "Command", "DocumentFormat": "JSON"}
    errors = validate("ssm", "CreateDocument", params)
    if doc.get("schemaVersion") != "2.2":
        errors.append(f"schemaVersion {doc.get('schemaVersion')!r}, expected 2.2")
    if errors:
        fail("CreateDocument", errors)
    print(f"# ok ssm CreateDocument: schema {doc['schemaVersion']}, {len(doc['mainSteps'])} step(s)")


def check_task_definition(path):
    params = json.load(open(path, encoding="utf-8"))
    errors = validate("ecs", "RegisterTaskDefinition", params)
    if errors:
        fail("RegisterTaskDefinition", errors)
    print(f"# ok ecs RegisterTaskDefinition: {params['family']}")


def main():
    what, args = sys.argv[1], sys.argv[2:]
    {"item": check_item, "readme": check_readme, "ssm-document": check_ssm_document,
     "task-definition": check_task_definition}[what](*args)


if __name__ == "__main__":
    main()
