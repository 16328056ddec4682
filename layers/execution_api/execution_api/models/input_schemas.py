"""Workflow inputs described by JSON Schema (draft-07): each schema is checked against the
draft-07 meta-schema (``json_schema_draft_07.json``, as json-schema.org publishes it) and compiled
once, when the catalogue loads, with fastjsonschema, the validator of Powertools' validation
utility (whose ``validate`` would compile the schema again on every request). A request's input
that does not validate is a 400 naming the field, as for the pydantic models."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from execution_api.models.errors import InvalidRequest

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
_META_SCHEMA = Path(__file__).with_name("json_schema_draft_07.json")

InputValidator = Callable[[Any], Any]


@cache
def _meta_validator() -> InputValidator:
    return fastjsonschema.compile(json.loads(_META_SCHEMA.read_text()))


def compile_input_schema(schema: dict[str, Any]) -> InputValidator:
    """The validator of ``schema``, or a ``ValueError`` that says why it is not a draft-07 JSON Schema."""
    dialect = schema.get("$schema", DRAFT_07)
    if not isinstance(dialect, str) or dialect.removesuffix("#") != DRAFT_07.removesuffix("#"):
        raise ValueError(f"$schema: only JSON Schema draft-07 ({DRAFT_07}) is supported, not {dialect!r}")
    try:
        # The meta-schema has defaults, which fastjsonschema would write into the schema checked.
        _meta_validator()(copy.deepcopy(schema))
    except fastjsonschema.JsonSchemaValueException as error:
        where = (error.name or "data").replace("data", "schema", 1)
        raise ValueError(f"not a valid JSON Schema: {where} {_without_name(error)}") from None
    try:
        return fastjsonschema.compile(schema)
    except (fastjsonschema.JsonSchemaDefinitionException, re.error, AttributeError, TypeError) as error:
        raise ValueError(f"not a valid JSON Schema: {error}") from None


def validate_input(validator: InputValidator, raw: dict[str, Any], workflow: str) -> dict[str, Any]:
    """``raw`` with the schema's defaults filled in, or a 400 naming the field as ``input.<path>``."""
    try:
        return validator(copy.deepcopy(raw))  # type: ignore[no-any-return]
    except fastjsonschema.JsonSchemaValueException as error:
        field, message = _located(error)
        raise InvalidRequest(
            f"invalid input for workflow '{workflow}': {field}", [{"field": field, "message": message}]
        ) from None


def _without_name(error: fastjsonschema.JsonSchemaValueException) -> str:
    """fastjsonschema's message without the path it starts with (``data.items[0] must be ...``)."""
    return str(error.message).removeprefix(error.name or "").strip()


def _located(error: fastjsonschema.JsonSchemaValueException) -> tuple[str, str]:
    """The offending field (``input.items.0``) and what is wrong with it. For a missing or an
    unexpected property fastjsonschema names the object that holds it; the field is the property."""
    path = ["input", *(str(part) for part in (error.path or [])[1:])]
    value, definition = error.value, error.definition or {}
    if error.rule == "required" and isinstance(value, dict):
        missing = [name for name in error.rule_definition or [] if name not in value]
        if missing:
            return ".".join([*path, missing[0]]), "is required"
    if error.rule == "additionalProperties" and isinstance(value, dict):
        patterns = list(definition.get("patternProperties", {}))
        extra = [
            name
            for name in value
            if name not in definition.get("properties", {}) and not any(re.search(p, name) for p in patterns)
        ]
        if extra:
            return ".".join([*path, extra[0]]), "is not a field of this workflow's input"
    return ".".join(path), _without_name(error)
