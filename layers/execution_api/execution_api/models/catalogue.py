"""The workflow catalogue: each workflow's name and id (``logic.workflows`` resolves a request's).

A workflow is enabled when this stack deploys its state machine (``STATE_MACHINES``) and its
name is not in ``DISABLED_WORKFLOWS`` (a stack parameter, so per stage, without code changes).
Each workflow's input schema is in ``models.workflow_inputs`` (pydantic).
"""

from __future__ import annotations

from dataclasses import dataclass


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
