"""Workflow control: cancel (graceful) and terminate (forceful).

Cancel and terminate first end the record in one conditional write (ownership and "still
running" are its condition), then act on Step Functions. A workflow registers the task token
of each wait on its record with a condition that the record is still INPROGRESS, so a cancel
that lands between two waits is seen at the next one: nothing is lost in the gap.

Each workflow also claims its own end before it ends (``ending`` set on the record, on the same
condition). Whichever comes first wins: after the claim, cancel and terminate get 409 and the
execution ends as it was going to; before it, the claim fails and the workflow ends as
``ExecutionCancelled`` (record STOPPED) or ``ExecutionTerminated`` (record TERMINATED, in case
its ``StopExecution`` has not arrived yet). So a record never says cancelled or terminated for
an execution that succeeded or failed on its own.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from execution_api.aws import stepfunctions_client
from execution_api.errors import NotFound
from execution_api.identity import Caller
from execution_api.models import Execution, ExecutionState, utc_now
from execution_api.repository import ExecutionRepository
from execution_api.settings import get_settings

CANCELLED_ERROR = "ExecutionCancelled"
TERMINATED_ERROR = "ExecutionTerminated"


def _repository() -> ExecutionRepository:
    return ExecutionRepository(get_settings().table_name)


def cancel(caller: Caller, guid: str) -> Execution:
    """Graceful: the workflow's current wait fails with ``ExecutionCancelled`` and the
    workflow runs its own cleanup path before it ends."""
    ended, token = _end(caller, guid, ExecutionState.STOPPED)
    if token:
        deliver_cancel(token, caller.identity)
    return ended


def terminate(caller: Caller, guid: str) -> Execution:
    """Forceful: ``StopExecution``, no cleanup."""
    ended, _ = _end(caller, guid, ExecutionState.TERMINATED)
    stop(ended.workflow_id, caller.identity)
    return ended


def stop(execution_arn: str, by: str) -> None:
    stepfunctions_client().stop_execution(executionArn=execution_arn, error="Terminated", cause=f"terminated by {by}")


def _end(caller: Caller, guid: str, state: ExecutionState) -> tuple[Execution, str | None]:
    repository = _repository()
    owner = caller.identity
    if caller.is_admin:
        record = repository.get(guid)
        if record is None:
            raise NotFound("execution not found")
        owner = record.owner
    return repository.end_on_request(guid, owner, state, utc_now())


def deliver_cancel(token: str, by: str) -> None:
    """Fails the workflow's current wait with ``ExecutionCancelled``. A token that has already
    moved on is not an error: the workflow sees the cancel at its next wait instead."""
    try:
        stepfunctions_client().send_task_failure(taskToken=token, error=CANCELLED_ERROR, cause=f"cancelled by {by}")
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("InvalidToken", "TaskTimedOut", "TaskDoesNotExist"):
            raise
