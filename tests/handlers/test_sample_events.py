"""Each sample event of events/, as `sam local invoke -e` would pass it, against its function,
with the outcome it stands for; and every function of the template has one."""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

import pytest

from execution_api.dal import repositories
from execution_api.models.audit import AuditEvent
from execution_api.models.domain import ExecutionState, utc_now
from tests.events import EVENTS_DIR, FOUNDATION_ENDPOINTS, http_event, load_event
from tests.http_assertions import assert_bad_request, assert_error
from tests.records import ALICE, PLACEHOLDER_GUID
from toolkit.functions import function_module
from toolkit.template import FUNCTION, load_template, resources_of_type
from toolkit.waiting import wait_until

SECOND_GUID = "00000000-0000-4000-8000-000000000002"
# Every file of events/ and the function (functions/<dir>) it is a sample of.
SAMPLES = {
    "list_executions": "list_executions",
    "list_executions_filtered": "list_executions",
    "get_execution": "get_execution",
    "update_execution": "update_execution",
    "delete_execution": "delete_execution",
    "delete_executions": "delete_executions",
    "start_execution": "start_execution",
    "describe_execution": "describe_execution",
    "cancel_execution": "cancel_execution",
    "terminate_execution": "terminate_execution",
    "signal_execution": "signal_execution",
    "inspect_signal": "inspect_signal",
    "list_signals": "list_signals",
    "list_roles": "list_roles",
    "list_workflows": "list_workflows",
    "read_audit": "read_audit",
    "console": "console",
    "notify_decision": "notify_decision",
    "grant_access": "grant_access",
    "sync_status": "sync_status",
    "reconcile": "reconcile",
    # Driven by the tests of the user pool's functions: tests/handlers/test_pre_token_generation.py
    # and tests/handlers/test_app_client_settings.py.
    "pre_token_generation": "pre_token_generation",
    "app_client_settings": "app_client_settings",
}


def test_every_function_of_the_template_has_a_sample_event():
    functions = {
        Path(spec["Properties"]["CodeUri"]).name for spec in resources_of_type(load_template(), FUNCTION).values()
    }

    assert functions - set(SAMPLES.values()) == set()


def test_every_sample_event_is_driven_here():
    assert {path.stem for path in EVENTS_DIR.glob("*.json")} == set(SAMPLES)


@pytest.fixture
def placeholders(make_record):
    """The two executions the sample events name: Alice's, ended, in January 2024."""
    return [make_record(guid=guid) for guid in (PLACEHOLDER_GUID, SECOND_GUID)]


@pytest.mark.parametrize(
    ("name", "function", "status", "expected"),
    [
        ("list_executions", "list_executions", 200, {"total": 2}),
        ("list_executions_filtered", "list_executions", 200, {"total": 2, "limit": 10}),
        ("get_execution", "get_execution", 200, {"guid": PLACEHOLDER_GUID}),
        ("update_execution", "update_execution", 200, {"guid": PLACEHOLDER_GUID, "isPublic": True}),
        ("delete_execution", "delete_execution", 200, {"raw": [], "affected": 1}),
        ("delete_executions", "delete_executions", 200, {"raw": [], "affected": 2}),
        ("start_execution", "start_execution", 201, {"status": "running"}),
    ],
)
def test_the_sample_event_is_served(invoke, placeholders, name, function, status, expected):
    reply = invoke(function, load_event(name))

    assert reply.status == status, reply
    assert reply.body.items() >= expected.items()


@pytest.mark.parametrize("function", ["cancel_execution", "terminate_execution"])
def test_the_sample_control_event_reaches_its_route(invoke, placeholders, function):
    """The sample execution has ended, so the route answers 409."""
    assert_error(invoke(function, load_event(function)), 409)


@pytest.mark.parametrize("function", FOUNDATION_ENDPOINTS)
def test_without_an_identity_every_endpoint_is_unauthorized_and_writes_nothing(invoke, make_record, written, function):
    make_record(guid=PLACEHOLDER_GUID, state=ExecutionState.INPROGRESS)
    before = written()

    reply = invoke(function, http_event(function, claims={"email": None, "sub": None}))

    assert_error(reply, 401)
    assert written() == before


def test_an_unknown_route_is_a_404_in_the_contract_shape(invoke):
    event = http_event("get_execution")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/api/v1/nothing/here"

    reply = invoke("get_execution", event)

    assert_error(reply, 404)


def test_a_body_over_the_limit_is_refused(invoke, written):
    before = written()

    padding = "x" * (256 * 1024)
    body = {"workflow": "batch", "input": {"items": ["a"], "padding": padding}}

    reply = invoke("start_execution", http_event("start_execution", body=body))

    assert_error(reply, 413)
    assert written() == before


