"""``GET /roles``: the roles of the policy the caller may request and this deployment can grant, with
their limits and, for ``aws-sso`` roles, the pairs of account and permission set they grant: what a
client builds its request form from."""

from __future__ import annotations

from execution_api.infra.config import roles_policy
from execution_api.logic.providers import provider
from execution_api.models.caller import Caller
from execution_api.models.policy import IdentityCenterRole, Role, RolesPolicy
from execution_api.models.responses import EligibleTarget, RoleList, RoleSummary


def list_roles(caller: Caller) -> RoleList:
    policy = roles_policy()
    return RoleList(
        roles=[
            RoleSummary(
                name=role.name,
                description=role.description,
                provider=role.provider,
                eligible=_eligible(policy, role),
                max_duration=role.max_duration,
                default_duration=role.default_duration,
                reason_required=role.reason_required,
                ticket_pattern=role.ticket_pattern,
                auto_approve=role.auto_approve,
                required_approvals=0 if role.auto_approve else role.required_approvals,
                approver_groups=list(role.approvers.groups),
            )
            for role in policy.requestable_by(caller)
            if provider(role.provider).unavailable(role) is None
        ]
    )


def _eligible(policy: RolesPolicy, role: Role) -> list[EligibleTarget]:
    if not isinstance(role, IdentityCenterRole) or policy.identity_center is None:
        return []
    accounts = policy.identity_center.accounts
    return [
        EligibleTarget(account=pair.account, account_name=accounts[pair.account], permission_set=pair.permission_set)
        for pair in role.eligible
    ]
