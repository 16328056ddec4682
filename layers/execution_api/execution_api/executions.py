"""Execution records: the read every endpoint shares (listing is ``execution_listing``, state
changes ``execution_updates``, deletes ``execution_deletes``, the history ``history``).
Ownership is checked on every path."""

from __future__ import annotations

from typing import Any

from execution_api.errors import NotFound
from execution_api.execution_ids import guid_from_id
from execution_api.identity import Caller
from execution_api.models import Execution, utc_now
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
