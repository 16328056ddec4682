"""``GET /workflows``: the workflows the caller may start in this stage, each with its input's JSON
Schema: what a client builds its start form from."""

from __future__ import annotations

from execution_api.infra.settings import get_settings
from execution_api.logic.workflows import startable_by
from execution_api.models.caller import Caller
from execution_api.models.ids import state_machine_name
from execution_api.models.responses import WorkflowList, WorkflowSummary, WorkflowType


def list_workflows(caller: Caller) -> WorkflowList:
    state_machines = get_settings().state_machines
    return WorkflowList(
        workflows=[
            WorkflowSummary(
                name=workflow.name,
                agentflowId=workflow.agentflow_id,
                description=workflow.description,
                input_schema=workflow.schema_of_input,
                input_model=workflow.input_model,
                cancel_mode=workflow.cancel_mode,
                workflow_type=WorkflowType(name=state_machine_name(state_machines[workflow.name])),
                retention_days=workflow.retention_days,
                tags=workflow.tags,
            )
            for workflow in startable_by(caller)
        ]
    )
