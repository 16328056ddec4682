"""Provider ``aws-sso``: a role is an IAM Identity Center account assignment, a permission set for
the requester on an account, one of the role's ``eligible`` pairs. The requester is the Identity
Store user whose ``[identity_center] user_attribute`` (``emails.value`` by default, or
``userName``) is their verified email (``identitystore:GetUserId``).

Permission sets are shared with access that administrators assign outside this API (standing
access). The ledger marks each assignment this API creates (``GrantLedger.own``) before creating
it, and only marked assignments are ever deleted:

- a grant whose requester already has the assignment, unmarked, creates nothing, and its end
  deletes nothing (the standing access stays as it was);
- a revoke deletes a marked assignment, and unmarks it once Identity Center says it is gone; while
  the request creating it has not ended (the mark names it until it is seen to succeed), the
  revoke fails and is retried (by the sweep), since the assignment is not listed until it exists;
- the sweep looks only at marked assignments, never at the rest of a permission set.

The target is ``<permission set ARN>@<account id>``: a revoke needs nothing but the ledger, even
after the policy changed.
"""

from __future__ import annotations

from execution_api.dal import repositories
from execution_api.infra import identity_center as center
from execution_api.infra.aws_errors import AsyncRequestFailed
from execution_api.infra.config import roles_policy
from execution_api.infra.settings import get_settings
from execution_api.logic.providers.base import GrantTarget
from execution_api.models.caller import Caller
from execution_api.models.errors import Forbidden, InvalidRequest
from execution_api.models.policy import EligiblePair, IdentityCenter, IdentityCenterRole, Role
from execution_api.models.workflow_inputs import ElevationInput

NAME = "aws-sso"


def unavailable(role: Role) -> str | None:
    deployed = get_settings().identity_center_instance_arn
    named = _center().instance_arn
    if deployed is None:
        return "this deployment does not enable IAM Identity Center (stack parameter IdentityCenterInstanceArn)"
    if deployed != named:
        return f"this deployment enables Identity Center instance {deployed}, not the policy's {named}"
    return None


def target(role: Role, request: ElevationInput) -> GrantTarget:
    pairs = _eligible(role)
    if request.account is not None:
        pairs = tuple(pair for pair in pairs if pair.account == request.account)
        if not pairs:
            raise _refused("input.account", f"role '{role.name}' grants no access to account {request.account}")
    if request.permission_set is not None:
        pairs = tuple(pair for pair in pairs if pair.permission_set == request.permission_set)
        if not pairs:
            where = f" on account {request.account}" if request.account else ""
            raise _refused("input.permission_set", f"role '{role.name}' does not grant {request.permission_set}{where}")
    accounts = sorted({pair.account for pair in pairs})
    if len(accounts) > 1:
        raise InvalidRequest(
            f"input.account: role '{role.name}' grants access to several accounts: name one of {', '.join(accounts)}"
        )
    if len(pairs) > 1:
        names = ", ".join(sorted(pair.permission_set for pair in pairs))
        raise InvalidRequest(
            f"input.permission_set: role '{role.name}' grants several permission sets on account {accounts[0]}: "
            f"name one of {names}"
        )
    (pair,) = pairs
    return GrantTarget(_key(pair), account=pair.account, permission_set=pair.permission_set)


def principal(role: Role, caller: Caller) -> str:
    identity_center = _center()
    attribute = identity_center.user_attribute
    if not caller.email:
        raise InvalidRequest(
            f"input.role: role '{role.name}' is granted to your IAM Identity Center user, found by your verified "
            "email; your sign-in has none"
        )
    # The email as the identity provider spells it, then in lower case.
    for value in dict.fromkeys((caller.email, caller.email.casefold())):
        found = center.user_id(identity_center.identity_store_id, attribute, value)
        if found:
            return found
    raise InvalidRequest(
        f"input.role: role '{role.name}' is granted in IAM Identity Center, and no Identity Center user has "
        f"your email ({caller.email}) as {attribute}"
    )


def allows(role: Role, target: str) -> bool:
    return target in {_key(pair) for pair in _eligible(role)}


def add(target: str, principal: str) -> bool:
    assignment = _assignment(target, principal)
    assigned = center.is_assigned(assignment)
    ledger = repositories.grants()
    if ledger.mark(NAME, target, principal) is None:
        if assigned:
            return False  # standing access: not this API's to create, nor to delete
        ledger.own(NAME, target, principal)
    if not assigned:
        status = center.request_assignment(assignment)
        ledger.note_creation(NAME, target, principal, status["RequestId"])
        center.wait_assigned(assignment, status)
        ledger.note_creation(NAME, target, principal, None)
    return True


def remove(target: str, principal: str) -> None:
    ledger = repositories.grants()
    mark = ledger.mark(NAME, target, principal)
    if mark is None:
        return  # standing access, or removed already
    assignment = _assignment(target, principal)
    if mark.creation_request and center.creation_in_progress(assignment, mark.creation_request):
        # Not listed until it is created: deleting now would find nothing, and leave it behind.
        raise AsyncRequestFailed("assignment creation still IN_PROGRESS: the removal waits for it to end")
    center.unassign(assignment)
    ledger.disown(NAME, target, principal)


def holdings() -> list[tuple[str, str]]:
    """The assignments this API created and has not deleted: only those."""
    return sorted(repositories.grants().owned(NAME))


def ledger_principal(principal: str) -> str:
    return principal


def _refused(field: str, message: str) -> Forbidden:
    """A pair the role does not allow: 403, naming the field (as a 400 would) for a client to show."""
    return Forbidden(f"{field}: {message}", [{"field": field, "message": message}])


def _center() -> IdentityCenter:
    identity_center = roles_policy().identity_center
    if identity_center is None:  # the policy does not load without it when a role names this provider
        raise TypeError("the policy has no [identity_center]")
    return identity_center


def _eligible(role: Role) -> tuple[EligiblePair, ...]:
    if not isinstance(role, IdentityCenterRole):
        raise TypeError(f"role {role.name} is not granted by provider {NAME}")
    return role.eligible


def _key(pair: EligiblePair) -> str:
    return f"{_center().permission_sets[pair.permission_set]}@{pair.account}"


def _assignment(target: str, principal: str) -> center.Assignment:
    permission_set_arn, _, account = target.rpartition("@")
    return center.Assignment(permission_set_arn=permission_set_arn, account=account, user_id=principal)
