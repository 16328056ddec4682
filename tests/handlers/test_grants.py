"""Grants and their revocation at handler level, where AWS faults can be injected: the grant step
checks the approval again, a revoke that fails stays visible and the reconciler heals it, the
sweep removes memberships no grant holds, and each recipient of a decision is notified once.

The table's stream and EventBridge do not run here: a test hands each function the event AWS would.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import pytest
from botocore.exceptions import ConnectTimeoutError

from execution_api.dal import repositories
from execution_api.dal.keys import record_key
from execution_api.models.domain import ExecutionState
from tests.events import http_event, status_change
from tests.records import ALICE, BOB
from toolkit.functions import function_module
from toolkit.waiting import wait_until

GROUP = "elevate-developer"
APPROVERS = ["security-approvers"]


@pytest.fixture
def iam(aws):
    """The IAM group of the developer role and Alice's IAM user, as an account has them."""
    client = aws.own_client("iam")
    client.create_group(GroupName=GROUP)
    client.create_user(UserName=ALICE)
    yield client
    for user in client.get_group(GroupName=GROUP)["Users"]:
        client.remove_user_from_group(GroupName=GROUP, UserName=user["UserName"])
    client.delete_user(UserName=ALICE)
    client.delete_group(GroupName=GROUP)


def members(iam) -> list[str]:
    return [user["UserName"] for user in iam.get_group(GroupName=GROUP)["Users"]]


@pytest.fixture
def approved(invoke, repository, stream, lambda_context, settings_env, iam) -> Callable[[], str]:
    """A developer elevation of Alice's that Bob approved: its workflow waits at the grant step."""
    settings_env(PUBLIC_URL="https://api.example.test")

    def make() -> str:
        body = {"workflow": "default", "input": {"role": "developer", "provider": "aws", "reason": "x"}}
        started = invoke("start_execution", http_event("start_execution", body=body, user=ALICE))
        assert started.status == 201, started
        guid = started.body["run_id"]
        approval = wait_until(lambda: repository.waiting_task_token(guid))
        function_module("notify_decision").lambda_handler(stream(guid), lambda_context)
        signals = invoke("list_signals", signal_event("GET /api/v1/signals", {}, None)).body["signals"]
        token = next(signal for signal in signals if signal["guid"] == guid)["approve_url"].split("input=")[1]
        decided = invoke("signal_execution", signal_event("GET /api/v1/execution/{id}/signal", {"id": guid}, token))
        assert decided.status == 200, decided
        wait_until(lambda: repository.waiting_task_token(guid) not in (None, approval))
        return guid

    return make


@pytest.fixture
def granted(approved, stream, lambda_context) -> Callable[[], str]:
    """An approved developer elevation of Alice's, granted: her IAM user is in the group."""

    def make() -> str:
        guid = approved()
        assert function_module("grant_access").lambda_handler(stream(guid), lambda_context) == {"granted": 1}
        return guid

    return make


def signal_event(route: str, path_parameters: dict[str, str], token: str | None) -> dict:
    """Bob, an approver, calling ``route``."""
    event = http_event("cancel_execution", user=BOB, groups=APPROVERS, path_parameters={"id": "x"})
    method, path = route.split(" ", 1)
    event["routeKey"] = event["requestContext"]["routeKey"] = route
    event["pathParameters"] = path_parameters
    for key, value in path_parameters.items():
        path = path.replace("{" + key + "}", value)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event.pop("queryStringParameters", None)
    event["rawQueryString"] = ""
    if token:
        event["queryStringParameters"] = {"input": unquote(token)}
    return event


def audit_types(guid: str) -> list[str]:
    return [event.type for event in repositories.audit().events(guid)]


