"""Each workflow's input as the caller sends it: a pydantic model that validates it and gives its
JSON Schema. ``logic.execution_inputs`` builds the execution input from it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from execution_api.infra.timefmt import parse_duration_seconds
from execution_api.models.errors import InvalidRequest

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
