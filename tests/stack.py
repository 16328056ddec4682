"""The test deployment: template.yaml's tables, secrets and state machines in moto."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
from moto import mock_aws

from execution_api.dal import repositories
from execution_api.dal.keys import record_key
from execution_api.infra import clients as aws_clients
from execution_api.infra.settings import get_settings
from execution_api.models.domain import ExecutionState
from local.cloud import make_moto_thread_safe
from tests.cfn import (
    ACCOUNT_ID,
    REGION,
    ROOT,
    Resolver,
    load_template,
    parameter_defaults,
    resources_of_type,
    substitute_definition,
)
from tests.polling import wait_until

# Keys of AWS::DynamoDB::Table Properties that CreateTable takes as they are. Streams and SSE
# are renamed below; TTL is its own call; point-in-time recovery does not matter to tests.
_CREATE_TABLE_KEYS = {
    "TableName",
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
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


def clear_caches() -> None:
    """Settings, the code's clients and cached parameter values. The Powertools providers
    themselves stay (``parameters.clear_caches()`` would drop them, and making one costs a
    boto3 session, about 0.15 s): their value caches are what must not leak between tests."""
    get_settings.cache_clear()
    aws_clients.client.cache_clear()
    repositories.reset()
    for provider in DEFAULT_PROVIDERS.values():
        provider.clear_cache()


def _create_tables(template: dict[str, Any], resolver: Resolver, stage: str) -> dict[str, str]:
    dynamodb = boto3.client("dynamodb")
    names = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        properties = resolver.resolve(resource["Properties"])
        name = properties.get("TableName", f"execution-api-{stage}-{logical_id}")
        create = {key: value for key, value in properties.items() if key in _CREATE_TABLE_KEYS}
        if "StreamSpecification" in properties:
            create["StreamSpecification"] = {"StreamEnabled": True, **properties["StreamSpecification"]}
        if "SSESpecification" in properties:
            sse = dict(properties["SSESpecification"])
            create["SSESpecification"] = {"Enabled": sse.pop("SSEEnabled"), **sse}
        dynamodb.create_table(**{**create, "TableName": name})
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        names[logical_id] = name
    return names


def _generated_secret(spec: dict[str, Any]) -> str:
    """What ``GenerateSecretString`` makes: a password, alone or under a key of a JSON template."""
    alphabet = string.ascii_letters + string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" not in spec:
        return password
    return json.dumps({**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: password})


def _create_secrets(template: dict[str, Any], stage: str) -> dict[str, str]:
    client = boto3.client("secretsmanager")
    arns = {}
    for logical_id, resource in resources_of_type(template, "AWS::SecretsManager::Secret").items():
        value = _generated_secret(resource["Properties"].get("GenerateSecretString", {}))
        arns[logical_id] = client.create_secret(Name=f"execution-api-{stage}-{logical_id}", SecretString=value)["ARN"]
    return arns


def _create_state_machines(template: dict[str, Any], resolver: Resolver) -> dict[str, str]:
    client = boto3.client("stepfunctions")
    arns = {}
    for logical_id, resource in resources_of_type(template, "AWS::Serverless::StateMachine").items():
        properties = resource["Properties"]
        substitutions = resolver.resolve(properties.get("DefinitionSubstitutions", {}))
        definition = substitute_definition((ROOT / properties["DefinitionUri"]).read_text(), substitutions)
        arns[logical_id] = client.create_state_machine(
            name=resolver.resolve(properties["Name"]),
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{logical_id}Role",
        )["stateMachineArn"]
    return arns


@contextmanager
def embedded_stack() -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        clear_caches()
        make_moto_thread_safe()
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            template = load_template()
            values = parameter_defaults(template)
            stage = values["Stage"]
            tables = _create_tables(template, Resolver(values), stage)
            secret_arns = _create_secrets(template, stage)
            resolver = Resolver({**values, **tables, **secret_arns})
            state_machines = _create_state_machines(template, resolver)
            resolver = Resolver({**values, **tables, **secret_arns, **state_machines})
            environment = resolver.resolve(template["Globals"]["Function"]["Environment"]["Variables"])
            environment |= {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
            stack = Stack(
                tables, state_machines, secret_arns, {name: str(value) for name, value in environment.items()}
            )
            stack.workflow_arns = json.loads(environment["STATE_MACHINES"])
            stack.table_keys = {
                tables[logical_id]: [key["AttributeName"] for key in table["Properties"]["KeySchema"]]
                for logical_id, table in resources_of_type(template, "AWS::DynamoDB::Table").items()
            }
            yield stack
        clear_caches()


def use_stack_environment(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """The functions' environment, and no settings or clients cached from another test."""
    for name, value in stack.environment.items():
        monkeypatch.setenv(name, value)
    clear_caches()
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
