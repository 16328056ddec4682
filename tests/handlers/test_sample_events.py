"""Each sample event of events/, as `sam local invoke -e` would pass it, against its function."""

from __future__ import annotations

import pytest

from execution_api.models.domain import ExecutionState
from tests.events import FOUNDATION_ENDPOINTS, http_event, load_event
from tests.http_assertions import assert_error
from tests.records import PLACEHOLDER_GUID

SECOND_GUID = "00000000-0000-4000-8000-000000000002"


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
