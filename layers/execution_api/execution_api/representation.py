"""The one JSON shape every endpoint serves for an execution (both vocabularies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from execution_api.models import Execution
from execution_api.timefmt import iso_duration, iso_millis


def execution_resource(execution: Execution, task_queue: str, now: datetime) -> dict[str, Any]:
    ended = execution.stop_time or now
    state = execution.state
    return {
        "guid": execution.guid,
        "workflow_id": execution.workflow_id,
        "run_id": execution.guid,
        "workflow": execution.workflow,
        "workflow_type": {"name": execution.state_machine_name},
        "agentflowId": execution.agentflow_id,
        "agentflowName": execution.workflow,
        "sessionId": execution.session_id,
        "user": execution.owner,
        "state": state.value,
        "status": state.status,
        "start_time": iso_millis(execution.start_time),
        "stop_time": iso_millis(execution.stop_time) if execution.stop_time else None,
        "execution_time": iso_duration(ended - execution.start_time),
        "created_on": execution.created_on,
        "updated_on": execution.updated_on,
        "task_queue": task_queue,
        "input": execution.input,
        "output": execution.output,
        "error": execution.error,
        "isPublic": execution.is_public,
    }
