"""The workflows (``statemachines/*.asl.json``) and the API agree on what
``execution_api.models.workflow_contract`` writes down once: record keys come from the input, every
name the two share reaches the ASL as a placeholder (``DefinitionSubstitutions``), and the workflows
that are cancelled gracefully wait the protocol's way, with the steps and errors the API reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from execution_api.infra.catalogue_config import load_catalogue
from execution_api.models import workflow_contract as contract
from execution_api.models.catalogue import definition_placeholders, parse_definition
from toolkit.template import ROOT, load_template

STATE_MACHINES = sorted((ROOT / "statemachines").glob("*.asl.json"))
STAGES = ("dev", "staging", "prod")
# The files of the workflows some stage cancels gracefully (the task-token protocol).
GRACEFUL = sorted(
    {
        workflow.definition
        for stage in STAGES
        for workflow in load_catalogue(ROOT / "config", stage).workflows.values()
        if workflow.definition and workflow.cancel_mode == "graceful"
    }
)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _record_writes(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [node["Parameters"] for node in _nodes(definition) if "dynamodb:" in str(node.get("Resource", ""))]


def _definition(path: Path) -> dict[str, Any]:
    return parse_definition(path.read_text(), path.name)


@pytest.fixture(params=STATE_MACHINES, ids=lambda path: path.name)
def state_machine(request: pytest.FixtureRequest) -> Path:
    return request.param


@pytest.fixture(params=GRACEFUL)
def graceful(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _definition(ROOT / "statemachines" / request.param)


def test_every_record_write_takes_its_key_from_the_input(state_machine):
    definition = _definition(state_machine)

    assert all(write.get("Key.$") == "$.record" and "Key" not in write for write in _record_writes(definition))
    assert "EXEC#" not in json.dumps(definition)


def test_every_name_the_api_shares_is_a_placeholder_not_a_literal(state_machine):
    definition = json.loads(state_machine.read_text())
    for node in _nodes(definition):
        node.pop("Comment", None)
    text = json.dumps(definition)

    # ``#state`` is the expression's alias of the attribute, whose name is a placeholder.
    literals = set(contract.SUBSTITUTIONS.values()) - {contract.STATE_ATTRIBUTE}
    assert not [name for name in literals if re.search(rf"\b{name}\b", text)]
    assert f'"{contract.STATE_ATTRIBUTE}"' not in text
    assert definition_placeholders(text) <= {*contract.SUBSTITUTIONS, contract.TABLE_PLACEHOLDER}


def test_the_graceful_workflows_are_the_catalogues_and_follow_the_cancel_protocol(graceful):
    assert GRACEFUL == ["batch.asl.json", "elevate.asl.json"]
    assert contract.follows_cancel_protocol(graceful)


def test_the_wait_steps_are_the_contracts(graceful):
    steps = {
        write["ExpressionAttributeValues"][":step"]["S"]
        for write in _record_writes(graceful)
        if ":step" in write.get("ExpressionAttributeValues", {})
    }

    assert steps
    assert steps <= contract.WAIT_STEPS


def test_the_end_errors_the_api_reads_are_the_workflows(graceful):
    fail_errors = {node["Error"] for node in _nodes(graceful) if node.get("Type") == "Fail" and "Error" in node}
    caught = {name for node in _nodes(graceful) for catch in node.get("Catch", []) for name in catch["ErrorEquals"]}

    assert {contract.CANCELLED_ERROR, contract.TERMINATED_ERROR} <= fail_errors
    assert contract.CANCELLED_ERROR in caught
    assert fail_errors - {contract.CANCELLED_ERROR, contract.TERMINATED_ERROR, "ItemFailed", "GrantFailed"} <= (
        contract.TIMEOUT_ERRORS
    )


def test_the_record_attributes_the_workflows_write_are_the_contracts(graceful):
    text = json.dumps(graceful)

    for attribute in (contract.WAIT_TOKEN_ATTRIBUTE, contract.WAIT_STEP_ATTRIBUTE, contract.ENDING_ATTRIBUTE):
        assert attribute in text


@pytest.mark.parametrize(
    ("function", "event", "steps"),
    [
        ("NotifyDecisionFunction", "DecisionWaits", contract.DECISION_STEPS),
        ("GrantAccessFunction", "GrantWaits", {contract.GRANT_STEP}),
    ],
)
def test_the_stream_filters_name_the_contracts_steps_and_attribute(function: str, event: str, steps: set[str]) -> None:
    """The template's event filters cannot import the contract: they must spell its names."""
    source = load_template()["Resources"][function]["Properties"]["Events"][event]["Properties"]
    patterns = [json.loads(item["Pattern"]) for item in source["FilterCriteria"]["Filters"]]

    assert [list(pattern["dynamodb"]["NewImage"]) for pattern in patterns] == [[contract.WAIT_STEP_ATTRIBUTE]]
    assert {
        step for pattern in patterns for step in pattern["dynamodb"]["NewImage"][contract.WAIT_STEP_ATTRIBUTE]["S"]
    } == steps