def test_an_unexpected_failure_is_a_500_without_details(invoke, placeholders, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("connection string postgres://admin:hunter2@db")

    monkeypatch.setattr("execution_api.dal.executions.ExecutionRepository.get", broken)

    reply = invoke("get_execution", load_event("get_execution"))

    body = assert_error(reply, 500)
    assert body == {"statusCode": 500, "message": "Internal server error"}


def test_the_describe_sample_shows_the_record_and_its_history(aws, invoke, placeholders):
    sfn = aws.own_client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=aws.workflow_arns["batch"], name=PLACEHOLDER_GUID, input="{}")
    wait_until(lambda: sfn.describe_execution(executionArn=arn["executionArn"])["status"] != "RUNNING")

    reply = invoke("describe_execution", load_event("describe_execution"))

    assert reply.status == 200, reply
    assert reply.body["guid"] == PLACEHOLDER_GUID
    assert reply.body["history"][0]["sfn_event_type"] == "ExecutionStarted"


@pytest.mark.parametrize("function", ["signal_execution", "inspect_signal"])
def test_a_decision_link_sample_is_refused_here_for_its_token_is_sealed_under_no_deployment_key(invoke, function):
    """A real link's token is sealed under the deployment's SignalKeySecret: take one from
    GET /signals (events/README.md)."""
    assert_bad_request(invoke(function, load_event(function)), "input")


def test_the_stream_sample_announces_a_decision_the_signals_sample_then_lists(
    aws, invoke, settings_env, lambda_context
):
    settings_env(PUBLIC_URL="https://exec.example.com")
    stream = load_event("notify_decision")
    record = stream["Records"][0]["dynamodb"]["NewImage"]  # the execution record, as the stream saw it
    aws.own_client("dynamodb").put_item(TableName=aws.table_name, Item=record)

    assert function_module("notify_decision").lambda_handler(stream, lambda_context) == {"announced": 1}

    reply = invoke("list_signals", load_event("list_signals"))
    assert reply.status == 200, reply
    [signal] = reply.body["signals"]
    assert (signal["guid"], signal["step"], signal["requested_by"]) == (PLACEHOLDER_GUID, "approval", ALICE)
    assert signal["approve_url"].startswith(f"https://exec.example.com/api/v1/execution/{PLACEHOLDER_GUID}/signal?")


def test_the_roles_sample_lists_what_alice_may_request(invoke):
    reply = invoke("list_roles", load_event("list_roles"))

    assert reply.status == 200, reply
    assert [role["name"] for role in reply.body["roles"]] == ["readonly", "developer", "admin"]


def test_the_workflows_sample_lists_what_alice_may_start_with_each_input_schema(invoke):
    reply = invoke("list_workflows", load_event("list_workflows"))

    assert reply.status == 200, reply
    workflows = {workflow["name"]: workflow for workflow in reply.body["workflows"]}
    assert list(workflows) == ["default", "batch", "report"]
    assert workflows["report"]["input_schema"]["required"] == ["title", "period"]
    assert workflows["default"]["input_model"] == "elevation"
    assert "role" in workflows["default"]["input_schema"]["properties"]


def test_the_audit_sample_reads_the_trail_as_an_admin(invoke, make_record):
    make_record(guid=PLACEHOLDER_GUID, workflow="default")
    repositories.audit().append(
        AuditEvent(guid=PLACEHOLDER_GUID, type="requested", at=utc_now(), actor=ALICE, detail={"role": "developer"})
    )

    reply = invoke("read_audit", load_event("read_audit"))

    assert reply.status == 200, reply
    assert [(event["type"], event["actor"]) for event in reply.body["events"]] == [("requested", ALICE)]


def test_the_console_sample_is_a_page_served_without_a_token(aws, lambda_context):
    reply = function_module("console").lambda_handler(load_event("console"), lambda_context)

    assert reply["statusCode"] == 200, reply
    page = gzip.decompress(base64.b64decode(reply["body"])).decode()
    assert "<html" in page
    assert reply["headers"]["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in reply["headers"]["content-security-policy"]


def test_the_grant_sample_is_refused_for_no_approval_is_recorded(aws, lambda_context):
    """The grant step checks the approval again, in the decision the signals recorded; the sample's
    record alone has none."""
    stream = load_event("grant_access")
    aws.own_client("dynamodb").put_item(TableName=aws.table_name, Item=stream["Records"][0]["dynamodb"]["NewImage"])

    assert function_module("grant_access").lambda_handler(stream, lambda_context) == {"granted": 0}
    [event] = repositories.audit().events(PLACEHOLDER_GUID)
    assert (event.type, event.detail) == ("grant_failed", {"cause": "the request is not approved"})


def test_the_status_change_sample_ends_its_record(make_record, repository, lambda_context):
    make_record(guid=PLACEHOLDER_GUID, state=ExecutionState.INPROGRESS)

    function_module("sync_status").lambda_handler(load_event("sync_status"), lambda_context)

    assert repository.get(PLACEHOLDER_GUID).state is ExecutionState.FINISHED


def test_the_schedule_sample_ends_a_record_whose_execution_never_started(
    make_record, repository, settings_env, lambda_context
):
    settings_env(RECONCILE_GRACE_SECONDS="0")
    record = make_record(state=ExecutionState.INPROGRESS)

    outcomes = function_module("reconcile").lambda_handler(load_event("reconcile"), lambda_context)

    assert outcomes == {"ended_never_started": 1}
    assert repository.get(record.guid).state is ExecutionState.ERROR
