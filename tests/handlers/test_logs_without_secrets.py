"""No log line ever holds a task token, a decision link token or a secret value.

A whole approval flow runs at handler level (start, the stream function announcing the
decision, the recipient's signal, a cancel during the granted hold, the reconciler) while
every log record is captured, then each secret is looked for in every captured line.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from execution_api.dal.keys import record_key
from execution_api.infra.observability import logger
from execution_api.models.domain import ExecutionState
from tests.events import http_event
from tests.records import ALICE, BOB
from toolkit.functions import function_module
from toolkit.waiting import wait_until

GROUP = "elevate-developer"  # the developer role's group (config/roles.toml)
APPROVERS = ["security-approvers"]


def api_event(
    route: str,
    user: str,
    path_parameters: dict[str, str],
    query: dict[str, str] | None = None,
    groups: list[str] | None = None,
) -> dict:
    """An HTTP API event for ``route`` (``"GET /api/v1/..."``), from a sample event of another route."""
    event = http_event("cancel_execution", user=user, groups=groups, query=query, path_parameters={"id": "x"})
    method, path = route.split(" ", 1)
    event["routeKey"] = event["requestContext"]["routeKey"] = route
    event["pathParameters"] = path_parameters
    for key, value in path_parameters.items():
        path = path.replace("{" + key + "}", quote(value, safe=""))
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    return event


@pytest.fixture
def read_logs(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    """Every line the functions log, as Powertools formats it (JSON, with extras and the
    Lambda context), plus every record of any other non-moto logger (with its extras and
    exception text)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    caplog.set_level(logging.INFO)

    def read() -> list[str]:
        records = [
            json.dumps({**record.__dict__, "message": record.getMessage()}, default=str)
            for record in caplog.records
            if not record.name.startswith("moto")
        ]
        return stream.getvalue().splitlines() + records

    yield read
    logger.removeHandler(handler)


@pytest.fixture
def elevation_target(aws):
    """The IAM group and user the default workflow grants (so the grant succeeds and the
    workflow reaches its second, "hold" wait)."""
    iam = aws.own_client("iam")
    iam.create_group(GroupName=GROUP)
    iam.create_user(UserName=ALICE)
    yield
    for user in iam.get_group(GroupName=GROUP)["Users"]:
        iam.remove_user_from_group(GroupName=GROUP, UserName=user["UserName"])
    iam.delete_user(UserName=ALICE)
    iam.delete_group(GroupName=GROUP)


def stream_of(aws, guid: str) -> dict:
    """The stream event of the record as it is now (what Lambda's event source would deliver)."""
    item = aws.own_client("dynamodb").get_item(TableName=aws.table_name, Key=record_key(guid))["Item"]
    return {"Records": [{"eventName": "MODIFY", "dynamodb": {"NewImage": item, "OldImage": {}}}]}


def secret_values(aws) -> list[str]:
    client = aws.own_client("secretsmanager")
    cursor = client.get_secret_value(SecretId=aws.secrets["CursorSecret"])["SecretString"]
    keyring = json.loads(client.get_secret_value(SecretId=aws.secrets["SignalKeySecret"])["SecretString"])
    return [cursor, *(value for kid, value in keyring.items() if kid != "current")]


def test_an_approval_flow_logs_no_token_and_no_secret(
    aws, invoke, lambda_context, repository, settings_env, elevation_target, read_logs
):
    settings_env(PUBLIC_URL="https://api.example.test", RECONCILE_GRACE_SECONDS="0")
    sfn = aws.own_client("stepfunctions")

    started = invoke(
        "start_execution",
        http_event(
            "start_execution",
            user=ALICE,
            body={"workflow": "default", "input": {"role": "developer", "provider": "aws", "reason": "x"}},
        ),
    )
    assert started.status == 201, started
    guid = started.body["run_id"]
    approval_token = wait_until(lambda: repository.waiting_task_token(guid))
    assert function_module("notify_decision").lambda_handler(stream_of(aws, guid), lambda_context) == {"announced": 1}

    signals = invoke("list_signals", api_event("GET /api/v1/signals", BOB, {}, groups=APPROVERS)).body["signals"]
    links = {signals[0]["approve_url"], signals[0]["deny_url"], signals[0]["console_approve_url"]}
    link_tokens = [parse_qs(urlsplit(signals[0][name]).query)["input"][0] for name in ("approve_url", "deny_url")]
    approve = link_tokens[0]
    signalled = invoke(
        "signal_execution",
        api_event("POST /api/v1/execution/{id}/signal", BOB, {"id": guid}, {"input": approve}, groups=APPROVERS),
    )
    assert signalled.status == 200, signalled
    grant_token = wait_until(lambda: (token := repository.waiting_task_token(guid)) != approval_token and token)
    assert function_module("grant_access").lambda_handler(stream_of(aws, guid), lambda_context) == {"granted": 1}
    hold_token = wait_until(lambda: (token := repository.waiting_task_token(guid)) != grant_token and token)
    assert [user["UserName"] for user in aws.own_client("iam").get_group(GroupName=GROUP)["Users"]] == [ALICE]

    cancelled = invoke("cancel_execution", http_event("cancel_execution", path_parameters={"id": guid}, user=ALICE))
    assert cancelled.status == 200, cancelled
    execution = wait_until(
        lambda: (d := sfn.describe_execution(executionArn=started.body["workflow_id"]))["status"] != "RUNNING" and d
    )
    assert (execution["status"], execution["error"]) == ("FAILED", "ExecutionCancelled")
    assert function_module("reconcile").lambda_handler({}, lambda_context) == {"synced": 1}
    assert repository.get(guid).state is ExecutionState.STOPPED
    assert aws.own_client("iam").get_group(GroupName=GROUP)["Users"] == []  # revoked at the end

    lines = read_logs()
    assert any("decision links delivered" in line for line in lines)
    assert any("reconciled" in line for line in lines)
    secrets = [approval_token, grant_token, hold_token, *link_tokens, *links, *secret_values(aws)]
    assert all(len(secret) >= 16 for secret in secrets)
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}:
            leaked = [line for line in lines if form in line]
            assert len(leaked) == 0, "a secret appears in the logs (lines not shown, to keep it out of reports)"
