"""Provider ``aws``: a role is membership of IAM group ``<ElevationGroupPrefix><group>`` in this
stack's account, and the requester is the IAM user their verified email names (in lower case).
The groups are the elevation's own: the sweep removes any member no live grant holds, also one
added by hand."""

from __future__ import annotations

from execution_api.infra import iam_groups as groups
from execution_api.infra.config import roles_policy
from execution_api.infra.settings import get_settings
from execution_api.logic.providers.base import GrantTarget
from execution_api.models.caller import Caller
from execution_api.models.errors import InvalidRequest
from execution_api.models.policy import IamGroupRole, Role
from execution_api.models.workflow_inputs import ElevationInput

NAME = "aws"


def unavailable(role: Role) -> str | None:
    return None


def target(role: Role, request: ElevationInput) -> GrantTarget:
    for field in ("account", "permission_set"):
        if getattr(request, field) is not None:
            raise InvalidRequest(
                f"input.{field}: role '{role.name}' grants membership of an IAM group, "
                "not a permission set on an account"
            )
    return GrantTarget(_group(role))


def principal(role: Role, caller: Caller) -> str:
    if not caller.email:
        raise InvalidRequest(
            "input.role: granting needs your verified email, the name of your IAM user; your sign-in has none"
        )
    return caller.email.casefold()


def allows(role: Role, target: str) -> bool:
    return target == _group(role)


def add(target: str, principal: str) -> bool:
    groups.add_member(target, principal)
    return True


def remove(target: str, principal: str) -> None:
    groups.remove_member(target, principal)


def holdings() -> list[tuple[str, str]]:
    """Every member of the policy's groups (its roles', enabled or not)."""
    names = {_group(role) for role in roles_policy().roles.values() if isinstance(role, IamGroupRole)}
    return [(group, user) for group in sorted(names) for user in sorted(groups.members(group))]


def ledger_principal(principal: str) -> str:
    return principal.casefold()


def _group(role: Role) -> str:
    if not isinstance(role, IamGroupRole):
        raise TypeError(f"role {role.name} is not granted by provider {NAME}")
    return f"{get_settings().elevation_group_prefix}{role.group}"
