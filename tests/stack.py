"""The test deployment: template.yaml built by the toolkit (``toolkit.aws``) in moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from execution_api.dal.keys import record_key
from execution_api.infra import clients as aws_clients
from execution_api.models.domain import ExecutionState
from toolkit.aws import EmbeddedAws
from toolkit.functions import clear_warm_caches
from toolkit.template import ROOT, STATE_MACHINE_TYPES, function_environment, resources_of_type
from toolkit.waiting import wait_until

# The template's parameters without a Default. The functions never read them (the authorizer
# does, before them); the handler tests pass claims in the events.
TEST_PARAMETERS = {"JwtIssuer": "https://issuer.example.test", "JwtAudience": ["execution-api"]}
# Tracing off: no X-Ray daemon here. Metrics off: nothing reads them in tests. The ConfigLayer's
# files are the repository's config/ (Lambda mounts them at /opt).
TEST_ENVIRONMENT = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "CONFIG_DIR": str(ROOT / "config"),
}


@dataclass
class Stack:
    """The test deployment: resource names/ARNs by logical id, and the functions' environment."""

    tables: dict[str, str]
    state_machines: dict[str, str]
    secrets: dict[str, str]
    environment: dict[str, str]
    workflow_arns: dict[str, str] = field(default_factory=dict)
    table_keys: dict[str, list[str]] = field(default_factory=dict)
    embedded: EmbeddedAws | None = None  # for provisioning what an account has before the stack
    _own_clients: dict[str, Any] = field(default_factory=dict)

    @property
    def table_name(self) -> str:
        return self.tables["ExecutionsTable"]

    def client(self, service: str) -> Any:
        """The same cached client the code under test uses."""
        return aws_clients.client(service)

    def own_client(self, service: str) -> Any:
        """The harness's own client (not the code's cached one), made once per stack."""
        if service not in self._own_clients:
            self._own_clients[service] = boto3.client(service)
        return self._own_clients[service]


@contextmanager
def embedded_stack() -> Iterator[Stack]:
    """The stack of template.yaml, built by the toolkit: every table, secret, topic, queue and
    state machine (really executing), and the environment the Globals give every function."""
    clear_warm_caches()
    with EmbeddedAws() as aws:
        resolver = aws.deploy(TEST_PARAMETERS)
        template = resolver.template
        environment = function_environment(template, resolver) | TEST_ENVIRONMENT
        tables = resolver.refs_of_type("AWS::DynamoDB::Table")
        stack = Stack(
            tables=tables,
            state_machines=resolver.refs_of_type(*STATE_MACHINE_TYPES),
            secrets=resolver.refs_of_type("AWS::SecretsManager::Secret"),
            environment=environment,
            workflow_arns=json.loads(environment["STATE_MACHINES"]),
            table_keys={
                tables[logical_id]: [key["AttributeName"] for key in table["Properties"]["KeySchema"]]
                for logical_id, table in resources_of_type(template, "AWS::DynamoDB::Table").items()
            },
            embedded=aws,
        )
        yield stack
    clear_warm_caches()


def use_stack_environment(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The functions' environment, and no settings or clients cached from another test."""
    for name, value in stack.environment.items():
        monkeypatch.setenv(name, value)
    clear_warm_caches()
    return stack


def execution_names(stack: Stack, status: str | None = None) -> set[str]:
    sfn = stack.own_client("stepfunctions")
    selection = {"statusFilter": status} if status else {}
    return {
        execution["name"]
        for arn in stack.state_machines.values()
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, **selection)
        for execution in page["executions"]
    }


def settle_executions(stack: Stack, earlier: set[str]) -> None:
    """Waits until every execution the test started has ended or is parked on a task-token
    wait nobody will answer, before its record goes: an execution thread still at work while
    the tables are emptied would race the harness inside the (not thread-safe) embedded AWS.

    Parked: the record holds the wait's token and was not cancelled (a cancel answers the
    token, after which the workflow runs its cleanup and ends). A terminated execution stays
    parked: the embedded Step Functions does not abort a task-token wait on StopExecution.
    """
    dynamodb = stack.own_client("dynamodb")

    def parked(guid: str) -> bool:
        item = dynamodb.get_item(TableName=stack.table_name, Key=record_key(guid)).get("Item", {})
        return "wait_token" in item and item["state"]["S"] != ExecutionState.STOPPED.value

    wait_until(lambda: all(parked(name) for name in execution_names(stack, "RUNNING") - earlier))


def empty_tables(stack: Stack) -> None:
    dynamodb = stack.own_client("dynamodb")
    for name, keys in stack.table_keys.items():
        projection = {"ProjectionExpression": ", ".join(f"#k{i}" for i in range(len(keys)))}
        projection["ExpressionAttributeNames"] = {f"#k{i}": key for i, key in enumerate(keys)}
        for page in dynamodb.get_paginator("scan").paginate(TableName=name, **projection):
            requests = [{"DeleteRequest": {"Key": item}} for item in page["Items"]]
            for start in range(0, len(requests), 25):
                dynamodb.batch_write_item(RequestItems={name: requests[start : start + 25]})
