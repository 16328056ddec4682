"""``DELETE /executions/{id}`` and ``DELETE /executions``: delete ended records of the caller's
(the conditional writes of ``dal.executions`` check ownership and that the execution has ended)."""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.models.caller import Caller
from execution_api.models.ids import guid_from_id
from execution_api.models.responses import DeleteResult


def delete_execution(caller: Caller, execution_id: str) -> DeleteResult:
    repositories.executions().delete(guid_from_id(execution_id), caller)
    return DeleteResult(affected=1)


def delete_executions(caller: Caller, execution_ids: list[str]) -> DeleteResult:
    guids = [guid_from_id(value, field=f"executionIds[{i}]") for i, value in enumerate(execution_ids)]
    return DeleteResult(affected=repositories.executions().delete_many(guids, caller))
