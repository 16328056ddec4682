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

import time

from botocore.exceptions import ClientError

from execution_api.aws import stepfunctions_client
from execution_api.errors import NotFound
from execution_api.identity import Caller
from execution_api.models import Execution, ExecutionState, utc_now
from execution_api.observability import logger
from execution_api.repository import ExecutionRepository
from execution_api.settings import get_settings

CANCELLED_ERROR = "ExecutionCancelled"
TERMINATED_ERROR = "ExecutionTerminated"
# What Step Functions answers for a task token whose wait does not (or no longer) take answers.
GONE_TOKEN_ERRORS = frozenset({"InvalidToken", "TaskTimedOut", "TaskDoesNotExist"})
CANCEL_DELIVERY_SECONDS = 5.0


def _repository() -> ExecutionRepository:
    return ExecutionRepository(get_settings().table_name)


def cancel(caller: Caller, guid: str) -> Execution:
    """Graceful: the workflow's current wait fails with ``ExecutionCancelled`` and the
    workflow runs its own cleanup path before it ends."""
    ended, token = _end(caller, guid, ExecutionState.STOPPED)
    if token:
        deliver_cancel(_repository(), guid, token, caller.identity)
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


def deliver_cancel(repository: ExecutionRepository, guid: str, token: str, by: str) -> bool:
    """Fails the workflow's wait on ``token`` with ``ExecutionCancelled`` until the workflow has
    the cancel; ``False`` if it still has not after ``CANCEL_DELIVERY_SECONDS`` (the reconciler
    takes over).

    Step Functions may refuse the token (``InvalidToken``, ``TaskTimedOut``, ``TaskDoesNotExist``)
    because the wait does not take answers yet or has just ended. Which one the record tells: once
    the record is STOPPED, the workflow's next conditional write fails and its ``Interrupted`` step
    removes the token. So while the record still holds the token, the cancel is sent again.
    """
    deadline = time.monotonic() + CANCEL_DELIVERY_SECONDS
    pause = 0.05
    while True:
        try:
            stepfunctions_client().send_task_failure(taskToken=token, error=CANCELLED_ERROR, cause=f"cancelled by {by}")
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] not in GONE_TOKEN_ERRORS:
                raise
        if repository.waiting_task_token(guid) != token:
            return True
        if time.monotonic() + pause > deadline:
            logger.warning("cancel not yet taken by the workflow; the reconciler sends it again", extra={"guid": guid})
            return False
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
