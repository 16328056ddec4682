"""``template.yaml`` as data, and the one resolver of the intrinsic functions it uses.

The resolver knows the values of this embedded deployment: parameter defaults or the caller's
overrides (``JwtIssuer``/``JwtAudience`` have no default: every caller names its own), the
pseudo parameters, and the physical ids of the resources that were created. An unknown name,
function or condition raises :class:`TemplateError` naming the resource and the construct: the
tests, the local server and the bench must never silently run another configuration than the
deployed one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
# moto's account: what the embedded deployment runs in.
ACCOUNT_ID = "123456789012"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
STACK_NAME = "execution-api-local"
FUNCTION = "AWS::Serverless::Function"
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
_SUB_NAME = re.compile(r"\$\{(!?)([^}]*)\}")
# A DefinitionSubstitutions placeholder in an ASL file: ``${Name}``.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class TemplateError(Exception):
    """A template construct this embedded deployment cannot reproduce; names where it is."""


class _NoValue:
    """``AWS::NoValue``: the property it is given to is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def parse_template(text: str, where: str = "template") -> dict[str, Any]:
    """A template's text as plain data (tags become ``{"Ref": ...}``, ...)."""
    template, matches = decode_str(text)
    if matches or template is None:
        raise TemplateError(f"{where} does not parse: {[str(match) for match in matches]}")
    return json.loads(json.dumps(template))


@cache
def _template_json(path: Path) -> str:
    return json.dumps(parse_template(path.read_text(), str(path)))


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """A fresh copy of the template as plain data (tags become ``{"Ref": ...}``, ...)."""
    return json.loads(_template_json(path))


def resources_of_type(template: dict[str, Any], *resource_types: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in template.get("Resources", {}).items() if spec.get("Type") in resource_types}


def function_globals(template: dict[str, Any]) -> dict[str, Any]:
    return template.get("Globals", {}).get("Function", {})


def function_property(template: dict[str, Any], logical_id: str, name: str, default: Any = None) -> Any:
    """A function's property, else the Globals' (what SAM does for scalars)."""
    properties = template["Resources"][logical_id].get("Properties", {})
    return properties.get(name, function_globals(template).get(name, default))


def attached_layers(template: dict[str, Any], logical_id: str) -> list[str]:
    """Logical ids of the layers a function gets: the Globals' then its own (SAM appends them)."""
    properties = template["Resources"][logical_id].get("Properties", {})
    layers = function_globals(template).get("Layers", []) + properties.get("Layers", [])
    return [_ref_of(layer, logical_id, "Layers") for layer in layers]


def _ref_of(value: Any, logical_id: str, where: str) -> str:
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return str(value["Ref"])
    raise TemplateError(f"{logical_id}: {where} entry {value!r} is not a !Ref to a resource of the template")


def placeholders(definition: str) -> set[str]:
    """The ``${Name}`` placeholders of an ASL definition."""
    return set(_PLACEHOLDER.findall(definition))


