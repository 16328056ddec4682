"""``PUT /executions/{id}``: a state change through workflow control (cancel or terminate), a
change of visibility on the record, or both. Ownership is checked on every path."""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.logic.cancel_execution import cancel
from execution_api.logic.ownership import load_owned, render
from execution_api.logic.terminate_execution import terminate
from execution_api.models.caller import Caller
from execution_api.models.domain import ExecutionState, epoch_millis, utc_now
from execution_api.models.errors import Conflict, InvalidRequest
from execution_api.models.ids import guid_from_id
from execution_api.models.requests import UpdateExecutionRequest
from execution_api.models.responses import ExecutionResource


def update_execution(caller: Caller, execution_id: str, update: UpdateExecutionRequest) -> ExecutionResource:
    if update.state is None and update.isPublic is None:
        raise InvalidRequest("body: give at least one of state, isPublic")
    guid = guid_from_id(execution_id)
    execution = None
    if update.state not in (None, ExecutionState.STOPPED, ExecutionState.TERMINATED):
        load_owned(caller, guid)
        raise Conflict(f"state: a running execution can only be moved to STOPPED or TERMINATED, not {update.state}")
    if update.state == ExecutionState.STOPPED:
        execution = cancel(caller, guid)
    elif update.state == ExecutionState.TERMINATED:
        execution = terminate(caller, guid)
    if update.isPublic is not None:
        execution = repositories.executions().set_public(guid, caller, update.isPublic, epoch_millis(utc_now()))
    assert execution is not None
    return render(execution)
