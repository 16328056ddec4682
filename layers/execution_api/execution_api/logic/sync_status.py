"""Status sync: an execution's terminal state from a Step Functions status-change event.

Idempotent and order-proof: the write is conditional on the record still being INPROGRESS,
so a replayed or late event, or one racing a cancel/terminate, never changes a terminal state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from execution_api.dal import repositories
from execution_api.models.domain import Execution, ExecutionState, epoch_millis, utc_now
from execution_api.models.workflow_contract import CANCELLED_ERROR, TERMINATED_ERROR, TIMEOUT_ERRORS


class ExecutionStatusChange(BaseModel):
    """``detail`` of a "Step Functions Execution Status Change" event (the fields we use)."""

    executionArn: str
    name: str
    status: str
    stopDate: int | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None


def terminal_state(status: str, error: str | None) -> ExecutionState | None:
    if status == "SUCCEEDED":
        return ExecutionState.FINISHED
    if status == "TIMED_OUT" or (status == "FAILED" and error in TIMEOUT_ERRORS):
        return ExecutionState.TIMEOUT
    if status == "FAILED" and error == CANCELLED_ERROR:
        return ExecutionState.STOPPED
    if status == "ABORTED" or (status == "FAILED" and error == TERMINATED_ERROR):
        return ExecutionState.TERMINATED
    if status == "FAILED":
        return ExecutionState.ERROR
    return None


def apply_status_change(change: ExecutionStatusChange) -> Execution | None:
    """The updated record, or ``None`` when there was nothing to change."""
    state = terminal_state(change.status, change.error)
    repository = repositories.executions()
    current = repository.get(change.name)
    if state is None or current is None or current.workflow_id != change.executionArn:
        return None
    if current.state.is_terminal:
        # Ended on request (cancel/terminate) first: only confirm the execution has ended too.
        repository.confirm_ended(current.guid)
        return None
    stopped = datetime.fromtimestamp(change.stopDate / 1000, UTC) if change.stopDate else utc_now()
    error = {"error": change.error, "cause": change.cause} if change.error or change.cause else None
    return repository.record_terminal_state(
        current, state, stopped, epoch_millis(utc_now()), output=_json_or_text(change.output), error=error
    )


def _json_or_text(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value
