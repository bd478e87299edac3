"""Writes a composite action (action.yml) as a reusable workflow, so that actionlint, which checks
workflows, checks the action's steps: its inputs become `workflow_call` inputs (the `inputs` context),
its outputs job outputs, its steps one job's steps. Usage: action_as_workflow.py ACTION OUT."""
import sys

import yaml

action = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
assert action["runs"]["using"] == "composite", "a composite action"
inputs = {
    name: {"type": "string", "required": bool(spec.get("required", False)), "default": str(spec.get("default", ""))}
    for name, spec in (action.get("inputs") or {}).items()
}
job = {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}
outputs = {name: spec["value"] for name, spec in (action.get("outputs") or {}).items()}
if outputs:
    job["outputs"] = outputs
workflow = {"name": action["name"], "on": {"workflow_call": {"inputs": inputs}}, "jobs": {"action": job}}
with open(sys.argv[2], "w", encoding="utf-8") as out:
    yaml.safe_dump(workflow, out, sort_keys=False)
