"""Workflows of the catalogue end to end through the local server (``make run``'s).

The session's server runs with a workflow added by configuration alone (``tests/conftest.py``,
``TEST_WORKFLOWS``): ``e2e-external``, an existing state machine registered by ARN, startable by
one group, cancelled by ``StopExecution``, whose records are kept 7 days. The state machine is
created here in the server's embedded AWS, as a team's own would exist before it is registered.
The ``report`` example (``config/workflows.toml`` and ``statemachines/report.asl.json``) runs too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from tests.conftest import EXTERNAL_STARTERS, EXTERNAL_WORKFLOW
from tests.e2e.conftest import ApiClient, a_user, embedded_aws, history, start, wait_for, wait_for_state

pytestmark = pytest.mark.e2e

AGENTFLOW_ID = "wf-e2e-external"
EXTERNAL_DEFINITION = {
    "Comment": "A team's own state machine: it waits, then says how long.",
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"waited.$": "$.seconds"}, "End": True},
    },
}


@pytest.fixture(scope="module")
def external_state_machine(local_server: str) -> str:
    """The ARN the catalogue registers, created once in the server's embedded AWS."""
    sfn = embedded_aws(local_server, "stepfunctions")
    name = f"{EXTERNAL_WORKFLOW}-dev"
    existing = [machine for machine in sfn.list_state_machines()["stateMachines"] if machine["name"] == name]
    if existing:
        return existing[0]["stateMachineArn"]
    return sfn.create_state_machine(
        name=name,
        definition=json.dumps(EXTERNAL_DEFINITION),
        roleArn="arn:aws:iam::123456789012:role/e2e-external",
    )["stateMachineArn"]


def listed(client: ApiClient, **query: str) -> list[str]:
    status, body, _ = client.get("/executions", query={**query, "limit": 100})
    assert status == 200, body
    return [execution["guid"] for execution in body["executions"]]


def stored_record(local_server: str, guid: str) -> dict:
    """The record as the embedded DynamoDB holds it (attributes the resource does not serve)."""
    dynamodb = embedded_aws(local_server, "dynamodb")
    table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("ExecutionsTable"))
    key = {"pk": {"S": f"EXEC#{guid}"}, "sk": {"S": "RECORD"}}
    return dynamodb.get_item(TableName=table, Key=key)["Item"]


def test_a_workflow_added_by_configuration_alone_is_started_listed_stopped_and_synced(
    api: Callable[..., ApiClient], local_server: str, external_state_machine: str
):
    operator, outsider = api(a_user(), [EXTERNAL_STARTERS]), api(a_user())

    # Listed, with its input schema, for the group that may start it only.
    status, body, _ = operator.get("/workflows")
    assert status == 200, body
    (mine,) = [workflow for workflow in body["workflows"] if workflow["name"] == EXTERNAL_WORKFLOW]
    assert (mine["agentflowId"], mine["cancel_mode"], mine["retention_days"]) == (AGENTFLOW_ID, "stop", 7)
    assert mine["input_schema"]["required"] == ["seconds"]
    assert mine["workflow_type"] == {"name": f"{EXTERNAL_WORKFLOW}-dev"}
    status, body, _ = outsider.get("/workflows")
    assert EXTERNAL_WORKFLOW not in [workflow["name"] for workflow in body["workflows"]]
    status, body, _ = outsider.post("/execution", {"workflow": EXTERNAL_WORKFLOW, "input": {"seconds": 0}})
    assert (status, body["message"]) == (403, f"workflow: you may not start '{EXTERNAL_WORKFLOW}'")

    # Its schema decides what a start may send.
    status, body, _ = operator.post("/execution", {"workflow": EXTERNAL_WORKFLOW, "input": {"seconds": "soon"}})
    assert (status, body["details"]) == (400, [{"field": "input.seconds", "message": "must be integer"}])

    quick = start(operator, EXTERNAL_WORKFLOW, {"seconds": 0})
    slow = start(operator, EXTERNAL_WORKFLOW, {"seconds": 600})
    assert quick["workflow_id"].startswith(external_state_machine.replace(":stateMachine:", ":execution:"))

    # Synced from the status change of its own state machine.
    finished = wait_for_state(operator, quick["run_id"], "FINISHED")
    assert finished["output"] == {"waited": 0}
    assert (finished["agentflowId"], finished["cancel_mode"]) == (AGENTFLOW_ID, "stop")

    # Listed, and filtered by agentflowId.
    assert set(listed(operator, agentflowId=AGENTFLOW_ID)) == {quick["run_id"], slow["run_id"]}
    assert listed(operator, agentflowId=AGENTFLOW_ID, state="INPROGRESS") == [slow["run_id"]]
    assert listed(operator, agentflowId="wf-batch-job") == []

    # Cancelled by StopExecution: the record says so, and the status change confirms the end.
    status, body, _ = operator.post(f"/execution/{slow['run_id']}/cancel")
    assert status == 200, body
    stopped = wait_for_state(operator, slow["run_id"], "STOPPED")
    assert (stopped["status"], stopped["cancel_mode"]) == ("cancelled", "stop")
    events = wait_for(
        lambda: (
            (events := history(operator, slow["run_id"]))
            and events[-1]["event_type"].startswith("WorkflowExecution")
            and events
        )
    )
    assert events[-1]["sfn_event_type"] == "ExecutionAborted"
    synced = wait_for(lambda: "expires_at" in (item := stored_record(local_server, slow["run_id"])) and item)
    assert "running_shard" not in synced  # the reconciler has nothing left to look at
    assert int(synced["expires_at"]["N"]) > 0


def test_an_execution_started_outside_the_api_is_not_listed(
    api: Callable[..., ApiClient], local_server: str, external_state_machine: str
):
    operator = api(a_user(), [EXTERNAL_STARTERS])
    sfn = embedded_aws(local_server, "stepfunctions")
    outside = str(uuid.uuid4())
    arn = sfn.start_execution(stateMachineArn=external_state_machine, name=outside, input='{"seconds": 0}')[
        "executionArn"
    ]
    wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
    # An execution through the API afterwards is synced: the status changes have been delivered.
    ours = start(operator, EXTERNAL_WORKFLOW, {"seconds": 0})["run_id"]
    wait_for_state(operator, ours, "FINISHED")

    assert listed(operator, agentflowId=AGENTFLOW_ID) == [ours]
    assert operator.get(f"/executions/{outside}").status == 404


def test_the_report_example_runs_end_to_end_and_a_cancel_stops_it(api: Callable[..., ApiClient]):
    client = api(a_user())

    done = start(client, "report", {"title": "Quarterly", "period": "monthly", "delay_seconds": 0})
    waiting = start(client, "report", {"title": "Weekly", "period": "weekly", "delay_seconds": 600})

    finished = wait_for_state(client, done["run_id"], "FINISHED")
    assert finished["output"] == {"title": "Quarterly", "format": "json", "period": "monthly", "days": 30}
    assert finished["tags"] == {"team": "analytics"}
    status, body, _ = client.get(f"/execution/{waiting['run_id']}/cancel")
    assert status == 200, body
    assert wait_for_state(client, waiting["run_id"], "STOPPED")["cancel_mode"] == "stop"
