"""``PUT /executions/{id}``: a state change through workflow control (``control``), a change of
visibility on the record, or both. Ownership is checked on every path."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from execution_api import control
from execution_api.errors import Conflict, InvalidRequest
from execution_api.execution_ids import guid_from_id
from execution_api.executions import load_owned, render, repository
from execution_api.identity import Caller
from execution_api.models import ExecutionState, StateName, epoch_millis, utc_now


class UpdateExecutionRequest(BaseModel):
    """``PUT /executions/{id}``: only these fields, at least one of them."""

    model_config = ConfigDict(extra="forbid")

    # Any state name parses: moving to one other than STOPPED/TERMINATED is a 409, not a 400.
    state: StateName | None = None
    isPublic: bool | None = None


def update_execution(caller: Caller, execution_id: str, update: UpdateExecutionRequest) -> dict[str, Any]:
    if update.state is None and update.isPublic is None:
        raise InvalidRequest("body: give at least one of state, isPublic")
    guid = guid_from_id(execution_id)
    execution = None
    if update.state not in (None, ExecutionState.STOPPED, ExecutionState.TERMINATED):
        load_owned(caller, guid)
        raise Conflict(f"state: a running execution can only be moved to STOPPED or TERMINATED, not {update.state}")
    if update.state == ExecutionState.STOPPED:
        execution = control.cancel(caller, guid)
    elif update.state == ExecutionState.TERMINATED:
        execution = control.terminate(caller, guid)
    if update.isPublic is not None:
        execution = repository().set_public(guid, caller, update.isPublic, epoch_millis(utc_now()))
    assert execution is not None
    return render(execution)
