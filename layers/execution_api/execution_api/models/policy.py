"""The access-elevation policy (``config/roles.toml``): which roles exist, who may request and who
approves each, and its limits. Validated when loaded; a policy that does not validate stops the
function (and fails ``make test``), it is never half applied."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from execution_api.infra.timefmt import parse_duration_seconds
from execution_api.models.caller import Caller
from execution_api.models.errors import InvalidRequest

# Names as IAM takes them in a group name (and safe in a JSON array claim and in a DynamoDB key).
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9+=,.@_-]+$")]
# The shortest grant a role may allow (a policy would say minutes; seconds make tests quick).
MIN_SECONDS = 5
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


class Principals(BaseModel):
    """A set of people: everyone signed in, or members of groups, or named users (by email)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    everyone: bool = False
    groups: tuple[Name, ...] = ()
    users: tuple[Email, ...] = ()

    @field_validator("users")
    @classmethod
    def _casefold(cls, users: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({user.casefold() for user in users}))

    @property
    def empty(self) -> bool:
        return not (self.everyone or self.groups or self.users)

    def includes(self, caller: Caller) -> bool:
        return (
            self.everyone
            or bool(self.groups and caller.groups.intersection(self.groups))
            or bool(caller.email and caller.email.casefold() in self.users)
        )


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: str = ""
    enabled: bool = True
    provider: Literal["aws"]
    # What the role grants: membership of IAM group <ElevationGroupPrefix><group>.
    group: Name
    requesters: Principals
    approvers: Principals = Principals()
    required_approvals: Annotated[int, Field(ge=1, le=10)] = 1
    auto_approve: bool = False
    max_duration: str = "PT1H"
    default_duration: str = "PT1H"
    reason_required: bool = True
    ticket_pattern: str | None = None

    @field_validator("max_duration", "default_duration")
    @classmethod
    def _duration(cls, value: str) -> str:
        try:
            seconds = parse_duration_seconds(value, "duration")
        except InvalidRequest as error:
            raise ValueError("must be an ISO-8601 duration such as PT1H") from error
        if not MIN_SECONDS <= seconds <= 7 * 86400:
            raise ValueError("must be between PT5S and P7D")
        return value

    @field_validator("ticket_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a regular expression: {error}") from error
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.requesters.empty:
            raise ValueError("requesters: name everyone, groups or users")
        if self.auto_approve and not self.approvers.empty:
            raise ValueError("approvers: an auto-approved role has none")
        if not self.auto_approve and (self.approvers.empty or self.approvers.everyone):
            raise ValueError("approvers: name groups or users (or set auto_approve)")
        if not self.auto_approve and not self.approvers.groups and self.required_approvals > len(self.approvers.users):
            raise ValueError(f"required_approvals: only {len(self.approvers.users)} approver(s) named")
        if self.max_seconds < self.default_seconds:
            raise ValueError("default_duration: longer than max_duration")
        return self

    @property
    def max_seconds(self) -> int:
        return parse_duration_seconds(self.max_duration, "max_duration")

    @property
    def default_seconds(self) -> int:
        return parse_duration_seconds(self.default_duration, "default_duration")

    def check_ticket(self, ticket: str | None) -> None:
        if self.ticket_pattern and not (ticket and re.fullmatch(self.ticket_pattern, ticket)):
            raise InvalidRequest(f"input.ticket: role '{self.name}' needs a ticket matching {self.ticket_pattern}")


class RolesPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[str, Role]

    @model_validator(mode="before")
    @classmethod
    def _name_roles(cls, data: object) -> object:
        """Each role's name is its table's key."""
        if isinstance(data, dict) and isinstance(data.get("roles"), dict):
            roles = {
                name: {**role, "name": name} if isinstance(role, dict) else role for name, role in data["roles"].items()
            }
            return {**data, "roles": roles}
        return data

    def role(self, name: str) -> Role:
        """The enabled role named ``name``, or a 400 naming ``input.role``."""
        role = self.roles.get(name)
        if role is None or not role.enabled:
            raise InvalidRequest(f"input.role: no role named '{name}' in this deployment's policy")
        return role

    def requestable_by(self, caller: Caller) -> list[Role]:
        return [role for role in self.roles.values() if role.enabled and role.requesters.includes(caller)]
