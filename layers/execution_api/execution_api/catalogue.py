"""The workflow catalogue: each workflow's name, id, input schema and state machine.

A workflow is enabled when this stack deploys its state machine (``STATE_MACHINES``) and its
name is not in ``DISABLED_WORKFLOWS`` (a stack parameter, so per stage, without code changes).
Input schemas are pydantic models: they validate, and give the JSON Schema for the docs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from execution_api.errors import Conflict, InvalidRequest, NotFound
from execution_api.settings import Settings
from execution_api.timefmt import parse_duration_seconds

MAX_ELEVATION_SECONDS = 12 * 3600


class ElevationInput(BaseModel):
    """``default``: ask for a role, wait for approval, grant it for ``duration``, revoke it."""

    model_config = ConfigDict(extra="forbid")

    role: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9+=,.@_-]+$")]
    provider: Literal["aws"]
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    duration: str = "PT1H"
    approvers: Annotated[list[Annotated[str, Field(min_length=1, max_length=256)]], Field(max_length=20)] | None = None
    required_approvals: Annotated[int, Field(ge=1, le=20)] = 1

    @field_validator("duration")
    @classmethod
    def _duration_in_range(cls, value: str) -> str:
        try:
            seconds = parse_duration_seconds(value, "duration")
        except InvalidRequest as error:
            raise ValueError("must be an ISO-8601 duration such as PT1H") from error
        if not 60 <= seconds <= MAX_ELEVATION_SECONDS:
            raise ValueError("must be between PT1M and PT12H")
        return value


class BatchJobInput(BaseModel):
    """``batch``: process ``items`` in parallel; an item named ``fail`` fails the job."""

    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[Annotated[str, Field(min_length=1, max_length=128)]], Field(min_length=1, max_length=40)]
    step_seconds: Annotated[int, Field(ge=0, le=3600)] = 0
    timeout_seconds: Annotated[int, Field(ge=1, le=86400)] = 3600


def _elevation_execution_input(data: ElevationInput, requester: str, settings: Settings) -> dict[str, Any]:
    approvers = list(dict.fromkeys(data.approvers or settings.default_approvers))
    eligible = [approver for approver in approvers if approver != requester]
    if not eligible:
        raise InvalidRequest("input.approvers: name at least one approver other than yourself")
    if data.required_approvals > len(eligible):
        raise InvalidRequest(f"input.required_approvals: only {len(eligible)} eligible approver(s)")
    return {
        "requester": requester,
        "role": data.role,
        "provider": data.provider,
        "reason": data.reason,
        "duration": data.duration,
        "duration_seconds": parse_duration_seconds(data.duration, "duration"),
        "approvers": eligible,
        "required_approvals": data.required_approvals,
        "approval_timeout_seconds": settings.approval_timeout_seconds,
    }


def _batch_execution_input(data: BatchJobInput, requester: str, settings: Settings) -> dict[str, Any]:
    return {"requester": requester, **data.model_dump()}


@dataclass(frozen=True)
class Workflow:
    name: str
    agentflow_id: str
    description: str
    input_model: type[BaseModel]
    execution_input: Callable[[Any, str, Settings], dict[str, Any]]


WORKFLOWS: dict[str, Workflow] = {
    workflow.name: workflow
    for workflow in (
        Workflow("default", "wf-elevate", "Access elevation with approval", ElevationInput, _elevation_execution_input),
        Workflow("batch", "wf-batch-job", "Parallel batch job", BatchJobInput, _batch_execution_input),
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


def validate_input(workflow: Workflow, raw: dict[str, Any]) -> BaseModel:
    """The workflow's input model, or a 400 naming each offending field as ``input.<field>``."""
    try:
        return workflow.input_model.model_validate(raw)
    except ValidationError as error:
        details = [
            {"field": ".".join(["input", *(str(part) for part in issue["loc"])]), "message": issue["msg"]}
            for issue in error.errors(include_url=False)
        ]
        fields = ", ".join(detail["field"] for detail in details)
        raise InvalidRequest(f"invalid input for workflow '{workflow.name}': {fields}", details) from error
