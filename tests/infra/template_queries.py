"""Reading a synthesized CloudFormation template the way a reviewer would: by resource and
by what each role may do, with logical ids replaced by readable names."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

Grant = tuple[str, str]  # (action, resource as readable text)


def resources_of_type(template: Mapping[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == type_name
    }


def referenced_id(value: Any) -> str:
    """The logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attribute]}."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def render(value: Any, names: Mapping[str, str]) -> str:
    """CloudFormation intrinsics as text: GetAtt/Ref (and imports of another stack's exports)
    become the readable name of the resource."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value or "Ref" in value:
        logical_id = referenced_id(value)
        return names.get(logical_id, f"<{logical_id}>")
    if "Fn::ImportValue" in value:  # another stack's export
        export_name = str(value["Fn::ImportValue"])
        return names.get(export_name, f"<{export_name}>")
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part, names) for part in parts)
    raise AssertionError(f"unexpected intrinsic in a policy: {json.dumps(value)}")


def policy_statements(template: Mapping[str, Any], role_id: str) -> Iterator[dict[str, Any]]:
    """Every statement that applies to a role: its inline policies and attached AWS::IAM::Policy."""
    role = template["Resources"][role_id]["Properties"]
    for policy in role.get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        properties = policy["Properties"]
        if {"Ref": role_id} in properties.get("Roles", []):
            yield from properties["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_grants(template: Mapping[str, Any], role_id: str, names: Mapping[str, str]) -> set[Grant]:
    """(action, resource) pairs a role is allowed; conditions are checked separately."""
    grants: set[Grant] = set()
    for statement in policy_statements(template, role_id):
        assert statement["Effect"] == "Allow", statement
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                grants.add((action, render(resource, names)))
    return grants
