"""``DELETE /executions/{id}`` and ``DELETE /executions``: delete ended records of the caller's
(the conditional writes in ``repository`` check ownership and that the execution has ended)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from execution_api.execution_ids import guid_from_id
from execution_api.executions import repository
from execution_api.identity import Caller

ExecutionId = Annotated[str, Field(min_length=1, max_length=256)]


class BulkDeleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executionIds: Annotated[list[ExecutionId], Field(min_length=1, max_length=100)]


class DeleteResult(BaseModel):
    raw: list[Any] = Field(default_factory=list)
    affected: int


def delete_execution(caller: Caller, execution_id: str) -> DeleteResult:
    repository().delete(guid_from_id(execution_id), caller)
    return DeleteResult(affected=1)


def delete_executions(caller: Caller, execution_ids: list[str]) -> DeleteResult:
    guids = [guid_from_id(value, field=f"executionIds[{i}]") for i, value in enumerate(execution_ids)]
    return DeleteResult(affected=repository().delete_many(guids, caller))
