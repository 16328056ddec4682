from datetime import UTC, datetime, timedelta

import pytest

from execution_api.models.domain import STATE_BY_STATUS, Execution, ExecutionState
from execution_api.models.responses import ExecutionResource

GUID = "3f2b8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"
START = datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
NOW = START + timedelta(minutes=5, seconds=7)


def _execution(**changes) -> Execution:
    fields = {
        "guid": GUID,
        "workflow_id": f"arn:aws:states:us-east-1:123456789012:execution:execution-api-dev-batch:{GUID}",
        "workflow": "batch",
        "agentflow_id": "wf-batch-job",
        "state_machine_name": "execution-api-dev-batch",
        "owner": "alice@example.com",
        "session_id": "session-1",
        "start_time": START,
        "created_on": 1705314600000,
        "updated_on": 1705314600000,
        "input": {"items": ["a"]},
    }
    return Execution(**{**fields, **changes})


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (ExecutionState.INPROGRESS, "running"),
        (ExecutionState.FINISHED, "completed"),
        (ExecutionState.ERROR, "failed"),
        (ExecutionState.TERMINATED, "terminated"),
        (ExecutionState.TIMEOUT, "timed_out"),
        (ExecutionState.STOPPED, "cancelled"),
    ],
)
def test_every_state_is_served_in_both_vocabularies(state, status):
    stop = None if state is ExecutionState.INPROGRESS else START + timedelta(minutes=1)
    resource = ExecutionResource.of(_execution(state=state, stop_time=stop), "queue", NOW).model_dump()

    assert (resource["state"], resource["status"]) == (state.value, status)
    assert STATE_BY_STATUS[status] is state


def test_a_running_execution_has_no_stop_time_and_has_run_until_now():
    resource = ExecutionResource.of(_execution(), "execution-api-dev", NOW).model_dump()

    assert resource["stop_time"] is None
    assert resource["execution_time"] == "PT5M7S"


def test_an_ended_execution_ran_from_start_to_stop():
    ended = _execution(state=ExecutionState.FINISHED, stop_time=START + timedelta(hours=1, seconds=2))

    resource = ExecutionResource.of(ended, "execution-api-dev", NOW + timedelta(days=3)).model_dump()

    assert resource["stop_time"] == "2024-01-15T11:30:02.000Z"
    assert resource["execution_time"] == "PT1H2S"


def test_the_resource_carries_both_vocabularies_and_every_contract_field():
    resource = ExecutionResource.of(
        _execution(output={"ok": True}, is_public=True), "execution-api-dev", NOW
    ).model_dump()

    assert resource == {
        "guid": GUID,
        "workflow_id": f"arn:aws:states:us-east-1:123456789012:execution:execution-api-dev-batch:{GUID}",
        "run_id": GUID,
        "workflow": "batch",
        "workflow_type": {"name": "execution-api-dev-batch"},
        "agentflowId": "wf-batch-job",
        "agentflowName": "batch",
        "sessionId": "session-1",
        "user": "alice@example.com",
        "owner": "alice@example.com",
        "state": "INPROGRESS",
        "status": "running",
        "start_time": "2024-01-15T10:30:00.000Z",
        "stop_time": None,
        "execution_time": "PT5M7S",
        "created_on": 1705314600000,
        "updated_on": 1705314600000,
        "task_queue": "execution-api-dev",
        "input": {"items": ["a"]},
        "output": {"ok": True},
        "error": None,
        "isPublic": True,
        "approved_by": None,
        "grant": None,
        "cancel_mode": "graceful",
        "tags": {},
    }
