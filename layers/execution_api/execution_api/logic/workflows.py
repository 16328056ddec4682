"""Which workflow a request names, and whether this caller may start it in this stage."""

from __future__ import annotations

from dataclasses import dataclass

from execution_api.infra.catalogue_config import workflow_catalogue
from execution_api.infra.settings import Settings
from execution_api.models.caller import Caller
from execution_api.models.catalogue import Workflow
from execution_api.models.errors import Conflict, Forbidden, NotFound


@dataclass(frozen=True)
class ResolvedWorkflow:
    workflow: Workflow
    state_machine_arn: str


def resolve_workflow(name: str, caller: Caller, settings: Settings) -> ResolvedWorkflow:
    workflow = workflow_catalogue().get(name)
    if workflow is None:
        raise NotFound(f"workflow: no workflow named '{name}'")
    if not workflow.enabled:
        raise Conflict(f"workflow: '{name}' is disabled in this deployment")
    if not workflow.starters.includes(caller):
        raise Forbidden(f"workflow: you may not start '{name}'")
    return ResolvedWorkflow(workflow, settings.state_machines[name])


def startable_by(caller: Caller) -> list[Workflow]:
    """The enabled workflows ``caller`` may start, in the catalogue's order."""
    return [
        workflow
        for workflow in workflow_catalogue().workflows.values()
        if workflow.enabled and workflow.starters.includes(caller)
    ]
