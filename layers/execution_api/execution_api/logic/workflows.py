"""Which workflow a request names, and whether this stage may start it."""

from __future__ import annotations

from dataclasses import dataclass

from execution_api.infra.settings import Settings
from execution_api.models.catalogue import WORKFLOWS, Workflow
from execution_api.models.errors import Conflict, NotFound


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
