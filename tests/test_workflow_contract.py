"""The workflows (``statemachines/*.asl.json``) and the API agree on what
``execution_api.models.workflow_contract`` writes down once: record keys come from the input, the
wait steps and the errors the API reads are the ones the workflows use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from execution_api.models import workflow_contract as contract

STATE_MACHINES = sorted((Path(__file__).resolve().parent.parent / "statemachines").glob("*.asl.json"))


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


@pytest.fixture(params=STATE_MACHINES, ids=lambda path: path.name)
def definition(request: pytest.FixtureRequest) -> dict[str, Any]:
    return json.loads(request.param.read_text())


def test_every_record_write_takes_its_key_from_the_input(definition):
    writes = _record_writes(definition)

    assert writes
    assert all(write.get("Key.$") == "$.record" and "Key" not in write for write in writes)
    assert "EXEC#" not in json.dumps(definition)


def test_the_wait_steps_are_the_contracts(definition):
    steps = {
        write["ExpressionAttributeValues"][":step"]["S"]
        for write in _record_writes(definition)
        if ":step" in write.get("ExpressionAttributeValues", {})
    }

    assert steps
    assert steps <= contract.WAIT_STEPS


def test_the_end_errors_the_api_reads_are_the_workflows(definition):
    fail_errors = {node["Error"] for node in _nodes(definition) if node.get("Type") == "Fail" and "Error" in node}
    caught = {name for node in _nodes(definition) for catch in node.get("Catch", []) for name in catch["ErrorEquals"]}

    assert {contract.CANCELLED_ERROR, contract.TERMINATED_ERROR} <= fail_errors
    assert contract.CANCELLED_ERROR in caught
    assert fail_errors - {contract.CANCELLED_ERROR, contract.TERMINATED_ERROR, "ItemFailed", "GrantFailed"} <= (
        contract.TIMEOUT_ERRORS
    )


def test_the_record_attributes_the_workflows_write_are_the_contracts(definition):
    text = json.dumps(definition)

    for attribute in (contract.WAIT_TOKEN_ATTRIBUTE, contract.WAIT_STEP_ATTRIBUTE, contract.ENDING_ATTRIBUTE):
        assert attribute in text
