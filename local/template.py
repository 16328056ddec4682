"""``template.yaml`` as data, and a resolver for the intrinsic functions it uses.

The resolver knows the local values: parameter defaults (but the local identity provider
instead of a Cognito user pool: ``CreateUserPool``, ``JwtIssuer``, ``JwtAudience``), the pseudo
parameters, and the physical ids of the resources the local server created. An unknown name
or function fails loudly: the local server must never silently run a different configuration
from the deployed one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from local.auth import AUDIENCES, CLI_CLIENT_ID, CONSOLE_CLIENT_ID, DEFAULT_ISSUER

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
# The local identity provider instead of a Cognito user pool: its issuer (the server overrides
# it with its own origin's), audiences and app clients.
LOCAL_PARAMETERS: dict[str, Any] = {
    "CreateUserPool": "false",
    "JwtIssuer": DEFAULT_ISSUER,
    "JwtAudience": list(AUDIENCES),
    "ConsoleClientId": CONSOLE_CLIENT_ID,
    "CliClientId": CLI_CLIENT_ID,
}


class _NoValue:
    """``AWS::NoValue``: the property it is given to is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_SUB_NAME = re.compile(r"\$\{(!?)([^}]*)\}")


class TemplateError(Exception):
    pass


def _comparable(value: Any) -> Any:
    return [str(item) for item in value] if isinstance(value, list) else str(value)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data (tags become ``{"Ref": ...}``, ``{"Fn::Sub": ...}``, ...)."""
    template, matches = decode_str(path.read_text())
    if matches or template is None:
        raise TemplateError(f"{path} does not parse: {[str(match) for match in matches]}")
    return json.loads(json.dumps(template))


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in template.get("Resources", {}).items() if spec.get("Type") == resource_type}


def parameter_values(template: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each parameter's local value: an override, the local identity provider's, or the Default."""
    values: dict[str, Any] = {}
    local = {**LOCAL_PARAMETERS, **(overrides or {})}
    for name, spec in template.get("Parameters", {}).items():
        if name in local:
            values[name] = local[name]
        elif "Default" in spec:
            default = spec["Default"]
            if spec.get("Type") == "CommaDelimitedList":
                default = [part.strip() for part in str(default).split(",")] if default != "" else []
            values[name] = default
        else:
            raise TemplateError(f"parameter {name} has no Default and no local value")
    return values


@dataclass
class PhysicalResource:
    """What ``Ref`` and ``Fn::GetAtt`` return for one resource. A placeholder (a resource with
    no local counterpart, e.g. a log group or an alarm) answers any attribute with ``fallback``."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    fallback: Callable[[str], Any] | None = None


class Resolver:
    def __init__(
        self,
        template: dict[str, Any],
        account_id: str,
        region: str = REGION,
        parameter_overrides: dict[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.parameters = parameter_values(template, parameter_overrides)
        self._conditions: dict[str, bool] = {}
        self.pseudo = {
            "AWS::AccountId": account_id,
            "AWS::Region": region,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": "execution-api-local",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{region}:{account_id}:stack/execution-api-local/local",
            "AWS::NoValue": NO_VALUE,
        }
        self.resources: dict[str, PhysicalResource] = {}

    def register(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        self.resources[logical_id] = PhysicalResource(ref, attributes)

    def register_placeholder(self, logical_id: str, ref: Any, fallback: Callable[[str], Any]) -> None:
        self.resources[logical_id] = PhysicalResource(ref, {}, fallback)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            function = self._functions.get(name)
            if function is not None:
                return function(argument)
            if name.startswith("Fn::"):
                raise TemplateError(f"{name} is not supported by the local resolver")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name``."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {})
            if name not in conditions:
                raise TemplateError(f"condition {name}: not defined")
            self._conditions[name] = self._truth(conditions[name])
        return self._conditions[name]

    def is_enabled(self, resource: dict[str, Any]) -> bool:
        """False for a resource whose ``Condition`` is false (CloudFormation skips it)."""
        return "Condition" not in resource or self.condition(resource["Condition"])

    def _truth(self, expression: Any) -> bool:
        if not (isinstance(expression, dict) and len(expression) == 1):
            raise TemplateError(f"not a condition: {expression!r}")
        ((name, argument),) = expression.items()
        if name == "Condition":
            return self.condition(argument)
        if name == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return _comparable(left) == _comparable(right)
        if name == "Fn::Not":
            return not self._truth(argument[0])
        if name == "Fn::And":
            return all(self._truth(item) for item in argument)
        if name == "Fn::Or":
            return any(self._truth(item) for item in argument)
        raise TemplateError(f"{name} is not a condition function")

    def _if(self, argument: Any) -> Any:
        name, if_true, if_false = argument
        return self.resolve(if_true if self.condition(name) else if_false)

    @property
    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
        }

    def _join(self, argument: Any) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.resolve(items))

    def _select(self, argument: Any) -> Any:
        index, items = self.resolve(argument)
        return items[int(index)]

    def _split(self, argument: Any) -> list[str]:
        separator, text = self.resolve(argument)
        return str(text).split(separator)

    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise TemplateError(f"!Ref {name}: no such parameter, or the resource was not created locally")

    def _get_att(self, argument: Any) -> Any:
        logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        resource = self.resources.get(logical_id)
        if resource is not None and attribute in resource.attributes:
            return resource.attributes[attribute]
        if resource is not None and resource.fallback is not None:
            return resource.fallback(attribute)
        raise TemplateError(f"!GetAtt {logical_id}.{attribute}: unknown locally")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            literal, name = match.groups()
            if literal:
                return "${" + name + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                value = self._get_att(name)
            else:
                value = self._ref(name)
            if isinstance(value, list):
                raise TemplateError(f"!Sub ${{{name}}}: a list cannot be substituted")
            return str(value)

        return _SUB_NAME.sub(replace, text)
