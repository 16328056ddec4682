"""``GET /execution/{id}``: the execution resource plus its Step Functions history, in the
contract's event vocabulary."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from execution_api.infra.aws_errors import NO_SUCH_EXECUTION, code_of
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.timefmt import iso_millis
from execution_api.logic.ownership import load_owned, render
from execution_api.models.caller import Caller
from execution_api.models.domain import Execution, ExecutionState
from execution_api.models.responses import ExecutionWithHistory, HistoryEvent

_EXECUTION_EVENTS = {
    "ExecutionStarted": "WorkflowExecutionStarted",
    "ExecutionSucceeded": "WorkflowExecutionCompleted",
    "ExecutionFailed": "WorkflowExecutionFailed",
    "ExecutionTimedOut": "WorkflowExecutionTimedOut",
    "ExecutionAborted": "WorkflowExecutionTerminated",
}
_STATE_SUFFIXES = ("StateEntered", "StateExited")


def _event_type(raw_type: str, execution: Execution) -> str:
    if raw_type == "ExecutionFailed" and execution.state is ExecutionState.STOPPED:
        return "WorkflowExecutionCanceled"
    if raw_type == "ExecutionFailed" and execution.state is ExecutionState.TERMINATED:
        return "WorkflowExecutionTerminated"
    if raw_type in _EXECUTION_EVENTS:
        return _EXECUTION_EVENTS[raw_type]
    for suffix in _STATE_SUFFIXES:
        if raw_type.endswith(suffix):
            return suffix
    return raw_type


def _details(event: dict[str, Any]) -> dict[str, Any]:
    """The event's own details, without payloads or the task-token-bearing parameters."""
    details: dict[str, Any] = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
    kept: dict[str, Any] = {
        key: details[key] for key in ("name", "resource", "resourceType", "error", "cause") if key in details
    }
    if "name" in kept:
        kept["state"] = kept.pop("name")
    return kept


def execution_history(execution: Execution) -> list[HistoryEvent]:
    """Every event, oldest first, following ``nextToken`` to the end."""
    client = stepfunctions_client()
    request: dict[str, Any] = {"executionArn": execution.workflow_id, "maxResults": 1000}
    history: list[HistoryEvent] = []
    while True:
        try:
            page = client.get_execution_history(**request)
        except ClientError as error:
            if code_of(error) != NO_SUCH_EXECUTION:
                raise
            return history  # never started (the reconciler ends such a record as ERROR)
        for event in page["events"]:
            history.append(
                HistoryEvent(
                    event_type=_event_type(event["type"], execution),
                    sfn_event_type=event["type"],
                    event_id=event["id"],
                    timestamp=iso_millis(event["timestamp"]),
                    **_details(event),
                )
            )
        if not page.get("nextToken"):
            return history
        request["nextToken"] = page["nextToken"]


def describe_execution(caller: Caller, execution_id: str) -> ExecutionWithHistory:
    execution = load_owned(caller, execution_id, allow_public=True)
    return ExecutionWithHistory(**render(execution).model_dump(), history=execution_history(execution))
