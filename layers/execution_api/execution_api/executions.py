"""Execution records: read, update, delete (listing is ``execution_listing``). Ownership is
checked on every path."""

from __future__ import annotations

from typing import Any

from execution_api import control
from execution_api.errors import Conflict, InvalidRequest, NotFound
from execution_api.execution_ids import guid_from_id
from execution_api.history import execution_history
from execution_api.identity import Caller
from execution_api.models import (
    DeleteResult,
    Execution,
    ExecutionState,
    UpdateExecutionRequest,
    epoch_millis,
    utc_now,
)
from execution_api.repository import ExecutionRepository
from execution_api.representation import execution_resource
from execution_api.settings import get_settings


def repository() -> ExecutionRepository:
    return ExecutionRepository(get_settings().table_name)


def render(execution: Execution) -> dict[str, Any]:
    return execution_resource(execution, get_settings().task_queue, utc_now())


def load_owned(caller: Caller, execution_id: str, *, allow_public: bool = False) -> Execution:
    """The execution named by ``execution_id`` if the caller may see it, else 404."""
    execution = repository().get(guid_from_id(execution_id))
    if execution is None or not (caller.may_access(execution.owner) or (allow_public and execution.is_public)):
        raise NotFound("execution not found")
    return execution


def get_execution(caller: Caller, execution_id: str) -> dict[str, Any]:
    return render(load_owned(caller, execution_id, allow_public=True))


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


def delete_execution(caller: Caller, execution_id: str) -> DeleteResult:
    repository().delete(guid_from_id(execution_id), caller)
    return DeleteResult(affected=1)


def delete_executions(caller: Caller, execution_ids: list[str]) -> DeleteResult:
    guids = [guid_from_id(value, field=f"executionIds[{i}]") for i, value in enumerate(execution_ids)]
    return DeleteResult(affected=repository().delete_many(guids, caller))


def describe_execution(caller: Caller, execution_id: str) -> dict[str, Any]:
    """The resource plus ``history`` (the workflow-control ``GET /execution/{id}``)."""
    execution = load_owned(caller, execution_id, allow_public=True)
    return {**render(execution), "history": execution_history(execution)}