def test_a_revoke_that_fails_stays_visible_and_the_reconciler_heals_it(
    granted, invoke, repository, iam, fail_aws, lambda_context, settings_env
):
    guid = granted()
    assert members(iam) == [ALICE]
    terminated = invoke("terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}))
    assert terminated.status == 200, terminated
    refused = fail_aws("iam", "RemoveUserFromGroup")
    sync = function_module("sync_status").lambda_handler

    with pytest.raises(Exception, match="ThrottlingException"):  # the async invoke is retried, then alarmed
        sync(status_change(guid, repository.get(guid).workflow_id, "ABORTED"), lambda_context)

    assert len(refused.calls) == 1
    assert members(iam) == [ALICE]
    record = repository.get(guid)
    assert record.state is ExecutionState.TERMINATED
    assert (record.grant_status.state, record.grant_status.revoke_error) == ("revoke_failed", "ThrottlingException")
    assert audit_types(guid)[-1] == "revoke_failed"

    refused.remove()
    settings_env(RECONCILE_GRACE_SECONDS="0")
    outcomes = function_module("reconcile").lambda_handler({}, lambda_context)

    assert outcomes.get("grant_revoked") == 1
    assert members(iam) == []
    assert repository.get(guid).grant_status.state == "revoked"
    assert [event.detail.get("cause") for event in repositories.audit().events(guid) if event.type == "revoked"] == [
        "sweep"
    ]


@pytest.mark.parametrize(
    ("service", "operation", "trail"),
    [
        ("dynamodb", "TransactWriteItems", []),  # nothing recorded, so nothing to revoke
        ("iam", "AddUserToGroup", [("revoked", "terminated")]),  # recorded, then revoked by the end
    ],
    ids=["before-the-grant-is-recorded", "while-the-access-is-added"],
)
def test_an_elevation_terminated_while_it_is_being_granted_leaves_no_access(
    approved, invoke, repository, stream, iam, aws, lambda_context, service, operation, trail
):
    """The grant step has checked that the request is approved and waits; then the requester
    terminates it, and its end revokes, while the grant is being recorded or the access added."""
    guid = approved()
    ended: list[int] = []

    def terminate_now(**_: object) -> None:
        if ended:
            return
        ended.append(1)
        terminated = invoke("terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}))
        assert terminated.status == 200, terminated
        change = status_change(guid, repository.get(guid).workflow_id, "ABORTED")
        function_module("sync_status").lambda_handler(change, lambda_context)

    aws.client(service).meta.events.register(f"before-call.{service}.{operation}", terminate_now)
    try:
        granted = function_module("grant_access").lambda_handler(stream(guid), lambda_context)
    finally:
        aws.client(service).meta.events.unregister(f"before-call.{service}.{operation}", terminate_now)

    assert ended == [1]
    assert granted == {"granted": 0}
    assert members(iam) == []
    after_approval = [
        (event.type, event.detail.get("cause"))
        for event in repositories.audit().events(guid)
        if event.type not in ("requested", "notified", "approved")
    ]
    assert after_approval == trail
    record = repository.get(guid)
    assert record.state is ExecutionState.TERMINATED
    assert (record.grant_status.state if record.grant_status else None) == (trail[0][0] if trail else None)


def test_an_approval_step_functions_does_not_answer_is_undone_and_the_link_works_again(
    invoke, repository, stream, lambda_context, settings_env, fail_aws, iam
):
    settings_env(PUBLIC_URL="https://api.example.test")
    body = {"workflow": "default", "input": {"role": "developer", "provider": "aws", "reason": "x"}}
    guid = invoke("start_execution", http_event("start_execution", body=body, user=ALICE)).body["run_id"]
    approval = wait_until(lambda: repository.waiting_task_token(guid))
    function_module("notify_decision").lambda_handler(stream(guid), lambda_context)
    signals = invoke("list_signals", signal_event("GET /api/v1/signals", {}, None)).body["signals"]
    token = next(signal for signal in signals if signal["guid"] == guid)["approve_url"].split("input=")[1]
    route = "GET /api/v1/execution/{id}/signal"
    unreachable = fail_aws(
        "stepfunctions", "SendTaskSuccess", exception=ConnectTimeoutError(endpoint_url="https://states"), times=1
    )

    first = invoke("signal_execution", signal_event(route, {"id": guid}, token))

    assert first.status == 503, first
    assert len(unreachable.calls) == 1
    assert not repositories.decisions().load(guid, "approval").approvals
    again = invoke("signal_execution", signal_event(route, {"id": guid}, token))
    assert (again.status, again.body["outcome"]) == (200, "approved")
    wait_until(lambda: repository.waiting_task_token(guid) not in (None, approval))
    invoke("terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}))


def test_an_execution_of_another_state_machine_with_the_same_name_revokes_nothing(
    granted, repository, iam, lambda_context, invoke
):
    """Someone allowed to start a registered state machine outside the API names an execution
    after a live elevation's guid; its end is not the elevation's."""
    guid = granted()
    elevation_arn = repository.get(guid).workflow_id
    other_arn = elevation_arn.replace(":execution-api-dev-elevate:", ":execution-api-dev-batch:")
    assert other_arn != elevation_arn

    function_module("sync_status").lambda_handler(status_change(guid, other_arn, "SUCCEEDED"), lambda_context)

    assert members(iam) == [ALICE]
    assert repository.get(guid).state is ExecutionState.INPROGRESS
    assert "revoked" not in audit_types(guid)
    invoke("terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}))


def test_the_sweep_removes_a_membership_no_live_grant_holds(granted, iam, lambda_context, settings_env, invoke):
    guid = granted()
    iam.create_user(UserName=BOB)
    iam.add_user_to_group(GroupName=GROUP, UserName=BOB)  # added by hand, outside any elevation
    settings_env(RECONCILE_GRACE_SECONDS="300")

    outcomes = function_module("reconcile").lambda_handler({}, lambda_context)

    assert outcomes == {"access_removed": 1}
    assert members(iam) == [ALICE]  # her grant is live: kept
    removal = repositories.audit().events("sweep")[-1]
    assert (removal.type, removal.detail["principal"], removal.detail["target"]) == ("revoked", BOB, GROUP)
    iam.delete_user(UserName=BOB)
    invoke("terminate_execution", http_event("terminate_execution", path_parameters={"id": guid}))


def test_the_grant_step_refuses_an_elevation_nobody_approved(invoke, repository, aws, stream, lambda_context, iam):
    body = {"workflow": "default", "input": {"role": "developer", "provider": "aws", "reason": "x"}}
    guid = invoke("start_execution", http_event("start_execution", body=body, user=ALICE)).body["run_id"]
    wait_until(lambda: repository.waiting_task_token(guid))
    # A record that says it waits at the grant step without any approval (a forged or buggy write).
    aws.own_client("dynamodb").update_item(
        TableName=aws.table_name,
        Key=record_key(guid),
        UpdateExpression="SET wait_step = :grant",
        ExpressionAttributeValues={":grant": {"S": "grant"}},
    )

    assert function_module("grant_access").lambda_handler(stream(guid), lambda_context) == {"granted": 0}

    assert members(iam) == []
    trail = repositories.audit().events(guid)
    assert (trail[-1].type, trail[-1].detail["cause"]) == ("grant_failed", "the request is not approved")
    execution = wait_until(
        lambda: (
            (d := aws.own_client("stepfunctions").describe_execution(executionArn=repository.get(guid).workflow_id))[
                "status"
            ]
            != "RUNNING"
            and d
        )
    )
    assert (execution["status"], execution["error"]) == ("FAILED", "GrantFailed")


def test_each_recipient_is_notified_once_even_when_another_fails(
    invoke, repository, stream, lambda_context, settings_env, fail_aws, aws
):
    """incident-commander goes to a group and a user; the first delivery fails, the second still
    goes, and the retry sends only the one that failed."""
    topic = aws.own_client("sns").create_topic(Name="decisions")["TopicArn"]
    settings_env(PUBLIC_URL="https://api.example.test", SIGNAL_TOPIC_ARN=topic)
    body = {
        "workflow": "default",
        "input": {"role": "incident-commander", "provider": "aws", "reason": "x", "ticket": "INC-9"},
    }
    started = invoke("start_execution", http_event("start_execution", body=body, user=ALICE, groups=["oncall"]))
    assert started.status == 201, started
    guid = started.body["run_id"]
    wait_until(lambda: repository.waiting_task_token(guid))
    publish = fail_aws("sns", "Publish", times=1)
    notify = function_module("notify_decision").lambda_handler

    with pytest.raises(Exception, match="not notified"):
        notify(stream(guid), lambda_context)
    assert [call["MessageAttributes"]["recipient"]["StringValue"] for call in publish.calls] == [
        "user:security-lead@example.com",
        "group:security-approvers",
    ]
    assert notify(stream(guid), lambda_context) == {"announced": 1}

    sent = [call["MessageAttributes"]["recipient"]["StringValue"] for call in publish.calls]
    assert sent == ["user:security-lead@example.com", "group:security-approvers", "user:security-lead@example.com"]
    notified = [event.detail["to"] for event in repositories.audit().events(guid) if event.type == "notified"]
    assert sorted(notified) == ["group:security-approvers", "user:security-lead@example.com"]
    invoke(
        "terminate_execution",
        http_event("terminate_execution", path_parameters={"id": guid}, user=ALICE, groups=["oncall"]),
    )
