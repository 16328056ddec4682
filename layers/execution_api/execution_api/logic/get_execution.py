"""``GET /executions/{id}``: one execution record."""

from __future__ import annotations

from execution_api.logic.ownership import load_owned, render
from execution_api.models.caller import Caller
from execution_api.models.responses import ExecutionResource


def get_execution(caller: Caller, execution_id: str) -> ExecutionResource:
    return render(load_owned(caller, execution_id, allow_public=True))
