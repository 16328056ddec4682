"""template.yaml as a deployment would see it: with other parameter values, and as the SAM
translator turns it into CloudFormation (offline)."""

from __future__ import annotations

from typing import Any

from samtranslator.translator.transform import transform as sam_transform

from toolkit.template import load_template


def with_defaults(parameters: dict[str, Any]) -> dict:
    """The template with these parameter values as its defaults (a list: a CommaDelimitedList's)."""
    template = load_template()
    for name, value in parameters.items():
        template["Parameters"][name]["Default"] = ",".join(value) if isinstance(value, list) else value
    return template


class _NoManagedPolicies:
    """The SAM translator's policy loader, offline (the template names no managed policy)."""

    @staticmethod
    def load() -> dict:
        return {}


def transformed(parameters: dict[str, Any]) -> dict:
    """What the SAM translator makes of the template with these parameter values (set
    ``AWS_DEFAULT_REGION`` first)."""
    parameters = {name: ",".join(value) if isinstance(value, list) else value for name, value in parameters.items()}
    template = with_defaults(parameters)
    for resource in template["Resources"].values():
        for key in ("CodeUri", "DefinitionUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"  # what `sam package` puts there
    values = {**parameters, "AWS::Region": "us-east-1", "AWS::Partition": "aws"}
    return sam_transform(template, values, _NoManagedPolicies())
