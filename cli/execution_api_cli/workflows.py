"""What the caller may start (``GET /workflows``), and a start's input built from a workflow's input
schema: ``--set FIELD=VALUE`` typed by the schema, as the console's form is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import click

from execution_api_cli import render
from execution_api_cli.api import Api
from execution_api_cli.app import App, Output, output_options, pass_app

ELEVATION = "elevation"  # the built-in input whose role is one of GET /roles
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class Field:
    """One property of an input schema (its top level, or a dotted path into nested objects)."""

    path: str
    schema: dict[str, Any]
    required: bool

    @property
    def type(self) -> str:
        kind = self.schema.get("type")
        return kind if isinstance(kind, str) else "json"

    @property
    def choices(self) -> list[Any] | None:
        choices = self.schema.get("enum")
        return list(choices) if isinstance(choices, list) else None


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``$ref`` followed within the schema, and an optional value's ``anyOf: [X, null]`` read as X."""
    for _ in range(10):
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        target: Any = root
        for key in ref[2:].split("/"):
            target = target.get(key, {}) if isinstance(target, dict) else {}
        node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
    options = [option for option in node.get("anyOf", []) if option.get("type") != "null"]
    if len(options) == 1:
        node = {**_resolve(options[0], root), **{key: value for key, value in node.items() if key != "anyOf"}}
    if "const" in node and "enum" not in node:
        node = {**node, "enum": [node["const"]]}
    return node


def input_fields(schema: dict[str, Any], root: dict[str, Any] | None = None, prefix: str = "") -> list[Field]:
    """The fields of an input schema; a nested object's fields as ``parent.child``."""
    root = root or schema
    required = set(schema.get("required", []))
    fields: list[Field] = []
    for name, raw in schema.get("properties", {}).items():
        node = _resolve(raw, root)
        path = f"{prefix}{name}"
        if node.get("type") == "object" and "properties" in node:
            fields += input_fields(node, root, f"{path}.")
        else:
            fields.append(Field(path, node, name in required))
    return fields


def typed_value(field: Field, text: str) -> Any:
    """``text`` as the value the field's schema wants; ``ValueError`` saying what it should be."""
    value = _converted(field, text)
    if field.choices is not None and value not in field.choices:
        raise ValueError(f"one of {', '.join(str(choice) for choice in field.choices)}, not {text!r}")
    return value


def _converted(field: Field, text: str) -> Any:
    if field.type == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"an integer, not {text!r}") from None
    if field.type == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"a number, not {text!r}") from None
    if field.type == "boolean":
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"true or false, not {text!r}")
    if field.type == "array":
        item = Field(field.path, _resolve(field.schema.get("items", {}), field.schema), False)
        return [_converted(item, part.strip()) for part in text.split(",") if part.strip()]
    if field.type == "string":
        return text
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"JSON, not {text!r}") from None


def startable(api: Api, name: str) -> dict[str, Any]:
    """The workflow ``name`` from ``GET /workflows``, or a usage error naming the ones the caller may start."""
    workflows = api.workflows()
    for workflow in workflows:
        if workflow["name"] == name:
            return workflow
    names = ", ".join(workflow["name"] for workflow in workflows) or "none"
    raise click.UsageError(f"no workflow {name!r} that you may start (yours: {names}; see `execapi workflows`)")


def with_settings(workflow: dict[str, Any], base: Any, settings: tuple[str, ...]) -> Any:
    """``base`` (the input given as JSON) with each ``FIELD=VALUE`` of ``--set`` put in, typed."""
    if not settings:
        return base
    if not isinstance(base, dict):
        raise click.BadParameter("--set needs the input to be a JSON object", param_hint="'--set'")
    fields = {field.path: field for field in input_fields(workflow["input_schema"])}
    built = json.loads(json.dumps(base))
    for setting in settings:
        path, equals, text = setting.partition("=")
        field = fields.get(path.strip())
        if not equals or field is None:
            known = ", ".join(fields) or "none"
            raise click.BadParameter(
                f"{setting!r}: give FIELD=VALUE, FIELD one of {workflow['name']}'s input fields ({known})",
                param_hint="'--set'",
            )
        try:
            value = typed_value(field, text)
        except ValueError as error:
            raise click.BadParameter(f"{field.path}: {error}", param_hint="'--set'") from None
        target = built
        *parents, last = field.path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return built


def _choices(api: Api, workflow: dict[str, Any], field: Field) -> str:
    if workflow.get("input_model") == ELEVATION and field.path == "role":
        return ", ".join(role["name"] for role in api.roles()) or "(no role you may request)"
    return ", ".join(str(choice) for choice in field.choices or [])


@click.command()
@click.argument("name", required=False)
@output_options
@pass_app
def workflows(app: App, name: str | None, out: Output) -> None:
    """The workflows you may start (GET /workflows); with NAME, the fields of its input.

    -o json prints the API's objects: the list, or NAME's, with its input's JSON Schema.
    """
    api = app.api()
    if name is not None:
        _describe(api, startable(api, name), out)
        return
    found = api.workflows()
    if not out.table:
        render.emit_documents(found, out.format)
        return
    if not found:
        click.echo("There is no workflow you may start.", err=True)
        return
    rows = [
        [workflow["name"], workflow["agentflowId"], workflow["cancel_mode"], workflow["description"]]
        for workflow in found
    ]
    click.echo(render.table(["NAME", "AGENTFLOW ID", "CANCEL", "DESCRIPTION"], rows, shrinkable=("DESCRIPTION",)))
    click.echo("\nIts input: `execapi workflows NAME`; start it: `execapi start NAME --set FIELD=VALUE`.", err=True)


def _describe(api: Api, workflow: dict[str, Any], out: Output) -> None:
    if not out.table:
        render.emit_document(workflow, out.format)
        return
    click.echo(f"{workflow['name']} ({workflow['agentflowId']}): {workflow['description']}")
    click.echo(f"cancel: {workflow['cancel_mode']}")
    rows = [
        [
            field.path,
            field.type,
            "yes" if field.required else "",
            json.dumps(field.schema["default"]) if "default" in field.schema else "",
            _choices(api, workflow, field),
            field.schema.get("description", ""),
        ]
        for field in input_fields(workflow["input_schema"])
    ]
    headers = ["FIELD", "TYPE", "REQUIRED", "DEFAULT", "CHOICES", "DESCRIPTION"]
    click.echo(render.table(headers, rows, shrinkable=("DESCRIPTION", "CHOICES")))
