"""template.yaml as data, and the few intrinsic functions the tests need resolved.

Tests build their AWS resources and environment from the template itself, so the test stack
cannot drift from the deployed one.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import cfnlint.decode

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
_PSEUDO = {
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:._]+)\}")


@cache
def _template_json() -> str:
    template, matches = cfnlint.decode.decode_str(TEMPLATE.read_text())
    if matches:
        raise ValueError(f"template.yaml does not parse: {matches}")
    return json.dumps(template)


def load_template() -> dict[str, Any]:
    """A fresh, plain-dict copy of the template (CloudFormation tags as ``{"Ref": ...}``)."""
    return json.loads(_template_json())


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == resource_type}


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}


class Resolver:
    """Resolves ``Ref`` and ``Fn::Sub`` against known values; anything unknown is an error."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = {**_PSEUDO, **values}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Ref":
                return self.values[argument]
            if function == "Fn::Sub":
                return self._sub(argument)
        if isinstance(node, dict):
            return {key: self.resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.resolve(value) for value in node]
        return node

    def _sub(self, argument: str | list[Any]) -> str:
        text, local = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))
        return _SUB_NAME.sub(lambda match: str({**self.values, **local}[match[1]]), text)


def substitute_definition(definition: str, substitutions: dict[str, str]) -> str:
    """What ``DefinitionSubstitutions`` does to an ASL file: every ``${Name}`` replaced."""
    return _SUB_NAME.sub(lambda match: substitutions[match[1]], definition)


def placeholders(definition: str) -> set[str]:
    return set(_SUB_NAME.findall(definition))
