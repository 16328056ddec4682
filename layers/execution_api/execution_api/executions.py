"""Execution records: list, read, update, delete. Ownership is checked on every path."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from execution_api import control
from execution_api.catalogue import WORKFLOW_BY_AGENTFLOW_ID
from execution_api.cursor import decode_cursor, encode_cursor
from execution_api.errors import Conflict, InvalidRequest, NotFound
from execution_api.execution_ids import guid_from_id
from execution_api.history import execution_history
from execution_api.identity import Caller
from execution_api.models import (
    STATE_BY_STATUS,
    DeleteResult,
    Execution,
    ExecutionState,
    UpdateExecutionRequest,
    epoch_millis,
    utc_now,
)
from execution_api.repository import ExecutionFilter, ExecutionRepository
from execution_api.representation import execution_resource
from execution_api.secrets_store import cursor_signing_key
from execution_api.settings import get_settings
from execution_api.timefmt import parse_instant


@dataclass(frozen=True)
class ListExecutionsQuery:
    """``GET /executions`` query, already type-checked by the handler's validation."""

    page: int = 1
    limit: int = 12
    next_token: str | None = None
    guid: str | None = None
    agentflowId: str | None = None
    agentflowName: str | None = None
    workflow: str | None = None
    sessionId: str | None = None
    state: str | None = None
    status: str | None = None
    startDate: str | None = None
    endDate: str | None = None


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


def list_executions(caller: Caller, query: ListExecutionsQuery) -> dict[str, Any]:
    selection = _selection(caller, query)
    if query.guid is not None:
        return _list_by_guid(caller, query, selection)
    page = {"executions": [], "total": 0, "page": query.page, "limit": query.limit, "next_token": None}
    if selection is None:
        return page
    repo = repository()
    fingerprint = _fingerprint(query)
    secret = cursor_signing_key()
    start_key = None
    if query.next_token:
        start_key = decode_cursor(query.next_token, caller.identity, fingerprint, secret)
    elif query.page > 1:
        start_key, reached = repo.skip(selection, (query.page - 1) * query.limit)
        if not reached:
            page["total"] = repo.count(selection)
            return page
    executions, next_key, _ = repo.query_page(selection, query.limit, start_key)
    page["executions"] = [render(execution) for execution in executions]
    page["total"] = repo.count(selection)
    if next_key:
        page["next_token"] = encode_cursor(next_key, caller.identity, fingerprint, secret)
    return page


def _list_by_guid(caller: Caller, query: ListExecutionsQuery, selection: ExecutionFilter | None) -> dict[str, Any]:
    """A guid filter is a key lookup; the other filters still apply to the one record."""
    assert query.guid is not None
    execution = repository().get(guid_from_id(query.guid, field="guid"))
    found = [execution] if execution and selection and _matches(execution, selection) and query.page == 1 else []
    return {
        "executions": [render(item) for item in found],
        "total": len(found),
        "page": query.page,
        "limit": query.limit,
        "next_token": None,
    }


def _matches(execution: Execution, selection: ExecutionFilter) -> bool:
    return (
        execution.owner == selection.owner
        and selection.state in (None, execution.state)
        and selection.workflow in (None, execution.workflow)
        and selection.session_id in (None, execution.session_id)
        and (selection.start_from is None or execution.start_time >= selection.start_from)
        and (selection.start_to is None or execution.start_time <= selection.start_to)
    )


def _selection(caller: Caller, query: ListExecutionsQuery) -> ExecutionFilter | None:
    """The filter to query with; ``None`` when the filters cannot match anything."""
    start_from = parse_instant(query.startDate, "startDate") if query.startDate else None
    start_to = parse_instant(query.endDate, "endDate", end_of_day=True) if query.endDate else None
    if start_from and start_to and start_from > start_to:
        raise InvalidRequest("startDate: must not be after endDate")
    state = ExecutionState(query.state) if query.state else None
    if query.status:
        by_status = STATE_BY_STATUS[query.status]
        if state and state != by_status:
            raise InvalidRequest("status: contradicts state")
        state = by_status
    names = {name for name in (query.workflow, query.agentflowName) if name}
    if query.agentflowId:
        names.add(WORKFLOW_BY_AGENTFLOW_ID.get(query.agentflowId, f"\0{query.agentflowId}"))
    if len(names) > 1 or any(name.startswith("\0") for name in names):
        return None
    return ExecutionFilter(
        owner=caller.identity,
        state=state,
        workflow=next(iter(names), None),
        session_id=query.sessionId,
        start_from=start_from,
        start_to=start_to,
    )


def _fingerprint(query: ListExecutionsQuery) -> str:
    """What a cursor is bound to: every filter, but not the position (page, next_token)."""
    filters = {k: v for k, v in asdict(query).items() if k not in ("page", "next_token")}
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()


def describe_execution(caller: Caller, execution_id: str) -> dict[str, Any]:
    """The resource plus ``history`` (the workflow-control ``GET /execution/{id}``)."""
    execution = load_owned(caller, execution_id, allow_public=True)
    return {**render(execution), "history": execution_history(execution)}
