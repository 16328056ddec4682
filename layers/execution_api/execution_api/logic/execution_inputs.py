"""The execution input each workflow starts with, built from what the caller sent (validated by
the workflow's input model, ``models.workflow_inputs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from execution_api.infra.settings import Settings
from execution_api.infra.timefmt import parse_duration_seconds
from execution_api.models.catalogue import Workflow
from execution_api.models.errors import InvalidRequest
from execution_api.models.workflow_inputs import BatchJobInput, ElevationInput


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