def substitute_definition(definition: str, substitutions: dict[str, Any], where: str = "state machine") -> str:
    """What ``DefinitionSubstitutions`` does to an ASL file; a placeholder without a value fails."""
    missing = placeholders(definition) - set(substitutions)
    if missing:
        raise TemplateError(f"{where}: DefinitionSubstitutions has no value for {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda match: str(substitutions[match[1]]), definition)


def identity_center_parameters(scope: Any) -> dict[str, Any]:
    """The template's ``IdentityCenter*`` parameters for what a policy's ``aws-sso`` roles may assign
    (``RolesPolicy.identity_center_scope()``): the local server deploys with them, and a
    ``samconfig.toml`` environment that turns the provider on must pass the same."""
    return {
        "IdentityCenterInstanceArn": scope.instance_arn,
        "IdentityStoreId": scope.identity_store_id,
        "IdentityCenterPermissionSetArns": list(scope.permission_set_arns),
        "IdentityCenterAccountIds": list(scope.account_ids),
    }


def parameter_values(template: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each parameter's value: an override, else its Default; one with neither fails."""
    values: dict[str, Any] = {}
    overrides = overrides or {}
    unknown = set(overrides) - set(template.get("Parameters", {}))
    if unknown:
        raise TemplateError(f"Parameters: overrides of parameters the template does not have: {sorted(unknown)}")
    for name, spec in template.get("Parameters", {}).items():
        if name in overrides:
            values[name] = overrides[name]
        elif "Default" in spec:
            default = spec["Default"]
            if spec.get("Type") == "CommaDelimitedList":
                default = [part.strip() for part in str(default).split(",")] if default != "" else []
            values[name] = default
        else:
            raise TemplateError(f"Parameters.{name}: no Default, and the caller gave no value")
    return values


@dataclass
class PhysicalResource:
    """What ``Ref`` and ``Fn::GetAtt`` return for one resource. A placeholder (a resource with
    no embedded counterpart, e.g. a log group or an alarm) answers any attribute with ``fallback``."""

    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    fallback: Callable[[str], Any] | None = None


def _comparable(value: Any) -> Any:
    return [str(item) for item in value] if isinstance(value, list) else str(value)


class Resolver:
    """Resolves the intrinsic functions of the template against this deployment's values."""

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
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{region}:{account_id}:stack/{STACK_NAME}/local",
            "AWS::NoValue": NO_VALUE,
        }
        self.resources: dict[str, PhysicalResource] = {}

    def register(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        self.resources[logical_id] = PhysicalResource(ref, attributes)

    def register_placeholder(self, logical_id: str, ref: Any, fallback: Callable[[str], Any]) -> None:
        self.resources[logical_id] = PhysicalResource(ref, {}, fallback)

    def refs_of_type(self, *resource_types: str) -> dict[str, Any]:
        """``Ref`` of every registered resource of those types, by logical id."""
        return {
            logical_id: self.resources[logical_id].ref
            for logical_id in resources_of_type(self.template, *resource_types)
            if logical_id in self.resources
        }

    def resolve(self, value: Any, where: str) -> Any:
        """``value`` with every intrinsic function resolved; ``where`` (e.g. ``"ExecutionsTable"``
        or ``"Globals.Function"``) names the place in the template in any error."""
        try:
            return self._resolve(value)
        except TemplateError as error:
            raise TemplateError(f"{where}: {error}") from None

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name``."""
        if name not in self._conditions:
            conditions = self.template.get("Conditions", {})
            if name not in conditions:
                raise TemplateError(f"Condition {name}: not defined")
            self._conditions[name] = self._truth(conditions[name])
        return self._conditions[name]

    def is_enabled(self, logical_id: str) -> bool:
        """False for a resource whose ``Condition`` is false (CloudFormation skips it)."""
        resource = self.template["Resources"][logical_id]
        if "Condition" not in resource:
            return True
        try:
            return self.condition(resource["Condition"])
        except TemplateError as error:
            raise TemplateError(f"{logical_id}: {error}") from None

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self._resolve(item) for item in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            function = self._functions.get(name)
            if function is not None:
                return function(argument)
            if name.startswith("Fn::"):
                raise TemplateError(f"{name} is not supported by the embedded deployment")
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _truth(self, expression: Any) -> bool:
        if not (isinstance(expression, dict) and len(expression) == 1):
            raise TemplateError(f"not a condition: {expression!r}")
        ((name, argument),) = expression.items()
        if name == "Condition":
            return self.condition(argument)
        if name == "Fn::Equals":
            left, right = (self._resolve(item) for item in argument)
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
        return self._resolve(if_true if self.condition(name) else if_false)

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
        return str(separator).join(str(item) for item in self._resolve(items))

    def _select(self, argument: Any) -> Any:
        index, items = self._resolve(argument)
        return items[int(index)]

    def _split(self, argument: Any) -> list[str]:
        separator, text = self._resolve(argument)
        return str(text).split(separator)

    def _ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.resources:
            return self.resources[name].ref
        raise TemplateError(f"!Ref {name}: no such parameter, or the resource was not created (yet)")

    def _get_att(self, argument: Any) -> Any:
        logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        resource = self.resources.get(logical_id)
        if resource is not None and attribute in resource.attributes:
            return resource.attributes[attribute]
        if resource is not None and resource.fallback is not None:
            return resource.fallback(attribute)
        raise TemplateError(f"!GetAtt {logical_id}.{attribute}: unknown in the embedded deployment")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {name: self._resolve(value) for name, value in variables.items()}

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


def _env_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def function_environment(template: dict[str, Any], resolver: Resolver, logical_id: str | None = None) -> dict[str, str]:
    """The environment the template gives function ``logical_id`` (the Globals' variables and its
    own), or with ``None`` the Globals' alone, resolved to strings."""
    variables = dict(function_globals(template).get("Environment", {}).get("Variables", {}))
    where = "Globals.Function.Environment"
    if logical_id is not None:
        variables |= template["Resources"][logical_id].get("Properties", {}).get("Environment", {}).get("Variables", {})
        where = f"{logical_id}.Environment"
    return {name: _env_string(value) for name, value in resolver.resolve(variables, where).items()}


def shared_environment(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    """The union of every enabled function's environment, for functions that share one process.

    They share its ``os.environ``, so two functions giving one variable different values cannot
    run side by side: that fails loudly.
    """
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for logical_id in resources_of_type(template, FUNCTION):
        if not resolver.is_enabled(logical_id):
            continue
        for name, text in function_environment(template, resolver, logical_id).items():
            if name in merged and merged[name] != text:
                raise TemplateError(
                    f"{logical_id}.Environment.{name}: {origin[name]} sets another value; functions that"
                    " share one process cannot have both"
                )
            merged[name] = text
            origin.setdefault(name, logical_id)
    return merged
