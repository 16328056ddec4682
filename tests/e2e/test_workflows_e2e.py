"""Workflows end to end through the local server: elevation (approve, deny, cancel, terminate),
batch jobs (error, timeout), idempotent starts, history, and control of ended executions.

The server runs in a subprocess, so the IAM group membership the ``default`` workflow grants is
read from the execution's history: the ``Grant`` state's ``addUserToGroup`` task succeeded, and
``Revoke``'s ``removeUserFromGroup`` did (cancel) or never ran (terminate).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.e2e.conftest import (
    APPROVERS,
    ApiClient,
    a_user,
    elevation,
    follow,
    history,
    record_state,
    start,
    wait_for,
    wait_for_signal,
    wait_for_state,
)

pytestmark = pytest.mark.e2e

ENDED = ("FINISHED", "ERROR", "TIMEOUT", "STOPPED", "TERMINATED")


def entered(events: list[dict], state: str) -> bool:
    return any(event["sfn_event_type"].endswith("StateEntered") and event.get("state") == state for event in events)


def ended_history(client: ApiClient, guid: str) -> list[dict]:
    """The history once Step Functions has ended the execution (the last event says how)."""

    def ended() -> list[dict] | None:
        events = history(client, guid)
        return events if events and events[-1]["event_type"].startswith("WorkflowExecution") else None

    return wait_for(ended)


def approved_and_granted(api: Callable[..., ApiClient]) -> tuple[ApiClient, str]:
    """An elevation that an approver approved through the link from ``GET /signals``, holding its grant."""
    requester, approver = api(a_user()), api(a_user(), [APPROVERS])
    guid = start(requester, "default", elevation())["run_id"]
    status, body, _ = follow(approver, wait_for_signal(approver, guid)["approve_url"])
    assert status == 200, body
    assert body["outcome"] == "approved"
    events = wait_for(lambda: (events := history(requester, guid)) and entered(events, "HoldGrant") and events)
    assert entered(events, "Grant"), events  # the grant function answered the grant step
    assert not entered(events, "GrantFailed"), events
    return requester, guid


def grant_of(client: ApiClient, guid: str, state: str) -> dict:
    return wait_for(
        lambda: (grant := client.get(f"/executions/{guid}").body.get("grant") or {})["state"] == state and grant
    )


# -- elevation ---------------------------------------------------------------------------------------


def test_an_approved_elevation_is_granted_and_a_cancel_revokes_it_and_stops_the_record(
    api: Callable[..., ApiClient],
) -> None:
    requester, guid = approved_and_granted(api)

    status, body, _ = requester.post(f"/execution/{guid}/cancel")
    assert status == 200, body
    assert body == {"status": "ok", "message": "Workflow cancellation signal sent"}

    events = ended_history(requester, guid)
    assert events[-1]["event_type"] == "WorkflowExecutionCanceled"
    record = wait_for_state(requester, guid, *ENDED)
    assert record["state"] == "STOPPED"
    assert record["status"] == "cancelled"
    assert grant_of(requester, guid, "revoked")["cause"] == "cancelled"  # the end revoked the grant


def test_terminating_a_granted_elevation_still_revokes_it(api: Callable[..., ApiClient]) -> None:
    requester, guid = approved_and_granted(api)

    status, body, _ = requester.post(f"/execution/{guid}/terminate")
    assert status == 200, body
    assert body == {"status": "ok", "message": "Workflow termination signal sent"}

    events = ended_history(requester, guid)
    assert events[-1]["event_type"] == "WorkflowExecutionTerminated"
    assert record_state(requester, guid) == "TERMINATED"
    assert grant_of(requester, guid, "revoked")["cause"] == "terminated"  # forceful, yet no access left


def test_a_denied_elevation_finishes_denied_and_grants_nothing(api: Callable[..., ApiClient]) -> None:
    requester, approver = api(a_user()), api(a_user(), [APPROVERS])
    guid = start(requester, "default", elevation())["run_id"]

    status, body, _ = follow(approver, wait_for_signal(approver, guid)["deny_url"])
    assert status == 200, body
    assert (body["decision"], body["outcome"]) == ("deny", "denied")

    record = wait_for_state(requester, guid, *ENDED)
    assert record["state"] == "FINISHED"
    assert record["output"]["decision"] == "denied"
    assert record["output"]["granted"] is False
    assert record["output"]["denied_by"] == approver.name
    assert not entered(history(requester, guid), "Grant")


# -- batch ---------------------------------------------------------------------------------------------


def test_a_batch_with_one_failing_item_among_others_ends_in_error_with_its_error(
    api: Callable[..., ApiClient],
) -> None:
    client = api(a_user())
    guid = start(client, "batch", {"items": ["a", "fail"]})["run_id"]
    record = wait_for_state(client, guid, *ENDED)
    assert record["state"] == "ERROR"
    assert record["status"] == "failed"
    assert record["error"]["error"] == "ItemFailed"
    assert record["stop_time"] is not None


def test_a_batch_item_that_outwaits_its_timeout_ends_the_job_timed_out(api: Callable[..., ApiClient]) -> None:
    client = api(a_user())
    guid = start(client, "batch", {"items": ["hang"], "timeout_seconds": 1})["run_id"]
    record = wait_for_state(client, guid, *ENDED)
    assert record["state"] == "TIMEOUT"
    assert record["status"] == "timed_out"


# -- idempotent start --------------------------------------------------------------------------------


def test_an_idempotency_key_makes_a_retry_return_the_first_execution(api: Callable[..., ApiClient]) -> None:
    client = api(a_user())
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    body = {"workflow": "batch", "input": {"items": ["a"]}}

    first = client.post("/execution", body, headers=key)
    again = client.post("/execution", body, headers=key)
    assert first.status == 201, first.body
    assert again.status == 201, again.body
    assert again.body["workflow_id"] == first.body["workflow_id"]
    assert again.body["run_id"] == first.body["run_id"]

    status, listed, _ = client.get("/executions")
    assert status == 200, listed
    assert [execution["guid"] for execution in listed["executions"]] == [first.body["run_id"]]

    other = client.post("/execution", {"workflow": "batch", "input": {"items": ["b"]}}, headers=key)
    assert other.status == 409, other.body
    assert other.body["statusCode"] == 409
    assert client.get("/executions").body["total"] == 1


# -- history -------------------------------------------------------------------------------------------


def test_the_history_runs_from_started_to_completed_in_order(api: Callable[..., ApiClient]) -> None:
    client = api(a_user())
    guid = start(client, "batch", {"items": ["a", "b"]})["run_id"]
    wait_for_state(client, guid, *ENDED)
    events = ended_history(client, guid)

    assert events[0]["event_type"] == "WorkflowExecutionStarted"
    assert events[-1]["event_type"] == "WorkflowExecutionCompleted"
    assert [event["event_type"] for event in events].count("WorkflowExecutionStarted") == 1
    assert [event["event_id"] for event in events] == sorted(event["event_id"] for event in events)
    assert [event["timestamp"] for event in events] == sorted(event["timestamp"] for event in events)
    assert {"StateEntered", "StateExited"} <= {event["event_type"] for event in events}


# -- control of ended and foreign executions --------------------------------------------------------


@pytest.mark.parametrize("action", ["cancel", "terminate"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_cancel_or_terminate_of_an_ended_execution_is_a_conflict(
    action: str, method: str, api: Callable[..., ApiClient]
) -> None:
    client = api(a_user())
    guid = start(client, "batch", {"items": ["a"]})["run_id"]
    assert wait_for_state(client, guid, *ENDED)["state"] == "FINISHED"

    status, body, _ = client.request(method, f"/execution/{guid}/{action}")
    assert status == 409, body
    assert body["statusCode"] == 409
    assert record_state(client, guid) == "FINISHED"


@pytest.mark.parametrize("action", ["cancel", "terminate"])
def test_cancel_or_terminate_of_another_users_execution_is_not_found(
    action: str, api: Callable[..., ApiClient]
) -> None:
    owner, stranger = api(a_user()), api(a_user())
    guid = start(owner, "default", elevation())["run_id"]

    status, body, _ = stranger.post(f"/execution/{guid}/{action}")
    assert status == 404, body
    assert body["statusCode"] == 404
    assert record_state(owner, guid) == "INPROGRESS"
    assert owner.post(f"/execution/{guid}/terminate").status == 200
