"""The access-elevation policy (``config/roles.toml``): which roles exist, who may request and who
approves each, what each grants, and its limits. Validated when loaded; a policy that does not
validate stops the function (and fails ``make test``), it is never half applied.

A role grants through one provider: ``aws`` (membership of an IAM group of this account) or
``aws-sso`` (an IAM Identity Center permission set on an account: one of the role's ``eligible``
pairs of account and permission set, from the instance that ``[identity_center]`` names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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
# IAM Identity Center's own formats (its API reference).
AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]
PermissionSetName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[\w+=,.@-]+$")]
InstanceArn = Annotated[str, Field(pattern=r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$")]
PermissionSetArn = Annotated[
    str,
    Field(pattern=r"^arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}$"),
]
IdentityStoreId = Annotated[
    str, Field(pattern=r"^(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
]


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


class RoleBase(BaseModel):
    """What every role has, whatever grants it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: str = ""
    enabled: bool = True
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


class IamGroupRole(RoleBase):
    """Granted as membership of IAM group ``<ElevationGroupPrefix><group>`` in this account."""

    provider: Literal["aws"]
    group: Name


class EligiblePair(BaseModel):
    """One account and one permission set that a role may grant together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: AccountId
    permission_set: PermissionSetName


class IdentityCenterRole(RoleBase):
    """Granted as an IAM Identity Center account assignment: one of ``eligible``, pairs of an account
    and a permission set (not every permission set on every account)."""

    provider: Literal["aws-sso"]
    eligible: Annotated[tuple[EligiblePair, ...], Field(min_length=1)]

    @field_validator("eligible")
    @classmethod
    def _distinct(cls, pairs: tuple[EligiblePair, ...]) -> tuple[EligiblePair, ...]:
        if len(set(pairs)) != len(pairs):
            raise ValueError("a pair of account and permission set is listed twice")
        return pairs


Role = Annotated[IamGroupRole | IdentityCenterRole, Field(discriminator="provider")]


class IdentityCenter(BaseModel):
    """The organization's IAM Identity Center instance (an organization has one, and only it assigns
    permission sets on accounts): the accounts and permission sets roles may name, and how a
    requester's verified email finds their Identity Store user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instance_arn: InstanceArn
    identity_store_id: IdentityStoreId
    # The Identity Store attribute that holds the requester's verified email (GetUserId's paths).
    user_attribute: Literal["emails.value", "userName"] = "emails.value"
    # By account id: a name for people (GET /roles shows it).
    accounts: Annotated[dict[AccountId, Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1)]
    # By name (as the Identity Center console shows it): the permission set's ARN.
    permission_sets: Annotated[dict[PermissionSetName, PermissionSetArn], Field(min_length=1)]

    @model_validator(mode="after")
    def _of_this_instance(self) -> Self:
        instance = self.instance_arn.rsplit("/", 1)[1]
        foreign = [name for name, arn in self.permission_sets.items() if arn.split("/")[1] != instance]
        if foreign:
            raise ValueError(f"permission_sets: {', '.join(foreign)} not of instance {instance}")
        return self


@dataclass(frozen=True)
class IdentityCenterScope:
    """What the policy's ``aws-sso`` roles (enabled or not) may assign: the instance, its identity
    store, and the permission sets and accounts they name. The stack's IAM is scoped to exactly this
    (its ``IdentityCenter*`` parameters)."""

    instance_arn: str
    identity_store_id: str
    permission_set_arns: tuple[str, ...]
    account_ids: tuple[str, ...]


class RolesPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    identity_center: IdentityCenter | None = None
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

    @model_validator(mode="after")
    def _pairs_named(self) -> Self:
        """Every pair of an ``aws-sso`` role names an account and a permission set of
        ``[identity_center]``."""
        for role in self.roles.values():
            if not isinstance(role, IdentityCenterRole):
                continue
            if self.identity_center is None:
                raise ValueError(f"roles.{role.name}: provider aws-sso needs an [identity_center] section")
            for pair in role.eligible:
                if pair.account not in self.identity_center.accounts:
                    raise ValueError(
                        f"roles.{role.name}.eligible: account {pair.account} is not in identity_center.accounts"
                    )
                if pair.permission_set not in self.identity_center.permission_sets:
                    raise ValueError(
                        f"roles.{role.name}.eligible: permission set {pair.permission_set} "
                        "is not in identity_center.permission_sets"
                    )
        return self

    def identity_center_scope(self) -> IdentityCenterScope | None:
        """What the ``aws-sso`` roles may assign; ``None`` when no role grants through Identity Center."""
        pairs = {pair for role in self.roles.values() if isinstance(role, IdentityCenterRole) for pair in role.eligible}
        if self.identity_center is None or not pairs:
            return None
        center = self.identity_center
        return IdentityCenterScope(
            instance_arn=center.instance_arn,
            identity_store_id=center.identity_store_id,
            permission_set_arns=tuple(sorted({center.permission_sets[pair.permission_set] for pair in pairs})),
            account_ids=tuple(sorted({pair.account for pair in pairs})),
        )

    def role(self, name: str) -> Role:
        """The enabled role named ``name``, or a 400 naming ``input.role``."""
        role = self.roles.get(name)
        if role is None or not role.enabled:
            raise InvalidRequest(f"input.role: no role named '{name}' in this deployment's policy")
        return role

    def requestable_by(self, caller: Caller) -> list[Role]:
        return [role for role in self.roles.values() if role.enabled and role.requesters.includes(caller)]
