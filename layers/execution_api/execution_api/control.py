"""Workflow control: start, cancel (graceful), terminate (forceful).

Cancel and terminate first end the record in one conditional write (ownership and "still
running" are its condition), then act on Step Functions. A workflow registers the task token
of each wait on its record with a condition that the record is still INPROGRESS, so a cancel
that lands between two waits is seen at the next one: nothing is lost in the gap.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from botocore.exceptions import ClientError

from execution_api.aws import stepfunctions_client
from execution_api.catalogue import resolve_workflow, validate_input
from execution_api.errors import NotFound, ServiceUnavailable
from execution_api.execution_ids import execution_arn, state_machine_name
from execution_api.identity import Caller
from execution_api.models import (
    Execution,
    ExecutionState,
    StartedExecution,
    StartExecutionRequest,
    epoch_millis,
    utc_now,
)
from execution_api.repository import ExecutionRepository
from execution_api.settings import get_settings

CANCELLED_ERROR = "ExecutionCancelled"
_RETRYABLE = {"ThrottlingException", "ServiceUnavailable", "InternalServerError", "RequestTimeout"}


def _repository() -> ExecutionRepository:
    return ExecutionRepository(get_settings().table_name)


def start(caller: Caller, request: StartExecutionRequest) -> StartedExecution:
    """Writes the record, then starts the execution named by its guid.

    The record comes first so that no execution ever runs without one; if the start fails
    the record is removed again, and a crash in between leaves an INPROGRESS record with no
    execution, which the reconciler ends as ERROR.
    """
    settings = get_settings()
    resolved = resolve_workflow(request.workflow, settings)
    workflow_input = validate_input(resolved.workflow, request.input)
    guid = str(uuid.uuid4())
    now = utc_now()
    execution = Execution(
        guid=guid,
        workflow_id=execution_arn(resolved.state_machine_arn, guid),
        workflow=resolved.workflow.name,
        agentflow_id=resolved.workflow.agentflow_id,
        state_machine_name=state_machine_name(resolved.state_machine_arn),
        owner=caller.identity,
        session_id=request.sessionId,
        start_time=now,
        created_on=epoch_millis(now),
        updated_on=epoch_millis(now),
        input=request.input,
    )
    repository = _repository()
    repository.create(execution)
    payload = {"guid": guid, **resolved.workflow.execution_input(workflow_input, caller.identity, settings)}
    try:
        stepfunctions_client().start_execution(
            stateMachineArn=resolved.state_machine_arn, name=guid, input=json.dumps(payload)
        )
    except ClientError as error:
        repository.remove_unstarted(guid)
        if error.response["Error"]["Code"] in _RETRYABLE:
            raise ServiceUnavailable("Step Functions is busy: retry shortly") from error
        raise
    return StartedExecution(workflow_id=execution.workflow_id, run_id=guid, status=execution.state.status)


def cancel(caller: Caller, guid: str) -> Execution:
    """Graceful: the workflow's current wait fails with ``ExecutionCancelled`` and the
    workflow runs its own cleanup path before it ends."""
    ended, token = _end(caller, guid, ExecutionState.STOPPED)
    if token:
        _answer_quietly(token, error=CANCELLED_ERROR, cause=f"cancelled by {caller.identity}")
    return ended


def terminate(caller: Caller, guid: str) -> Execution:
    """Forceful: ``StopExecution``, no cleanup."""
    ended, _ = _end(caller, guid, ExecutionState.TERMINATED)
    stepfunctions_client().stop_execution(
        executionArn=ended.workflow_id, error="Terminated", cause=f"terminated by {caller.identity}"
    )
    return ended


def _end(caller: Caller, guid: str, state: ExecutionState) -> tuple[Execution, str | None]:
    repository = _repository()
    owner = caller.identity
    if caller.is_admin:
        record = repository.get(guid)
        if record is None:
            raise NotFound("execution not found")
        owner = record.owner
    return repository.end_on_request(guid, owner, state, utc_now())


def _answer_quietly(token: str, **failure: Any) -> None:
    """A token that has already moved on is not an error: the workflow sees the cancel at
    its next wait instead."""
    try:
        stepfunctions_client().send_task_failure(taskToken=token, **failure)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("InvalidToken", "TaskTimedOut", "TaskDoesNotExist"):
            raise
