"""What every operation answers: the bodies the OpenAPI document types for clients."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from execution_api.infra.timefmt import iso_duration, iso_millis
from execution_api.models.domain import CancelMode, Execution, StateName, StatusName


class WorkflowType(BaseModel):
    name: str = Field(description="The Step Functions state machine's name")


class GrantView(BaseModel):
    """What an elevation granted and where that stands (``granted``, ``revoked``, ``revoke_failed``)."""

    role: str
    target: str
    duration: str
    provider: str | None = None
    account: str | None = Field(default=None, description="aws-sso: the account the permission set is granted on")
    permission_set: str | None = Field(default=None, description="aws-sso: the permission set's name")
    state: str | None = None
    granted_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    cause: str | None = None
    revoke_error: str | None = None


class ExecutionResource(BaseModel):
    """One execution, in both vocabularies of the contract (workflow control and records)."""

    guid: str
    workflow_id: str = Field(description="The Step Functions execution ARN")
    run_id: str
    workflow: str
    workflow_type: WorkflowType
    agentflowId: str
    agentflowName: str
    sessionId: str | None
    user: str = Field(description="Who started it, for people to read: the verified email, else the subject")
    owner: str = Field(description="Who owns it: the identity provider's issuer and subject, <iss>#<sub>")
    state: StateName
    status: StatusName
    start_time: str
    stop_time: str | None
    execution_time: str = Field(description="ISO-8601 duration, now minus start while running")
    created_on: int = Field(description="Epoch milliseconds")
    updated_on: int = Field(description="Epoch milliseconds")
    task_queue: str
    input: Any
    output: Any
    error: dict[str, Any] | None
    isPublic: bool
    approved_by: list[str] | None = Field(default=None, description="Who approved it (elevations)")
    grant: GrantView | None = Field(default=None, description="What it granted (elevations)")
    cancel_mode: CancelMode = Field(
        description="How a cancel ends it: graceful (the workflow runs its cleanup) or stop (StopExecution, no cleanup)"
    )
    tags: dict[str, str] = Field(description="Its workflow's default tags")

    @classmethod
    def of(cls, execution: Execution, task_queue: str, now: datetime) -> ExecutionResource:
        ended = execution.stop_time or now
        state = execution.state
        return cls(
            guid=execution.guid,
            workflow_id=execution.workflow_id,
            run_id=execution.guid,
            workflow=execution.workflow,
            workflow_type=WorkflowType(name=execution.state_machine_name),
            agentflowId=execution.agentflow_id,
            agentflowName=execution.workflow,
            sessionId=execution.session_id,
            user=execution.owner_display or execution.owner,
            owner=execution.owner,
            state=state.value,
            status=state.status,
            start_time=iso_millis(execution.start_time),
            stop_time=iso_millis(execution.stop_time) if execution.stop_time else None,
            execution_time=iso_duration(ended - execution.start_time),
            created_on=execution.created_on,
            updated_on=execution.updated_on,
            task_queue=task_queue,
            input=execution.input,
            output=execution.output,
            error=execution.error,
            isPublic=execution.is_public,
            approved_by=list(execution.approved_by) if execution.approved_by else None,
            grant=_grant_view(execution),
            cancel_mode=execution.cancel_mode,
            tags=execution.tags,
        )


def _grant_view(execution: Execution) -> GrantView | None:
    grant = execution.elevation
    if grant is None:
        return None
    status = asdict(execution.grant_status) if execution.grant_status else {}
    return GrantView(
        role=grant.role,
        target=grant.target,
        duration=iso_duration(timedelta(seconds=grant.duration_seconds)),
        provider=grant.provider,
        account=grant.account,
        permission_set=grant.permission_set,
        **status,
    )


class HistoryEvent(BaseModel):
    """One Step Functions history event, in the contract's vocabulary (``event_type``)."""

    event_type: str
    sfn_event_type: str
    event_id: int
    timestamp: str
    state: str | None = None
    resource: str | None = None
    resourceType: str | None = None
    error: str | None = None
    cause: str | None = None


class ExecutionWithHistory(ExecutionResource):
    history: list[HistoryEvent]


class ExecutionPage(BaseModel):
    executions: list[ExecutionResource]
    total: int
    page: int
    limit: int
    next_token: str | None = Field(description="Pass as next_token for the next page; null on the last")


class StartedExecution(BaseModel):
    workflow_id: str
    run_id: str
    status: StatusName


class ControlResult(BaseModel):
    status: Literal["ok"] = "ok"
    message: str


class DeleteResult(BaseModel):
    raw: list[Any] = Field(default_factory=list)
    affected: int


class SignalResult(BaseModel):
    message: str
    workflow_id: str
    decision: Literal["approve", "deny"]
    outcome: Literal["approved", "denied", "pending"]
    approvals: int
    required_approvals: int


class DecisionSummary(BaseModel):
    """What a decision is about, as its recipient sees it."""

    guid: str
    workflow_id: str
    workflow: str
    step: str
    requested_by: str
    input: Any
    approvals: int
    required_approvals: int
    expires_at: str


class PendingSignal(DecisionSummary):
    approve_url: str
    deny_url: str
    console_approve_url: str
    console_deny_url: str


class SignalList(BaseModel):
    signals: list[PendingSignal]
    next_token: str | None = Field(default=None, description="Pass as next_token for the next page; null on the last")


class SignalInspection(DecisionSummary):
    decision: Literal["approve", "deny"]


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error the API answers (except the authorizer's own 401, ``GatewayError``)."""

    statusCode: int
    message: str
    details: list[ErrorDetail] | None = None


class EligibleTarget(BaseModel):
    """One pair of account and permission set an ``aws-sso`` role grants: a request names them as
    ``input.account`` and ``input.permission_set``."""

    account: str = Field(description="The AWS account id")
    account_name: str = Field(description="The account's name in the policy, for people")
    permission_set: str = Field(description="The permission set's name")


class RoleSummary(BaseModel):
    """A role the caller may request, with its limits."""

    name: str
    description: str
    provider: str
    eligible: list[EligibleTarget] = Field(
        default_factory=list,
        description="aws-sso: the pairs of account and permission set the role grants (one per request); "
        "empty for other providers",
    )
    max_duration: str
    default_duration: str
    reason_required: bool
    ticket_pattern: str | None
    auto_approve: bool
    required_approvals: int
    approver_groups: list[str]


class RoleList(BaseModel):
    roles: list[RoleSummary]


class WorkflowSummary(BaseModel):
    """A workflow the caller may start, with what its input must be."""

    name: str = Field(description='What POST /execution takes as "workflow"')
    agentflowId: str
    description: str
    input_schema: dict[str, Any] = Field(description="The input's JSON Schema; POST /execution validates against it")
    input_model: Literal["elevation"] | None = Field(
        description='A built-in input: "elevation" asks for a role of GET /roles (input.role)'
    )
    cancel_mode: CancelMode = Field(
        description="How a cancel ends it: graceful (the workflow runs its cleanup) or stop (StopExecution, no cleanup)"
    )
    workflow_type: WorkflowType
    retention_days: int | None = Field(description="Ended executions are deleted this many days after they end")
    tags: dict[str, str] = Field(description="Every execution's tags")


class WorkflowList(BaseModel):
    workflows: list[WorkflowSummary]


class AuditEntry(BaseModel):
    type: str
    at: str
    actor: str
    detail: dict[str, Any]


class AuditTrailResponse(BaseModel):
    guid: str
    events: list[AuditEntry]
