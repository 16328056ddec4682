"""Status sync: an execution's terminal state from a Step Functions status-change event, and the
revocation of whatever an elevation granted: every end of an execution (expiry, cancel, terminate,
timeout, failure) arrives here, or at the reconciler, which runs the same sync for lost events.

Idempotent and order-proof: the write is conditional on the record still being INPROGRESS,
so a replayed or late event, or one racing a cancel/terminate, never changes a terminal state.
The revocation runs whether or not the record is still there.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from execution_api.dal import repositories
from execution_api.dal.executions import ExecutionRepository
from execution_api.logic.revoke_access import revoke_access
from execution_api.models.domain import Execution, ExecutionState, epoch_millis, utc_now
from execution_api.models.workflow_contract import CANCELLED_ERROR, TERMINATED_ERROR, TIMEOUT_ERRORS

SYNC_ACTOR = "status-sync"


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


# Why a grant ends, by how its execution ended.
_REVOKE_CAUSE = {
    ExecutionState.FINISHED: "expired",
    ExecutionState.STOPPED: "cancelled",
    ExecutionState.TERMINATED: "terminated",
    ExecutionState.TIMEOUT: "timed_out",
    ExecutionState.ERROR: "failed",
}


def apply_status_change(change: ExecutionStatusChange) -> Execution | None:
    """The updated record, or ``None`` when there was nothing to change; then revokes what the
    execution granted, if anything. An execution of another state machine that has a record's
    name (one started outside the API) changes nothing."""
    state = terminal_state(change.status, change.error)
    if state is None:
        return None
    repository = repositories.executions()
    current = repository.get(change.name)
    if current is not None and current.workflow_id != change.executionArn:
        return None
    updated = _record_end(repository, current, change, state) if current is not None else None
    # Also when the record is gone (deleted): the ledger keeps the grant.
    revoke_access(change.name, cause=_REVOKE_CAUSE[state], actor=SYNC_ACTOR)
    return updated


def _record_end(
    repository: ExecutionRepository, current: Execution, change: ExecutionStatusChange, state: ExecutionState
) -> Execution | None:
    if current.state.is_terminal:
        # Ended on request (cancel/terminate) first: only confirm the execution has ended too.
        repository.confirm_ended(current)
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
