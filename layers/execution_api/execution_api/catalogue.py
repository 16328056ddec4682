"""The workflow catalogue: each workflow's name, id and state machine.

A workflow is enabled when this stack deploys its state machine (``STATE_MACHINES``) and its
name is not in ``DISABLED_WORKFLOWS`` (a stack parameter, so per stage, without code changes).
Each workflow's input schema is in ``workflow_inputs`` (pydantic), which only starting needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from execution_api.errors import Conflict, NotFound
from execution_api.settings import Settings


@dataclass(frozen=True)
class Workflow:
    name: str
    agentflow_id: str
    description: str


WORKFLOWS: dict[str, Workflow] = {
    workflow.name: workflow
    for workflow in (
        Workflow("default", "wf-elevate", "Access elevation with approval"),
        Workflow("batch", "wf-batch-job", "Parallel batch job"),
    )
}
WORKFLOW_BY_AGENTFLOW_ID = {workflow.agentflow_id: workflow.name for workflow in WORKFLOWS.values()}


@dataclass(frozen=True)
class ResolvedWorkflow:
    workflow: Workflow
    state_machine_arn: str


def resolve_workflow(name: str, settings: Settings) -> ResolvedWorkflow:
    workflow = WORKFLOWS.get(name)
    arn = settings.state_machines.get(name)
    if workflow is None or arn is None:
        raise NotFound(f"workflow: no workflow named '{name}'")
    if name in settings.disabled_workflows:
        raise Conflict(f"workflow: '{name}' is disabled in this deployment")
    return ResolvedWorkflow(workflow, arn)
