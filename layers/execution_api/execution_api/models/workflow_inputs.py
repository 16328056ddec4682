"""The built-in inputs (a catalogue entry's ``input_model``): pydantic models, for inputs whose
checks go beyond what a JSON Schema can say. ``logic.execution_inputs`` builds the execution input
from them; every other workflow's input is a JSON Schema of the catalogue."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from execution_api.infra.timefmt import parse_duration_seconds
from execution_api.models.errors import InvalidRequest


class ElevationInput(BaseModel):
    """``default``: ask for a role of the policy (``config/roles.toml``) for ``duration``. Who
    approves, and how many, is the role's: a request never names them. A role of provider
    ``aws-sso`` grants one of its eligible pairs of account and permission set (``GET /roles``): the
    request names the account when the role allows several, and the permission set when the role
    allows several on that account."""

    model_config = ConfigDict(extra="forbid")

    role: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9+=,.@_-]+$")]
    provider: Literal["aws", "aws-sso"] = Field(
        description="The role's provider: aws (an IAM group), aws-sso (IAM Identity Center)"
    )
    account: Annotated[
        str | None,
        Field(pattern=r"^\d{12}$", description="aws-sso: the AWS account id, one of the role's eligible pairs"),
    ] = None
    permission_set: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=32,
            pattern=r"^[\w+=,.@-]+$",
            description="aws-sso: the permission set's name, one of the role's eligible pairs on that account",
        ),
    ] = None
    reason: Annotated[str | None, Field(max_length=1000)] = None
    duration: str | None = Field(default=None, description="ISO-8601, e.g. PT1H; the role's default when absent")
    ticket: Annotated[str | None, Field(min_length=1, max_length=64)] = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_duration_seconds(value, "duration")
            except InvalidRequest as error:
                raise ValueError("must be an ISO-8601 duration such as PT1H") from error
        return value
