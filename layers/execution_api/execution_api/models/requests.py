"""What the endpoints take: bodies and the list query, each declared once, validated by the
event handler (a 400 naming the field) and stated in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from execution_api.models.domain import StateName, StatusName
from execution_api.models.ids import ID_PATTERN

# The pattern is stated for clients; ``models.ids.guid_from_id`` checks it with a message that says
# what an id is.
ExecutionId = Annotated[str, Field(min_length=1, max_length=256, json_schema_extra={"pattern": ID_PATTERN})]
Text = Annotated[str, Field(min_length=1, max_length=256)]
# Parsed by ``infra.timefmt.parse_instant`` (a bare date is a whole day); the document says so.
Instant = Annotated[
    str,
    Field(
        description="ISO-8601 date (the whole day) or date-time (UTC when it has no offset); inclusive",
        json_schema_extra={"anyOf": [{"format": "date"}, {"format": "date-time"}]},
    ),
]


class StartExecutionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")]
    input: dict[str, Any] = Field(default_factory=dict)
    sessionId: Annotated[str | None, Field(min_length=1, max_length=128)] = None


def _given_or_absent(schema: dict[str, Any]) -> None:
    """At least one field, each given or absent: the document does not offer ``null`` (which the
    API takes as absent, so that ``{"state": null}`` alone is a 400)."""
    schema["minProperties"] = 1
    for name, field in schema["properties"].items():
        given = [option for option in field.pop("anyOf", []) if option != {"type": "null"}]
        schema["properties"][name] = {**field, **given[0]} if given else field


class UpdateExecutionRequest(BaseModel):
    """``PUT /executions/{id}``: only these fields, at least one of them."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_given_or_absent)

    # Any state name parses: moving to one other than STOPPED/TERMINATED is a 409, not a 400.
    state: StateName | None = None
    isPublic: bool | None = None


class BulkDeleteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executionIds: Annotated[list[ExecutionId], Field(min_length=1, max_length=100)]


class SignalRequest(BaseModel):
    """A decision link's token, and an optional comment that goes into the audit trail."""

    model_config = ConfigDict(extra="forbid")

    input: Annotated[str, Field(min_length=1, max_length=4096)]
    comment: Annotated[str | None, Field(min_length=1, max_length=1000)] = None


class ListExecutionsQuery(BaseModel):
    """``GET /executions``: every filter the list takes (the handler's query parameters)."""

    model_config = ConfigDict(extra="forbid")

    page: Annotated[int, Field(ge=1, le=10000)] = 1
    limit: Annotated[int, Field(ge=1, le=100)] = 12
    next_token: Annotated[str | None, Field(min_length=1, max_length=2048)] = None
    guid: ExecutionId | None = None
    agentflowId: Text | None = None
    agentflowName: Text | None = None
    workflow: Text | None = None
    sessionId: Annotated[str | None, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")] = None
    state: StateName | None = None
    status: StatusName | None = None
    startDate: Instant | None = None
    endDate: Instant | None = None
