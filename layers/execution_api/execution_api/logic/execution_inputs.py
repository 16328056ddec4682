"""What an execution starts with, prepared from the caller's input: the Step Functions input, and
the decision and grant that the record keeps. Each workflow's input is validated by its model
(``models.workflow_inputs``); an elevation is also checked against the roles policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from execution_api.infra.config import roles_policy
from execution_api.infra.settings import Settings
from execution_api.infra.timefmt import parse_duration_seconds
from execution_api.logic import providers
from execution_api.models.caller import Caller
from execution_api.models.catalogue import Workflow
from execution_api.models.domain import DecisionPolicy, ElevationGrant
from execution_api.models.errors import Forbidden, InvalidRequest
from execution_api.models.policy import MIN_SECONDS
from execution_api.models.workflow_inputs import BatchJobInput, ElevationInput

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


def _prepare_batch(data: BatchJobInput, caller: Caller, settings: Settings) -> PreparedExecution:
    return PreparedExecution({"requester": caller.identity, **data.model_dump()})


# By workflow name (``catalogue.WORKFLOWS``): the input model and how an execution is prepared from it.
_INPUTS: dict[str, tuple[type[BaseModel], Callable[[Any, Caller, Settings], PreparedExecution]]] = {
    "default": (ElevationInput, _prepare_elevation),
    "batch": (BatchJobInput, _prepare_batch),
}


def prepare_execution(workflow: Workflow, raw: dict[str, Any], caller: Caller, settings: Settings) -> PreparedExecution:
    """The execution prepared from the caller's ``raw`` input, or a 400 naming each offending
    field as ``input.<field>``."""
    model, prepare = _INPUTS[workflow.name]
    decided_by_policy = [name for name in _POLICY_FIELDS if name in raw and workflow.name == "default"]
    if decided_by_policy:
        details = [
            {"field": f"input.{name}", "message": "set by the role's policy, not by a request"}
            for name in decided_by_policy
        ]
        raise InvalidRequest(
            f"input.{decided_by_policy[0]}: the role's policy decides who approves, not the request", details
        )
    try:
        data = model.model_validate(raw)
    except ValidationError as error:
        details = [
            {"field": ".".join(["input", *(str(part) for part in issue["loc"])]), "message": issue["msg"]}
            for issue in error.errors(include_url=False)
        ]
        fields = ", ".join(detail["field"] for detail in details)
        raise InvalidRequest(f"invalid input for workflow '{workflow.name}': {fields}", details) from error
    return prepare(data, caller, settings)
