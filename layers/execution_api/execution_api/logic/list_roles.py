"""``GET /roles``: the roles of the policy the caller may request, with their limits: what a
client builds its request form from."""

from __future__ import annotations

from execution_api.infra.config import roles_policy
from execution_api.models.caller import Caller
from execution_api.models.responses import RoleList, RoleSummary


def list_roles(caller: Caller) -> RoleList:
    return RoleList(
        roles=[
            RoleSummary(
                name=role.name,
                description=role.description,
                provider=role.provider,
                max_duration=role.max_duration,
                default_duration=role.default_duration,
                reason_required=role.reason_required,
                ticket_pattern=role.ticket_pattern,
                auto_approve=role.auto_approve,
                required_approvals=0 if role.auto_approve else role.required_approvals,
                approver_groups=list(role.approvers.groups),
            )
            for role in roles_policy().requestable_by(caller)
        ]
    )
