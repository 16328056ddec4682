"""Each workflow's input: a pydantic model that validates what the caller sends (and gives the
JSON Schema for the docs), and the execution input built from it. Only starting an execution
needs these; the rest of the catalogue is ``catalogue``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from execution_api.catalogue import Workflow
from execution_api.errors import InvalidRequest
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


# By workflow name (``catalogue.WORKFLOWS``): the input model and the execution input built from it.
_INPUTS: dict[str, tuple[type[BaseModel], Callable[[Any, str, Settings], dict[str, Any]]]] = {
    "default": (ElevationInput, _elevation_execution_input),
    "batch": (BatchJobInput, _batch_execution_input),
}


def execution_input(workflow: Workflow, raw: dict[str, Any], requester: str, settings: Settings) -> dict[str, Any]:
    """The execution input from the caller's ``raw`` input, or a 400 naming each offending
    field as ``input.<field>``."""
    model, build = _INPUTS[workflow.name]
    try:
        data = model.model_validate(raw)
    except ValidationError as error:
        details = [
            {"field": ".".join(["input", *(str(part) for part in issue["loc"])]), "message": issue["msg"]}
            for issue in error.errors(include_url=False)
        ]
        fields = ", ".join(detail["field"] for detail in details)
        raise InvalidRequest(f"invalid input for workflow '{workflow.name}': {fields}", details) from error
    return build(data, requester, settings)
