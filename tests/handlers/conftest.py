"""Fixtures of the handler tests: starting real executions and seeing what was written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from execution_api.dal.executions import ExecutionRepository
from execution_api.dal.keys import record_key
from tests.events import http_event
from tests.functions import HttpReply
from tests.records import ALICE
from tests.stack import Stack
from toolkit import faults as faults_module
from toolkit.faults import Fault
from toolkit.waiting import wait_until


@pytest.fixture
def written(aws: Stack) -> Callable[[], dict[str, Any]]:
    """Everything the functions could have written: table items and started executions."""

    def snapshot() -> dict[str, Any]:
        dynamodb, sfn = aws.own_client("dynamodb"), aws.own_client("stepfunctions")
        items = {
            name: sorted(dynamodb.scan(TableName=name)["Items"], key=lambda item: str(sorted(item.items())))
            for name in aws.tables.values()
        }
        executions = sorted(
            execution["executionArn"]
            for arn in aws.state_machines.values()
            for execution in sfn.list_executions(stateMachineArn=arn)["executions"]
        )
        return {"items": items, "executions": executions}

    return snapshot


@pytest.fixture
def start_batch(
    invoke: Callable[[str, dict[str, Any]], HttpReply], repository: ExecutionRepository
) -> Callable[..., str]:
    """Starts a ``batch`` execution through POST /execution; with ``items=["hang"]`` it waits
    for a task token, and this returns once that wait is registered on the record."""

    def start(items: list[str] | None = None, user: str = ALICE, **body: Any) -> str:
        items = items or ["hang"]
        reply = invoke(
            "start_execution",
            http_event("start_execution", body={"workflow": "batch", "input": {"items": items}, **body}, user=user),
        )
        assert reply.status == 201, reply
        guid = reply.body["run_id"]
        if "hang" in items:
            wait_until(lambda: repository.waiting_task_token(guid))
        return guid

    return start


@pytest.fixture
def stream(aws: Stack) -> Callable[[str], dict]:
    """The stream event of a record as it is now (what Lambda's event source delivers)."""

    def event(guid: str) -> dict:
        item = aws.own_client("dynamodb").get_item(TableName=aws.table_name, Key=record_key(guid))["Item"]
        return {"Records": [{"eventName": "MODIFY", "dynamodb": {"NewImage": item, "OldImage": {}}}]}

    return event


@pytest.fixture
def sfn_calls(aws: Stack) -> list[tuple[str, dict[str, Any]]]:
    """The Step Functions calls the code under test makes, as (operation, parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    aws.client("stepfunctions").meta.events.register("before-parameter-build.sfn", record)
    return calls


@pytest.fixture
def fail_aws(aws: Stack) -> Iterator[Callable[..., Fault]]:
    """``fail_aws("stepfunctions", "StopExecution")`` makes every such call of the code under
    test fail with a ``ClientError`` of ``code`` (or raise ``exception``, or answer ``reply``), by
    a botocore hook on the code's cached client (``toolkit.faults``), until the fault is
    ``remove()``d or, with ``times``, for that many calls; with ``match``, only the calls whose
    parameters include it."""
    faults: list[Fault] = []

    def inject(service: str, operation: str, code: str = "ThrottlingException", **options: Any) -> Fault:
        fault = faults_module.inject(service, operation, code, **options)
        faults.append(fault)
        return fault

    yield inject
    for fault in faults:
        fault.remove()
