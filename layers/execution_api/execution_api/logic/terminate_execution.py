"""``GET|POST /execution/{id}/terminate``: forceful. The record ends TERMINATED in one conditional
write, then ``StopExecution``: the workflow's own cleanup does not run.

Each workflow claims its own end before it ends (``ending`` on the record, conditional on it
still running). Whichever comes first wins: after the claim, a terminate gets 409 and the
execution ends as it was going to; before it, the claim fails and the workflow ends as
``ExecutionTerminated`` (its ``StopExecution`` may not have arrived yet). So a record never says
terminated for an execution that succeeded or failed on its own.
"""

from __future__ import annotations

from execution_api.infra.clients import stepfunctions_client
from execution_api.logic.ownership import end_on_request
from execution_api.models.caller import Caller
from execution_api.models.domain import Execution, ExecutionState


def terminate(caller: Caller, guid: str) -> Execution:
    ended, _ = end_on_request(caller, guid, ExecutionState.TERMINATED)
    stop_execution(ended.workflow_id, caller.identity)
    return ended


def stop_execution(execution_arn: str, by: str) -> None:
    stepfunctions_client().stop_execution(executionArn=execution_arn, error="Terminated", cause=f"terminated by {by}")
