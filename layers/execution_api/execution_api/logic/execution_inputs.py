"""What an execution starts with, prepared from the caller's input: the Step Functions input, and
the decision and grant that the record keeps. A workflow's input is validated by its JSON Schema
(``models.catalogue``), or, for the built-in ``elevation`` input, by its pydantic model
(``models.workflow_inputs``) and the roles policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from execution_api.infra.config import roles_policy
from execution_api.infra.settings import Settings
from execution_api.infra.timefmt import parse_duration_seconds
from execution_api.logic import providers
from execution_api.models.caller import Caller
from execution_api.models.catalogue import Workflow
from execution_api.models.domain import DecisionPolicy, ElevationGrant
from execution_api.models.errors import Forbidden, InvalidRequest
from execution_api.models.policy import MIN_SECONDS
from execution_api.models.workflow_contract import RESERVED_INPUT_FIELDS
from execution_api.models.workflow_inputs import ElevationInput

# How long the grant step may take before the elevation ends as GrantFailed.
GRANT_TIMEOUT_SECONDS = 300
# Fields a request may not set: the policy decides them.
_POLICY_FIELDS = ("approvers", "required_approvals", "auto_approve")


@dataclass(frozen=True)
class PreparedExecution:
    payload: dict[str, Any]
    decision: DecisionPolicy | None = None
    elevation: ElevationGrant | None = None


def _prepare_elevation(data: ElevationInput, caller: Caller, settings: Settings) -> PreparedExecution:
    role = roles_policy().role(data.role)
    if data.provider != role.provider:
        raise InvalidRequest(f"input.provider: role '{role.name}' is granted by provider '{role.provider}'")
    if not role.requesters.includes(caller):
        raise Forbidden(f"input.role: you may not request '{role.name}'")
    provider = providers.provider(role.provider)
    unavailable = provider.unavailable(role)
    if unavailable:
        raise InvalidRequest(f"input.role: role '{role.name}' cannot be granted here: {unavailable}")
    target = provider.target(role, data)
    seconds = parse_duration_seconds(data.duration, "input.duration") if data.duration else role.default_seconds
    if not MIN_SECONDS <= seconds <= role.max_seconds:
        raise InvalidRequest(f"input.duration: role '{role.name}' may be held from PT5S to {role.max_duration}")
    if role.reason_required and not (data.reason and data.reason.strip()):
        raise InvalidRequest(f"input.reason: role '{role.name}' needs a reason")
    role.check_ticket(data.ticket)
    principal = provider.principal(role, caller)
    decision = None
    if not role.auto_approve:
        others = [user for user in role.approvers.users if not caller.is_person("", user)]
        if not role.approvers.groups and len(others) < role.required_approvals:
            raise InvalidRequest(f"input.role: role '{role.name}' has no approver other than you")
        decision = DecisionPolicy(
            approver_users=role.approvers.users,
            approver_groups=role.approvers.groups,
            required_approvals=role.required_approvals,
        )
    grant = ElevationGrant(
        role=role.name,
        provider=role.provider,
        principal=principal,
        target=target.key,
        duration_seconds=seconds,
        account=target.account,
        permission_set=target.permission_set,
    )
    payload = {
        "role": role.name,
        "auto_approve": role.auto_approve,
        "duration_seconds": seconds,
        "approval_timeout_seconds": settings.approval_timeout_seconds,
        "grant_timeout_seconds": GRANT_TIMEOUT_SECONDS,
    }
    return PreparedExecution(payload, decision, grant)


def prepare_execution(workflow: Workflow, raw: dict[str, Any], caller: Caller, settings: Settings) -> PreparedExecution:
    """The execution prepared from the caller's ``raw`` input, or a 400 naming each offending
    field as ``input.<field>``."""
    if workflow.input_model == "elevation":
        return _prepare_elevation(_elevation_input(workflow, raw), caller, settings)
    reserved = sorted(RESERVED_INPUT_FIELDS.intersection(raw))
    if reserved:
        details = [{"field": f"input.{name}", "message": "set by the API, not by the input"} for name in reserved]
        raise InvalidRequest(f"input.{reserved[0]}: set by the API, not by the input", details)
    return PreparedExecution({**workflow.validated_input(raw), "requester": caller.identity})


def _elevation_input(workflow: Workflow, raw: dict[str, Any]) -> ElevationInput:
    decided_by_policy = [name for name in _POLICY_FIELDS if name in raw]
    if decided_by_policy:
        details = [
            {"field": f"input.{name}", "message": "set by the role's policy, not by a request"}
            for name in decided_by_policy
        ]
        raise InvalidRequest(
            f"input.{decided_by_policy[0]}: the role's policy decides who approves, not the request", details
        )
    try:
        return ElevationInput.model_validate(raw)
    except ValidationError as error:
        details = [
            {"field": ".".join(["input", *(str(part) for part in issue["loc"])]), "message": issue["msg"]}
            for issue in error.errors(include_url=False)
        ]
        fields = ", ".join(detail["field"] for detail in details)
        raise InvalidRequest(f"invalid input for workflow '{workflow.name}': {fields}", details) from error
