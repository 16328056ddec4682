"""What every operation answers: the bodies the OpenAPI document types for clients."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from execution_api.infra.timefmt import iso_duration, iso_millis
from execution_api.models.domain import Execution, StateName, StatusName


class WorkflowType(BaseModel):
    name: str = Field(description="The Step Functions state machine's name")


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
    user: str = Field(description="Who started it, for people to read")
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
            user=execution.owner,
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
