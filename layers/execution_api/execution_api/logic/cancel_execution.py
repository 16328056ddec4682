"""``GET|POST /execution/{id}/cancel`` (and ``PUT`` with ``state: STOPPED``). The record ends
STOPPED in one conditional write; then, as its workflow's ``cancel_mode`` says (kept on the
record): ``graceful``, the workflow's current wait fails with ``ExecutionCancelled`` and the
workflow runs its own cleanup path before it ends; ``stop``, ``StopExecution`` (a workflow without
the protocol's wait has no cleanup to run).

A workflow registers the task token of each wait on its record with a condition that the record
is still INPROGRESS, so a cancel that lands between two waits is seen at the next one: nothing is
lost in the gap. As with terminate, a workflow that has claimed its end (``ending``) is past
being cancelled (409).
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from execution_api.dal import repositories
from execution_api.infra.aws_errors import GONE_TASK_TOKEN, code_of
from execution_api.infra.clients import stepfunctions_client
from execution_api.infra.observability import logger
from execution_api.logic.ownership import end_on_request
from execution_api.models.caller import Caller
from execution_api.models.domain import Execution, ExecutionState
from execution_api.models.workflow_contract import CANCELLED_ERROR

CANCEL_DELIVERY_SECONDS = 5.0


def cancel(caller: Caller, guid: str) -> Execution:
    ended, token = end_on_request(caller, guid, ExecutionState.STOPPED)
    if ended.cancel_mode == "stop":
        stop_for_cancel(ended.workflow_id, caller.identity)
    elif token:
        deliver_cancel(guid, token, caller.identity)
    return ended


def stop_for_cancel(execution_arn: str, by: str) -> None:
    """The cancel of a workflow whose ``cancel_mode`` is ``stop``."""
    stepfunctions_client().stop_execution(
        executionArn=execution_arn, error=CANCELLED_ERROR, cause=f"cancelled by {by} (StopExecution: no cleanup)"
    )


def deliver_cancel(guid: str, token: str, by: str) -> bool:
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
            if code_of(error) not in GONE_TASK_TOKEN:
                raise
        if repositories.executions().waiting_task_token(guid) != token:
            return True
        if time.monotonic() + pause > deadline:
            logger.warning("cancel not yet taken by the workflow; the reconciler sends it again", extra={"guid": guid})
            return False
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
